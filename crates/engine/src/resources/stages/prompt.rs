//! `/stages/prompt/stages/`: prompt stages (the prompts themselves are `resources::prompts`).

use super::{stage_resource, stage_uuid_filter, LinkAnyFilter, StageDesc, StageKind};
use crate::ctx::Ctx;
use crate::error::EngineResult;
use crate::resource::used_by::{UsedBy, UsedByAction, Via};
use crate::resource::*;
use crate::resources::common::NoPolicies;
use async_trait::async_trait;
use domain::errors::{msg, python_type_name, FieldErrors};
use domain::value::Row;
use serde_json::{json, Value};
use std::sync::Arc;

pub const META: Meta = Meta {
    app_label: "authentik_stages_prompt",
    model_name: "promptstage",
    verbose_name: "Prompt Stage",
    verbose_name_plural: "Prompt Stages",
    component: Some("ak-stage-prompt-form"),
};

pub fn kind() -> StageKind {
    StageKind { kind: "prompt", meta: META, description: "Define arbitrary prompts for the user.", requires_enterprise: false, resource }
}

pub fn resource() -> Resource {
    let mut r = stage_resource(StageDesc {
        kind: "prompt",
        meta: META,
        path: "/stages/prompt/stages/",
        schema_name: "PromptStage",
        operation_prefix: "stages_prompt_stages",
        viewset: "PromptStage Viewset",
        fields: vec![
            Field::link_list("fields", "prompt_stage_fields", "stage_uuid", "prompt_uuid", "prompts", "uuid", KeyType::Uuid)
                .required()
                .non_empty(),
            // Portcullis has no policies: the only valid value is `[]` (checked in the hooks).
            Field::json("validation_policies", false)
                .default(v_empty_list)
                .schema(|| json!({"type": "array", "items": {"type": "string", "format": "uuid"}})),
        ],
        filters: vec![
            stage_uuid_filter(),
            Filter::new(
                "fields",
                FilterKind::Custom(Arc::new(LinkAnyFilter {
                    link: "prompt_stage_fields",
                    self_col: "stage_uuid",
                    other_col: "prompt_uuid",
                    table: "prompts",
                    key: "uuid",
                })),
            ),
            Filter::new("validation_policies", FilterKind::Custom(Arc::new(NoPolicies))),
        ],
        used_by: vec![UsedBy::to("fields", UsedByAction::CascadeMany, crate::resources::referrers::PROMPT, Via::Link { link: "prompt_stage_fields", self_col: "stage_uuid", other_col: "prompt_uuid" })],
        hooks: Some(Arc::new(PromptStageHooks)),
    });
    // The serializer's own validator: checked across every kind (authentik: prompt stages only).
    if let Some(f) = r.fields.iter_mut().find(|f| f.name == "name") {
        f.unique = Some(msg::UNIQUE);
    }
    // `validation_policies` is a list of uuids, not free JSON, and not orderable.
    r.ordering.retain(|(n, _)| *n != "validation_policies");
    r
}

/// The prompt-stage shape a prompt's `promptstage_set` entry creates: `fields` is the prompt
/// itself, linked afterwards, so it is neither required nor read from the entry.
pub fn nested_resource() -> Resource {
    let mut r = resource();
    r.fields.retain(|f| f.name != "fields");
    r
}

struct PromptStageHooks;

#[async_trait]
impl Hooks for PromptStageHooks {
    async fn validate(&self, _ctx: &Ctx<'_>, _mode: WriteMode, input: &mut Input, _existing: Option<&Row>) -> EngineResult<()> {
        let Some(v) = input.fields.get("validation_policies") else { return Ok(()) };
        let Value::Array(items) = v else {
            return Err(FieldErrors::single("validation_policies", msg::expected_list(python_type_name(v))).into());
        };
        // No policy exists in Portcullis, so any item names a missing object.
        if let Some(item) = items.first() {
            let m = match item {
                Value::String(s) => match uuid::Uuid::parse_str(s.trim()) {
                    Ok(u) => msg::invalid_pk(&u.to_string()),
                    Err(_) => msg::bad_uuid(s),
                },
                Value::Number(n) => msg::bad_uuid(&n.to_string()),
                other => msg::incorrect_pk_type(python_type_name(other)),
            };
            return Err(FieldErrors::single("validation_policies", m).into());
        }
        Ok(())
    }
}

