//! Deny: always refuses, with the context's `deny_message` or the configured one.

use crate::error::EngineResult;
use crate::flow::executor::Execution;
use crate::flow::stage::{Outcome, StageView};
use async_trait::async_trait;
use domain::value::Row;

pub struct Deny;

#[async_trait]
impl StageView for Deny {
    fn kind(&self) -> &'static str {
        "deny"
    }
    async fn run(&self, ex: &mut Execution<'_>, stage: &Row) -> EngineResult<Outcome> {
        let msg = ex
            .plan
            .context
            .get("deny_message")
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| stage.text("deny_message").unwrap_or_default().to_string());
        Ok(Outcome::Invalid(Some(msg).filter(|m| !m.is_empty())))
    }
}
