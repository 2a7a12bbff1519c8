//! The HTTP API: authentik's `/api/v3` dispatched onto the engine's resource descriptions,
//! plus health endpoints. Errors become authentik's bodies in one place (`reply`).

mod dispatch;
mod executor;
mod extract;
pub mod openapi;
mod reply;
mod special;

use axum::Router;
use engine::resources::Registry;
use engine::Services;
use std::sync::Arc;

pub struct AppState {
    pub services: Arc<Services>,
    pub registry: Registry,
    /// Trust `X-Forwarded-Proto`/`X-Forwarded-Host` (set when running behind a proxy).
    pub trust_proxy: bool,
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/-/health/live/", axum::routing::any(special::live))
        .route("/-/health/ready/", axum::routing::any(special::ready))
        .route("/media/public/{*path}", axum::routing::get(special::media))
        .fallback(dispatch::dispatch)
        .with_state(state)
}
