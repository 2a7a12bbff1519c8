//! Routes `/api/v3/...` requests onto resources: collection, object, `used_by` and actions,
//! with authentik's conventions for authentication, content types, 404 and 405.

use crate::extract::{base_url, json_body, multipart_body, query_map, BodyError};
use crate::reply;
use crate::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method as HttpMethod, Response};
use engine::auth::{authenticate_bearer, Credentials};
use engine::resource::{ops, used_by, Body as ActionBody, Method, Resource};
use engine::session::{cookie_value, Session};
use engine::{Ctx, EngineError};
use std::sync::Arc;
use std::time::Instant;

pub async fn dispatch(State(state): State<Arc<AppState>>, req: Request) -> Response<Body> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let mut resp = handle(&state, req).await;
    // The executor sets its own id (it also goes into flow errors); keep that one.
    let id = match resp.headers().get("x-authentik-id").and_then(|v| v.to_str().ok()) {
        Some(existing) => existing.to_string(),
        None => {
            let id = domain::crypto::random_hex(16);
            if let Ok(v) = HeaderValue::from_str(&id) {
                resp.headers_mut().insert("x-authentik-id", v);
            }
            id
        }
    };
    tracing::info!(
        method = %method,
        path = %path,
        status = resp.status().as_u16(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        request_id = %id,
        "request"
    );
    resp
}

fn accepts_json(req: &Request) -> bool {
    let Some(a) = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()) else { return true };
    a.split(',').any(|m| {
        let m = m.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        m.is_empty() || m == "*/*" || m == "application/*" || m == "application/json" || m.ends_with("+json")
    })
}

async fn handle(state: &AppState, req: Request) -> Response<Body> {
    let method_name = req.method().as_str().to_string();
    let Some(api_path) = req.uri().path().strip_prefix("/api/v3").map(str::to_string) else {
        return reply::detail(404, "Not found.");
    };
    if !api_path.ends_with('/') {
        return reply::detail(404, "Not found.");
    }
    if !accepts_json(&req) {
        return reply::detail(406, "Could not satisfy the request Accept header.");
    }
    let (parts, body) = req.into_parts();
    let auth = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let mut via_session = false;
    let mut session = None;
    let actor = match authenticate_bearer(&state.services, auth).await {
        Ok(Credentials::None) => {
            let cookies = parts.headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
            match Session::load(&state.services, cookie_value(cookies, engine::session::COOKIE)).await {
                Ok(s) => session = s,
                Err(e) => return reply::from_error(e, &method_name),
            }
            match session.as_ref().and_then(|s| s.user_id) {
                Some(uid) => match engine::auth::load_actor(&state.services, uid).await {
                    Ok(a) => {
                        via_session = a.is_some();
                        a
                    }
                    Err(e) => return reply::from_error(e, &method_name),
                },
                None => None,
            }
        }
        Ok(Credentials::Valid(a)) => Some(a),
        Ok(Credentials::Rejected(m)) => return reply::detail(403, m),
        Err(e) => return reply::from_error(e, &method_name),
    };
    let base = base_url(&parts, state.trust_proxy);
    // Unsafe requests authenticated by a session cookie must prove they come from our pages.
    let unsafe_method = !matches!(parts.method, HttpMethod::GET | HttpMethod::HEAD | HttpMethod::OPTIONS);
    let csrf_ok = !(via_session && unsafe_method) || {
        let header_token = parts.headers.get(engine::session::CSRF_HEADER).and_then(|v| v.to_str().ok());
        let expected = session.as_ref().map(|s| s.csrf.as_str());
        header_token.is_some() && header_token == expected
    };
    if let Some(slug) = api_path.strip_prefix("/flows/executor/").and_then(|r| r.strip_suffix('/')).filter(|s| !s.contains('/')) {
        // The executor answers a failed CSRF check with a flow error (flows.md 7.3).
        return crate::executor::handle(state, &parts, body, slug, actor, session, base, csrf_ok).await;
    }
    if !csrf_ok {
        return reply::detail(403, "CSRF Failed: CSRF token missing or incorrect.");
    }
    let ctx = Ctx {
        services: &state.services,
        actor,
        base_url: base,
        query: query_map(parts.uri.query()),
        session: session.as_ref().map(|s| s.id.clone()),
    };
    let method = if parts.method == HttpMethod::HEAD { HttpMethod::GET } else { parts.method.clone() };

    if api_path == "/root/config/" {
        return match method {
            HttpMethod::GET => reply::json(200, &crate::special::root_config()),
            _ => reply::from_error(EngineError::MethodNotAllowed, &method_name),
        };
    }
    if api_path == "/schema/" {
        return match method {
            HttpMethod::GET => reply::json(200, &crate::openapi::document(&state.registry)),
            _ => reply::from_error(EngineError::MethodNotAllowed, &method_name),
        };
    }
    let Some((res, segs)) = state.registry.route(&api_path) else {
        return reply::detail(404, "Not found.");
    };
    match route(&res, &ctx, &method, &segs, parts, body).await {
        Ok(r) => r,
        Err(e) => reply::from_error(e, &method_name),
    }
}

async fn read_json(parts: &axum::http::request::Parts, body: Body) -> Result<serde_json::Value, Response<Body>> {
    json_body(parts, body).await.map_err(body_error)
}

fn body_error(e: BodyError) -> Response<Body> {
    match e {
        BodyError::Engine(e) => reply::from_error(e, ""),
        BodyError::MediaType(t) => reply::detail(415, &format!("Unsupported media type \"{t}\" in request.")),
        BodyError::TooLarge => reply::detail(413, "Request body is too large."),
    }
}

async fn route(
    res: &Resource,
    ctx: &Ctx<'_>,
    method: &HttpMethod,
    segs: &[&str],
    parts: axum::http::request::Parts,
    body: Body,
) -> Result<Response<Body>, EngineError> {
    // DRF authenticates and checks permissions before it looks for the method's handler:
    // an anonymous or unprivileged request gets its 403, not the 405.
    let not_allowed = || -> Result<Response<Body>, EngineError> {
        ops::authorize(res, ctx)?;
        Err(EngineError::MethodNotAllowed)
    };
    match segs {
        [] => match *method {
            HttpMethod::GET if res.ops.list => Ok(reply::json(200, &ops::list(res, ctx).await?)),
            HttpMethod::POST if res.ops.create => {
                ops::authorize(res, ctx)?;
                let body = match read_json(&parts, body).await {
                    Ok(b) => b,
                    Err(r) => return Ok(r),
                };
                Ok(reply::json(201, &ops::create(res, ctx, body).await?))
            }
            _ => not_allowed(),
        },
        [name] if res.actions.iter().any(|a| !a.detail && a.name == *name) => {
            run_action(res, ctx, method, name, None, parts, body).await
        }
        [lookup] => match *method {
            HttpMethod::GET if res.ops.retrieve => Ok(reply::json(200, &ops::retrieve(res, ctx, lookup).await?)),
            HttpMethod::PUT | HttpMethod::PATCH if res.ops.update => {
                ops::authorize(res, ctx)?;
                let body = match read_json(&parts, body).await {
                    Ok(b) => b,
                    Err(r) => return Ok(r),
                };
                let partial = *method == HttpMethod::PATCH;
                Ok(reply::json(200, &ops::update(res, ctx, lookup, body, partial).await?))
            }
            HttpMethod::DELETE if res.ops.delete => {
                ops::delete(res, ctx, lookup).await?;
                Ok(reply::empty(204))
            }
            _ => not_allowed(),
        },
        [lookup, "used_by"] => match *method {
            HttpMethod::GET => Ok(reply::json(200, &used_by::used_by(res, ctx, lookup).await?)),
            _ => not_allowed(),
        },
        [lookup, name] if res.actions.iter().any(|a| a.detail && a.name == *name) => {
            run_action(res, ctx, method, name, Some(lookup), parts, body).await
        }
        _ => Err(EngineError::NotFound),
    }
}

async fn run_action(
    res: &Resource,
    ctx: &Ctx<'_>,
    method: &HttpMethod,
    name: &str,
    lookup: Option<&str>,
    parts: axum::http::request::Parts,
    body: Body,
) -> Result<Response<Body>, EngineError> {
    let want = if *method == HttpMethod::GET {
        Method::Get
    } else if *method == HttpMethod::POST {
        Method::Post
    } else {
        return Err(EngineError::MethodNotAllowed);
    };
    let Some(action) = res.actions.iter().find(|a| a.name == name && a.detail == lookup.is_some() && a.method == want) else {
        return Err(EngineError::MethodNotAllowed);
    };
    if ctx.actor.is_none() {
        return Err(EngineError::Forbidden(engine::error::NO_CREDENTIALS));
    }
    let body = match want {
        Method::Get => ActionBody::None,
        Method::Post if action.multipart => match multipart_body(parts, body).await {
            Ok(p) => ActionBody::Multipart(p),
            Err(e) => return Ok(body_error(e)),
        },
        Method::Post => match read_json(&parts, body).await {
            Ok(b) => ActionBody::Json(b),
            Err(r) => return Ok(r),
        },
    };
    Ok(reply::from_reply(action.handler.run(res, ctx, lookup, body).await?))
}
