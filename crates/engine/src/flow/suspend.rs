//! A flow suspended by a source stage while the visitor signs in at the source (flows.md 4.9).
//!
//! authentik keeps the suspended plan in a flow token and the token in the session; the
//! session lives in the database here, so the plan is kept in the session itself, with the
//! token's id and expiry. One suspended flow per session.

use super::plan::Plan;
use crate::session::Session;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const SESSION_SUSPENDED: &str = "authentik/flows/source_override_flow_token";
/// Context key of a resumed plan: the id of the suspension it was restored from.
pub const IS_RESTORED: &str = "is_restored";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Suspended {
    pub id: String,
    pub flow_slug: String,
    /// The flow page's query (`next`, ...), re-encoded.
    pub query: String,
    pub plan: Plan,
    /// Microseconds since the epoch; after it the suspended flow is gone.
    pub expires: i64,
}

impl Suspended {
    pub fn is_live(&self) -> bool {
        self.expires > domain::time::now_micros()
    }
    /// The flow page that continues the suspended flow.
    pub fn page_url(&self) -> String {
        if self.query.is_empty() {
            format!("/if/flow/{}/", self.flow_slug)
        } else {
            format!("/if/flow/{}/?{}", self.flow_slug, self.query)
        }
    }
}

pub fn save(session: &mut Session, s: &Suspended) {
    session.set(SESSION_SUSPENDED, serde_json::to_value(s).unwrap_or(Value::Null));
}

/// The suspended flow, live or not.
pub fn peek(session: &Session) -> Option<Suspended> {
    session.get(SESSION_SUSPENDED).and_then(|v| serde_json::from_value(v.clone()).ok())
}

/// The live suspended flow; an expired one is discarded.
pub fn live(session: &mut Session) -> Option<Suspended> {
    match peek(session) {
        Some(s) if s.is_live() => Some(s),
        Some(_) => {
            clear(session);
            None
        }
        None => None,
    }
}

pub fn clear(session: &mut Session) {
    session.remove(SESSION_SUSPENDED);
}
