//! `flow_set` of a stage: the flows it is bound into, one entry per binding, in binding order;
//! and the write side every stage kind shares (Portcullis binds, api-behaviour.md 1.11).

use crate::ctx::Ctx;
use crate::error::{EngineError, EngineResult};
use crate::resource::output::{key_string, render};
use crate::resource::{ops, Computed, Input, Resource, WriteMode};
use crate::resources::common::{t, INT, TEXT};
use crate::resources::flows::flowset_resource;
use async_trait::async_trait;
use domain::errors::{msg, python_type_name, FieldErrors, NON_FIELD};
use domain::query::{Cond, Select, Write};
use domain::store::Queries;
use domain::value::{Row, SqlValue};
use serde_json::{json, Value};
use std::collections::HashMap;

pub struct FlowSetField;

#[async_trait]
impl Computed for FlowSetField {
    async fn compute(&self, ctx: &Ctx<'_>, rows: &[Row]) -> EngineResult<Vec<Value>> {
        let ids: Vec<SqlValue> = rows.iter().map(|r| r.get("uuid").clone()).collect();
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let bindings = ctx
            .store()
            .select(
                &Select::new("bindings")
                    .col("stage", TEXT)
                    .col("target", TEXT)
                    .filter(Cond::In("stage".into(), ids))
                    .order_by("order", false)
                    .order_by("uuid", false),
            )
            .await?;
        let flow_ids: Vec<SqlValue> = bindings.iter().map(|b| b.get("target").clone()).collect();
        let mut flows: HashMap<String, Value> = HashMap::new();
        if !flow_ids.is_empty() {
            let fr = flowset_resource();
            let mut sel = Select::new(fr.table);
            sel.columns = fr.columns();
            sel.filter = Cond::In(fr.pk_column.into(), flow_ids);
            let found = ctx.store().select(&sel).await?;
            for (row, v) in found.iter().zip(render(&fr, ctx, &found).await?) {
                flows.insert(key_string(row.get("uuid")), v);
            }
        }
        Ok(rows
            .iter()
            .map(|r| {
                Value::Array(
                    bindings
                        .iter()
                        .filter(|b| t(b, "stage") == t(r, "uuid"))
                        .filter_map(|b| flows.get(t(b, "target")).cloned())
                        .collect(),
                )
            })
            .collect())
    }
    fn schema(&self) -> Value {
        json!({"type": "array", "items": {"$ref": "#/components/schemas/FlowSet"}})
    }
    fn request_schema(&self) -> Value {
        json!({"type": "array", "items": {"$ref": "#/components/schemas/FlowSetRequest"}})
    }
    fn required(&self) -> bool {
        false
    }
}

/// A nested write list whose entries name objects by a unique key (`flow_set` by flow `slug`,
/// prompts' `promptstage_set` by prompt-stage `name`): an entry naming an existing object
/// refers to it (its other keys are ignored); any other entry is validated as a create of
/// `target` and the object is created in the write's transaction.
pub struct NestedPlan {
    /// The request field, for error keys.
    pub field: &'static str,
    /// The entry key that names an existing object.
    pub key: &'static str,
    pub table: &'static str,
    /// Restricts existing objects to one kind of a shared table.
    pub kind: Option<&'static str>,
    /// Validates and writes the objects to create.
    pub target: fn() -> Resource,
}

/// Validates a nested list (before any transaction) and returns its plan: one
/// `{"existing": <pk>}` or `{"create": {<validated fields>}}` per distinct object. Errors come
/// back as DRF reports a nested list serializer: `{field: [<errors of item 0>, {}, ...]}`, or
/// `{field: {"non_field_errors": [...]}}` when the value is not a list.
pub async fn plan_nested(ctx: &Ctx<'_>, plan: &NestedPlan, raw: &Value) -> EngineResult<Value> {
    let Value::Array(items) = raw else {
        let mut e = FieldErrors::new();
        e.set(plan.field, json!({ NON_FIELD: [msg::expected_list(python_type_name(raw))] }));
        return Err(e.into());
    };
    let target = (plan.target)();
    let mut out: Vec<Value> = vec![];
    let mut seen_existing: Vec<String> = vec![];
    let mut seen_new: Vec<String> = vec![];
    let mut errors: Vec<Value> = vec![];
    let mut failed = false;
    for item in items {
        let obj = match item {
            Value::Object(o) => o,
            Value::Null => {
                errors.push(json!([msg::NOT_NULL]));
                failed = true;
                continue;
            }
            other => {
                errors.push(json!({ NON_FIELD: [format!("Invalid data. Expected a dictionary, but got {}.", python_type_name(other))] }));
                failed = true;
                continue;
            }
        };
        // A key with a NUL character names nothing stored (and PostgreSQL refuses it as a query
        // parameter): such an entry is validated as a create, which reports the character.
        let named = obj.get(plan.key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty() && !s.contains('\0'));
        if let Some(name) = named {
            let mut cond = Cond::eq(plan.key, name);
            if let Some(k) = plan.kind {
                cond = cond.and(Cond::eq("kind", k));
            }
            let found = ctx.store().select(&Select::new(plan.table).col("uuid", TEXT).filter(cond)).await?;
            if let Some(row) = found.first() {
                let pk = t(row, "uuid").to_string();
                if !seen_existing.contains(&pk) {
                    seen_existing.push(pk.clone());
                    out.push(json!({ "existing": pk }));
                }
                errors.push(json!({}));
                continue;
            }
            if seen_new.iter().any(|n| n == name) {
                // The same new object listed twice is created once.
                errors.push(json!({}));
                continue;
            }
        }
        match ops::validate(&target, ctx, item.clone(), WriteMode::Create, None).await {
            Ok(input) => {
                if let Some(n) = input.fields.get(plan.key).and_then(Value::as_str) {
                    seen_new.push(n.to_string());
                }
                out.push(json!({ "create": Value::Object(input.fields) }));
                errors.push(json!({}));
            }
            Err(EngineError::Validation(e)) => {
                errors.push(e.to_json());
                failed = true;
            }
            Err(other) => return Err(other),
        }
    }
    if failed {
        let mut e = FieldErrors::new();
        e.set(plan.field, Value::Array(errors));
        return Err(e.into());
    }
    Ok(Value::Array(out))
}

/// Carries out a plan inside the write's transaction: creates what must be created and returns
/// the primary keys of every object the list names, in order.
pub async fn apply_nested(ctx: &Ctx<'_>, tx: &mut dyn Queries, plan: &NestedPlan, planned: &Value) -> EngineResult<Vec<SqlValue>> {
    let target = (plan.target)();
    let mut pks = vec![];
    for step in planned.as_array().map(Vec::as_slice).unwrap_or_default() {
        if let Some(pk) = step.get("existing").and_then(Value::as_str) {
            pks.push(SqlValue::Text(pk.to_string()));
        } else if let Some(Value::Object(fields)) = step.get("create") {
            let input = Input { fields: fields.clone(), ..Input::default() };
            pks.push(ops::write_in(&target, ctx, tx, WriteMode::Create, &input, None).await?);
        }
    }
    Ok(pks)
}

pub const FLOW_SET: NestedPlan =
    NestedPlan { field: "flow_set", key: "slug", table: "flows", kind: None, target: flowset_resource };

/// Replaces a submitted `flow_set` by its plan (see [`plan_nested`]).
pub async fn validate_flow_set(ctx: &Ctx<'_>, input: &mut Input) -> EngineResult<()> {
    if let Some(raw) = input.fields.get("flow_set") {
        let planned = plan_nested(ctx, &FLOW_SET, raw).await?;
        input.fields.insert("flow_set".into(), planned);
    }
    Ok(())
}

/// Binds the stage into every planned flow it is not bound into yet, after the flow's last
/// binding (order = last order + 10, or 10).
pub async fn apply_flow_set(ctx: &Ctx<'_>, tx: &mut dyn Queries, stage: &SqlValue, input: &Input) -> EngineResult<()> {
    let Some(planned) = input.fields.get("flow_set") else { return Ok(()) };
    for flow in apply_nested(ctx, tx, &FLOW_SET, planned).await? {
        let bound = tx.count("bindings", &Cond::Eq("target".into(), flow.clone()).and(Cond::Eq("stage".into(), stage.clone()))).await?;
        if bound > 0 {
            continue;
        }
        let mut last = Select::new("bindings").col("order", INT).filter(Cond::Eq("target".into(), flow.clone())).order_by("order", true);
        last.limit = Some(1);
        let order = match tx.select(&last).await?.first().and_then(|r| r.int("order")) {
            Some(o) => o + 10,
            None => 10,
        };
        tx.write(&Write::Insert {
            table: "bindings".into(),
            values: vec![
                ("uuid".into(), SqlValue::Text(uuid::Uuid::new_v4().to_string())),
                ("pbm_uuid".into(), SqlValue::Text(uuid::Uuid::new_v4().to_string())),
                ("target".into(), flow),
                ("stage".into(), stage.clone()),
                ("order".into(), SqlValue::Int(order)),
            ],
        })
        .await?;
    }
    Ok(())
}
