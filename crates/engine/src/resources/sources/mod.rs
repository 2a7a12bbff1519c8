//! Sources: what every source kind shares, the registry of kinds, `/sources/all/`, and the
//! user-source connections.
//!
//! Every kind lives in the `sources` table (its `kind` column says which); a kind is one module
//! here that describes its own fields and registers itself in [`kinds`].

pub mod connections;
pub mod oauth;
pub use sources::types as provider_types;

use super::common::{meta_fields, row_fn, t, type_create, TEXT};
use crate::ctx::Ctx;
use crate::error::{EngineError, EngineResult};
use crate::resource::list::find_row;
use crate::resource::ops::authorize;
use crate::resource::used_by::{UsedBy, UsedByAction, Via};
use crate::resource::*;
use async_trait::async_trait;
use domain::query::{Cond, Select, Write};
use domain::value::Row;
use serde_json::{json, Value};
use std::sync::Arc;

/// One source kind: its `kind` value, authentik's metadata and its resource description.
pub struct SourceKind {
    pub kind: &'static str,
    pub meta: Meta,
    pub resource: fn() -> Resource,
}

/// Every implemented source kind.
pub fn kinds() -> Vec<SourceKind> {
    vec![SourceKind { kind: "oauth", meta: oauth::META, resource: oauth::resource }]
}

pub fn meta_for_kind(kind: &str) -> Option<Meta> {
    kinds().into_iter().find(|k| k.kind == kind).map(|k| k.meta)
}

/// The base metadata authentik shows where it follows a plain reference to a source.
pub const BASE_META: Meta = Meta {
    app_label: "authentik_core",
    model_name: "source",
    verbose_name: "source",
    verbose_name_plural: "sources",
    component: Some(""),
};

pub static USER_MATCHING_MODES: Choices = Choices {
    schema: "UserMatchingModeEnum",
    values: &["identifier", "email_link", "email_deny", "username_link", "username_deny"],
};

fn row_kind_meta(r: &Row) -> Meta {
    meta_for_kind(t(r, "kind")).unwrap_or(BASE_META)
}

/// `icon`: null without one; verbatim when it contains `://` or starts with `/static`; else the
/// uploaded file's media URL (a different rule from flow backgrounds).
pub fn icon_url(stored: Option<&str>) -> Option<String> {
    match stored {
        None | Some("") => None,
        Some(s) if s.contains("://") || s.starts_with("/static") => Some(s.to_string()),
        Some(s) => Some(format!("/media/public/{s}")),
    }
}

/// The icon of a login button or user-settings entry: the source's own icon, else its type's
/// static one (the API's `icon` field has no such fallback).
pub fn button_icon_url(stored: Option<&str>, provider_type: &str) -> String {
    icon_url(stored).unwrap_or_else(|| format!("/static/authentik/sources/{provider_type}.svg"))
}

fn icon(_ctx: &Ctx<'_>, row: &Row) -> Value {
    icon_url(row.text("icon")).map(Value::String).unwrap_or(Value::Null)
}

/// The `Source` fields, with the metadata of `meta_of`.
pub fn base_fields(meta_of: fn(&Row) -> Meta) -> Vec<Field> {
    let mut f = vec![
        Field::own_uuid("pk", "uuid").doc(&[("title", "Pbm uuid")]),
        Field::text("name").required().doc(&[("description", "Source's display Name.")]),
        Field::text_fmt("slug", Some(50), false, TextFormat::Slug)
            .required()
            .unique("source with this slug already exists.")
            .doc(&[("description", "Internal source name, used in URLs.")]),
        Field::boolean("enabled").default(v_true),
        Field::reference("authentication_flow", "authentication_flow", "flows", "uuid", KeyType::Uuid)
            .nullable()
            .doc(&[("description", "Flow to use when authenticating existing users.")]),
        Field::reference("enrollment_flow", "enrollment_flow", "flows", "uuid", KeyType::Uuid)
            .nullable()
            .doc(&[("description", "Flow to use when enrolling new users.")]),
    ];
    f.extend(meta_fields(meta_of));
    f.push(Field::choice("policy_engine_mode", &super::flows::POLICY_ENGINE_MODES).default(|| json!("any")));
    f.push(Field::choice("user_matching_mode", &USER_MATCHING_MODES).default(|| json!("identifier")));
    f.push(Field::text("managed").read_only().nullable().doc(&[("title", "Managed by authentik")]));
    f.push(Field::text("user_path_template").default(|| json!("goauthentik.io/sources/%(slug)s")));
    f.push(row_fn("icon", icon, || json!({"type": "string", "nullable": true})));
    f
}

/// Ordering names every source has.
pub fn base_ordering() -> Vec<(&'static str, &'static str)> {
    vec![
        ("pk", "uuid"),
        ("name", "name"),
        ("slug", "slug"),
        ("enabled", "enabled"),
        ("authentication_flow", "authentication_flow"),
        ("enrollment_flow", "enrollment_flow"),
        ("policy_engine_mode", "policy_engine_mode"),
        ("user_matching_mode", "user_matching_mode"),
        ("managed", "managed"),
        ("user_path_template", "user_path_template"),
    ]
}

/// `used_by` relations every source has (api-behaviour.md 2.3).
pub fn base_used_by() -> Vec<UsedBy> {
    vec![
        UsedBy::to("identificationstage_set", UsedByAction::CascadeMany, crate::resources::referrers::stage("authentik_stages_identification", "identificationstage"), Via::Link { link: "stage_sources", self_col: "source_uuid", other_col: "stage_uuid" }),
        UsedBy::to("sourcestage_set", UsedByAction::Cascade, crate::resources::referrers::stage("authentik_stages_source", "sourcestage"), Via::Column { fk: "source" }),
        UsedBy::to("user_set", UsedByAction::CascadeMany, crate::resources::referrers::USER, Via::Link { link: "source_connections", self_col: "source", other_col: "user_id" }),
        UsedBy::to("usersourceconnection_set", UsedByAction::Cascade, crate::resources::referrers::CONNECTION, Via::Column { fk: "source" }),
    ]
}

/// The plain `Source` shape with base metadata: `source` inside user connections (2.2).
pub fn base_resource() -> Resource {
    let mut r = all_resource();
    r.fields = base_fields(|_| BASE_META);
    r.polymorphic = None;
    r
}

fn ok_array(item: &str) -> Value {
    json!({"200": {"content": {"application/json": {"schema": {"type": "array", "items": {"$ref": format!("#/components/schemas/{item}")}}}}, "description": ""},
           "400": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}}, "description": ""},
           "403": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/GenericError"}}}, "description": ""}})
}

/// `/sources/all/`: every source of every kind, with its own kind's metadata.
pub fn all_resource() -> Resource {
    Resource {
        schema_name: "Source",
        path: "/sources/all/",
        operation_prefix: "sources_all",
        tag: "sources",
        table: "sources",
        kind: None,
        polymorphic: Some(meta_for_kind),
        meta: BASE_META,
        pk_column: "uuid",
        pk_type: KeyType::Uuid,
        lookup_param: "slug",
        lookup_column: "slug",
        lookup_type: LookupType::Text,
        fields: base_fields(row_kind_meta),
        hidden_columns: vec![("icon", TEXT)],
        filters: vec![
            Filter::new("managed", FilterKind::Text("managed")),
            Filter::new("name", FilterKind::Text("name")),
            Filter::new("slug", FilterKind::Text("slug")),
        ],
        search: vec![Search::Col("slug"), Search::Col("name")],
        ordering: base_ordering(),
        default_order: vec!["name"],
        unique_together: vec![],
        used_by: base_used_by(),
        ops: Ops::READ_DELETE,
        access: Access::Superuser,
        hooks: Arc::new(NoHooks),
        actions: vec![
            Action {
                name: "types",
                detail: false,
                method: Method::Get,
                multipart: false,
                handler: Box::new(Types),
                openapi: || json!({"description": "Get all creatable source types", "responses": ok_array("TypeCreate")}),
            },
            Action {
                name: "user_settings",
                detail: false,
                method: Method::Get,
                multipart: false,
                handler: Box::new(UserSettings),
                openapi: || json!({"description": "Get all sources the user can configure", "responses": ok_array("UserSetting")}),
            },
            Action {
                name: "set_icon",
                detail: true,
                method: Method::Post,
                multipart: true,
                handler: Box::new(SetIcon),
                openapi: || json!({"description": "Set source icon", "requestBody": {"content": {"multipart/form-data": {"schema": {"$ref": "#/components/schemas/FileUploadRequest"}}}}, "responses": {"200": {"description": "Success"}, "400": {"description": "Bad request"}, "403": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/GenericError"}}}, "description": ""}}}),
            },
            Action {
                name: "set_icon_url",
                detail: true,
                method: Method::Post,
                multipart: false,
                handler: Box::new(SetIconUrl),
                openapi: || json!({"description": "Set source icon (as URL)", "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/FilePathRequest"}}}, "required": true}, "responses": {"200": {"description": "Success"}, "400": {"description": "Bad request"}, "403": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/GenericError"}}}, "description": ""}}}),
            },
        ],
        description: "Source Viewset",
    }
}

/// `GET /sources/all/types/`: the 14 OAuth variants, any authenticated user.
struct Types;
#[async_trait]
impl ActionHandler for Types {
    async fn run(&self, _res: &Resource, _ctx: &Ctx<'_>, _l: Option<&str>, _b: Body) -> EngineResult<Reply> {
        let items: Vec<Value> = provider_types::SOURCE_KIND_TYPES
            .iter()
            .map(|(name, model, description)| type_create(name, description, "ak-source-oauth-form", model, false))
            .collect();
        Ok(Reply::Json(200, Value::Array(items)))
    }
}

/// `GET /sources/all/user_settings/`: enabled OAuth sources, by name, any authenticated user.
struct UserSettings;
#[async_trait]
impl ActionHandler for UserSettings {
    async fn run(&self, _res: &Resource, ctx: &Ctx<'_>, _l: Option<&str>, _b: Body) -> EngineResult<Reply> {
        let rows = ctx
            .store()
            .select(
                &Select::new("sources")
                    .col("slug", TEXT)
                    .col("name", TEXT)
                    .col("icon", TEXT)
                    .col("provider_type", TEXT)
                    .filter(Cond::eq("kind", "oauth"))
                    .filter(Cond::eq("enabled", true))
                    .order_by("name", false)
                    .order_by("uuid", false),
            )
            .await?;
        let items: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({
                    "object_uid": t(r, "slug"),
                    "component": "ak-user-settings-source-oauth",
                    "title": t(r, "name"),
                    "configure_url": crate::source_login::login_path(t(r, "slug")),
                    "icon_url": button_icon_url(r.text("icon"), t(r, "provider_type")),
                })
            })
            .collect();
        Ok(Reply::Json(200, Value::Array(items)))
    }
}

async fn set_icon_value(ctx: &Ctx<'_>, source: &Row, value: Option<&str>) -> EngineResult<()> {
    let mut tx = ctx.store().begin().await?;
    tx.write(&Write::Update {
        table: "sources".into(),
        set: vec![("icon".into(), value.map(|v| v.into()).unwrap_or(domain::value::SqlValue::Null))],
        filter: Cond::eq("uuid", t(source, "uuid")),
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /sources/all/{slug}/set_icon_url/` with `{"url": ...}`.
struct SetIconUrl;
#[async_trait]
impl ActionHandler for SetIconUrl {
    async fn run(&self, res: &Resource, ctx: &Ctx<'_>, lookup: Option<&str>, body: Body) -> EngineResult<Reply> {
        authorize(res, ctx)?;
        let source = find_row(res, ctx, lookup.unwrap_or_default()).await?;
        let Body::Json(Value::Object(b)) = body else { return Err(EngineError::BadRequestEmpty) };
        let Some(url) = b.get("url").and_then(Value::as_str).filter(|u| !u.is_empty()) else {
            return Err(EngineError::BadRequestEmpty);
        };
        set_icon_value(ctx, &source, Some(url)).await?;
        Ok(Reply::Json(200, json!({})))
    }
}

/// `POST /sources/all/{slug}/set_icon/`: multipart `file` (kept under `source-icons/`) or
/// `clear=true`.
struct SetIcon;
#[async_trait]
impl ActionHandler for SetIcon {
    async fn run(&self, res: &Resource, ctx: &Ctx<'_>, lookup: Option<&str>, body: Body) -> EngineResult<Reply> {
        authorize(res, ctx)?;
        let source = find_row(res, ctx, lookup.unwrap_or_default()).await?;
        let Body::Multipart(parts) = body else { return Err(EngineError::BadRequestEmpty) };
        if let Some(file) = parts.iter().find(|p| p.name == "file" && !p.data.is_empty()) {
            let stored = crate::media::store_upload(ctx, "source-icons", file)?;
            set_icon_value(ctx, &source, Some(&stored)).await?;
            return Ok(Reply::Json(200, json!({})));
        }
        let clear = parts.iter().any(|p| p.name == "clear" && String::from_utf8_lossy(&p.data).eq_ignore_ascii_case("true"));
        if clear {
            set_icon_value(ctx, &source, None).await?;
            return Ok(Reply::Json(200, json!({})));
        }
        Err(EngineError::BadRequestEmpty)
    }
}
