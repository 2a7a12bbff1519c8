//! User logout: flushes the session (new id, no user, no data); the executor writes the
//! remaining plan into the fresh session.

use crate::error::EngineResult;
use crate::flow::executor::Execution;
use crate::flow::stage::{Outcome, StageView};
use async_trait::async_trait;
use domain::value::Row;

pub struct UserLogout;

#[async_trait]
impl StageView for UserLogout {
    fn kind(&self) -> &'static str {
        "user_logout"
    }
    async fn run(&self, ex: &mut Execution<'_>, _stage: &Row) -> EngineResult<Outcome> {
        if let Some(a) = &ex.actor {
            tracing::info!(user = %a.username, "logout");
        }
        ex.session.flush();
        ex.actor = None;
        Ok(Outcome::Ok)
    }
}
