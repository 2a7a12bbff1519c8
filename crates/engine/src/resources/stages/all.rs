//! `/stages/all/`: every stage of every kind, with its own kind's metadata.

use super::{base_fields, base_used_by, kinds, BASE_META};
use crate::ctx::Ctx;
use crate::error::EngineResult;
use crate::resource::*;
use crate::resources::common::{t, type_create};
use async_trait::async_trait;
use domain::query::{Cond, Select};
use domain::value::ColType;
use serde_json::{json, Value};
use std::sync::Arc;

pub fn all_resource() -> Resource {
    Resource {
        schema_name: "Stage",
        path: "/stages/all/",
        operation_prefix: "stages_all",
        tag: "stages",
        table: "stages",
        kind: None,
        polymorphic: Some(super::meta_for_kind),
        meta: BASE_META,
        pk_column: "uuid",
        pk_type: KeyType::Uuid,
        lookup_param: "stage_uuid",
        lookup_column: "uuid",
        lookup_type: LookupType::Uuid,
        fields: base_fields(),
        hidden_columns: vec![],
        filters: vec![Filter::new("name", FilterKind::Text("name"))],
        search: vec![Search::Col("name")],
        ordering: vec![("pk", "uuid"), ("name", "name")],
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
                openapi: || json!({"description": "Get all creatable types", "responses": {"200": {"content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/TypeCreate"}}}}, "description": ""}}}),
            },
            Action {
                name: "user_settings",
                detail: false,
                method: Method::Get,
                multipart: false,
                handler: Box::new(UserSettings),
                openapi: || json!({"description": "Get all stages the user can configure", "responses": {"200": {"content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/UserSetting"}}}}, "description": ""}}}),
            },
        ],
        description: "Stage Viewset",
    }
}

/// `GET /stages/all/types/`: every implemented kind, any authenticated user.
struct Types;
#[async_trait]
impl ActionHandler for Types {
    async fn run(&self, _res: &Resource, _ctx: &Ctx<'_>, _l: Option<&str>, _b: Body) -> EngineResult<Reply> {
        let items: Vec<Value> = kinds()
            .iter()
            .map(|k| type_create(k.meta.verbose_name, k.description, k.meta.component.unwrap_or(""), k.meta.model_name, k.requires_enterprise))
            .collect();
        Ok(Reply::Json(200, Value::Array(items)))
    }
}

/// `GET /stages/all/user_settings/`: password stages with a configuration flow.
struct UserSettings;
#[async_trait]
impl ActionHandler for UserSettings {
    async fn run(&self, _res: &Resource, ctx: &Ctx<'_>, _l: Option<&str>, _b: Body) -> EngineResult<Reply> {
        let rows = ctx
            .store()
            .select(
                &Select::new("stages")
                    .col("uuid", ColType::Text)
                    .col("name", ColType::Text)
                    .filter(Cond::eq("kind", "password"))
                    .filter(Cond::NotNull("configure_flow".into()))
                    .order_by("name", false),
            )
            .await?;
        let items: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({
                    "object_uid": t(r, "uuid"),
                    "component": "ak-user-settings-password",
                    "title": "Password Stage",
                    "configure_url": format!("/flows/-/configure/{}/", t(r, "uuid")),
                })
            })
            .collect();
        Ok(Reply::Json(200, Value::Array(items)))
    }
}

/// `StageRequest`: the entries of a prompt's writable `promptstage_set`.
pub fn components() -> Vec<Component> {
    vec![Component::Request(all_resource)]
}
