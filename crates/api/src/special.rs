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

/// Serves an uploaded file from the media directory; names that could leave it are refused.
pub async fn media(State(state): State<Arc<AppState>>, axum::extract::Path(path): axum::extract::Path<String>) -> axum::response::Response {
    let safe = !path.is_empty() && path.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != ".." && !seg.contains('\\'));
    if !safe {
        return crate::reply::detail(404, "Not found.");
    }
    match tokio::fs::read(state.services.media_dir.join(&path)).await {
        Ok(bytes) => {
            let ct = match path.rsplit('.').next().map(|e| e.to_ascii_lowercase()).as_deref() {
                Some("png") => "image/png",
                Some("jpg") | Some("jpeg") => "image/jpeg",
                Some("gif") => "image/gif",
                Some("webp") => "image/webp",
                // SVG can carry script: serve it as a download-safe type.
                _ => "application/octet-stream",
            };
            axum::response::Response::builder()
                .header("content-type", ct)
                .header("x-content-type-options", "nosniff")
                .body(axum::body::Body::from(bytes))
                .unwrap_or_else(|_| crate::reply::empty(500))
        }
        Err(_) => crate::reply::detail(404, "Not found."),
    }
}
