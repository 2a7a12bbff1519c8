//! The executor: one request of `GET|POST /api/v3/flows/executor/<slug>/` (flows.md 3).

use super::challenge::{flow_info, redirect, user_info};
use super::plan::{Plan, PlannedBinding, SESSION_PLAN, SESSION_QUERY};
use super::query::{decode, encode_last, is_safe_next, Query};
use super::stage::Outcome;
use crate::ctx::{Actor, Services};
use crate::error::{EngineError, EngineResult};
use crate::resources::common::t;
use crate::session::Session;
use domain::query::{Cond, Select};
use domain::value::{ColType, Row};
use serde_json::{json, Map, Value};

/// What the HTTP layer hands the executor.
pub struct ExecRequest {
    pub slug: String,
    pub is_post: bool,
    /// The parsed JSON body of a POST, or why it could not be parsed.
    pub body: Result<Value, String>,
    /// The request's own path plus `?` and raw query string (if any), as received.
    pub path_and_query: String,
    /// The request's own query parameters, in order.
    pub own_query: Vec<(String, String)>,
    pub request_id: String,
}

pub enum ExecResponse {
    Json(Value),
    /// HTTP 302 to the executor itself (the same-URL continuation).
    Found(String),
}

/// One execution step's state.
pub struct Execution<'a> {
    pub services: &'a Services,
    pub session: &'a mut Session,
    pub actor: Option<Actor>,
    pub flow: Row,
    pub plan: Plan,
    pub query: Query,
    pub request_id: String,
    pub base_url: String,
}

pub const FLOW_COLUMNS: &[(&str, ColType)] = &[
    ("uuid", ColType::Text),
    ("slug", ColType::Text),
    ("name", ColType::Text),
    ("title", ColType::Text),
    ("designation", ColType::Text),
    ("background", ColType::Text),
    ("layout", ColType::Text),
    ("denied_action", ColType::Text),
    ("authentication", ColType::Text),
    ("sso_only", ColType::Bool),
];

pub async fn load_flow(services: &Services, cond: Cond) -> EngineResult<Option<Row>> {
    let mut sel = Select::new("flows").filter(cond);
    for (c, ty) in FLOW_COLUMNS {
        sel = sel.col(c, *ty);
    }
    Ok(services.store.select(&sel).await?.into_iter().next())
}

fn hex_pk(uuid: &str) -> String {
    uuid.replace('-', "")
}

/// Whether the flow's authentication requirement refuses this visitor (flows.md 3.8.2).
pub fn requirement_fails(flow: &Row, actor: Option<&Actor>) -> bool {
    // Source flows (authentik guards them with `*-if-sso` policies) are only ever planned by a
    // source login, never by a visitor opening them.
    flow.bool("sso_only") || authentication_requirement_fails(flow, actor)
}

/// The flow's `authentication` setting alone; source logins plan `sso_only` flows through this.
pub fn authentication_requirement_fails(flow: &Row, actor: Option<&Actor>) -> bool {
    match t(flow, "authentication") {
        "require_authenticated" => actor.is_none(),
        "require_unauthenticated" => actor.is_some(),
        "require_superuser" => !actor.map(|a| a.is_superuser).unwrap_or(false),
        "require_outpost" => true,
        _ => false,
    }
}

/// Builds a plan from the flow's bindings in order (flows.md 2.2).
pub async fn build_plan(services: &Services, flow: &Row, context: Map<String, Value>) -> EngineResult<Plan> {
    let bindings = services
        .store
        .select(
            &Select::new("bindings")
                .col("uuid", ColType::Text)
                .col("stage", ColType::Text)
                .col("invalid_response_action", ColType::Text)
                .filter(Cond::eq("target", t(flow, "uuid")))
                .order_by("order", false)
                .order_by("uuid", false),
        )
        .await?;
    Ok(Plan {
        flow_pk: hex_pk(t(flow, "uuid")),
        bindings: bindings
            .iter()
            .map(|b| PlannedBinding {
                binding: t(b, "uuid").to_string(),
                stage: t(b, "stage").to_string(),
                invalid_response_action: t(b, "invalid_response_action").to_string(),
                builtin: None,
            })
            .collect(),
        context,
    })
}

pub fn store_plan(session: &mut Session, plan: &Plan) {
    session.set(SESSION_PLAN, serde_json::to_value(plan).unwrap_or(Value::Null));
}

/// Ends the visitor's current flow. A flow suspended by a source stage is abandoned with it, so
/// that a later, unrelated source login cannot be steered back into it (sources.md 9 (a)).
pub fn cancel_plan(session: &mut Session) {
    session.remove(SESSION_PLAN);
    session.remove(SESSION_QUERY);
    super::suspend::clear(session);
}

pub fn session_plan(session: &Session) -> Option<Plan> {
    session.get(SESSION_PLAN).and_then(|v| serde_json::from_value(v.clone()).ok())
}

pub async fn execute(
    services: &Services,
    session: &mut Session,
    actor: Option<Actor>,
    base_url: String,
    req: &ExecRequest,
) -> EngineResult<ExecResponse> {
    let flow = load_flow(services, Cond::eq("slug", req.slug.as_str())).await?.ok_or(EngineError::NotFound)?;
    let query_param = req.own_query.iter().rev().find(|(k, _)| k == "query").map(|(_, v)| v.clone()).unwrap_or_default();
    let query = decode(&query_param);
    let mut plan = session_plan(session).filter(|p| p.flow_pk == hex_pk(t(&flow, "uuid")));
    if plan.is_none() {
        cancel_plan(session);
        if requirement_fails(&flow, actor.as_ref()) {
            return Ok(ExecResponse::Json(not_applicable(&flow, req, &query, "Flow does not apply to current user.")));
        }
        let p = build_plan(services, &flow, Map::new()).await?;
        store_plan(session, &p);
        plan = Some(p);
    }
    session.set(SESSION_QUERY, serde_json::to_value(&query).unwrap_or(Value::Null));
    let mut ex = Execution {
        services,
        session,
        actor,
        flow,
        plan: plan.expect("plan set above"),
        query,
        request_id: req.request_id.clone(),
        base_url,
    };
    let result = step(&mut ex, req).await;
    match result {
        Ok(r) => Ok(r),
        Err(EngineError::Unavailable(m)) => Err(EngineError::Unavailable(m)),
        Err(e) => {
            tracing::error!(error = %e, flow = %req.slug, "flow execution failed");
            Ok(ExecResponse::Json(flow_error(&ex, Some(e.to_string()))))
        }
    }
}

fn flow_error(ex: &Execution<'_>, detail: Option<String>) -> Value {
    let mut v = json!({"type": "native", "component": "ak-stage-flow-error", "request_id": ex.request_id});
    if ex.actor.as_ref().map(|a| a.is_superuser).unwrap_or(false) {
        if let Some(d) = detail {
            v["error"] = json!(d);
            v["traceback"] = json!("");
        }
    }
    v
}

/// flows.md 3.8.1: what a visitor sees when the flow does not apply.
fn not_applicable(flow: &Row, req: &ExecRequest, query: &Query, message: &str) -> Value {
    let action = t(flow, "denied_action");
    if action == "continue" || action == "message_continue" {
        let own_next = req.own_query.iter().rev().find(|(k, _)| k == "next").map(|(_, v)| v.clone());
        // Also honour `next` inside `query`, where standard clients put it.
        let next = own_next.or_else(|| query.get("next").and_then(|v| v.last().cloned()));
        if let Some(n) = next.filter(|n| is_safe_next(n)) {
            return redirect(&n);
        }
        if action == "continue" {
            return redirect("/");
        }
    }
    json!({
        "type": "native",
        "flow_info": flow_info(flow, ""),
        "component": "ak-stage-access-denied",
        "pending_user": "",
        "pending_user_avatar": super::challenge::DEFAULT_AVATAR,
        "error_message": message,
    })
}

async fn access_denied(ex: &mut Execution<'_>, message: Option<String>) -> EngineResult<Value> {
    let (name, avatar) = user_info(ex).await?;
    cancel_plan(ex.session);
    Ok(json!({
        "type": "native",
        "flow_info": flow_info(&ex.flow, &name),
        "component": "ak-stage-access-denied",
        "pending_user": name,
        "pending_user_avatar": avatar,
        "error_message": message.filter(|m| !m.is_empty()).unwrap_or_else(|| "Unknown error".into()),
    }))
}

/// The continuation after a successful step (flows.md 3.3.1).
fn continuation(ex: &Execution<'_>, req: &ExecRequest) -> ExecResponse {
    let mut target = format!("/api/v3/flows/executor/{}/", t(&ex.flow, "slug"));
    if !req.own_query.is_empty() {
        target.push('?');
        target.push_str(&encode_last(&req.own_query));
    }
    if target == req.path_and_query {
        ExecResponse::Found(target)
    } else {
        ExecResponse::Json(redirect(&target))
    }
}

/// End of the flow (flows.md 3.7).
async fn finish(ex: &mut Execution<'_>) -> EngineResult<Value> {
    super::stages::invitation::consume_claimed(ex).await?;
    if let Some(Value::String(r)) = ex.plan.context.get("redirect").cloned() {
        cancel_plan(ex.session);
        return Ok(redirect(&r));
    }
    let next = ex.query.get("next").and_then(|v| v.last().cloned()).unwrap_or_else(|| "/".into());
    if !is_safe_next(&next) {
        return access_denied(ex, Some("Invalid next URL".into())).await;
    }
    cancel_plan(ex.session);
    Ok(redirect(&next))
}

async fn load_stage(ex: &Execution<'_>, uuid: &str) -> EngineResult<Option<Row>> {
    let mut sel = Select::new("stages").filter(Cond::eq("uuid", uuid));
    for (c, ty) in super::stages::STAGE_COLUMNS {
        sel = sel.col(c, *ty);
    }
    Ok(ex.services.store.select(&sel).await?.into_iter().next())
}

async fn step(ex: &mut Execution<'_>, req: &ExecRequest) -> EngineResult<ExecResponse> {
    let Some(current) = ex.plan.current().cloned() else {
        return Ok(ExecResponse::Json(finish(ex).await?));
    };
    if let Some(name) = &current.builtin {
        let outcome = super::builtin::run(ex, name).await?;
        return after(ex, req, &current, outcome, None).await;
    }
    let stage = load_stage(ex, &current.stage)
        .await?
        .ok_or_else(|| EngineError::Internal(format!("stage {} of the plan no longer exists", current.stage)))?;
    let kind = t(&stage, "kind").to_string();
    let view = super::stages::view(&kind).ok_or_else(|| EngineError::Internal(format!("no executor for stage kind {kind}")))?;
    let outcome = if view.interactive(&stage) {
        if !req.is_post {
            let c = view.challenge(ex, &stage).await?;
            return Ok(ExecResponse::Json(with_flow_info(ex, c, None).await?));
        }
        let answer = match &req.body {
            Ok(Value::Object(m)) => m.clone(),
            Ok(other) => {
                let msg = format!("Invalid data. Expected a dictionary, but got {}.", domain::errors::python_type_name(other));
                let mut e = Map::new();
                e.insert("non_field_errors".into(), json!([{"string": msg, "code": "invalid"}]));
                let c = view.challenge(ex, &stage).await?;
                return Ok(ExecResponse::Json(with_flow_info(ex, c, Some(e)).await?));
            }
            Err(m) => return Err(EngineError::Internal(m.clone())),
        };
        view.submit(ex, &stage, &answer).await?
    } else {
        view.run(ex, &stage).await?
    };
    after(ex, req, &current, outcome, Some((view, &stage))).await
}

/// What follows a stage's outcome; `view` is absent for in-memory stages.
async fn after(
    ex: &mut Execution<'_>,
    req: &ExecRequest,
    current: &PlannedBinding,
    outcome: Outcome,
    view: Option<(&dyn super::stage::StageView, &Row)>,
) -> EngineResult<ExecResponse> {
    match outcome {
        Outcome::Challenge(c) => Ok(ExecResponse::Json(with_flow_info(ex, c, None).await?)),
        Outcome::Ok => {
            ex.plan.pop();
            store_plan(ex.session, &ex.plan);
            if ex.plan.bindings.is_empty() {
                Ok(ExecResponse::Json(finish(ex).await?))
            } else {
                Ok(continuation(ex, req))
            }
        }
        Outcome::Invalid(msg) => Ok(ExecResponse::Json(access_denied(ex, msg).await?)),
        Outcome::Errors(errors) => match current.invalid_response_action.as_str() {
            "restart" | "restart_with_context" => {
                let ctx = if current.invalid_response_action == "restart" { Map::new() } else { ex.plan.context.clone() };
                ex.plan = build_plan(ex.services, &ex.flow, ctx).await?;
                store_plan(ex.session, &ex.plan);
                Ok(continuation(ex, req))
            }
            _ => {
                store_plan(ex.session, &ex.plan);
                let Some((view, stage)) = view else {
                    return Err(EngineError::Internal("an in-memory stage rejected an answer".into()));
                };
                let c = view.challenge(ex, stage).await?;
                Ok(ExecResponse::Json(with_flow_info(ex, c, Some(errors)).await?))
            }
        },
    }
}

async fn with_flow_info(ex: &Execution<'_>, challenge: Value, errors: Option<Map<String, Value>>) -> EngineResult<Value> {
    let (name, _) = user_info(ex).await?;
    let mut out = Map::new();
    out.insert("type".into(), json!("native"));
    out.insert("flow_info".into(), flow_info(&ex.flow, &name));
    if let Value::Object(m) = challenge {
        for (k, v) in m {
            out.insert(k, v);
        }
    }
    if let Some(e) = errors {
        out.insert("response_errors".into(), Value::Object(e));
    }
    Ok(Value::Object(out))
}
