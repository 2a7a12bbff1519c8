//! The login step (sources.md 4): a fresh attempt and the authorization URL.

use crate::random::{alnum, pkce_challenge, pkce_verifier};
use crate::resolve::LoginUrl;
use crate::{Attempt, ConfigError, Redirect, SourceConfig};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but the RFC 3986 unreserved characters is percent-encoded (space as `%20`).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Per-attempt values that a query parameter fixed in the configured authorization URL must
/// not replace: a fixed state or nonce would defeat its purpose (and break our own checks), a
/// fixed PKCE challenge would not match the verifier we send.
const PER_ATTEMPT: [&str; 4] = ["state", "nonce", "code_challenge", "code_challenge_method"];

fn not_configured() -> ConfigError {
    ConfigError("Source is not configured correctly.".into())
}

/// The scope list of 4.2.3: the base scopes, plus the additional ones, or only those when
/// `additional` starts with `*`; empty entries dropped, de-duplicated, sorted (byte order).
pub fn scope_list(base: &[&str], additional: &str) -> Vec<String> {
    let mut scopes: Vec<String> = match additional.strip_prefix('*') {
        Some(replacement) => replacement.split_whitespace().map(str::to_string).collect(),
        None => base
            .iter()
            .map(|s| s.to_string())
            .chain(additional.split_whitespace().map(str::to_string))
            .collect(),
    };
    scopes.retain(|s| !s.is_empty());
    scopes.sort();
    scopes.dedup();
    scopes
}

pub(crate) fn begin(cfg: &SourceConfig, callback_url: &str) -> Result<Redirect, ConfigError> {
    let Some(ty) = cfg.provider() else {
        tracing::warn!(source = %cfg.slug, provider_type = %cfg.provider_type, "OAuth source has an unknown provider type");
        return Err(not_configured());
    };
    if !ty.protocol.supported {
        return Err(ConfigError(
            "This provider type is not supported yet.".into(),
        ));
    }
    // Any request token URL on the source means OAuth 1 (sources.md 4.1 step 2), whatever the
    // type lets the admin customise.
    if cfg
        .request_token_url
        .as_deref()
        .is_some_and(|u| !u.is_empty())
    {
        return Err(ConfigError(
            "OAuth 1 sources (with a request token URL) are not supported.".into(),
        ));
    }
    let configured = cfg.effective_url(LoginUrl::Authorization);
    if configured.is_empty() {
        tracing::warn!(source = %cfg.slug, "OAuth source has an empty authorization URL");
        return Err(not_configured());
    }
    let mut url = match url::Url::parse(&configured) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        _ => {
            tracing::warn!(source = %cfg.slug, url = %configured, "OAuth source has an invalid authorization URL");
            return Err(not_configured());
        }
    };

    // Parameters fixed in the configured URL win over generated ones (4.2.4), except the
    // per-attempt ones; the last occurrence of a repeated key counts.
    let mut fixed: Vec<(String, String)> = Vec::new();
    for (k, v) in url.query_pairs().into_owned() {
        if PER_ATTEMPT.contains(&k.as_str()) {
            tracing::warn!(source = %cfg.slug, parameter = %k, "ignoring a per-attempt parameter fixed in the authorization URL");
            continue;
        }
        match fixed.iter_mut().find(|(key, _)| *key == k) {
            Some(entry) => entry.1 = v,
            None => fixed.push((k, v)),
        }
    }
    let fixed_value = |key: &str| fixed.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());

    let scope = fixed_value("scope")
        .unwrap_or_else(|| scope_list(ty.protocol.scopes, &cfg.additional_scopes).join(" "));
    // OpenID Connect when the provider speaks it and `openid` is actually requested: only then
    // is an ID token returned to check the nonce against.
    let openid = ty.protocol.openid_connect && scope.split_whitespace().any(|s| s == "openid");
    let attempt = Attempt {
        state: alnum(32),
        code_verifier: Some(pkce_verifier()),
        nonce: openid.then(|| alnum(32)),
    };

    let mut params: Vec<(String, String)> = vec![
        ("client_id".into(), cfg.consumer_key.clone()),
        ("redirect_uri".into(), callback_url.into()),
        ("response_type".into(), "code".into()),
        ("state".into(), attempt.state.clone()),
    ];
    params.extend(
        ty.protocol
            .extra_params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    params.push(("scope".into(), scope));
    if let Some(verifier) = &attempt.code_verifier {
        params.push(("code_challenge".into(), pkce_challenge(verifier)));
        params.push(("code_challenge_method".into(), "S256".into()));
    }
    if let Some(nonce) = &attempt.nonce {
        params.push(("nonce".into(), nonce.clone()));
    }
    for (k, v) in fixed {
        match params.iter_mut().find(|(key, _)| *key == k) {
            Some(entry) => entry.1 = v,
            None => params.push((k, v)),
        }
    }

    let query = params
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, QUERY_VALUE),
                utf8_percent_encode(v, QUERY_VALUE)
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    url.set_query(Some(&query));
    Ok(Redirect {
        url: url.into(),
        attempt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::find;

    fn cfg(ty: &str, auth: &str) -> SourceConfig {
        SourceConfig {
            slug: "test".into(),
            name: "Test".into(),
            provider_type: ty.into(),
            consumer_key: "ck".into(),
            consumer_secret: "cs".into(),
            authorization_url: Some(auth.into()),
            ..Default::default()
        }
    }

    fn query(url: &str) -> Vec<(String, String)> {
        url::Url::parse(url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect()
    }

    fn get<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
        q.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    const CB: &str = "http://ak.test/source/oauth/callback/test/";

    #[test]
    fn scopes() {
        let base = find("openidconnect").unwrap().protocol.scopes;
        assert_eq!(scope_list(base, ""), ["email", "openid", "profile"]);
        assert_eq!(
            scope_list(base, "groups offline_access"),
            ["email", "groups", "offline_access", "openid", "profile"]
        );
        assert_eq!(scope_list(base, "*openid  groups"), ["groups", "openid"]);
        assert_eq!(scope_list(base, "* openid"), ["openid"]);
        assert_eq!(scope_list(base, "*"), Vec::<String>::new());
        // Double spaces, duplicates of base scopes, byte order (uppercase first).
        assert_eq!(
            scope_list(base, "email  Zed  email"),
            ["Zed", "email", "openid", "profile"]
        );
        assert_eq!(
            scope_list(find("azuread").unwrap().protocol.scopes, ""),
            ["https://graph.microsoft.com/User.Read", "openid"]
        );
    }

    #[test]
    fn oidc_authorization_url() {
        let r = begin(&cfg("openidconnect", "http://idp.test/auth"), CB).unwrap();
        assert!(r.url.starts_with("http://idp.test/auth?client_id=ck&redirect_uri=http%3A%2F%2Fak.test%2Fsource%2Foauth%2Fcallback%2Ftest%2F&response_type=code&state="));
        assert!(r
            .url
            .contains("&scope=email%20openid%20profile&code_challenge="));
        let q = query(&r.url);
        let keys: Vec<&str> = q.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "client_id",
                "redirect_uri",
                "response_type",
                "state",
                "scope",
                "code_challenge",
                "code_challenge_method",
                "nonce"
            ]
        );
        assert_eq!(get(&q, "redirect_uri"), Some(CB));
        assert_eq!(get(&q, "state"), Some(r.attempt.state.as_str()));
        assert_eq!(r.attempt.state.len(), 32);
        let verifier = r.attempt.code_verifier.as_deref().unwrap();
        assert_eq!(
            get(&q, "code_challenge"),
            Some(pkce_challenge(verifier).as_str())
        );
        assert_eq!(get(&q, "code_challenge_method"), Some("S256"));
        assert_eq!(get(&q, "nonce"), r.attempt.nonce.as_deref());
        assert_eq!(r.attempt.nonce.as_ref().map(String::len), Some(32));
        // Fresh values per attempt.
        let again = begin(&cfg("openidconnect", "http://idp.test/auth"), CB).unwrap();
        assert_ne!(again.attempt, r.attempt);
    }

    #[test]
    fn type_extras_come_before_scope_and_plain_oauth2_has_no_nonce() {
        let r = begin(&cfg("discord", ""), CB).unwrap();
        let q = query(&r.url);
        assert!(r
            .url
            .starts_with("https://discord.com/api/oauth2/authorize?"));
        let keys: Vec<&str> = q.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "client_id",
                "redirect_uri",
                "response_type",
                "state",
                "prompt",
                "scope",
                "code_challenge",
                "code_challenge_method"
            ]
        );
        assert_eq!(get(&q, "scope"), Some("email identify"));
        assert_eq!(r.attempt.nonce, None);

        let t = begin(&cfg("twitch", ""), CB).unwrap();
        let q = query(&t.url);
        assert_eq!(
            get(&q, "claims"),
            Some(r#"{"userinfo": {"email": null, "preferred_username": null}}"#)
        );
        assert!(t.attempt.nonce.is_some(), "twitch asks for openid");

        // Twitter: PKCE S256 like everyone else (authentik used `plain`).
        let tw = begin(&cfg("twitter", ""), CB).unwrap();
        let q = query(&tw.url);
        assert_eq!(get(&q, "code_challenge_method"), Some("S256"));
        assert_eq!(get(&q, "scope"), Some("tweet.read users.read"));
        assert_eq!(
            get(
                &query(&begin(&cfg("reddit", ""), CB).unwrap().url),
                "duration"
            ),
            Some("permanent")
        );
    }

    #[test]
    fn nonce_follows_the_final_scope() {
        // Google has no `openid` by default...
        assert_eq!(begin(&cfg("google", ""), CB).unwrap().attempt.nonce, None);
        // ...unless the admin adds it.
        let mut g = cfg("google", "");
        g.additional_scopes = "openid".into();
        assert!(begin(&g, CB).unwrap().attempt.nonce.is_some());
        // A generic OIDC source whose scopes replace `openid` is plain OAuth 2.
        let mut o = cfg("openidconnect", "http://idp.test/auth");
        o.additional_scopes = "*read write".into();
        assert_eq!(begin(&o, CB).unwrap().attempt.nonce, None);
        // GitHub never speaks OIDC to log in.
        let mut gh = cfg("github", "");
        gh.additional_scopes = "openid".into();
        assert_eq!(begin(&gh, CB).unwrap().attempt.nonce, None);
    }

    #[test]
    fn configured_query_wins() {
        let c = cfg("openidconnect", "http://idp.test/auth?prompt=login&scope=openid%20extra&client_id=other&state=fixed&nonce=n");
        let r = begin(&c, CB).unwrap();
        let q = query(&r.url);
        let keys: Vec<&str> = q.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "client_id",
                "redirect_uri",
                "response_type",
                "state",
                "scope",
                "code_challenge",
                "code_challenge_method",
                "nonce",
                "prompt"
            ]
        );
        assert_eq!(get(&q, "client_id"), Some("other"));
        assert_eq!(get(&q, "scope"), Some("openid extra"));
        assert_eq!(get(&q, "prompt"), Some("login"));
        // Per-attempt values cannot be pinned.
        assert_eq!(get(&q, "state"), Some(r.attempt.state.as_str()));
        assert_eq!(get(&q, "nonce"), r.attempt.nonce.as_deref());
        assert_ne!(get(&q, "nonce"), Some("n"));
        // A configured scope without `openid` means no nonce.
        let r = begin(&cfg("openidconnect", "http://idp.test/auth?scope=read"), CB).unwrap();
        assert_eq!(r.attempt.nonce, None);
        assert_eq!(get(&query(&r.url), "nonce"), None);
    }

    #[test]
    fn configuration_errors() {
        let missing = Err(ConfigError("Source is not configured correctly.".into()));
        assert_eq!(begin(&cfg("openidconnect", ""), CB).map(|r| r.url), missing);
        assert_eq!(
            begin(&cfg("openidconnect", "not a url"), CB).map(|r| r.url),
            missing
        );
        assert_eq!(
            begin(&cfg("openidconnect", "javascript:alert(1)"), CB).map(|r| r.url),
            missing
        );
        assert_eq!(
            begin(&cfg("unknown", "http://idp.test/auth"), CB).map(|r| r.url),
            missing
        );
        let mut o1 = cfg("openidconnect", "http://idp.test/auth");
        o1.request_token_url = Some("http://idp.test/request_token".into());
        assert!(begin(&o1, CB).unwrap_err().0.contains("OAuth 1"));
        o1.request_token_url = Some(String::new());
        assert!(begin(&o1, CB).is_ok());
        assert_eq!(
            begin(&cfg("apple", ""), CB).map(|r| r.url),
            Err(ConfigError(
                "This provider type is not supported yet.".into()
            ))
        );
    }
}
