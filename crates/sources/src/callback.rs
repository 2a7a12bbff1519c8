//! The callback step (sources.md 5): state, provider error, token, ID token, profile, mapping,
//! in that order; each failure carries the visitor-facing reason of 5.1.

use crate::http::{describe, json_body};
use crate::id_token::{self, Expected, IssuerRule, VerifyError};
use crate::profile::{self, Credentials};
use crate::resolve::LoginUrl;
use crate::token;
use crate::{Attempt, Failure, Identity, SourceConfig};
use serde_json::{Map, Value};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

const STATE_FAILED: &str = "State check failed.";
const ID_TOKEN_FAILED: &str = "Could not verify ID token.";
const PROFILE_FAILED: &str = "Could not retrieve profile.";

fn failure(reason: &str, detail: impl Into<String>) -> Failure {
    Failure {
        reason: reason.into(),
        detail: detail.into(),
    }
}

fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub(crate) async fn complete(
    client: &reqwest::Client,
    cfg: &SourceConfig,
    callback_url: &str,
    attempt: Option<&Attempt>,
    params: &[(String, String)],
) -> Result<Identity, Failure> {
    // 1. State (before anything else, so a provider error only shows with a valid state).
    let attempt =
        attempt.ok_or_else(|| failure(STATE_FAILED, "no login attempt stored for this source"))?;
    let state = param(params, "state")
        .ok_or_else(|| failure(STATE_FAILED, "callback has no state parameter"))?;
    if !bool::from(state.as_bytes().ct_eq(attempt.state.as_bytes())) {
        return Err(failure(
            STATE_FAILED,
            "callback state differs from the stored one",
        ));
    }

    // 2. The code, or the provider's error.
    let Some(code) = param(params, "code").filter(|c| !c.is_empty()) else {
        let described = ["error_description", "error"]
            .into_iter()
            .find_map(|k| param(params, k).filter(|v| !v.is_empty()));
        return Err(match described {
            Some(said) => failure(
                said,
                format!("callback has no code; the provider said: {said}"),
            ),
            None => failure(
                "No token received.",
                "callback has neither a code nor an error",
            ),
        });
    };

    let ty = cfg.provider().ok_or_else(|| {
        failure(
            "Could not retrieve token.",
            format!("unknown provider type {:?}", cfg.provider_type),
        )
    })?;

    // Time spent waiting for the provider, so that our own cost can be told apart.
    let mut waited = Duration::ZERO;

    // 3. Token exchange.
    let started = Instant::now();
    let token = token::exchange(
        client,
        cfg,
        ty,
        callback_url,
        code,
        attempt.code_verifier.as_deref(),
    )
    .await?;
    waited += started.elapsed();

    // 4. The ID token, when a nonce was sent (OpenID Connect).
    let mut refreshed_jwks = None;
    let id_claims = match &attempt.nonce {
        Some(nonce) => {
            let (claims, fresh) = verify_id_token(client, cfg, &token, nonce, &mut waited).await?;
            refreshed_jwks = fresh;
            Some(claims)
        }
        None => None,
    };

    // 5. The profile.
    let creds = Credentials {
        token_type: token.token_type(),
        access_token: token.access_token(),
    };
    let profile_url = cfg.effective_url(LoginUrl::Profile);
    let started = Instant::now();
    let profile = profile::fetch(client, ty, &profile_url, &creds)
        .await
        .map_err(|e| failure(PROFILE_FAILED, format!("profile request: {e}")))?;
    waited += started.elapsed();
    if let (Some(claims), Some(sub)) = (&id_claims, profile.get("sub")) {
        if claims.get("sub") != Some(sub) {
            return Err(failure(
                ID_TOKEN_FAILED,
                "userinfo sub differs from the ID token sub",
            ));
        }
    }

    // 6. Identifier and enroll info.
    let identifier = ty.identifier(&profile).ok_or_else(|| {
        failure(
            "Could not determine id.",
            format!("no identifier in the {} profile", ty.name),
        )
    })?;
    // GitHub: the profile's e-mail if non-empty, else the primary one of `/emails`.
    let needs_email = ty.name == "github"
        && profile
            .get("email")
            .is_none_or(|e| e.is_null() || e.as_str() == Some(""));
    let github_email = if needs_email {
        let started = Instant::now();
        let email = profile::github_primary_email(client, ty, &profile_url, &creds).await;
        waited += started.elapsed();
        email
    } else {
        None
    };
    let enroll_info = match github_email {
        Some(email) => {
            let mut with_email = profile.clone();
            with_email["email"] = email;
            ty.enroll_info(&with_email)
        }
        None => ty.enroll_info(&profile),
    };

    let access_token = Some(token.access_token().to_string()).filter(|t| !t.is_empty());
    Ok(Identity {
        identifier,
        enroll_info,
        profile,
        access_token,
        refreshed_jwks,
        provider_time: waited,
    })
}

/// Verifies the token response's ID token with the cached JWKS, or with a freshly fetched one
/// when the cached set has no key for it; returns the claims and the fresh set, if fetched.
async fn verify_id_token(
    client: &reqwest::Client,
    cfg: &SourceConfig,
    token: &token::TokenResponse,
    nonce: &str,
    waited: &mut Duration,
) -> Result<(Map<String, Value>, Option<Value>), Failure> {
    let id_token = token
        .id_token()
        .ok_or_else(|| failure(ID_TOKEN_FAILED, "token response has no id_token"))?;
    let issuer = match cfg.effective_well_known_url() {
        Some(well_known) => {
            let rule = IssuerRule::from_well_known(&well_known, &cfg.provider_type);
            if rule.is_none() {
                tracing::debug!(source = %cfg.slug, url = %well_known, "discovery URL has no standard suffix; ID token issuer not checked");
            }
            rule
        }
        None => {
            tracing::debug!(source = %cfg.slug, "no discovery URL configured; ID token issuer not checked");
            None
        }
    };
    let expected = Expected {
        client_id: &cfg.consumer_key,
        nonce,
        issuer,
    };

    match id_token::verify(id_token, &cfg.oidc_jwks, &expected) {
        Ok(claims) => Ok((claims, None)),
        Err(VerifyError::NoKey(detail)) => {
            // The provider may have rotated its keys since the JWKS was cached: fetch it once.
            let Some(url) = cfg.effective_jwks_url() else {
                return Err(failure(
                    ID_TOKEN_FAILED,
                    format!("{detail}, and no JWKS URL to refresh it from"),
                ));
            };
            let started = Instant::now();
            let fetched = fetch_jwks(client, &url).await;
            *waited += started.elapsed();
            let fresh = fetched.map_err(|e| {
                failure(
                    ID_TOKEN_FAILED,
                    format!("{detail}; JWKS refresh failed: {e}"),
                )
            })?;
            match id_token::verify(id_token, &fresh, &expected) {
                Ok(claims) => Ok((claims, Some(fresh))),
                Err(e) => Err(failure(
                    ID_TOKEN_FAILED,
                    format!("{} (after refreshing the JWKS)", e.detail()),
                )),
            }
        }
        Err(e) => Err(failure(ID_TOKEN_FAILED, e.detail())),
    }
}

async fn fetch_jwks(client: &reqwest::Client, url: &str) -> Result<Value, String> {
    let resp = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(describe)?;
    let status = resp.status();
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    match json_body(resp).await.map_err(|e| e.to_string())? {
        jwks @ Value::Object(_) if jwks.get("keys").is_some_and(Value::is_array) => Ok(jwks),
        _ => Err("not a JWKS (no `keys` list)".into()),
    }
}
