//! Pieces several resource descriptions share: computed fields made from one row, nested
//! objects, metadata fields and display names.

use crate::ctx::Ctx;
use crate::error::EngineResult;
use crate::resource::filter::{CustomFilter, FilterError};
use crate::resource::{Component, Computed, Field, Filter, FilterKind, Meta, Resource};
use async_trait::async_trait;
use domain::query::{Cond, Select};
use domain::value::{ColType, Row, SqlValue};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// A computed field that needs only its row (and the request context).
pub struct RowFn {
    pub f: fn(&Ctx<'_>, &Row) -> Value,
    pub schema: fn() -> Value,
    pub required: bool,
}

#[async_trait]
impl Computed for RowFn {
    async fn compute(&self, ctx: &Ctx<'_>, rows: &[Row]) -> EngineResult<Vec<Value>> {
        Ok(rows.iter().map(|r| (self.f)(ctx, r)).collect())
    }
    fn schema(&self) -> Value {
        (self.schema)()
    }
    fn required(&self) -> bool {
        self.required
    }
}

pub fn row_fn(name: &'static str, f: fn(&Ctx<'_>, &Row) -> Value, schema: fn() -> Value) -> Field {
    Field::computed(name, Arc::new(RowFn { f, schema, required: true }))
}

pub fn string_schema() -> Value {
    json!({"type": "string"})
}

/// The four read-only metadata fields of stages and sources. `meta_of` picks the row's
/// concrete kind on polymorphic lists.
pub fn meta_fields(meta_of: fn(&Row) -> Meta) -> Vec<Field> {
    struct MetaField {
        which: u8,
        meta_of: fn(&Row) -> Meta,
    }
    #[async_trait]
    impl Computed for MetaField {
        async fn compute(&self, _ctx: &Ctx<'_>, rows: &[Row]) -> EngineResult<Vec<Value>> {
            Ok(rows
                .iter()
                .map(|r| {
                    let m = (self.meta_of)(r);
                    Value::String(match self.which {
                        0 => m.component.unwrap_or("").to_string(),
                        1 => m.verbose_name.to_string(),
                        2 => m.verbose_name_plural.to_string(),
                        _ => format!("{}.{}", m.app_label, m.model_name),
                    })
                })
                .collect())
        }
        fn schema(&self) -> Value {
            let desc = match self.which {
                0 => "Get object type so that we know how to edit the object",
                1 => "Return object's verbose_name",
                2 => "Return object's plural verbose_name",
                _ => "Return internal model name",
            };
            json!({"type": "string", "description": desc})
        }
    }
    ["component", "verbose_name", "verbose_name_plural", "meta_model_name"]
        .iter()
        .enumerate()
        .map(|(i, n)| Field::computed(n, Arc::new(MetaField { which: i as u8, meta_of })))
        .collect()
}

/// Renders the rows a foreign key points at, through another resource's description.
pub struct Nested {
    pub column: &'static str,
    pub target: fn() -> Resource,
    pub schema_ref: &'static str,
    pub nullable: bool,
}

#[async_trait]
impl Computed for Nested {
    async fn compute(&self, ctx: &Ctx<'_>, rows: &[Row]) -> EngineResult<Vec<Value>> {
        let target = (self.target)();
        let keys: Vec<SqlValue> = rows.iter().map(|r| r.get(self.column).clone()).filter(|v| !v.is_null()).collect();
        let mut by_key: HashMap<String, Value> = HashMap::new();
        if !keys.is_empty() {
            let mut sel = Select::new(target.table);
            sel.columns = target.columns();
            sel.filter = Cond::In(target.pk_column.to_string(), keys);
            let found = ctx.store().select(&sel).await?;
            let rendered = crate::resource::output::render(&target, ctx, &found).await?;
            for (r, v) in found.iter().zip(rendered) {
                by_key.insert(crate::resource::output::key_string(&target.pk_value(r)), v);
            }
        }
        Ok(rows
            .iter()
            .map(|r| by_key.get(&crate::resource::output::key_string(r.get(self.column))).cloned().unwrap_or(Value::Null))
            .collect())
    }
    fn schema(&self) -> Value {
        if self.nullable {
            json!({"allOf": [{"$ref": format!("#/components/schemas/{}", self.schema_ref)}], "nullable": true})
        } else {
            json!({"$ref": format!("#/components/schemas/{}", self.schema_ref)})
        }
    }
}

pub fn nested(name: &'static str, column: &'static str, target: fn() -> Resource, schema_ref: &'static str) -> Field {
    Field::computed(name, Arc::new(Nested { column, target, schema_ref, nullable: false }))
}

/// Reads the text of a row's column, empty when absent.
pub fn t<'r>(row: &'r Row, col: &str) -> &'r str {
    row.text(col).unwrap_or_default()
}

pub const TEXT: ColType = ColType::Text;
pub const INT: ColType = ColType::Int;
pub const BOOL: ColType = ColType::Bool;

/// A many-valued `policies` filter. Portcullis has no policies, so any policy uuid is unknown.
pub struct NoPolicies;
#[async_trait]
impl crate::resource::filter::CustomFilter for NoPolicies {
    async fn apply(&self, _ctx: &Ctx<'_>, values: &[String]) -> Result<Option<Cond>, crate::resource::filter::FilterError> {
        let v = &values[0];
        let m = match uuid::Uuid::parse_str(v.trim()) {
            Ok(_) => domain::errors::msg::choice_not_available(v),
            Err(_) => domain::errors::msg::bad_uuid(v),
        };
        Err(crate::resource::filter::FilterError::Message(m))
    }
    fn schema(&self) -> Value {
        json!({"type": "array", "items": {"type": "string", "format": "uuid"}})
    }
    fn is_array(&self) -> bool {
        true
    }
}

/// A documented list parameter that changes the rendering, not the rows (`include_groups`):
/// a boolean query parameter with a default, listed with the filters so the schema shows it.
pub fn flag_param(name: &'static str, default: bool) -> Filter {
    struct Flag(bool);
    #[async_trait]
    impl CustomFilter for Flag {
        async fn apply(&self, _ctx: &Ctx<'_>, _values: &[String]) -> Result<Option<Cond>, FilterError> {
            Ok(None)
        }
        fn schema(&self) -> Value {
            json!({"type": "boolean", "default": self.0})
        }
    }
    Filter::new(name, FilterKind::Custom(Arc::new(Flag(default))))
}

/// One `TypeCreate` entry of a `/<family>/all/types/` action.
pub fn type_create(name: &str, description: &str, component: &str, model_name: &str, requires_enterprise: bool) -> Value {
    json!({
        "name": name,
        "description": description,
        "component": component,
        "model_name": model_name,
        "requires_enterprise": requires_enterprise,
    })
}

/// Components several resource modules refer to: file bodies (flows' backgrounds, sources'
/// icons) and the `types` / `user_settings` answers of `/stages/all/` and `/sources/all/`.
pub fn components() -> Vec<Component> {
    vec![
        Component::Json("FileUploadRequest", || {
            json!({
                "type": "object",
                "description": "Serializer to upload file",
                "properties": {"file": {"type": "string", "format": "binary"}, "clear": {"type": "boolean", "default": false}},
            })
        }),
        Component::Json("FilePathRequest", || {
            json!({
                "type": "object",
                "description": "Serializer to upload file",
                "properties": {"url": {"type": "string", "minLength": 1}},
                "required": ["url"],
            })
        }),
        Component::Json("TypeCreate", || {
            json!({
                "type": "object",
                "description": "Types of an object that can be created",
                "properties": {
                    "name": {"type": "string"},
                    "description": {"type": "string"},
                    "component": {"type": "string"},
                    "model_name": {"type": "string"},
                    "requires_enterprise": {"type": "boolean", "default": false},
                },
                "required": ["component", "description", "model_name", "name"],
            })
        }),
        Component::Json("UserSetting", || {
            json!({
                "type": "object",
                "description": "Serializer for User settings for stages and sources",
                "properties": {
                    "object_uid": {"type": "string"},
                    "component": {"type": "string"},
                    "title": {"type": "string"},
                    "configure_url": {"type": "string"},
                    "icon_url": {"type": "string"},
                },
                "required": ["component", "object_uid", "title"],
            })
        }),
    ]
}

/// Side of a many-to-many membership, for [`LinkedBy`].
pub struct LinkSide {
    /// The table of the rows on this side, and its key column.
    pub table: &'static str,
    pub key: &'static str,
    pub key_type: ColType,
    /// The link table's column holding this side's key.
    pub link_col: &'static str,
}

/// A many-valued filter keeping the rows linked to ANY of the named rows on the other side of
/// a link table: users' `groups_by_name`/`groups_by_pk`, groups' `members_by_username`/
/// `members_by_pk`. A value that names no row is a 400, as django-filter's choice filters.
pub struct LinkedBy {
    pub link: &'static str,
    pub this: LinkSide,
    pub other: LinkSide,
    /// The column of the other side the values are matched against.
    pub match_col: &'static str,
    /// Reads one value into the matched column's type (the error is the 400 message).
    pub parse: fn(&str) -> Result<SqlValue, String>,
    pub schema: fn() -> Value,
}

#[async_trait]
impl crate::resource::filter::CustomFilter for LinkedBy {
    async fn apply(&self, ctx: &Ctx<'_>, values: &[String]) -> Result<Option<Cond>, crate::resource::filter::FilterError> {
        use crate::resource::filter::FilterError;
        let mut keys: Vec<SqlValue> = vec![];
        for v in values {
            let value = (self.parse)(v).map_err(FilterError::Message)?;
            let found = ctx
                .store()
                .select(&Select::new(self.other.table).col(self.other.key, self.other.key_type).filter(Cond::Eq(self.match_col.into(), value)))
                .await
                .map_err(|e| FilterError::Engine(e.into()))?;
            if found.is_empty() {
                return Err(FilterError::Message(domain::errors::msg::choice_not_available(v)));
            }
            keys.extend(found.iter().map(|r| r.get(self.other.key).clone()));
        }
        Ok(Some(Cond::InSelect(
            self.this.key.into(),
            Box::new(Select::new(self.link).col(self.this.link_col, self.this.key_type).filter(Cond::In(self.other.link_col.into(), keys))),
        )))
    }
    fn schema(&self) -> Value {
        (self.schema)()
    }
    fn is_array(&self) -> bool {
        true
    }
}

pub const USERS_SIDE: LinkSide = LinkSide { table: "users", key: "id", key_type: ColType::Int, link_col: "user_id" };
pub const GROUPS_SIDE: LinkSide = LinkSide { table: "groups", key: "uuid", key_type: ColType::Text, link_col: "group_uuid" };
