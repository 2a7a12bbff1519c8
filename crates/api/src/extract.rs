//! Reading a request: query parameters, the JSON or multipart body, the public base URL.

use axum::body::Body;
use axum::extract::{FromRequest, Multipart};
use axum::http::{header, request::Parts, Request};
use engine::resource::Upload;
use engine::EngineError;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Bodies larger than this are refused before parsing.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

pub fn query_map(q: Option<&str>) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in q.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let dec = |s: &str| urlencoding::decode(&s.replace('+', " ")).map(|c| c.into_owned()).unwrap_or_else(|_| s.to_string());
        out.entry(dec(k)).or_default().push(dec(v));
    }
    out
}

/// Query parameters in their order, decoded.
pub fn query_pairs(q: Option<&str>) -> Vec<(String, String)> {
    q.unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (engine::flow::query::unescape(k), engine::flow::query::unescape(v))
        })
        .collect()
}

/// `scheme://host` as the client sees it.
pub fn base_url(parts: &Parts, trust_proxy: bool) -> String {
    let h = |n: &str| parts.headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    let proto = if trust_proxy { h("x-forwarded-proto") } else { None }.unwrap_or_else(|| "http".into());
    let host = if trust_proxy { h("x-forwarded-host") } else { None }
        .or_else(|| h("host"))
        .unwrap_or_else(|| "localhost".into());
    format!("{proto}://{host}")
}

pub enum BodyError {
    Engine(EngineError),
    /// 415 with the offending type.
    MediaType(String),
    TooLarge,
}

fn content_type(parts: &Parts) -> Option<String> {
    parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// A JSON body: empty means `{}`; other content types are refused as DRF refuses them.
pub async fn json_body(parts: &Parts, body: Body) -> Result<Value, BodyError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| BodyError::TooLarge)?;
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(json!({}));
    }
    match content_type(parts) {
        Some(ct) => {
            let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            if mime != "application/json" && !(mime.starts_with("application/") && mime.ends_with("+json")) {
                return Err(BodyError::MediaType(ct));
            }
        }
        None => return Err(BodyError::MediaType(String::new())),
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        BodyError::Engine(EngineError::BadRequestBody(json!({ "detail": format!("JSON parse error - {e}") })))
    })
}

/// A multipart body, as a list of parts.
/// An empty body is no parts whatever its content type, as DRF treats a request without a
/// body (the action then answers its own "nothing given" error, not 415).
pub async fn multipart_body(parts: Parts, body: Body) -> Result<Vec<Upload>, BodyError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| BodyError::TooLarge)?;
    if bytes.is_empty() {
        return Ok(vec![]);
    }
    let ct = content_type(&parts).unwrap_or_default();
    if !ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        return Err(BodyError::MediaType(ct));
    }
    let req = Request::from_parts(parts, Body::from(bytes));
    // A body that does not parse as multipart carries no usable parts: the action answers its
    // own 400 for a missing file (import's is a `FlowImportResult`, not an empty body).
    let Ok(mut mp) = Multipart::from_request(req, &()).await else { return Ok(vec![]) };
    let mut out = vec![];
    let mut total = 0usize;
    // A part that does not parse ends the body: the parts before it are kept.
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or_default().to_string();
        let filename = field.file_name().map(str::to_string);
        let Ok(data) = field.bytes().await else { break };
        total += data.len();
        if total > MAX_BODY {
            return Err(BodyError::TooLarge);
        }
        out.push(Upload { name, filename, data: data.to_vec() });
    }
    Ok(out)
}
