//! Stages: what every stage kind shares, the registry of kinds, and `/stages/all/`.
//!
//! Every kind lives in the `stages` table (its `kind` column says which); a kind is one
//! module here that describes its own fields (through [`stage_resource`]) and one line in
//! [`kinds`].

mod all;
pub mod deny;
mod flow_set;
pub mod identification;
pub mod invitation;
pub mod password;
pub mod prompt;
pub mod source;
pub mod user_login;
pub mod user_logout;
pub mod user_write;

pub use all::{all_resource, components};
pub use flow_set::{apply_nested, plan_nested, FlowSetField, NestedPlan};

use super::common::{meta_fields, t, TEXT};
use crate::ctx::Ctx;
use crate::error::EngineResult;
use crate::resource::filter::{CustomFilter, FilterError};
use crate::resource::used_by::{UsedBy, UsedByAction, Via};
use crate::resource::*;
use async_trait::async_trait;
use domain::errors::msg;
use domain::query::{Cond, Select};
use domain::store::Queries;
use domain::value::{Row, SqlValue};
use serde_json::{json, Value};
use std::sync::Arc;

/// One stage kind: its `kind` value, authentik's metadata, its `types` description, and its
/// resource description.
pub struct StageKind {
    pub kind: &'static str,
    pub meta: Meta,
    /// authentik's model docstring, as `/stages/all/types/` shows it.
    pub description: &'static str,
    /// What `/stages/all/types/` says (authentik marks the source stage; Portcullis has no
    /// licence gate, see docs/compatibility.md).
    pub requires_enterprise: bool,
    pub resource: fn() -> Resource,
}

/// Every implemented stage kind, in the order `/stages/all/types/` lists them (by name).
pub fn kinds() -> Vec<StageKind> {
    let mut k: Vec<StageKind> = vec![
        identification::kind(),
        password::kind(),
        prompt::kind(),
        user_login::kind(),
        user_logout::kind(),
        user_write::kind(),
        deny::kind(),
        invitation::kind(),
        source::kind(),
    ];
    k.sort_by_key(|s| s.meta.verbose_name);
    k
}

pub fn meta_for_kind(kind: &str) -> Option<Meta> {
    kinds().into_iter().find(|k| k.kind == kind).map(|k| k.meta)
}

/// The base metadata authentik shows where it follows a plain reference to a stage.
pub const BASE_META: Meta =
    Meta { app_label: "authentik_flows", model_name: "stage", verbose_name: "stage", verbose_name_plural: "stages", component: Some("") };

fn row_kind_meta(r: &Row) -> Meta {
    meta_for_kind(t(r, "kind")).unwrap_or(BASE_META)
}

/// `pk`, `name`, the four metadata fields and `flow_set`: the fields every stage starts with.
/// `flow_set` is writable, as in authentik's `StageSerializer` (only the per-kind resources
/// have writes; `/stages/all/` documents it writable in `Stage`/`StageRequest`).
pub fn base_fields() -> Vec<Field> {
    let mut f = vec![
        Field::own_uuid("pk", "uuid").doc(&[("title", "Stage uuid")]),
        Field::text("name").required().unique("stage with this name already exists."),
    ];
    f.extend(meta_fields(row_kind_meta));
    f.push(Field::computed("flow_set", Arc::new(FlowSetField)).writable());
    f
}

/// `used_by` relations every stage has.
pub fn base_used_by() -> Vec<UsedBy> {
    vec![
        UsedBy::to("flow_set", UsedByAction::CascadeMany, crate::resources::referrers::FLOW, Via::Link { link: "bindings", self_col: "stage", other_col: "target" }),
        UsedBy::to("flowstagebinding_set", UsedByAction::Cascade, crate::resources::referrers::BINDING, Via::Column { fk: "stage" }),
    ]
}

/// What a stage kind's module says about itself; [`stage_resource`] makes the rest.
pub struct StageDesc {
    pub kind: &'static str,
    pub meta: Meta,
    /// `/stages/deny/`.
    pub path: &'static str,
    /// `DenyStage`.
    pub schema_name: &'static str,
    /// `stages_deny`.
    pub operation_prefix: &'static str,
    /// `DenyStage Viewset`.
    pub viewset: &'static str,
    /// The kind's own fields, after the common ones.
    pub fields: Vec<Field>,
    /// Filters besides `name` (which every kind has).
    pub filters: Vec<Filter>,
    /// `used_by` relations besides the common ones.
    pub used_by: Vec<UsedBy>,
    /// The kind's own rules; `flow_set` is handled for every kind.
    pub hooks: Option<Arc<dyn Hooks>>,
}

/// A per-kind stage resource: the common fields (with a writable `flow_set`), the kind's own,
/// search on `name`, ordering by `pk`, `name` and every stored field, default order `name`.
pub fn stage_resource(d: StageDesc) -> Resource {
    let mut fields = base_fields();
    let mut ordering: Vec<(&'static str, &'static str)> = vec![("pk", "uuid"), ("name", "name")];
    for f in &d.fields {
        if let (Some(c), false) = (f.column, matches!(f.kind, Kind::RefList { .. } | Kind::Computed(_))) {
            ordering.push((f.name, c));
        }
    }
    fields.extend(d.fields);
    let mut filters = vec![Filter::new("name", FilterKind::Text("name"))];
    filters.extend(d.filters);
    let mut used_by = base_used_by();
    used_by.extend(d.used_by);
    Resource {
        schema_name: d.schema_name,
        path: d.path,
        operation_prefix: d.operation_prefix,
        tag: "stages",
        table: "stages",
        kind: Some(d.kind),
        polymorphic: None,
        meta: d.meta,
        pk_column: "uuid",
        pk_type: KeyType::Uuid,
        lookup_param: "stage_uuid",
        lookup_column: "uuid",
        lookup_type: LookupType::Uuid,
        fields,
        hidden_columns: vec![],
        filters,
        search: vec![Search::Col("name")],
        ordering,
        default_order: vec!["name"],
        unique_together: vec![],
        used_by,
        ops: Ops::ALL,
        access: Access::Superuser,
        hooks: Arc::new(StageHooks { inner: d.hooks.unwrap_or_else(|| Arc::new(NoHooks)) }),
        actions: vec![],
        description: d.viewset,
    }
}

/// The hooks of every stage kind: `flow_set` (validated before the kind's own rules, applied
/// in the write's transaction after the kind's own writes), around the kind's hooks.
pub struct StageHooks {
    pub inner: Arc<dyn Hooks>,
}

#[async_trait]
impl Hooks for StageHooks {
    async fn validate(&self, ctx: &Ctx<'_>, mode: WriteMode, input: &mut Input, existing: Option<&Row>) -> EngineResult<()> {
        flow_set::validate_flow_set(ctx, input).await?;
        self.inner.validate(ctx, mode, input, existing).await
    }
    async fn after_write(&self, ctx: &Ctx<'_>, tx: &mut dyn Queries, pk: &SqlValue, input: &Input, mode: WriteMode) -> EngineResult<()> {
        self.inner.after_write(ctx, tx, pk, input, mode).await?;
        flow_set::apply_flow_set(ctx, tx, pk, input).await
    }
    fn scope(&self, ctx: &Ctx<'_>) -> Cond {
        self.inner.scope(ctx)
    }
}

/// `stage_uuid`: the stage's own uuid.
pub fn stage_uuid_filter() -> Filter {
    Filter::new("stage_uuid", FilterKind::OwnUuid("uuid"))
}

/// A generated boolean filter on the column of the same name.
pub fn bool_filter(name: &'static str) -> Filter {
    Filter::new(name, FilterKind::Bool(name))
}

/// A foreign-key filter on a flow column.
pub fn flow_filter(name: &'static str) -> Filter {
    Filter::new(name, FilterKind::Ref { column: name, table: "flows", key: "uuid", ty: KeyType::Uuid })
}

/// A foreign-key filter whose target must be a stage of one kind (django-filter's queryset is
/// that kind's table).
pub struct StageOfKindFilter {
    pub column: &'static str,
    pub kind: &'static str,
}

#[async_trait]
impl CustomFilter for StageOfKindFilter {
    async fn apply(&self, ctx: &Ctx<'_>, values: &[String]) -> Result<Option<Cond>, FilterError> {
        let v = &values[0];
        let u = uuid::Uuid::parse_str(v.trim()).map_err(|_| FilterError::Message(msg::bad_uuid(v)))?.to_string();
        let n = ctx
            .store()
            .count("stages", &Cond::eq("uuid", u.as_str()).and(Cond::eq("kind", self.kind)))
            .await
            .map_err(|e| FilterError::Engine(e.into()))?;
        if n == 0 {
            return Err(FilterError::Message(msg::CHOICE_FILTER.into()));
        }
        Ok(Some(Cond::eq(self.column, u)))
    }
    fn schema(&self) -> Value {
        json!({"type": "string", "format": "uuid"})
    }
}

/// A many-valued filter on a link table (`?fields=a&fields=b`): stages linked to any of the
/// values; unknown values are refused as django-filter's `ModelMultipleChoiceFilter` does.
pub struct LinkAnyFilter {
    pub link: &'static str,
    pub self_col: &'static str,
    pub other_col: &'static str,
    pub table: &'static str,
    pub key: &'static str,
}

#[async_trait]
impl CustomFilter for LinkAnyFilter {
    async fn apply(&self, ctx: &Ctx<'_>, values: &[String]) -> Result<Option<Cond>, FilterError> {
        let mut keys: Vec<SqlValue> = vec![];
        for v in values {
            let u = uuid::Uuid::parse_str(v.trim()).map_err(|_| FilterError::Message(msg::bad_uuid(v)))?.to_string();
            let n = ctx.store().count(self.table, &Cond::eq(self.key, u.as_str())).await.map_err(|e| FilterError::Engine(e.into()))?;
            if n == 0 {
                return Err(FilterError::Message(msg::choice_not_available(v)));
            }
            if !keys.contains(&SqlValue::Text(u.clone())) {
                keys.push(SqlValue::Text(u));
            }
        }
        Ok(Some(Cond::InSelect(
            "uuid".into(),
            Box::new(Select::new(self.link).col(self.self_col, TEXT).filter(Cond::In(self.other_col.into(), keys))),
        )))
    }
    fn schema(&self) -> Value {
        json!({"type": "array", "items": {"type": "string", "format": "uuid"}})
    }
    fn is_array(&self) -> bool {
        true
    }
}

