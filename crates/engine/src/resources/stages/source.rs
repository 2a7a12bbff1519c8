//! `/stages/source/`: suspends the flow and sends the user through a web-based source.

use super::{stage_resource, stage_uuid_filter, StageDesc, StageKind};
use crate::ctx::Ctx;
use crate::error::EngineResult;
use crate::resource::*;
use crate::resources::common::TEXT;
use async_trait::async_trait;
use domain::errors::FieldErrors;
use domain::query::{Cond, Select};
use domain::value::Row;
use serde_json::{json, Value};
use std::sync::Arc;

pub const META: Meta = Meta {
    app_label: "authentik_stages_source",
    model_name: "sourcestage",
    verbose_name: "Source Stage",
    verbose_name_plural: "Source Stages",
    component: Some("ak-stage-source-form"),
};

/// Source kinds with a browser login (authentik also has SAML and Plex, which Portcullis does
/// not implement).
pub const WEB_SOURCE_KINDS: &[&str] = &["oauth"];

pub fn kind() -> StageKind {
    StageKind {
        kind: "source",
        meta: META,
        description: "Suspend the current flow execution and send the user to a source,\n    after which this flow execution is resumed.",
        // As authentik lists it; Portcullis applies no licence gate (docs/compatibility.md).
        requires_enterprise: true,
        resource,
    }
}

pub fn resource() -> Resource {
    stage_resource(StageDesc {
        kind: "source",
        meta: META,
        path: "/stages/source/",
        schema_name: "SourceStage",
        operation_prefix: "stages_source",
        viewset: "SourceStage Viewset",
        fields: vec![
            Field::reference("source", "source", "sources", "uuid", KeyType::Uuid).required(),
            Field::text_fmt("resume_timeout", None, false, TextFormat::Duration).default(|| json!("minutes=10")),
        ],
        filters: vec![
            stage_uuid_filter(),
            Filter::new("source", FilterKind::Ref { column: "source", table: "sources", key: "uuid", ty: KeyType::Uuid }),
            Filter::new("resume_timeout", FilterKind::Text("resume_timeout")),
        ],
        used_by: vec![],
        hooks: Some(Arc::new(SourceStageHooks)),
    })
}

/// Only sources with a browser login can resume a flow. No enterprise licence check.
struct SourceStageHooks;

#[async_trait]
impl Hooks for SourceStageHooks {
    async fn validate(&self, ctx: &Ctx<'_>, _mode: WriteMode, input: &mut Input, _existing: Option<&Row>) -> EngineResult<()> {
        let Some(Value::String(source)) = input.fields.get("source") else { return Ok(()) };
        let rows = ctx.store().select(&Select::new("sources").col("kind", TEXT).filter(Cond::eq("uuid", source.as_str()))).await?;
        let web = rows.first().and_then(|r| r.text("kind")).is_some_and(|k| WEB_SOURCE_KINDS.contains(&k));
        if !web {
            return Err(FieldErrors::single("source", "Invalid source selected, only web-based sources are supported.").into());
        }
        Ok(())
    }
}
