//! The client side of federated login through OAuth 2 / OpenID Connect sources (sources.md 3-5).
//!
//! This crate knows the provider types and the protocol; it knows nothing of storage, sessions
//! or flows. The engine hands it a [`SourceConfig`], keeps the [`Attempt`] of [`begin`] in the
//! visitor's session, and gives it back to [`complete`] with the callback's parameters.
//!
//! Hardening over authentik 2024.2.2 (sources.md 11, 12), worth recording as differences:
//! - PKCE `S256` for every type (authentik: only Twitter, with `plain`).
//! - OpenID Connect: when the type speaks it (openidconnect, azuread, gitlab, okta, twitch,
//!   google) and `openid` is in the final scope, a `nonce` is sent and the token response's ID
//!   token is required and verified (signature by the source's JWKS, refreshed once for an
//!   unknown key; `aud`/`azp`, `exp`, `nonce`, `iss` from the discovery URL; userinfo `sub`).
//! - Per-attempt parameters (`state`, `nonce`, `code_challenge*`) cannot be pinned by the
//!   configured authorization URL's query; every other parameter there still wins.
//! - Outgoing requests: 5 s connect / 10 s total timeouts, at most 3 redirects (http/https
//!   only), bodies of at most 1 MiB.
//!
//! Module map: `types` (catalogue and per-type protocol), `resolve` (effective URLs),
//! `authorize` (begin), `callback` (complete) with `token`, `id_token`, `profile`, `mapping`
//! (identifier, enroll info), `http` (client, bounded JSON), `random` (state, nonce, PKCE).

mod authorize;
mod callback;
mod http;
mod id_token;
mod mapping;
mod profile;
mod random;
mod resolve;
mod token;
pub mod types;

pub use authorize::scope_list;
pub use random::pkce_challenge;
pub use resolve::LoginUrl;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What the protocol needs to know of one OAuth source (effective values are resolved here, from
/// the source's own URLs and its type's defaults, sources.md 1.2).
#[derive(Debug, Clone, Default)]
pub struct SourceConfig {
    pub slug: String,
    pub name: String,
    pub provider_type: String,
    pub consumer_key: String,
    /// The client secret, already unsealed.
    pub consumer_secret: String,
    pub request_token_url: Option<String>,
    pub authorization_url: Option<String>,
    pub access_token_url: Option<String>,
    pub profile_url: Option<String>,
    pub additional_scopes: String,
    pub oidc_well_known_url: String,
    pub oidc_jwks_url: String,
    /// The cached JWKS (`{}` when none).
    pub oidc_jwks: Value,
    /// The operator's replacements for the type's built-in URLs (an egress gateway, a mirror,
    /// a local stand-in in tests); they take the place of the type's defaults.
    pub type_urls: TypeUrls,
}

/// Replacements for a provider type's built-in login URLs; `None` keeps the built-in one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TypeUrls {
    pub authorization_url: Option<String>,
    pub access_token_url: Option<String>,
    pub profile_url: Option<String>,
}

/// One login attempt, kept server-side in the visitor's session between [`begin`] and
/// [`complete`]; single use.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Attempt {
    pub state: String,
    /// PKCE verifier (S256), sent at the token exchange.
    pub code_verifier: Option<String>,
    /// OIDC nonce, expected in the ID token.
    pub nonce: Option<String>,
}

/// The redirect to the provider.
#[derive(Debug, Clone)]
pub struct Redirect {
    pub url: String,
    pub attempt: Attempt,
}

/// A source that cannot start a login as configured (shown to the visitor as a 400 page).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError(pub String);

/// The verified outcome of a callback.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The provider-side stable id (non-empty).
    pub identifier: String,
    /// `username`, `email`, `name` as the type maps them; keys whose value is null are absent.
    pub enroll_info: Map<String, Value>,
    /// The raw profile (userinfo) object.
    pub profile: Value,
    /// The token response's `access_token`, `None` when absent or empty.
    pub access_token: Option<String>,
    /// A JWKS fetched during the callback because the cached one did not have the ID token's
    /// key; the caller stores it as the source's new `oidc_jwks`.
    pub refreshed_jwks: Option<Value>,
    /// How long the callback waited for the provider (token, keys, profile): the rest of its
    /// time is ours.
    pub provider_time: std::time::Duration,
}

/// A failed callback: `reason` is shown to the visitor as `Authentication failed: <reason>`;
/// `detail` goes to the log only (never secrets).
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub reason: String,
    pub detail: String,
}

/// The HTTP client for every outgoing request to providers: timeouts, our user agent, no
/// redirects to non-http(s) URLs.
pub fn http_client() -> reqwest::Client {
    http::client()
}

/// Starts a login: a fresh state, PKCE verifier (every OAuth 2 type) and nonce (OIDC types), and
/// the authorization URL (sources.md 4).
pub fn begin(cfg: &SourceConfig, callback_url: &str) -> Result<Redirect, ConfigError> {
    authorize::begin(cfg, callback_url)
}

/// Finishes a login (sources.md 5): checks the state against the stored attempt (missing ->
/// `State check failed.`), reads a provider error, exchanges the code, verifies the ID token of
/// OIDC types, fetches the profile and maps it.
pub async fn complete(
    client: &reqwest::Client,
    cfg: &SourceConfig,
    callback_url: &str,
    attempt: Option<&Attempt>,
    params: &[(String, String)],
) -> Result<Identity, Failure> {
    callback::complete(client, cfg, callback_url, attempt, params).await
}
