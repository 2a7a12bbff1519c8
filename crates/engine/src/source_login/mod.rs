//! Federated login through OAuth sources: the login redirect, the callback, and the source
//! flow manager that decides what the returning identity does here (sources.md 4-6). The
//! protocol itself (state, PKCE, nonce, token exchange, ID token, profile) is the `sources`
//! crate's; this module owns the session, the connections and the flows.

pub mod config;
pub mod connection;
mod manager;

pub use manager::deny_message;

use crate::ctx::{Actor, Services};
use crate::error::EngineResult;
use crate::messages;
use crate::session::Session;
use serde_json::{json, Value};
use std::sync::OnceLock;

/// What the web layer answers.
#[derive(Debug, PartialEq)]
pub enum Reply {
    Redirect(String),
    /// The "Permission denied" page (HTTP 200), with this message.
    Denied(String),
    /// A 400 error page, with this message.
    BadRequest(String),
    NotFound,
}

/// Where a failed callback sends the visitor (sources.md 5.1).
pub const FAILURE_REDIRECT: &str = "/flows/-/default/authentication/";
/// How long a login attempt may take at the provider.
const ATTEMPT_LIFETIME_US: i64 = 15 * 60 * 1_000_000;

fn attempt_key(slug: &str) -> String {
    format!("portcullis/sources/oauth/{slug}/attempt")
}

/// Where a login button, the user settings and the source stage send the visitor.
pub fn login_path(slug: &str) -> String {
    format!("/source/oauth/login/{slug}/")
}

pub fn callback_url(base_url: &str, slug: &str) -> String {
    format!("{base_url}/source/oauth/callback/{slug}/")
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(sources::http_client)
}

/// `/source/oauth/login/<slug>/`: a new attempt (its state, PKCE verifier and nonce kept in
/// the session; a newer attempt replaces an older one) and the redirect to the provider.
pub async fn login(services: &Services, session: &mut Session, base_url: &str, slug: &str) -> EngineResult<Reply> {
    let Some(row) = config::load_enabled(services, slug).await? else { return Ok(Reply::NotFound) };
    let cfg = config::protocol_config(services, &row);
    match sources::begin(&cfg, &callback_url(base_url, slug)) {
        Err(sources::ConfigError(m)) => {
            tracing::warn!(source = slug, problem = %m, "source cannot start a login");
            Ok(Reply::BadRequest(m))
        }
        Ok(r) => {
            session.set(&attempt_key(slug), json!({"attempt": r.attempt, "created": domain::time::now_micros()}));
            Ok(Reply::Redirect(r.url))
        }
    }
}

/// The attempt of this session for this source, removed: a callback is processed once.
fn take_attempt(session: &mut Session, slug: &str) -> Option<sources::Attempt> {
    let key = attempt_key(slug);
    let stored = session.get(&key).cloned();
    session.remove(&key);
    let stored = stored?;
    let created = stored.get("created").and_then(Value::as_i64)?;
    if created + ATTEMPT_LIFETIME_US < domain::time::now_micros() {
        return None;
    }
    serde_json::from_value(stored.get("attempt")?.clone()).ok()
}

/// `/source/oauth/callback/<slug>/` (GET query or POST form in `params`). Also says how long
/// the provider took to answer (zero for a failed callback).
pub async fn callback(
    services: &Services,
    session: &mut Session,
    actor: Option<Actor>,
    base_url: &str,
    slug: &str,
    params: &[(String, String)],
) -> EngineResult<(Reply, std::time::Duration)> {
    let Some(row) = config::load_enabled(services, slug).await? else { return Ok((Reply::NotFound, Default::default())) };
    let attempt = take_attempt(session, slug);
    let cfg = config::protocol_config(services, &row);
    match sources::complete(client(), &cfg, &callback_url(base_url, slug), attempt.as_ref(), params).await {
        Err(f) => {
            tracing::warn!(source = slug, reason = %f.reason, detail = %f.detail, "source login failed");
            messages::push(session, "error", &format!("Authentication failed: {}", f.reason));
            Ok((Reply::Redirect(FAILURE_REDIRECT.into()), Default::default()))
        }
        Ok(identity) => {
            let waited = identity.provider_time;
            if let Some(jwks) = &identity.refreshed_jwks {
                config::store_jwks(services, crate::resources::common::t(&row, "uuid"), jwks).await?;
            }
            Ok((manager::decide(services, session, actor, &row, identity).await?, waited))
        }
    }
}
