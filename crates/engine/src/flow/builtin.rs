//! In-memory stages that a source login appends to the plan it makes (sources.md 6.5,
//! flows.md 4.9 step 5). They are not stored stages: a plan names them by these names.

use super::challenge::redirect;
use super::executor::{cancel_plan, store_plan, Execution};
use super::plan::PendingUser;
use super::stage::Outcome;
use super::suspend::{self, IS_RESTORED};
use crate::error::{EngineError, EngineResult};
use crate::messages;
use crate::source_login::connection::{self, Saved, CONTEXT_KEY};
use serde_json::{json, Value};

/// Saves the connection in the context for the flow's user (or refreshes its access token).
pub const SAVE_CONNECTION: &str = "save_connection";
/// Queues `Successfully authenticated with <source>!`.
pub const SOURCE_MESSAGE: &str = "source_message";
/// Continues the flow a source stage suspended.
pub const RESUME: &str = "resume_suspended";

fn text<'v>(v: &'v Value, k: &str) -> &'v str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

pub async fn run(ex: &mut Execution<'_>, name: &str) -> EngineResult<Outcome> {
    match name {
        SAVE_CONNECTION => save_connection(ex).await,
        SOURCE_MESSAGE => {
            let conn = ex.plan.context.get(CONTEXT_KEY).cloned().unwrap_or(Value::Null);
            messages::push(ex.session, "success", &format!("Successfully authenticated with {}!", text(&conn, "source_name")));
            Ok(Outcome::Ok)
        }
        RESUME => resume(ex),
        other => Err(EngineError::Internal(format!("unknown in-memory stage {other}"))),
    }
}

async fn save_connection(ex: &mut Execution<'_>) -> EngineResult<Outcome> {
    let Some(conn) = ex.plan.context.get(CONTEXT_KEY).cloned() else {
        return Err(EngineError::Internal("no source connection in the flow context".into()));
    };
    let user = match PendingUser::from_context(&ex.plan.context) {
        Some(PendingUser::Saved(id)) => Some(id),
        _ => ex.actor.as_ref().map(|a| a.user_id),
    };
    let Some(user) = user else {
        return Err(EngineError::Internal("no user to connect the source to".into()));
    };
    let token = conn.get("access_token").and_then(Value::as_str);
    let source_name = text(&conn, "source_name");
    match connection::save(ex.services, text(&conn, "source"), text(&conn, "identifier"), user, token).await? {
        Saved::Created | Saved::Updated => {
            tracing::info!(user_id = user, source = source_name, "source connection saved");
            Ok(Outcome::Ok)
        }
        Saved::OwnedByOther => Ok(Outcome::Invalid(Some(crate::source_login::deny_message(source_name)))),
        Saved::UserHasOther => Ok(Outcome::Invalid(Some(format!("This account is already connected to {source_name} with another identity.")))),
    }
}

fn resume(ex: &mut Execution<'_>) -> EngineResult<Outcome> {
    let Some(s) = suspend::peek(ex.session) else {
        // Nothing to go back to: the source's flow simply ends.
        return Ok(Outcome::Ok);
    };
    if !s.is_live() {
        suspend::clear(ex.session);
        cancel_plan(ex.session);
        messages::push(ex.session, "error", "The sign-in took too long and the flow has to start again.");
        return Ok(Outcome::Challenge(redirect(&format!("/if/flow/{}/", s.flow_slug))));
    }
    let signed_in = match PendingUser::from_context(&ex.plan.context) {
        Some(PendingUser::Saved(id)) => Some(id),
        _ => None,
    };
    if let (Some(PendingUser::Saved(p)), Some(u)) = (PendingUser::from_context(&s.plan.context), signed_in) {
        if p != u {
            suspend::clear(ex.session);
            let conn = ex.plan.context.get(CONTEXT_KEY).cloned().unwrap_or(Value::Null);
            return Ok(Outcome::Invalid(Some(crate::source_login::deny_message(text(&conn, "source_name")))));
        }
    }
    let mut plan = s.plan.clone();
    plan.context.insert(IS_RESTORED.into(), json!(s.id));
    store_plan(ex.session, &plan);
    Ok(Outcome::Challenge(redirect(&s.page_url())))
}
