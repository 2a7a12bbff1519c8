//! The source flow manager (sources.md 6): link, authenticate, enroll or deny the identity a
//! callback verified, and plan the source's flow with the appended in-memory stages.

use super::connection::{self, Saved};
use super::{config, Reply};
use crate::ctx::{Actor, Services};
use crate::error::EngineResult;
use crate::flow::builtin::{RESUME, SAVE_CONNECTION, SOURCE_MESSAGE};
use crate::flow::executor::{authentication_requirement_fails, build_plan, load_flow, store_plan};
use crate::flow::plan::{PendingUser, PlannedBinding, PENDING_USER, SESSION_QUERY};
use crate::flow::query::is_safe_next;
use crate::flow::suspend::{self, Suspended, IS_RESTORED};
use crate::messages;
use crate::resources::common::t;
use crate::session::Session;
use domain::query::{Cond, Select};
use domain::value::{ColType, Row};
use serde_json::{json, Map, Value};
use sources::Identity;

enum Action {
    /// A known user: the source's authentication flow.
    Auth(i64),
    /// A new user: the source's enrollment flow.
    Enroll,
}

pub fn deny_message(source_name: &str) -> String {
    format!("Request to authenticate with {source_name} has been denied. Please authenticate with the source you've previously signed up with.")
}

/// The lowest-id user whose `field` is exactly `value` (sources.md 6.2 rule 6/7).
async fn matching_user(services: &Services, field: &str, value: &str) -> EngineResult<Option<i64>> {
    let rows = services.store.select(&Select::new("users").col("id", ColType::Int).filter(Cond::eq(field, value)).order_by("id", false).limit_one()).await?;
    Ok(rows.first().and_then(|r| r.int("id")))
}

pub(super) async fn decide(services: &Services, session: &mut Session, actor: Option<Actor>, source: &Row, id: Identity) -> EngineResult<Reply> {
    let (uuid, name, slug) = (t(source, "uuid"), t(source, "name"), t(source, "slug"));
    let sealed = id.access_token.as_deref().map(|tok| services.sealer.seal(tok));
    let conn = connection::to_context(uuid, name, &id.identifier, sealed.as_deref());

    // Rule 1: a signed-in visitor connects the identity to their own account, now.
    if let Some(a) = &actor {
        match connection::save(services, uuid, &id.identifier, a.user_id, sealed.as_deref()).await? {
            // Someone else's identity is never attached to a second account.
            Saved::OwnedByOther => return Ok(Reply::Denied(deny_message(name))),
            Saved::UserHasOther => return Ok(Reply::Redirect("/".into())),
            Saved::Created | Saved::Updated => {}
        }
        tracing::info!(user = %a.username, source = slug, "source connection linked");
        if let Some(s) = suspend::live(session) {
            return Ok(resume_directly(session, source, s, &id, conn, Some(a.user_id), false));
        }
        messages::push(session, "success", &format!("Successfully linked {name}!"));
        return Ok(Reply::Redirect(format!("/if/user/#/settings;page-{slug}")));
    }

    // Rules 2-8.
    let action = match connection::owner(services, uuid, &id.identifier).await? {
        Some(uid) => Action::Auth(uid),
        None => {
            let (field, link) = match t(source, "user_matching_mode") {
                "email_link" => ("email", true),
                "email_deny" => ("email", false),
                "username_link" => ("username", true),
                "username_deny" => ("username", false),
                _ => ("", false),
            };
            if field.is_empty() {
                Action::Enroll
            } else {
                let Some(value) = id.enroll_info.get(field).and_then(Value::as_str).filter(|v| !v.is_empty()) else {
                    return Ok(Reply::Denied(deny_message(name)));
                };
                match matching_user(services, field, value).await? {
                    None => Action::Enroll,
                    Some(_) if !link => return Ok(Reply::Denied(deny_message(name))),
                    Some(uid) => match connection::save(services, uuid, &id.identifier, uid, sealed.as_deref()).await? {
                        Saved::Created | Saved::Updated => {
                            tracing::info!(user_id = uid, source = slug, field, "source connection linked by matching");
                            Action::Auth(uid)
                        }
                        Saved::UserHasOther => return Ok(Reply::Redirect("/".into())),
                        Saved::OwnedByOther => return Ok(Reply::Denied(deny_message(name))),
                    },
                }
            }
        }
    };

    let suspended = suspend::live(session);
    let (flow_col, missing) = match action {
        Action::Auth(_) => ("authentication_flow", "Configured flow does not exist."),
        Action::Enroll => ("enrollment_flow", "Source is not configured for enrollment."),
    };
    let flow = match source.text(flow_col) {
        Some(f) => load_flow(services, Cond::eq("uuid", f)).await?,
        None => None,
    };
    let Some(flow) = flow else {
        // A suspended flow continues without the source's own flow (flows.md 4.9 step 4).
        if let Some(s) = suspended {
            let uid = match action {
                Action::Auth(uid) => Some(uid),
                Action::Enroll => None,
            };
            return Ok(resume_directly(session, source, s, &id, conn, uid, true));
        }
        return Ok(Reply::BadRequest(missing.into()));
    };
    if matches!(action, Action::Enroll) && authentication_requirement_fails(&flow, None) {
        return Ok(Reply::Denied("Flow does not apply to current user.".into()));
    }

    let mut ctx = base_context(source, &id, conn);
    ctx.insert("redirect".into(), json!(stored_next(session)));
    match action {
        Action::Auth(uid) => {
            ctx.insert(PENDING_USER.into(), PendingUser::Saved(uid).to_json());
        }
        Action::Enroll => {
            ctx.insert("prompt_data".into(), Value::Object(id.enroll_info.clone()));
            ctx.insert("user_path".into(), json!(config::user_path(t(source, "user_path_template"), slug)));
        }
    }
    let mut plan = build_plan(services, &flow, ctx).await?;
    plan.bindings.push(PlannedBinding::builtin(SAVE_CONNECTION));
    plan.bindings.push(PlannedBinding::builtin(SOURCE_MESSAGE));
    if suspended.is_some() {
        plan.bindings.push(PlannedBinding::builtin(RESUME));
    }
    store_plan(session, &plan);
    Ok(Reply::Redirect(format!("/if/flow/{}/", t(&flow, "slug"))))
}

/// The context every plan a source login makes starts with (sources.md 6.4).
fn base_context(source: &Row, id: &Identity, conn: Value) -> Map<String, Value> {
    let mut ctx = Map::new();
    ctx.insert("user_backend".into(), json!(crate::flow::stages::password::INBUILT));
    ctx.insert("is_sso".into(), json!(true));
    // What user_login reports as the way the user signed in.
    ctx.insert("auth_method".into(), json!("source"));
    ctx.insert("source".into(), json!({"pk": t(source, "uuid"), "slug": t(source, "slug"), "name": t(source, "name")}));
    ctx.insert(connection::CONTEXT_KEY.into(), conn);
    ctx.insert("oauth_userinfo".into(), id.profile.clone());
    ctx
}

/// The `next` of the last flow the visitor ran, when it is a path on this site.
fn stored_next(session: &Session) -> String {
    session
        .get(SESSION_QUERY)
        .and_then(|q| q.get("next"))
        .and_then(Value::as_array)
        .and_then(|a| a.last())
        .and_then(Value::as_str)
        .filter(|n| is_safe_next(n))
        .unwrap_or("/if/user/")
        .to_string()
}

/// Continues a flow that a source stage suspended, with the identity attached to it. The
/// identity never replaces a user the suspended flow had already identified.
fn resume_directly(session: &mut Session, source: &Row, s: Suspended, id: &Identity, conn: Value, user: Option<i64>, save: bool) -> Reply {
    let mut plan = s.plan.clone();
    let pending = PendingUser::from_context(&plan.context);
    if let (Some(PendingUser::Saved(p)), Some(u)) = (&pending, user) {
        if *p != u {
            suspend::clear(session);
            return Reply::Denied(deny_message(t(source, "name")));
        }
    }
    for (k, v) in base_context(source, id, conn) {
        // How the suspended flow already authenticated the visitor stays what it was.
        if k == "auth_method" && plan.context.contains_key(&k) {
            continue;
        }
        plan.context.insert(k, v);
    }
    plan.context.insert(IS_RESTORED.into(), json!(s.id));
    match user {
        Some(u) if pending.is_none() => {
            plan.context.insert(PENDING_USER.into(), PendingUser::Saved(u).to_json());
        }
        Some(_) => {}
        None => {
            let mut data = match plan.context.get("prompt_data") {
                Some(Value::Object(m)) => m.clone(),
                _ => Map::new(),
            };
            for (k, v) in &id.enroll_info {
                data.entry(k.clone()).or_insert_with(|| v.clone());
            }
            plan.context.insert("prompt_data".into(), Value::Object(data));
        }
    }
    if save {
        plan.bindings.push(PlannedBinding::builtin(SAVE_CONNECTION));
    }
    if user.is_some() {
        plan.bindings.push(PlannedBinding::builtin(SOURCE_MESSAGE));
    }
    store_plan(session, &plan);
    Reply::Redirect(s.page_url())
}
