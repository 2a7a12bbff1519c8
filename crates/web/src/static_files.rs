//! The static icons that login buttons fall back to when a source has no icon of its own
//! (`/static/authentik/sources/<type>.svg`, sources.md 2.5): a badge with the type's initial,
//! drawn here so that the binary needs no asset files.

use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, HeaderValue, Response, StatusCode};

/// A stable colour per name, so that different providers' buttons are told apart.
fn colour(name: &str) -> String {
    let h = name.bytes().fold(7u32, |acc, b| acc.wrapping_mul(31).wrapping_add(b as u32)) % 360;
    format!("hsl({h},55%,40%)")
}

pub async fn source_icon(Path(file): Path<String>) -> Response<Body> {
    let name = file.strip_suffix(".svg").unwrap_or("");
    let valid = !name.is_empty() && name.len() <= 32 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let mut r = Response::new(Body::empty());
    if !valid {
        *r.status_mut() = StatusCode::NOT_FOUND;
        return r;
    }
    let initial = name.chars().next().map(|c| c.to_ascii_uppercase()).unwrap_or('?');
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\" width=\"32\" height=\"32\"><rect width=\"32\" height=\"32\" rx=\"6\" fill=\"{}\"/><text x=\"16\" y=\"22\" font-family=\"sans-serif\" font-size=\"18\" font-weight=\"700\" text-anchor=\"middle\" fill=\"#fff\">{initial}</text></svg>",
        colour(name)
    );
    *r.body_mut() = Body::from(svg);
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    r
}
