//! The OAuth source pages: `/source/oauth/login/<slug>/` sends the visitor to the provider,
//! `/source/oauth/callback/<slug>/` takes them back (sources.md 4-6). The decisions are the
//! engine's; this file turns its replies into HTTP.

use crate::html::{esc, page};
use crate::pages::{base_url, error_page, finish, html, redirect, session_and_actor};
use crate::WebState;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, Response, StatusCode};
use engine::flow::query::decode;
use engine::source_login::{self, Reply};
use std::sync::Arc;
use std::time::Duration;

fn pairs(raw: &str) -> Vec<(String, String)> {
    decode(raw).into_iter().flat_map(|(k, vs)| vs.into_iter().map(move |v| (k.clone(), v))).collect()
}

/// sources.md 6.3: the page a denied source login ends on.
fn denied_page(message: &str, signed_in: bool) -> Response<Body> {
    let not_you = if signed_in { "<p><a href=\"/flows/-/cancel/\">Not you?</a></p>" } else { "" };
    html(
        StatusCode::OK,
        page(
            "Permission denied",
            "stacked",
            "",
            &format!("<h1>Permission denied</h1><p>Request has been denied.</p><p class=\"alert\" role=\"alert\">{}</p>{not_you}", esc(message)),
        ),
    )
}

fn bad_request_page(message: &str) -> Response<Body> {
    html(
        StatusCode::BAD_REQUEST,
        page("Bad Request", "stacked", "", &format!("<h1>Bad Request</h1><p class=\"alert\" role=\"alert\">{}</p><p><a href=\"/\">Go home</a></p>", esc(message))),
    )
}

async fn reply(state: &WebState, headers: &HeaderMap, slug: &str, params: Option<Vec<(String, String)>>) -> Response<Body> {
    let started = std::time::Instant::now();
    let (mut session, actor) = match session_and_actor(state, headers).await {
        Ok(x) => x,
        Err(_) => return error_page(StatusCode::SERVICE_UNAVAILABLE, "Service temporarily unavailable"),
    };
    let base = base_url(headers, state.trust_proxy);
    let signed_in = actor.is_some();
    let result = match params {
        None => source_login::login(&state.services, &mut session, &base, slug).await.map(|r| (r, Duration::ZERO)),
        Some(p) => source_login::callback(&state.services, &mut session, actor, &base, slug, &p).await,
    };
    let (result, provider) = match result {
        Ok((r, waited)) => (Ok(r), waited),
        Err(e) => (Err(e), Duration::ZERO),
    };
    let resp = match result {
        Ok(Reply::Redirect(to)) => redirect(StatusCode::FOUND, &to),
        Ok(Reply::Denied(m)) => denied_page(&m, signed_in),
        Ok(Reply::BadRequest(m)) => bad_request_page(&m),
        Ok(Reply::NotFound) => return error_page(StatusCode::NOT_FOUND, "Source not found"),
        Err(e) => {
            tracing::error!(error = %e, source = slug, "source login failed");
            return error_page(StatusCode::SERVICE_UNAVAILABLE, "Service temporarily unavailable");
        }
    };
    let mut resp = finish(state, session, base.starts_with("https://"), resp).await;
    // Server-Timing (W3C): how much of the answer was the provider's time, how much ours.
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let timing = format!("provider;dur={:.3}, app;dur={:.3}", ms(provider), ms(started.elapsed().saturating_sub(provider)));
    if let Ok(v) = axum::http::HeaderValue::from_str(&timing) {
        resp.headers_mut().insert("server-timing", v);
    }
    resp
}

/// Any method starts a login (as in authentik); nothing is read from the request.
pub async fn login(State(state): State<Arc<WebState>>, Path(slug): Path<String>, headers: HeaderMap) -> Response<Body> {
    reply(&state, &headers, &slug, None).await
}

/// Providers answer with a GET, or with a form POST (`response_mode=form_post`); there is no
/// CSRF token on this page, the `state` is its protection.
pub async fn callback(
    State(state): State<Arc<WebState>>,
    Path(slug): Path<String>,
    method: Method,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response<Body> {
    let params = if method == Method::POST { pairs(&String::from_utf8_lossy(&body)) } else { pairs(q.as_deref().unwrap_or("")) };
    reply(&state, &headers, &slug, Some(params)).await
}
