//! An OAuth source as the login needs it: its row, and the protocol view of it.

use crate::ctx::Services;
use crate::error::EngineResult;
use crate::resources::common::t;
use domain::query::{Cond, Select, Write};
use domain::value::{ColType, Row};
use serde_json::Value;

const COLUMNS: &[(&str, ColType)] = &[
    ("uuid", ColType::Text),
    ("kind", ColType::Text),
    ("name", ColType::Text),
    ("slug", ColType::Text),
    ("enabled", ColType::Bool),
    ("authentication_flow", ColType::Text),
    ("enrollment_flow", ColType::Text),
    ("user_matching_mode", ColType::Text),
    ("user_path_template", ColType::Text),
    ("provider_type", ColType::Text),
    ("request_token_url", ColType::Text),
    ("authorization_url", ColType::Text),
    ("access_token_url", ColType::Text),
    ("profile_url", ColType::Text),
    ("consumer_key", ColType::Text),
    ("consumer_secret", ColType::Text),
    ("additional_scopes", ColType::Text),
    ("oidc_well_known_url", ColType::Text),
    ("oidc_jwks_url", ColType::Text),
    ("oidc_jwks", ColType::Text),
];

/// The enabled OAuth source with this slug (a disabled or unknown one has no login pages).
pub async fn load_enabled(services: &Services, slug: &str) -> EngineResult<Option<Row>> {
    let mut sel = Select::new("sources").filter(Cond::eq("slug", slug).and(Cond::eq("kind", "oauth")));
    for (c, ty) in COLUMNS {
        sel = sel.col(c, *ty);
    }
    let row = services.store.select(&sel).await?.into_iter().next();
    Ok(row.filter(|r| r.bool("enabled")))
}

fn opt(row: &Row, col: &str) -> Option<String> {
    row.text(col).map(str::to_string)
}

/// The protocol's view of a source; the client secret is unsealed here and nowhere else.
pub fn protocol_config(services: &Services, row: &Row) -> sources::SourceConfig {
    sources::SourceConfig {
        slug: t(row, "slug").to_string(),
        name: t(row, "name").to_string(),
        provider_type: t(row, "provider_type").to_string(),
        consumer_key: t(row, "consumer_key").to_string(),
        consumer_secret: services.sealer.open(t(row, "consumer_secret")).unwrap_or_default(),
        request_token_url: opt(row, "request_token_url"),
        authorization_url: opt(row, "authorization_url"),
        access_token_url: opt(row, "access_token_url"),
        profile_url: opt(row, "profile_url"),
        additional_scopes: t(row, "additional_scopes").to_string(),
        oidc_well_known_url: t(row, "oidc_well_known_url").to_string(),
        oidc_jwks_url: t(row, "oidc_jwks_url").to_string(),
        oidc_jwks: row.text("oidc_jwks").and_then(|s| serde_json::from_str(s).ok()).unwrap_or_else(|| Value::Object(Default::default())),
        type_urls: type_urls(services, t(row, "provider_type")),
    }
}

/// `PORTCULLIS_OAUTH_TYPE_URLS` for one type.
fn type_urls(services: &Services, provider_type: &str) -> sources::TypeUrls {
    let Some(m) = services.oauth_type_urls.get(provider_type) else { return sources::TypeUrls::default() };
    let url = |k: &str| m.get(k).and_then(Value::as_str).filter(|u| !u.is_empty()).map(str::to_string);
    sources::TypeUrls { authorization_url: url("authorization_url"), access_token_url: url("access_token_url"), profile_url: url("profile_url") }
}

/// Keeps a JWKS that the callback had to fetch (the provider rotated its keys).
pub async fn store_jwks(services: &Services, source_uuid: &str, jwks: &Value) -> EngineResult<()> {
    let mut tx = services.store.begin().await?;
    tx.write(&Write::Update {
        table: "sources".into(),
        set: vec![("oidc_jwks".into(), jwks.to_string().into())],
        filter: Cond::eq("uuid", source_uuid),
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

/// sources.md 8: the path of users enrolled through the source. `%(slug)s` is the only
/// placeholder and `%%` a literal `%`; anything else falls back to `users`.
pub fn user_path(template: &str, slug: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix("(slug)s") {
            out.push_str(slug);
            rest = r;
        } else if let Some(r) = after.strip_prefix('%') {
            out.push('%');
            rest = r;
        } else {
            tracing::warn!(template, "user_path_template cannot be formatted; using the default path");
            return "users".into();
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::user_path;

    #[test]
    fn user_path_template_rules() {
        assert_eq!(user_path("goauthentik.io/sources/%(slug)s", "gh"), "goauthentik.io/sources/gh");
        assert_eq!(user_path("a%%b/%(slug)s", "x"), "a%b/x");
        assert_eq!(user_path("x/%(name)s", "x"), "users");
        assert_eq!(user_path("x/%d", "x"), "users");
        assert_eq!(user_path("trailing%", "x"), "users");
        assert_eq!(user_path("plain", "x"), "plain");
    }
}
