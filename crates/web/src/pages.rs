//! Page handlers. The flow page calls the same executor as `/api/v3/flows/executor/`, so a
//! flow behaves identically in the browser and over the API.

use crate::html::{esc, page};
use crate::render;
use crate::WebState;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use engine::flow::executor::{cancel_plan, load_flow};
use engine::flow::query::{decode, escape, is_safe_next};
use engine::flow::{execute, ExecRequest, ExecResponse};
use engine::session::{cookie_value, set_cookies, Session, COOKIE};
use engine::{Actor, EngineError};
use domain::query::{Cond, Select};
use domain::value::ColType;
use serde_json::{Map, Value};
use std::sync::Arc;

pub(crate) fn html(status: StatusCode, body: String) -> Response<Body> {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    // The flow page may only be framed by this site.
    r.headers_mut().insert("x-frame-options", HeaderValue::from_static("SAMEORIGIN"));
    r.headers_mut().insert("content-security-policy", HeaderValue::from_static("frame-ancestors 'self'"));
    r
}

pub(crate) fn redirect(status: StatusCode, to: &str) -> Response<Body> {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

pub(crate) fn error_page(status: StatusCode, message: &str) -> Response<Body> {
    html(status, page(message, "stacked", "", &format!("<h1>{}</h1><p><a href=\"/\">Home</a></p>", esc(message))))
}

pub(crate) fn base_url(headers: &HeaderMap, trust_proxy: bool) -> String {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    let proto = if trust_proxy { h("x-forwarded-proto") } else { None }.unwrap_or_else(|| "http".into());
    let host = if trust_proxy { h("x-forwarded-host") } else { None }.or_else(|| h("host")).unwrap_or_else(|| "localhost".into());
    format!("{proto}://{host}")
}

pub(crate) async fn session_and_actor(state: &WebState, headers: &HeaderMap) -> Result<(Session, Option<Actor>), EngineError> {
    let cookies = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    let session = Session::load(&state.services, cookie_value(cookies, COOKIE)).await?.unwrap_or_else(Session::fresh);
    let actor = match session.user_id {
        Some(uid) => engine::auth::load_actor(&state.services, uid).await?,
        None => None,
    };
    Ok((session, actor))
}

pub(crate) async fn finish(state: &WebState, mut session: Session, secure: bool, mut resp: Response<Body>) -> Response<Body> {
    // The page always sets the CSRF cookie, so the session (and its token) must exist.
    session.dirty = true;
    if let Err(e) = session.save(&state.services, None).await {
        tracing::error!(error = %e, "cannot save session");
        return error_page(StatusCode::SERVICE_UNAVAILABLE, "Service temporarily unavailable");
    }
    for c in set_cookies(&session, secure) {
        if let Ok(v) = HeaderValue::from_str(&c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

fn page_url(slug: &str, query: &str) -> String {
    if query.is_empty() {
        format!("/if/flow/{slug}/")
    } else {
        format!("/if/flow/{slug}/?{query}")
    }
}

/// Runs executor steps for the page, following continuations, until there is something to show.
async fn run(state: &WebState, session: &mut Session, actor: Option<Actor>, base: &str, slug: &str, query: &str, mut body: Option<Value>) -> Result<Value, EngineError> {
    let (own_query, path) = if query.is_empty() {
        (vec![], format!("/api/v3/flows/executor/{slug}/"))
    } else {
        (vec![("query".to_string(), query.to_string())], format!("/api/v3/flows/executor/{slug}/?query={}", escape(query)))
    };
    let mut actor = actor;
    for _ in 0..32 {
        let req = ExecRequest {
            slug: slug.to_string(),
            is_post: body.is_some(),
            body: Ok(body.take().unwrap_or(Value::Null)),
            path_and_query: path.clone(),
            own_query: own_query.clone(),
            request_id: domain::crypto::random_hex(16),
        };
        match execute(&state.services, session, actor.clone(), base.to_string(), &req).await? {
            ExecResponse::Json(v) => return Ok(v),
            ExecResponse::Found(_) => {
                // A login or logout in the last step changes who we are.
                actor = match session.user_id {
                    Some(uid) => engine::auth::load_actor(&state.services, uid).await?,
                    None => None,
                };
            }
        }
    }
    Err(EngineError::Internal("too many flow steps without a challenge".into()))
}

async fn show(state: &WebState, headers: &HeaderMap, slug: &str, query: &str, answer: Option<Value>, csrf_ok: bool) -> Response<Body> {
    let (mut session, actor) = match session_and_actor(state, headers).await {
        Ok(x) => x,
        Err(_) => return error_page(StatusCode::SERVICE_UNAVAILABLE, "Service temporarily unavailable"),
    };
    let base = base_url(headers, state.trust_proxy);
    let secure = base.starts_with("https://");
    let action = page_url(slug, query);
    if answer.is_some() && !csrf_ok {
        // A form from another site, or an expired page: show the current step again.
        return finish(state, session, secure, redirect(StatusCode::SEE_OTHER, &action)).await;
    }
    let is_post = answer.is_some();
    let submitted = answer.clone();
    let ch = match run(state, &mut session, actor, &base, slug, query, answer).await {
        Ok(v) => v,
        Err(EngineError::NotFound) => return error_page(StatusCode::NOT_FOUND, "Flow not found"),
        Err(e) => {
            tracing::error!(error = %e, "flow page failed");
            return error_page(StatusCode::SERVICE_UNAVAILABLE, "Service temporarily unavailable");
        }
    };
    if ch.get("component").and_then(Value::as_str) == Some("xak-flow-redirect") {
        let to = ch.get("to").and_then(Value::as_str).unwrap_or("/").to_string();
        return finish(state, session, secure, redirect(StatusCode::FOUND, &to)).await;
    }
    // After a successful POST, send the browser to a GET of the page (post/redirect/get);
    // a POST that was answered with errors is shown directly.
    if is_post && ch.get("response_errors").is_none() && ch.get("component").and_then(Value::as_str) != Some("ak-stage-access-denied") {
        return finish(state, session, secure, redirect(StatusCode::SEE_OTHER, &action)).await;
    }
    let info = ch.get("flow_info").cloned().unwrap_or(Value::Null);
    let s = |k: &str| info.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    // A rejected answer is shown again with what the visitor typed (never passwords).
    let ch = match (&submitted, ch.get("response_errors").is_some()) {
        (Some(Value::Object(answer)), true) => render::keep_answer(ch, answer),
        _ => ch,
    };
    let body = format!("{}{}", render::messages(&engine::messages::take(&mut session)), render::challenge(&ch, &action, &session.csrf));
    let title = if s("title").is_empty() { "Portcullis".to_string() } else { s("title") };
    let layout = if s("layout").is_empty() { "stacked".to_string() } else { s("layout") };
    finish(state, session, secure, html(StatusCode::OK, page(&title, &layout, &s("background"), &body))).await
}

pub async fn flow_get(State(state): State<Arc<WebState>>, Path(slug): Path<String>, RawQuery(q): RawQuery, headers: HeaderMap) -> Response<Body> {
    show(&state, &headers, &slug, q.as_deref().unwrap_or(""), None, true).await
}

/// Form fields become the answer; `remember_me` and other check boxes arrive as `on`/`true`.
pub async fn flow_post(State(state): State<Arc<WebState>>, Path(slug): Path<String>, RawQuery(q): RawQuery, headers: HeaderMap, body: axum::body::Bytes) -> Response<Body> {
    let form = decode(&String::from_utf8_lossy(&body));
    let cookies = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    let cookie_csrf = cookie_value(cookies, engine::session::CSRF_COOKIE);
    let sent_csrf = form.get("csrf").and_then(|v| v.first()).map(String::as_str);
    let csrf_ok = sent_csrf.is_some() && sent_csrf == cookie_csrf;
    let mut answer = Map::new();
    for (k, vs) in &form {
        if k == "csrf" || k == "remember_me_sent" {
            continue;
        }
        if let Some(v) = vs.last() {
            answer.insert(k.clone(), Value::String(v.clone()));
        }
    }
    if form.contains_key("remember_me_sent") && !answer.contains_key("remember_me") {
        answer.insert("remember_me".into(), Value::Bool(false));
    }
    show(&state, &headers, &slug, q.as_deref().unwrap_or(""), Some(Value::Object(answer)), csrf_ok).await
}

pub async fn root(State(state): State<Arc<WebState>>, headers: HeaderMap) -> Response<Body> {
    let (mut session, actor) = match session_and_actor(&state, &headers).await {
        Ok(x) => x,
        Err(_) => return error_page(StatusCode::SERVICE_UNAVAILABLE, "Service temporarily unavailable"),
    };
    let Some(a) = actor else {
        return redirect(StatusCode::FOUND, "/flows/-/default/authentication/?next=%2F");
    };
    let notes = render::messages(&engine::messages::take(&mut session));
    let secure = base_url(&headers, state.trust_proxy).starts_with("https://");
    let body = format!(
        "{notes}<h1>Welcome</h1><p>You are signed in as <strong id=\"signed-in-user\">{}</strong>.</p><p><a href=\"/flows/-/default/invalidation/\">Log out</a></p>",
        esc(&a.username)
    );
    finish(&state, session, secure, html(StatusCode::OK, page("Signed in", "stacked", "", &body))).await
}

pub async fn cancel(State(state): State<Arc<WebState>>, RawQuery(q): RawQuery, headers: HeaderMap) -> Response<Body> {
    let (mut session, _) = match session_and_actor(&state, &headers).await {
        Ok(x) => x,
        Err(_) => return error_page(StatusCode::SERVICE_UNAVAILABLE, "Service temporarily unavailable"),
    };
    cancel_plan(&mut session);
    let next = decode(q.as_deref().unwrap_or("")).get("next").and_then(|v| v.last().cloned());
    let to = next.filter(|n| is_safe_next(n)).unwrap_or_else(|| "/flows/-/default/invalidation/".into());
    let secure = base_url(&headers, state.trust_proxy).starts_with("https://");
    finish(&state, session, secure, redirect(StatusCode::FOUND, &to)).await
}

/// `/flows/-/default/<designation>/`: our default flow of that designation, else the first by slug.
pub async fn default_flow(State(state): State<Arc<WebState>>, Path(designation): Path<String>, RawQuery(q): RawQuery) -> Response<Body> {
    let preferred = format!("default-{designation}-flow");
    let flow = match load_flow(&state.services, Cond::eq("slug", preferred.as_str())).await {
        Ok(Some(f)) => Some(f.text("slug").unwrap_or_default().to_string()),
        Ok(None) => state
            .services
            .store
            .select(&Select::new("flows").col("slug", ColType::Text).filter(Cond::eq("designation", designation.as_str())).order_by("slug", false).limit_one())
            .await
            .ok()
            .and_then(|r| r.first().and_then(|f| f.text("slug")).map(str::to_string)),
        Err(_) => None,
    };
    match flow {
        Some(slug) => redirect(StatusCode::FOUND, &page_url(&slug, q.as_deref().unwrap_or(""))),
        None => error_page(StatusCode::NOT_FOUND, "No flow for this purpose"),
    }
}
