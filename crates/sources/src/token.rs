//! The token exchange (sources.md 5.2): the authorization code for the token response.

use crate::http::{describe, json_body};
use crate::resolve::LoginUrl;
use crate::types::ProviderType;
use crate::{Failure, SourceConfig};
use serde_json::{Map, Value};

const NO_TOKEN: &str = "Could not retrieve token.";

fn fail(detail: impl Into<String>) -> Failure {
    Failure {
        reason: NO_TOKEN.into(),
        detail: detail.into(),
    }
}

/// The token response, kept whole (`access_token`, `token_type`, `id_token`, ...).
pub(crate) struct TokenResponse(pub Map<String, Value>);

impl TokenResponse {
    fn text(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }
    /// `""` when absent.
    pub fn access_token(&self) -> &str {
        self.text("access_token").unwrap_or_default()
    }
    /// As the provider spelled it; `Bearer` when absent (authentik fails instead).
    pub fn token_type(&self) -> &str {
        self.text("token_type")
            .filter(|t| !t.is_empty())
            .unwrap_or("Bearer")
    }
    pub fn id_token(&self) -> Option<&str> {
        self.text("id_token").filter(|t| !t.is_empty())
    }
}

/// The token request of 5.2: credentials in the form body, and as HTTP Basic for the types
/// that want it.
fn request(
    client: &reqwest::Client,
    cfg: &SourceConfig,
    ty: &ProviderType,
    url: &str,
    callback_url: &str,
    code: &str,
    code_verifier: Option<&str>,
) -> reqwest::RequestBuilder {
    let mut form: Vec<(&str, &str)> = vec![
        ("client_id", &cfg.consumer_key),
        ("client_secret", &cfg.consumer_secret),
        ("redirect_uri", callback_url),
        ("code", code),
        ("grant_type", "authorization_code"),
    ];
    if let Some(verifier) = code_verifier {
        form.push(("code_verifier", verifier));
    }
    let mut request = client
        .post(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&form);
    if ty.protocol.token_basic_auth {
        request = request.basic_auth(&cfg.consumer_key, Some(&cfg.consumer_secret));
    }
    request
}

pub(crate) async fn exchange(
    client: &reqwest::Client,
    cfg: &SourceConfig,
    ty: &ProviderType,
    callback_url: &str,
    code: &str,
    code_verifier: Option<&str>,
) -> Result<TokenResponse, Failure> {
    let url = cfg.effective_url(LoginUrl::AccessToken);
    if url.is_empty() {
        return Err(fail("the source has no token URL"));
    }
    let request = request(client, cfg, ty, &url, callback_url, code, code_verifier);
    let resp = request
        .send()
        .await
        .map_err(|e| fail(format!("token request failed: {}", describe(e))))?;
    let status = resp.status();
    let body = json_body(resp).await;
    if !status.is_success() {
        // The OAuth error code (RFC 6749 5.2) names the problem without revealing anything.
        let code = body
            .as_ref()
            .ok()
            .and_then(|b| b.get("error"))
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        return Err(fail(format!("token endpoint answered HTTP {status}{code}")));
    }
    let token = match body {
        Ok(Value::Object(token)) => token,
        Ok(_) => return Err(fail("token response is not a JSON object")),
        Err(e) => return Err(fail(format!("token response: {e}"))),
    };
    // GitHub reports errors with HTTP 200 (reason 4 of 5.1). A null `error` is no error.
    if let Some(error) = token.get("error").filter(|e| !e.is_null()) {
        let reason = match error {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let detail = format!("token endpoint reported an error: {reason}");
        let reason = if reason.is_empty() {
            NO_TOKEN.to_string()
        } else {
            reason
        };
        return Err(Failure { reason, detail });
    }
    Ok(TokenResponse(token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::find;

    fn built(ty: &str) -> reqwest::Request {
        let cfg = SourceConfig {
            consumer_key: "ck".into(),
            consumer_secret: "cs".into(),
            ..Default::default()
        };
        let client = reqwest::Client::new();
        request(
            &client,
            &cfg,
            find(ty).unwrap(),
            "https://idp.test/token",
            "http://ak.test/cb/",
            "C",
            Some("V"),
        )
        .build()
        .unwrap()
    }

    #[test]
    fn basic_auth_only_for_reddit_and_twitter() {
        // base64("ck:cs")
        for ty in ["reddit", "twitter"] {
            assert_eq!(
                built(ty).headers()["authorization"],
                "Basic Y2s6Y3M=",
                "{ty}"
            );
        }
        for ty in ["openidconnect", "github", "google", "discord"] {
            assert!(built(ty).headers().get("authorization").is_none(), "{ty}");
        }
        let r = built("reddit");
        let body = std::str::from_utf8(r.body().unwrap().as_bytes().unwrap())
            .unwrap()
            .to_string();
        assert_eq!(
            body,
            "client_id=ck&client_secret=cs&redirect_uri=http%3A%2F%2Fak.test%2Fcb%2F&code=C&grant_type=authorization_code&code_verifier=V"
        );
        assert_eq!(r.headers()["accept"], "application/json");
    }

    #[test]
    fn token_type_and_access_token_defaults() {
        let t = TokenResponse(serde_json::from_str(r#"{"access_token": "A"}"#).unwrap());
        assert_eq!(
            (t.token_type(), t.access_token(), t.id_token()),
            ("Bearer", "A", None)
        );
        let t =
            TokenResponse(serde_json::from_str(r#"{"token_type": "", "id_token": ""}"#).unwrap());
        assert_eq!(
            (t.token_type(), t.access_token(), t.id_token()),
            ("Bearer", "", None)
        );
    }
}
