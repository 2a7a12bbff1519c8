//! Endpoints outside the resource registry: health and `/root/config/`.

use crate::AppState;
use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::{json, Value};
use std::sync::Arc;

pub async fn live() -> impl IntoResponse {
    crate::reply::empty(204)
}

/// Ready while the database answers; a restarted database is picked up again by the pool.
pub async fn ready(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    if state.services.store.ping().await {
        crate::reply::empty(204)
    } else {
        crate::reply::empty(503)
    }
}

pub fn root_config() -> Value {
    json!({
        "error_reporting": {
            "enabled": false,
            "sentry_dsn": "",
            "environment": "",
            "send_pii": false,
            "traces_sample_rate": 0.0,
        },
        "capabilities": [],
        "cache_timeout": 300,
        "cache_timeout_flows": 300,
        "cache_timeout_policies": 300,
        "cache_timeout_reputation": 300,
    })
}
