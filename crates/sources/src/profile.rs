//! The profile request (sources.md 5.3) and GitHub's e-mail fallback (3.3).

use crate::http::{describe, json_body};
use crate::types::{ProfileFetch, ProviderType};
use reqwest::header::{ACCEPT, AUTHORIZATION};
use serde_json::Value;

/// How to present the access token.
pub(crate) struct Credentials<'a> {
    pub token_type: &'a str,
    pub access_token: &'a str,
}

impl Credentials<'_> {
    /// `Authorization: <token_type> <access_token>`, the token type as the provider spelled it
    /// unless the type wants it capitalised.
    fn header(&self, ty: &ProviderType) -> String {
        let token_type = if ty.protocol.capitalise_token_type {
            let mut chars = self.token_type.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        } else {
            self.token_type.to_string()
        };
        format!("{token_type} {}", self.access_token)
    }
}

/// GET `url` with the type's way of carrying the token; the body must be JSON.
async fn get_json(
    client: &reqwest::Client,
    ty: &ProviderType,
    url: &str,
    creds: &Credentials<'_>,
) -> Result<Value, String> {
    let mut url = url::Url::parse(url).map_err(|e| format!("invalid URL: {e}"))?;
    let fetch = ty.protocol.profile_fetch;
    if matches!(fetch, ProfileFetch::HeaderAndQuery | ProfileFetch::Query)
        && !creds.access_token.is_empty()
    {
        url.query_pairs_mut()
            .append_pair("access_token", creds.access_token);
    }
    let mut request = client.get(url).header(ACCEPT, "application/json");
    if matches!(fetch, ProfileFetch::Header | ProfileFetch::HeaderAndQuery)
        && !creds.access_token.is_empty()
    {
        request = request.header(AUTHORIZATION, creds.header(ty));
    }
    let resp = request.send().await.map_err(describe)?;
    let status = resp.status();
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    json_body(resp).await.map_err(|e| e.to_string())
}

/// The profile object; the error text is for logs.
pub(crate) async fn fetch(
    client: &reqwest::Client,
    ty: &ProviderType,
    url: &str,
    creds: &Credentials<'_>,
) -> Result<Value, String> {
    if url.is_empty() {
        return Err("the source has no profile URL".into());
    }
    match get_json(client, ty, url, creds).await? {
        profile @ Value::Object(_) => Ok(profile),
        _ => Err("profile is not a JSON object".into()),
    }
}

/// GitHub only shows a public e-mail in the profile: the primary address comes from
/// `<profile_url>/emails`. Any failure just means no e-mail (authentik).
pub(crate) async fn github_primary_email(
    client: &reqwest::Client,
    ty: &ProviderType,
    profile_url: &str,
    creds: &Credentials<'_>,
) -> Option<Value> {
    let Ok(mut url) = url::Url::parse(profile_url) else {
        return None;
    };
    let path = format!("{}/emails", url.path().trim_end_matches('/'));
    url.set_path(&path);
    match get_json(client, ty, url.as_str(), creds).await {
        Ok(Value::Array(emails)) => emails
            .iter()
            .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
            .and_then(|e| e.get("email"))
            .filter(|e| !e.is_null())
            .cloned(),
        Ok(_) => {
            tracing::debug!("GitHub e-mail list is not a JSON array; no e-mail");
            None
        }
        Err(e) => {
            tracing::debug!(error = %e, "GitHub e-mail list unavailable; no e-mail");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::find;

    #[test]
    fn authorization_header() {
        let c = Credentials {
            token_type: "bearer",
            access_token: "AT",
        };
        assert_eq!(c.header(find("openidconnect").unwrap()), "bearer AT");
        assert_eq!(c.header(find("twitch").unwrap()), "Bearer AT");
        let empty = Credentials {
            token_type: "",
            access_token: "AT",
        };
        assert_eq!(empty.header(find("twitch").unwrap()), " AT");
    }
}
