//! One-time UI messages ("flash messages"): queued in the visitor's session by one request,
//! shown by the next HTML page that is rendered, then removed (sources.md 5.1).

use crate::session::Session;
use serde_json::{json, Value};

const KEY: &str = "portcullis/messages";

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// `success`, `info`, `warning` or `error`.
    pub level: String,
    pub text: String,
}

pub fn push(session: &mut Session, level: &str, text: &str) {
    let mut list = match session.get(KEY) {
        Some(Value::Array(a)) => a.clone(),
        _ => vec![],
    };
    list.push(json!({"level": level, "text": text}));
    session.set(KEY, Value::Array(list));
}

/// The queued messages, oldest first; the queue is emptied.
pub fn take(session: &mut Session) -> Vec<Message> {
    let list = match session.get(KEY) {
        Some(Value::Array(a)) => a.clone(),
        _ => return vec![],
    };
    session.remove(KEY);
    list.iter()
        .filter_map(|m| {
            Some(Message { level: m.get("level")?.as_str()?.to_string(), text: m.get("text")?.as_str()?.to_string() })
        })
        .collect()
}
