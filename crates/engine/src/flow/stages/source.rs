//! Source stage: suspends the flow and sends the visitor through a source. The OAuth login it
//! needs lands with the sources work; until then it answers with a clear flow error.

use crate::error::{EngineError, EngineResult};
use crate::flow::executor::Execution;
use crate::flow::stage::{Outcome, StageView};
use async_trait::async_trait;
use domain::value::Row;

pub struct Source;

#[async_trait]
impl StageView for Source {
    fn kind(&self) -> &'static str {
        "source"
    }
    async fn run(&self, _ex: &mut Execution<'_>, _stage: &Row) -> EngineResult<Outcome> {
        Err(EngineError::Internal("the source stage needs federated OAuth login, which this version of Portcullis does not have yet".into()))
    }
}
