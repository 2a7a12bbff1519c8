//! `/flows/instances/`: flows, and the stripped-down `FlowSet` shape stages embed.

use super::common::{row_fn, t, INT, TEXT};
use crate::ctx::Ctx;
use crate::error::{EngineError, EngineResult};
use crate::resource::list::find_row;
use crate::resource::ops::authorize;
use crate::resource::used_by::{UsedBy, UsedByAction, Via};
use crate::resource::*;
use async_trait::async_trait;
use domain::query::{Cond, Select, Write};
use domain::value::{Row, SqlValue};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

pub static DESIGNATIONS: Choices = Choices {
    schema: "FlowDesignationEnum",
    values: &["authentication", "authorization", "invalidation", "enrollment", "unenrollment", "recovery", "stage_configuration"],
};
pub static POLICY_ENGINE_MODES: Choices = Choices { schema: "PolicyEngineMode", values: &["all", "any"] };
pub static LAYOUTS: Choices =
    Choices { schema: "FlowLayoutEnum", values: &["stacked", "content_left", "content_right", "sidebar_left", "sidebar_right"] };
pub static DENIED_ACTIONS: Choices = Choices { schema: "DeniedActionEnum", values: &["message_continue", "message", "continue"] };
pub static AUTHENTICATIONS: Choices = Choices {
    schema: "AuthenticationEnum",
    values: &["none", "require_authenticated", "require_unauthenticated", "require_superuser", "require_outpost"],
};

pub const META: Meta =
    Meta { app_label: "authentik_flows", model_name: "flow", verbose_name: "Flow", verbose_name_plural: "Flows", component: None };

pub const DEFAULT_BACKGROUND: &str = "/static/dist/assets/images/flow_background.jpg";

/// `background`: the default image, a URL as stored, or the uploaded file's media URL.
pub fn background_url(stored: &str) -> String {
    if stored.is_empty() {
        DEFAULT_BACKGROUND.to_string()
    } else if stored.starts_with("http") || stored.starts_with("/static") {
        stored.to_string()
    } else {
        format!("/media/public/{stored}")
    }
}

fn background(_ctx: &Ctx<'_>, row: &Row) -> Value {
    Value::String(background_url(t(row, "background")))
}

fn export_url(_ctx: &Ctx<'_>, row: &Row) -> Value {
    Value::String(format!("/api/v3/flows/instances/{}/export/", t(row, "slug")))
}

/// `stages`: the bound stages, one entry per binding, in binding order.
struct BoundStages;
#[async_trait]
impl Computed for BoundStages {
    async fn compute(&self, ctx: &Ctx<'_>, rows: &[Row]) -> EngineResult<Vec<Value>> {
        let ids: Vec<SqlValue> = rows.iter().map(|r| r.get("uuid").clone()).collect();
        let mut by_flow: HashMap<String, Vec<Value>> = HashMap::new();
        if !ids.is_empty() {
            let sel = Select::new("bindings")
                .col("target", TEXT)
                .col("stage", TEXT)
                .col("order", INT)
                .filter(Cond::In("target".into(), ids))
                .order_by("order", false)
                .order_by("uuid", false);
            for b in ctx.store().select(&sel).await? {
                by_flow.entry(t(&b, "target").to_string()).or_default().push(json!(t(&b, "stage")));
            }
        }
        Ok(rows.iter().map(|r| Value::Array(by_flow.remove(t(r, "uuid")).unwrap_or_default())).collect())
    }
    fn schema(&self) -> Value {
        json!({"type": "array", "items": {"type": "string", "format": "uuid"}})
    }
}

fn flow_fields(full: bool) -> Vec<Field> {
    let mut f = vec![
        Field::own_uuid("pk", "uuid").doc(&[("title", "Flow uuid")]),
        Field::own_uuid("policybindingmodel_ptr_id", "pbm_uuid"),
        Field::text("name").required(),
        Field::text_fmt("slug", Some(50), false, TextFormat::Slug)
            .required()
            .unique("Flow with this slug already exists.")
            .doc(&[("description", "Visible in the URL.")]),
        Field::text("title").required().doc(&[("description", "Shown as the Title in Flow pages.")]),
        Field::choice("designation", &DESIGNATIONS).required(),
        row_fn("background", background, || json!({"type": "string"})),
    ];
    if full {
        f.push(Field::computed("stages", Arc::new(BoundStages)));
        f.push(row_fn("policies", |_, _| json!([]), || json!({"type": "array", "items": {"type": "string", "format": "uuid"}})));
        f.push(row_fn("cache_count", |_, _| json!(0), || json!({"type": "integer"})));
    }
    f.push(Field::choice("policy_engine_mode", &POLICY_ENGINE_MODES).default(|| json!("any")));
    f.push(Field::boolean("compatibility_mode").default(v_false));
    f.push(row_fn("export_url", export_url, || json!({"type": "string"})));
    f.push(Field::choice("layout", &LAYOUTS).default(|| json!("stacked")));
    f.push(Field::choice("denied_action", &DENIED_ACTIONS).default(|| json!("message_continue")));
    if full {
        f.push(Field::choice("authentication", &AUTHENTICATIONS).default(|| json!("none")));
    }
    f
}

pub fn display_name(r: &Row) -> String {
    format!("Flow {} ({})", t(r, "name"), t(r, "slug"))
}

pub fn resource() -> Resource {
    Resource {
        schema_name: "Flow",
        path: "/flows/instances/",
        operation_prefix: "flows_instances",
        tag: "flows",
        table: "flows",
        kind: None,
        polymorphic: None,
        meta: META,
        pk_column: "uuid",
        pk_type: KeyType::Uuid,
        lookup_param: "slug",
        lookup_column: "slug",
        lookup_type: LookupType::Text,
        fields: flow_fields(true),
        hidden_columns: vec![("background", TEXT)],
        filters: vec![
            Filter::new("denied_action", FilterKind::Choice("denied_action", &DENIED_ACTIONS)),
            Filter::new("designation", FilterKind::Choice("designation", &DESIGNATIONS)),
            Filter::new("flow_uuid", FilterKind::OwnUuid("uuid")),
            Filter::new("name", FilterKind::Text("name")),
            Filter::new("slug", FilterKind::Text("slug")),
        ],
        search: vec![
            Search::Col("name"),
            Search::Col("slug"),
            Search::Col("designation"),
            Search::Col("title"),
            Search::Col("denied_action"),
        ],
        ordering: vec![
            ("pk", "uuid"),
            ("policybindingmodel_ptr_id", "pbm_uuid"),
            ("name", "name"),
            ("slug", "slug"),
            ("title", "title"),
            ("designation", "designation"),
            ("policy_engine_mode", "policy_engine_mode"),
            ("compatibility_mode", "compatibility_mode"),
            ("layout", "layout"),
            ("denied_action", "denied_action"),
            ("authentication", "authentication"),
        ],
        default_order: vec!["slug", "name"],
        unique_together: vec![],
        used_by: vec![
            UsedBy::to("flowstagebinding_set", UsedByAction::Cascade, crate::resources::referrers::BINDING, Via::Column { fk: "target" }),
            UsedBy::to("invitation_set", UsedByAction::SetDefault, crate::resources::referrers::INVITATION, Via::Column { fk: "flow" }),
            UsedBy::to("passwordstage_set", UsedByAction::SetNull, crate::resources::referrers::stage("authentik_stages_password", "passwordstage"), Via::Column { fk: "configure_flow" }),
            UsedBy::to("source_authentication", UsedByAction::SetNull, crate::resources::referrers::SOURCE, Via::Column { fk: "authentication_flow" }),
            UsedBy::to("source_enrollment", UsedByAction::SetNull, crate::resources::referrers::SOURCE, Via::Column { fk: "enrollment_flow" }),
            UsedBy::to("stages", UsedByAction::CascadeMany, crate::resources::referrers::stage("authentik_flows", "stage"), Via::Link { link: "bindings", self_col: "target", other_col: "stage" }),
        ],
        ops: Ops::ALL,
        access: Access::Superuser,
        hooks: Arc::new(NoHooks),
        actions: actions(),
        description: "Flow Viewset",
    }
}

/// The `FlowSet` shape: a flow without `stages`, `policies`, `cache_count`, `authentication`.
pub fn flowset_resource() -> Resource {
    let mut r = resource();
    r.fields = flow_fields(false);
    r.schema_name = "FlowSet";
    r
}

fn ok_json(body: Value) -> Value {
    json!({"200": {"content": {"application/json": {"schema": body}}, "description": ""}})
}

fn actions() -> Vec<Action> {
    vec![
        Action {
            name: "cache_info",
            detail: false,
            method: Method::Get,
            multipart: false,
            handler: Box::new(CacheInfo),
            openapi: || json!({"description": "Info about cached flows", "responses": ok_json(json!({"$ref": "#/components/schemas/Cache"}))}),
        },
        Action {
            name: "cache_clear",
            detail: false,
            method: Method::Post,
            multipart: false,
            handler: Box::new(CacheClear),
            openapi: || json!({"description": "Clear flow cache", "responses": {"204": {"description": "Successfully cleared cache"}, "400": {"description": "Bad request"}}}),
        },
        Action {
            name: "diagram",
            detail: true,
            method: Method::Get,
            multipart: false,
            handler: Box::new(Diagram),
            openapi: || json!({"description": "Return diagram for flow with slug `slug`, in the format used by flowchart.js", "responses": ok_json(json!({"$ref": "#/components/schemas/FlowDiagram"}))}),
        },
        Action {
            name: "set_background_url",
            detail: true,
            method: Method::Post,
            multipart: false,
            handler: Box::new(SetBackgroundUrl),
            openapi: || json!({"description": "Set Flow background (as URL)", "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/FilePathRequest"}}}, "required": true}, "responses": {"200": {"description": "Success"}, "400": {"description": "Bad request"}}}),
        },
        Action {
            name: "set_background",
            detail: true,
            method: Method::Post,
            multipart: true,
            handler: Box::new(SetBackground),
            openapi: || json!({"description": "Set Flow background", "requestBody": {"content": {"multipart/form-data": {"schema": {"$ref": "#/components/schemas/FileUploadRequest"}}}}, "responses": {"200": {"description": "Success"}, "400": {"description": "Bad request"}}}),
        },
        Action {
            name: "export",
            detail: true,
            method: Method::Get,
            multipart: false,
            handler: Box::new(Export),
            openapi: || json!({"description": "Export flow to .yaml file", "responses": {"200": {"content": {"application/json": {"schema": {"type": "string", "format": "binary"}}}, "description": ""}, "403": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/GenericError"}}}, "description": ""}}}),
        },
        Action {
            name: "import",
            detail: false,
            method: Method::Post,
            multipart: true,
            handler: Box::new(Import),
            openapi: || json!({"description": "Import flow from .yaml file", "requestBody": {"content": {"multipart/form-data": {"schema": {"$ref": "#/components/schemas/FileUploadRequest"}}}}, "responses": {"204": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/FlowImportResult"}}}, "description": ""}, "400": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/FlowImportResult"}}}, "description": ""}}}),
        },
        Action {
            name: "execute",
            detail: true,
            method: Method::Get,
            multipart: false,
            handler: Box::new(crate::flow::link::ExecuteLink),
            openapi: || json!({"description": "Execute flow for current user", "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Link"}}}, "description": ""}, "400": {"description": "Flow not applicable"}}}),
        },
    ]
}

struct CacheInfo;
#[async_trait]
impl ActionHandler for CacheInfo {
    async fn run(&self, res: &Resource, ctx: &Ctx<'_>, _l: Option<&str>, _b: Body) -> EngineResult<Reply> {
        authorize(res, ctx)?;
        // Plans are built per request from the database; there is no plan cache to count.
        Ok(Reply::Json(200, json!({"count": 0})))
    }
}

struct CacheClear;
#[async_trait]
impl ActionHandler for CacheClear {
    async fn run(&self, res: &Resource, ctx: &Ctx<'_>, _l: Option<&str>, _b: Body) -> EngineResult<Reply> {
        authorize(res, ctx)?;
        Ok(Reply::Empty(204))
    }
}

/// The Mermaid diagram authentik draws (api-behaviour.md 3.1.4), without policies.
struct Diagram;
#[async_trait]
impl ActionHandler for Diagram {
    async fn run(&self, res: &Resource, ctx: &Ctx<'_>, lookup: Option<&str>, _b: Body) -> EngineResult<Reply> {
        authorize(res, ctx)?;
        let flow = find_row(res, ctx, lookup.unwrap_or_default()).await?;
        let bindings = ctx
            .store()
            .select(
                &Select::new("bindings")
                    .col("stage", TEXT)
                    .col("order", INT)
                    .filter(Cond::eq("target", t(&flow, "uuid")))
                    .order_by("order", false)
                    .order_by("uuid", false),
            )
            .await?;
        let stage_ids: Vec<SqlValue> = bindings.iter().map(|b| b.get("stage").clone()).collect();
        let stages: HashMap<String, (String, String)> = if stage_ids.is_empty() {
            HashMap::new()
        } else {
            ctx.store()
                .select(&Select::new("stages").col("uuid", TEXT).col("name", TEXT).col("kind", TEXT).filter(Cond::In("uuid".into(), stage_ids)))
                .await?
                .iter()
                .map(|s| {
                    let verbose = super::stages::meta_for_kind(t(s, "kind")).map(|m| m.verbose_name).unwrap_or("Stage");
                    (t(s, "uuid").to_string(), (verbose.to_string(), t(s, "name").to_string()))
                })
                .collect()
        };
        let mut lines = vec!["graph TD".to_string()];
        let auth = t(&flow, "authentication");
        if auth != "none" {
            lines.push(format!("flow_auth_requirement[\"Flow authentication requirement\n{auth}\"]"));
            lines.push("flow_auth_requirement --Requirement not fulfilled--> done[[\"End of the flow\"]]".into());
            lines.push("flow_auth_requirement --Requirement fulfilled--> flow_start[\"placeholder\"]".into());
        }
        lines.push(format!("flow_start[[\"Flow\n{}\"]]", t(&flow, "name")));
        for (i, b) in bindings.iter().enumerate() {
            let (verbose, name) = stages.get(t(b, "stage")).cloned().unwrap_or_default();
            lines.push(format!("--> stage_{i}([\"Stage ({verbose})\n{name}\"])"));
        }
        if bindings.is_empty() {
            lines.push("flow_start --> done[[\"End of the flow\"]]".into());
        } else {
            lines.push(format!("stage_{} --> done[[\"End of the flow\"]]", bindings.len() - 1));
        }
        Ok(Reply::Json(200, json!({"diagram": lines.join("\n")})))
    }
}

async fn set_background_value(ctx: &Ctx<'_>, flow: &Row, value: &str) -> EngineResult<()> {
    let mut tx = ctx.store().begin().await?;
    tx.write(&Write::Update {
        table: "flows".into(),
        set: vec![("background".into(), value.into())],
        filter: Cond::eq("uuid", t(flow, "uuid")),
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

struct SetBackgroundUrl;
#[async_trait]
impl ActionHandler for SetBackgroundUrl {
    async fn run(&self, res: &Resource, ctx: &Ctx<'_>, lookup: Option<&str>, body: Body) -> EngineResult<Reply> {
        authorize(res, ctx)?;
        let flow = find_row(res, ctx, lookup.unwrap_or_default()).await?;
        let Body::Json(Value::Object(b)) = body else { return Err(EngineError::BadRequestEmpty) };
        let Some(url) = b.get("url").and_then(Value::as_str) else { return Err(EngineError::BadRequestEmpty) };
        set_background_value(ctx, &flow, url).await?;
        Ok(Reply::Json(200, json!({})))
    }
}

/// Multipart `file` (stored under the media directory) or `clear=true`.
struct SetBackground;
#[async_trait]
impl ActionHandler for SetBackground {
    async fn run(&self, res: &Resource, ctx: &Ctx<'_>, lookup: Option<&str>, body: Body) -> EngineResult<Reply> {
        authorize(res, ctx)?;
        let flow = find_row(res, ctx, lookup.unwrap_or_default()).await?;
        let Body::Multipart(parts) = body else { return Err(EngineError::BadRequestEmpty) };
        if let Some(file) = parts.iter().find(|p| p.name == "file" && !p.data.is_empty()) {
            let stored = crate::media::store_upload(ctx, "flow-backgrounds", file)?;
            set_background_value(ctx, &flow, &stored).await?;
            return Ok(Reply::Json(200, json!({})));
        }
        let clear = parts.iter().any(|p| p.name == "clear" && String::from_utf8_lossy(&p.data).eq_ignore_ascii_case("true"));
        if clear {
            set_background_value(ctx, &flow, "").await?;
            return Ok(Reply::Json(200, json!({})));
        }
        Err(EngineError::BadRequestEmpty)
    }
}

/// `export`: the flow as a blueprint document, as an attachment.
struct Export;
#[async_trait]
impl ActionHandler for Export {
    async fn run(&self, res: &Resource, ctx: &Ctx<'_>, lookup: Option<&str>, _b: Body) -> EngineResult<Reply> {
        authorize(res, ctx)?;
        let slug = lookup.unwrap_or_default();
        let registry = super::Registry::build();
        let yaml = crate::blueprint::export::export_flow(ctx, &registry, slug).await?;
        Ok(Reply::Raw {
            status: 200,
            content_type: "application/yaml; charset=utf-8".into(),
            headers: vec![("Content-Disposition".into(), format!("attachment; filename=\"{slug}.yaml\""))],
            body: yaml.into_bytes(),
        })
    }
}

/// `import`: applies a blueprint file (api-behaviour.md 3.1.7). 200 with the outcome; 400
/// `{"logs": [], "success": false}` without a `file` part.
struct Import;
#[async_trait]
impl ActionHandler for Import {
    async fn run(&self, res: &Resource, ctx: &Ctx<'_>, _lookup: Option<&str>, body: Body) -> EngineResult<Reply> {
        authorize(res, ctx)?;
        let file = match body {
            Body::Multipart(parts) => parts.into_iter().find(|p| p.name == "file"),
            _ => None,
        };
        let Some(file) = file else {
            return Ok(Reply::Json(400, json!({"logs": [], "success": false})));
        };
        let registry = super::Registry::build();
        let outcome = crate::blueprint::import::import(ctx, &registry, &file.data, false).await;
        Ok(Reply::Json(200, outcome.to_json()))
    }
}

/// The components flows' actions and stages' `flow_set` refer to (`FileUploadRequest` and
/// `FilePathRequest` are shared with sources: `common::components`).
pub fn components() -> Vec<Component> {
    vec![
        Component::Resource(flowset_resource),
        Component::Request(flowset_resource),
        Component::Json("Cache", || {
            json!({
                "type": "object",
                "description": "Generic cache stats for an object",
                "properties": {"count": {"type": "integer", "readOnly": true}},
                "required": ["count"],
            })
        }),
        Component::Json("FlowDiagram", || {
            json!({
                "type": "object",
                "description": "response of the flow's diagram action",
                "properties": {"diagram": {"type": "string", "readOnly": true}},
                "required": ["diagram"],
            })
        }),
        Component::Json("Link", || {
            json!({
                "type": "object",
                "description": "Returns a single link",
                "properties": {"link": {"type": "string"}},
                "required": ["link"],
            })
        }),
        Component::Json("FlowImportResult", || {
            json!({
                "type": "object",
                "description": "Logs of an attempted flow import",
                "properties": {
                    "logs": {"type": "array", "items": {"$ref": "#/components/schemas/LogEvent"}, "readOnly": true},
                    "success": {"type": "boolean", "readOnly": true},
                },
                "required": ["logs", "success"],
            })
        }),
        Component::Json("LogEvent", || {
            json!({
                "type": "object",
                "description": "Single log message with all context logged.",
                "properties": {
                    "timestamp": {"type": "string", "format": "date-time"},
                    "log_level": {"$ref": "#/components/schemas/LogLevelEnum"},
                    "logger": {"type": "string"},
                    "event": {"type": "string"},
                    "attributes": {"type": "object", "additionalProperties": {}},
                },
                "required": ["attributes", "event", "log_level", "logger", "timestamp"],
            })
        }),
        Component::Json("LogLevelEnum", || {
            json!({"enum": ["critical", "exception", "error", "warn", "warning", "info", "debug", "notset"], "type": "string"})
        }),
    ]
}
