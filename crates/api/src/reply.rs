//! The one place where engine errors and replies become HTTP responses in authentik's format.

use axum::body::Body;
use axum::http::{header, HeaderValue, Response, StatusCode};
use engine::resource::Reply;
use engine::EngineError;
use serde_json::{json, Value};

pub fn json(status: u16, v: &Value) -> Response<Body> {
    let mut r = Response::new(Body::from(serde_json::to_vec(v).unwrap_or_default()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

pub fn detail(status: u16, msg: &str) -> Response<Body> {
    json(status, &json!({ "detail": msg }))
}

pub fn empty(status: u16) -> Response<Body> {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::NO_CONTENT);
    r
}

pub fn from_reply(reply: Reply) -> Response<Body> {
    match reply {
        Reply::Json(s, v) => json(s, &v),
        Reply::Empty(s) => empty(s),
        Reply::Raw { status, content_type, headers, body } => {
            let mut r = Response::new(Body::from(body));
            *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            if let Ok(v) = HeaderValue::from_str(&content_type) {
                r.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            for (k, v) in headers {
                if let (Ok(k), Ok(v)) = (header::HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(&v)) {
                    r.headers_mut().insert(k, v);
                }
            }
            r
        }
    }
}

pub fn from_error(e: EngineError, method: &str) -> Response<Body> {
    match e {
        EngineError::Validation(errs) => json(400, &errs.to_json()),
        EngineError::BadRequestBody(v) => json(400, &v),
        EngineError::BadRequestEmpty => empty(400),
        EngineError::Forbidden(m) => detail(403, m),
        EngineError::NotFound => detail(404, "Not found."),
        EngineError::InvalidPage => detail(404, "Invalid page."),
        EngineError::MethodNotAllowed => detail(405, &format!("Method \"{method}\" not allowed.")),
        EngineError::Unavailable(m) => {
            tracing::error!(error = %m, "database unavailable");
            detail(503, "Service temporarily unavailable, try again later.")
        }
        EngineError::Internal(m) => {
            tracing::error!(error = %m, "internal error");
            detail(500, "Internal server error.")
        }
    }
}
