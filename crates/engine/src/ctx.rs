//! What every operation needs to know: who asks, how to reach the database, the server's
//! secrets, and the request's own details.

use domain::crypto::Sealer;
use domain::store::Store;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Long-lived services shared by all requests.
pub struct Services {
    pub store: Arc<dyn Store>,
    pub sealer: Sealer,
    /// Stable per installation; used for users' `uid`.
    pub installation_id: String,
    /// Where uploads are kept (served from `/media/public/`).
    pub media_dir: std::path::PathBuf,
    /// Whether saving an OAuth source fetches its provider type's built-in OIDC discovery and
    /// JWKS URLs (best-effort). Off for servers without internet access, and in tests.
    pub oidc_default_discovery: bool,
    /// Replacements for provider types' built-in URLs, by type name:
    /// `{"google": {"authorization_url": ..., "access_token_url": ..., "profile_url": ...}}`
    /// (`PORTCULLIS_OAUTH_TYPE_URLS`).
    pub oauth_type_urls: serde_json::Map<String, serde_json::Value>,
}

/// The authenticated user making a request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub is_superuser: bool,
}

pub struct Ctx<'a> {
    pub services: &'a Services,
    pub actor: Option<Actor>,
    /// `scheme://host` of the request, for absolute URLs.
    pub base_url: String,
    /// Query parameters, each possibly repeated.
    pub query: BTreeMap<String, Vec<String>>,
    /// The caller's browser session cookie, for actions that act on that session.
    pub session: Option<String>,
}

impl Ctx<'_> {
    pub fn store(&self) -> &dyn Store {
        self.services.store.as_ref()
    }
    pub fn is_superuser(&self) -> bool {
        self.actor.as_ref().map(|a| a.is_superuser).unwrap_or(false)
    }
    pub fn actor_id(&self) -> Option<i64> {
        self.actor.as_ref().map(|a| a.user_id)
    }
    /// First non-empty value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.get(name).and_then(|v| v.first()).map(String::as_str)
    }
}
