//! The plan: one visitor's server-side snapshot of a flow execution.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const SESSION_PLAN: &str = "authentik/flows/plan";
pub const SESSION_QUERY: &str = "authentik/flows/get";
pub const SESSION_PASSWORD_TRIES: &str = "authentik/stages/password/user_invalid_tries";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedBinding {
    pub binding: String,
    pub stage: String,
    pub invalid_response_action: String,
    /// An in-memory stage appended by the engine (sources.md 6.5) instead of a stored stage:
    /// its name in `flow::builtin`. `binding` and `stage` are empty then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub builtin: Option<String>,
}

impl PlannedBinding {
    pub fn builtin(name: &str) -> PlannedBinding {
        PlannedBinding { binding: String::new(), stage: String::new(), invalid_response_action: "retry".into(), builtin: Some(name.into()) }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    /// The flow's uuid, as 32 hex characters.
    pub flow_pk: String,
    pub bindings: Vec<PlannedBinding>,
    pub context: Map<String, Value>,
}

impl Plan {
    pub fn current(&self) -> Option<&PlannedBinding> {
        self.bindings.first()
    }
    pub fn pop(&mut self) {
        if !self.bindings.is_empty() {
            self.bindings.remove(0);
        }
    }
}

/// The pending user as kept in the context: a saved user by id, or the placeholder that an
/// unknown identifier produces (never saved).
#[derive(Debug, Clone, PartialEq)]
pub enum PendingUser {
    Saved(i64),
    Placeholder { identifier: String },
}

pub const PENDING_USER: &str = "pending_user";

impl PendingUser {
    pub fn to_json(&self) -> Value {
        match self {
            PendingUser::Saved(id) => serde_json::json!({"pk": id}),
            PendingUser::Placeholder { identifier } => serde_json::json!({"pk": null, "identifier": identifier}),
        }
    }
    pub fn from_context(ctx: &Map<String, Value>) -> Option<PendingUser> {
        let v = ctx.get(PENDING_USER)?;
        match v.get("pk").and_then(Value::as_i64) {
            Some(id) => Some(PendingUser::Saved(id)),
            None => v.get("identifier").and_then(Value::as_str).map(|s| PendingUser::Placeholder { identifier: s.to_string() }),
        }
    }
}
