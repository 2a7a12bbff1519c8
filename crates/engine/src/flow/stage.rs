//! The trait every stage kind's executor behaviour implements.

use super::executor::Execution;
use crate::error::EngineResult;
use async_trait::async_trait;
use domain::value::Row;
use serde_json::{Map, Value};

/// How a stage ended its turn.
pub enum Outcome {
    /// Done: the flow moves to the next binding.
    Ok,
    /// Denied: the plan is cancelled and access denied is shown (with the message, if any).
    Invalid(Option<String>),
    /// The answer was rejected: `response_errors` (field -> list of messages with codes).
    Errors(Map<String, Value>),
    /// The stage answers with this challenge and the flow stays where the stage left it (the
    /// stage itself may have replaced the plan, as the source stage and the resume stage do).
    Challenge(Value),
}

impl Outcome {
    /// One error message for a field (or `non_field_errors`), with its DRF code.
    pub fn error(field: &str, message: &str, code: &str) -> Outcome {
        let mut m = Map::new();
        m.insert(field.to_string(), serde_json::json!([{"string": message, "code": code}]));
        Outcome::Errors(m)
    }
}

#[async_trait]
pub trait StageView: Send + Sync {
    /// The value of the stage's `kind` column.
    fn kind(&self) -> &'static str;
    /// Interactive stages answer GET with a challenge and judge POSTed answers; the others act
    /// on any request.
    fn interactive(&self, _stage: &Row) -> bool {
        false
    }
    /// The challenge (without `type`, `flow_info`, `response_errors`, which the executor adds).
    async fn challenge(&self, _ex: &mut Execution<'_>, _stage: &Row) -> EngineResult<Value> {
        Ok(Value::Null)
    }
    /// Judges an answer to the challenge.
    async fn submit(&self, _ex: &mut Execution<'_>, _stage: &Row, _answer: &Map<String, Value>) -> EngineResult<Outcome> {
        Ok(Outcome::Ok)
    }
    /// Does a non-interactive stage's work.
    async fn run(&self, _ex: &mut Execution<'_>, _stage: &Row) -> EngineResult<Outcome> {
        Ok(Outcome::Ok)
    }
}
