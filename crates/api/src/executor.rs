//! `GET|POST /api/v3/flows/executor/<slug>/`: the flow executor over HTTP, with its session
//! cookie.

use crate::reply;
use crate::AppState;
use axum::body::Body;
use axum::http::{header, request::Parts, HeaderValue, Response, StatusCode};
use engine::flow::{execute, ExecRequest, ExecResponse};
use engine::session::{set_cookies, Session};
use engine::Actor;

/// Runs one executor step for `slug`. `actor` came from a bearer token or the session.
/// `csrf_ok` is false for an unsafe request of a logged-in session without the right
/// `X-authentik-CSRF` header: it gets a flow error and changes nothing.
#[allow(clippy::too_many_arguments)]
pub async fn handle(
    state: &AppState,
    parts: &Parts,
    body: Body,
    slug: &str,
    actor: Option<Actor>,
    session: Option<Session>,
    base_url: String,
    csrf_ok: bool,
) -> Response<Body> {
    let mut session = session.unwrap_or_else(Session::fresh);
    let is_post = parts.method == axum::http::Method::POST;
    if !is_post && parts.method != axum::http::Method::GET && parts.method != axum::http::Method::HEAD {
        return reply::detail(405, &format!("Method \"{}\" not allowed.", parts.method));
    }
    let body = if is_post {
        match axum::body::to_bytes(body, crate::extract::MAX_BODY).await {
            Ok(b) if b.iter().all(|c| c.is_ascii_whitespace()) => Ok(serde_json::json!({})),
            Ok(b) => serde_json::from_slice(&b).map_err(|e| format!("JSON parse error - {e}")),
            Err(_) => Err("request body too large".to_string()),
        }
    } else {
        Ok(serde_json::Value::Null)
    };
    let request_id = domain::crypto::random_hex(16);
    if !csrf_ok {
        tracing::warn!(flow = %slug, "executor request refused: CSRF token missing or incorrect");
        let mut resp = reply::json(200, &serde_json::json!({"type": "native", "component": "ak-stage-flow-error", "request_id": request_id}));
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            resp.headers_mut().insert("x-authentik-id", v);
        }
        return resp;
    }
    let req = ExecRequest {
        slug: slug.to_string(),
        is_post,
        body,
        path_and_query: match parts.uri.query() {
            Some(q) => format!("{}?{}", parts.uri.path(), q),
            None => parts.uri.path().to_string(),
        },
        own_query: crate::extract::query_pairs(parts.uri.query()),
        request_id: request_id.clone(),
    };
    let secure = base_url.starts_with("https://");
    let result = execute(&state.services, &mut session, actor, base_url, &req).await;
    let mut resp = match result {
        Ok(ExecResponse::Json(v)) => reply::json(200, &v),
        Ok(ExecResponse::Found(to)) => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::FOUND;
            if let Ok(v) = HeaderValue::from_str(&to) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Err(e) => return reply::from_error(e, parts.method.as_str()),
    };
    if session.dirty {
        if let Err(e) = session.save(&state.services, None).await {
            return reply::from_error(e, parts.method.as_str());
        }
        for c in set_cookies(&session, secure) {
            if let Ok(v) = HeaderValue::from_str(&c) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
        }
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-authentik-id", v);
    }
    resp
}
