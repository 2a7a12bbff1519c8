//! Source stage (flows.md 4.9): suspends the flow, sends the visitor through a source, and
//! lets the flow continue here when the visitor comes back in time.

use crate::error::EngineResult;
use crate::flow::challenge::redirect;
use crate::flow::executor::Execution;
use crate::flow::query::encode_map;
use crate::flow::stage::{Outcome, StageView};
use crate::flow::suspend::{self, Suspended, IS_RESTORED};
use crate::resources::common::t;
use async_trait::async_trait;
use domain::query::{Cond, Select};
use domain::value::{ColType, Row};
use serde_json::Value;

pub struct Source;

const DEFAULT_RESUME_US: i64 = 10 * 60 * 1_000_000;

#[async_trait]
impl StageView for Source {
    fn kind(&self) -> &'static str {
        "source"
    }
    async fn run(&self, ex: &mut Execution<'_>, stage: &Row) -> EngineResult<Outcome> {
        let source = ex
            .services
            .store
            .select(
                &Select::new("sources")
                    .col("slug", ColType::Text)
                    .col("kind", ColType::Text)
                    .col("enabled", ColType::Bool)
                    .filter(Cond::eq("uuid", t(stage, "source"))),
            )
            .await?
            .into_iter()
            .next();
        let Some(source) = source else {
            return Ok(Outcome::Invalid(Some("Source does not exist".into())));
        };
        // Only web sources can send a visitor away; a disabled source has no login page.
        if t(&source, "kind") != "oauth" || !source.bool("enabled") {
            return Ok(Outcome::Invalid(Some("Invalid source".into())));
        }
        // Coming back: the plan was restored from this session's suspension.
        if let (Some(Value::String(restored)), Some(s)) = (ex.plan.context.get(IS_RESTORED), suspend::peek(ex.session)) {
            if *restored == s.id {
                suspend::clear(ex.session);
                ex.plan.context.remove(IS_RESTORED);
                return Ok(Outcome::Ok);
            }
        }
        let timeout = stage.text("resume_timeout").and_then(domain::duration::parse).filter(|us| *us > 0).unwrap_or(DEFAULT_RESUME_US);
        let s = Suspended {
            id: domain::crypto::random_hex(16),
            flow_slug: t(&ex.flow, "slug").to_string(),
            query: encode_map(&ex.query),
            plan: ex.plan.clone(),
            expires: domain::time::now_micros() + timeout,
        };
        suspend::save(ex.session, &s);
        Ok(Outcome::Challenge(redirect(&crate::source_login::login_path(t(&source, "slug")))))
    }
}
