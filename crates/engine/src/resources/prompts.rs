//! `/stages/prompt/prompts/`: the fields prompt stages ask for, with `preview`.

use super::common::{t, TEXT};
use super::stages::{all_resource, apply_nested, plan_nested, NestedPlan};
use crate::ctx::Ctx;
use crate::error::EngineResult;
use crate::resource::ops::authorize;
use crate::resource::output::render;
use crate::resource::used_by::{UsedBy, UsedByAction, Via};
use crate::resource::*;
use async_trait::async_trait;
use domain::errors::FieldErrors;
use domain::query::{Cond, Select, Write};
use domain::store::Queries;
use domain::value::{Row, SqlValue};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

pub static PROMPT_TYPES: Choices = Choices {
    schema: "PromptTypeEnum",
    values: &[
        "text",
        "text_area",
        "text_read_only",
        "text_area_read_only",
        "username",
        "email",
        "password",
        "number",
        "checkbox",
        "radio-button-group",
        "dropdown",
        "date",
        "date-time",
        "file",
        "separator",
        "hidden",
        "static",
        "ak-locale",
    ],
};

/// Types whose placeholder holds the choices.
pub const CHOICE_TYPES: &[&str] = &["radio-button-group", "dropdown"];

pub const META: Meta = Meta {
    app_label: "authentik_stages_prompt",
    model_name: "prompt",
    verbose_name: "Prompt",
    verbose_name_plural: "Prompts",
    component: None,
};

pub fn display_name(r: &Row) -> String {
    format!("Prompt field '{}' type {}", t(r, "field_key"), t(r, "type"))
}

/// `promptstage_set`: the prompt stages using a prompt, rendered as `/stages/all/` renders them.
struct PromptStageSet;

#[async_trait]
impl Computed for PromptStageSet {
    async fn compute(&self, ctx: &Ctx<'_>, rows: &[Row]) -> EngineResult<Vec<Value>> {
        let ids: Vec<SqlValue> = rows.iter().map(|r| r.get("uuid").clone()).collect();
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let links = ctx
            .store()
            .select(&Select::new("prompt_stage_fields").col("prompt_uuid", TEXT).col("stage_uuid", TEXT).filter(Cond::In("prompt_uuid".into(), ids)))
            .await?;
        let stage_ids: Vec<SqlValue> = links.iter().map(|l| l.get("stage_uuid").clone()).collect();
        let mut stages: Vec<(String, String, Value)> = vec![];
        if !stage_ids.is_empty() {
            let sr = all_resource();
            let mut sel = Select::new(sr.table);
            sel.columns = sr.columns();
            sel.filter = Cond::In("uuid".into(), stage_ids);
            sel = sel.order_by("name", false).order_by("uuid", false);
            let found = ctx.store().select(&sel).await?;
            for (row, v) in found.iter().zip(render(&sr, ctx, &found).await?) {
                stages.push((t(row, "uuid").to_string(), t(row, "name").to_string(), v));
            }
        }
        let mut by_prompt: HashMap<&str, Vec<&str>> = HashMap::new();
        for l in &links {
            by_prompt.entry(t(l, "prompt_uuid")).or_default().push(t(l, "stage_uuid"));
        }
        Ok(rows
            .iter()
            .map(|r| {
                let mine = by_prompt.get(t(r, "uuid")).cloned().unwrap_or_default();
                Value::Array(stages.iter().filter(|(id, _, _)| mine.contains(&id.as_str())).map(|(_, _, v)| v.clone()).collect())
            })
            .collect())
    }
    fn schema(&self) -> Value {
        json!({"type": "array", "items": {"$ref": "#/components/schemas/Stage"}})
    }
    fn request_schema(&self) -> Value {
        json!({"type": "array", "items": {"$ref": "#/components/schemas/StageRequest"}})
    }
    fn required(&self) -> bool {
        false
    }
}

pub const PROMPTSTAGE_SET: NestedPlan = NestedPlan {
    field: "promptstage_set",
    key: "name",
    table: "stages",
    kind: Some("prompt"),
    target: super::stages::prompt::nested_resource,
};

/// `promptstage_set` on writes: each entry names a prompt stage by `name`; an existing one gets
/// the prompt added to its fields, a missing one is created (validated as a prompt-stage
/// create, `flow_set` included) with the prompt as its field. Never removes a link.
struct PromptHooks;

#[async_trait]
impl Hooks for PromptHooks {
    async fn validate(&self, ctx: &Ctx<'_>, _mode: WriteMode, input: &mut Input, _existing: Option<&Row>) -> EngineResult<()> {
        if let Some(raw) = input.fields.get("promptstage_set") {
            let planned = plan_nested(ctx, &PROMPTSTAGE_SET, raw).await?;
            input.fields.insert("promptstage_set".into(), planned);
        }
        Ok(())
    }
    async fn after_write(&self, ctx: &Ctx<'_>, tx: &mut dyn Queries, pk: &SqlValue, input: &Input, _mode: WriteMode) -> EngineResult<()> {
        let Some(planned) = input.fields.get("promptstage_set") else { return Ok(()) };
        for stage in apply_nested(ctx, tx, &PROMPTSTAGE_SET, planned).await? {
            let cond = Cond::Eq("stage_uuid".into(), stage.clone()).and(Cond::Eq("prompt_uuid".into(), pk.clone()));
            if tx.count("prompt_stage_fields", &cond).await? == 0 {
                tx.write(&Write::Insert {
                    table: "prompt_stage_fields".into(),
                    values: vec![("stage_uuid".into(), stage), ("prompt_uuid".into(), pk.clone())],
                })
                .await?;
            }
        }
        Ok(())
    }
}

fn blank_text(name: &'static str) -> Field {
    Field::text_fmt(name, None, true, TextFormat::Plain).default(v_empty_str)
}

pub fn resource() -> Resource {
    Resource {
        schema_name: "Prompt",
        path: "/stages/prompt/prompts/",
        operation_prefix: "stages_prompt_prompts",
        tag: "stages",
        table: "prompts",
        kind: None,
        polymorphic: None,
        meta: META,
        pk_column: "uuid",
        pk_type: KeyType::Uuid,
        lookup_param: "prompt_uuid",
        lookup_column: "uuid",
        lookup_type: LookupType::Uuid,
        fields: vec![
            Field::own_uuid("pk", "uuid").doc(&[("title", "Prompt uuid")]),
            Field::text("name").required().unique("Prompt with this name already exists."),
            Field::text("field_key").required().doc(&[("description", "Name of the form field, also used to store the value")]),
            Field::text("label").required(),
            Field::choice("type", &PROMPT_TYPES).required(),
            Field::boolean("required").default(v_true),
            blank_text("placeholder"),
            blank_text("initial_value"),
            Field::int("order").default(|| json!(0)),
            Field::computed("promptstage_set", Arc::new(PromptStageSet)).writable(),
            blank_text("sub_text"),
            Field::boolean("placeholder_expression").default(v_false),
            Field::boolean("initial_value_expression").default(v_false),
        ],
        hidden_columns: vec![],
        filters: vec![
            Filter::new("field_key", FilterKind::Text("field_key")),
            Filter::new("label", FilterKind::Text("label")),
            Filter::new("name", FilterKind::Text("name")),
            Filter::new("placeholder", FilterKind::Text("placeholder")),
            Filter::new("type", FilterKind::Choice("type", &PROMPT_TYPES)),
        ],
        search: vec![Search::Col("field_key"), Search::Col("name"), Search::Col("label"), Search::Col("type"), Search::Col("placeholder")],
        ordering: vec![
            ("pk", "uuid"),
            ("name", "name"),
            ("field_key", "field_key"),
            ("label", "label"),
            ("type", "type"),
            ("required", "required"),
            ("placeholder", "placeholder"),
            ("initial_value", "initial_value"),
            ("order", "order"),
            ("sub_text", "sub_text"),
            ("placeholder_expression", "placeholder_expression"),
            ("initial_value_expression", "initial_value_expression"),
        ],
        default_order: vec!["field_key"],
        unique_together: vec![],
        used_by: vec![UsedBy::to("promptstage_set", UsedByAction::CascadeMany, super::referrers::stage("authentik_stages_prompt", "promptstage"), Via::Link { link: "prompt_stage_fields", self_col: "prompt_uuid", other_col: "stage_uuid" })],
        ops: Ops::ALL,
        access: Access::Superuser,
        hooks: Arc::new(PromptHooks),
        actions: vec![Action {
            name: "preview",
            detail: false,
            method: Method::Post,
            multipart: false,
            handler: Box::new(Preview),
            openapi: || {
                json!({
                    "description": "Preview a prompt as a challenge, just like a flow would receive",
                    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/PromptRequest"}}}, "required": true},
                    "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/PromptChallenge"}}}, "description": ""}, "400": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}}, "description": ""}}
                })
            },
        }],
        description: "Prompt Viewset",
    }
}

pub const EXPRESSIONS_UNSUPPORTED: &str =
    "Expressions are not supported by Portcullis: placeholder_expression and initial_value_expression must be false to preview a prompt.";

/// One prompt as the prompt stage's challenge shows it (flows.md 4.3), with no flow context.
pub fn render_stage_prompt(fields: &Map<String, Value>) -> Value {
    let s = |k: &str| fields.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let ty = s("type");
    let placeholder = s("placeholder");
    let mut initial = s("initial_value");
    let choices: Option<Vec<String>> = if CHOICE_TYPES.contains(&ty.as_str()) { Some(vec![placeholder.clone()]) } else { None };
    if let Some(c) = &choices {
        if !c.contains(&initial) {
            initial = c.first().cloned().unwrap_or_default();
        }
    }
    json!({
        "field_key": s("field_key"),
        "label": s("label"),
        "type": ty,
        "required": fields.get("required").and_then(Value::as_bool).unwrap_or(true),
        "placeholder": if choices.is_some() { String::new() } else { placeholder },
        "initial_value": initial,
        "order": fields.get("order").and_then(Value::as_i64).unwrap_or(0),
        "sub_text": s("sub_text"),
        "choices": choices,
    })
}

/// `POST /stages/prompt/prompts/preview/`: validated like a create (without `name` and
/// `promptstage_set`), never saved.
struct Preview;

#[async_trait]
impl ActionHandler for Preview {
    async fn run(&self, res: &Resource, ctx: &Ctx<'_>, _l: Option<&str>, body: Body) -> EngineResult<Reply> {
        authorize(res, ctx)?;
        let Body::Json(body) = body else { return Err(crate::error::EngineError::BadRequestEmpty) };
        let mut preview = resource();
        preview.fields.retain(|f| f.name != "name" && f.name != "promptstage_set");
        preview.hooks = Arc::new(NoHooks);
        let input = crate::resource::ops::validate(&preview, ctx, body, WriteMode::Create, None).await?;
        let flag = |k: &str| input.fields.get(k).and_then(Value::as_bool).unwrap_or(false);
        if flag("placeholder_expression") || flag("initial_value_expression") {
            return Err(FieldErrors::non_field(EXPRESSIONS_UNSUPPORTED).into());
        }
        Ok(Reply::Json(
            200,
            json!({"type": "native", "component": "ak-stage-prompt", "fields": [render_stage_prompt(&input.fields)]}),
        ))
    }
}

/// The components of `preview`'s answer.
pub fn components() -> Vec<Component> {
    vec![
        Component::Json("PromptChallenge", || {
            json!({
                "type": "object",
                "description": "Initial challenge being sent, define fields",
                "properties": {
                    "type": {"$ref": "#/components/schemas/ChallengeChoices"},
                    "flow_info": {"$ref": "#/components/schemas/ContextualFlowInfo"},
                    "component": {"type": "string", "default": "ak-stage-prompt"},
                    "response_errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"$ref": "#/components/schemas/ErrorDetail"}}},
                    "fields": {"type": "array", "items": {"$ref": "#/components/schemas/StagePrompt"}},
                },
                "required": ["fields", "type"],
            })
        }),
        Component::Json("ChallengeChoices", || json!({"enum": ["native", "shell", "redirect"], "type": "string"})),
        Component::Json("ContextualFlowInfo", || {
            json!({
                "type": "object",
                "description": "Contextual flow information for a challenge",
                "properties": {
                    "title": {"type": "string"},
                    "background": {"type": "string"},
                    "cancel_url": {"type": "string"},
                    "layout": {"$ref": "#/components/schemas/ContextualFlowInfoLayoutEnum"},
                },
                "required": ["cancel_url", "layout"],
            })
        }),
        Component::Json("ContextualFlowInfoLayoutEnum", || {
            json!({"enum": ["stacked", "content_left", "content_right", "sidebar_left", "sidebar_right"], "type": "string"})
        }),
        Component::Json("ErrorDetail", || {
            json!({
                "type": "object",
                "description": "Serializer for rest_framework's error messages",
                "properties": {"string": {"type": "string"}, "code": {"type": "string"}},
                "required": ["code", "string"],
            })
        }),
        Component::Json("StagePrompt", || {
            json!({
                "type": "object",
                "description": "Serializer for a single Prompt field",
                "properties": {
                    "field_key": {"type": "string"},
                    "label": {"type": "string"},
                    "type": {"$ref": "#/components/schemas/PromptTypeEnum"},
                    "required": {"type": "boolean"},
                    "placeholder": {"type": "string"},
                    "initial_value": {"type": "string"},
                    "order": {"type": "integer"},
                    "sub_text": {"type": "string"},
                    "choices": {"type": "array", "items": {"type": "string"}, "nullable": true},
                },
                "required": ["choices", "field_key", "initial_value", "label", "order", "placeholder", "required", "sub_text", "type"],
            })
        }),
    ]
}
