//! The operations every resource gets from its description.

use super::input::{body_object, check_fields, check_references, check_unique, to_sql};
use super::list::{find_row, list_rows};
use super::output::{render, render_one};
use super::{Access, Input, KeyType, Kind, Resource, WriteMode};
use crate::ctx::Ctx;
use crate::error::{EngineError, EngineResult, NO_CREDENTIALS, NO_PERMISSION};
use domain::query::{Cond, Select, Write};
use domain::store::{Queries, StoreError};
use domain::value::{Row, SqlValue};
use serde_json::{json, Value};

/// Authentication, then the resource's access rule.
pub fn authorize(res: &Resource, ctx: &Ctx<'_>) -> EngineResult<()> {
    match &ctx.actor {
        None => Err(EngineError::Forbidden(NO_CREDENTIALS)),
        Some(a) if res.access == Access::Superuser && !a.is_superuser => Err(EngineError::Forbidden(NO_PERMISSION)),
        Some(_) => Ok(()),
    }
}

pub async fn list(res: &Resource, ctx: &Ctx<'_>) -> EngineResult<Value> {
    authorize(res, ctx)?;
    let (rows, pagination) = list_rows(res, ctx, Cond::True).await?;
    let results = render(res, ctx, &rows).await?;
    Ok(json!({ "pagination": pagination, "results": results }))
}

pub async fn retrieve(res: &Resource, ctx: &Ctx<'_>, lookup: &str) -> EngineResult<Value> {
    authorize(res, ctx)?;
    let row = find_row(res, ctx, lookup).await?;
    render_one(res, ctx, &row).await
}

pub async fn create(res: &Resource, ctx: &Ctx<'_>, body: Value) -> EngineResult<Value> {
    authorize(res, ctx)?;
    let input = validate(res, ctx, body, WriteMode::Create, None).await?;
    let pk = write(res, ctx, WriteMode::Create, &input, None).await?;
    reload(res, ctx, pk).await
}

pub async fn update(res: &Resource, ctx: &Ctx<'_>, lookup: &str, body: Value, partial: bool) -> EngineResult<Value> {
    authorize(res, ctx)?;
    let row = find_row(res, ctx, lookup).await?;
    let mode = if partial { WriteMode::Patch } else { WriteMode::Put };
    let input = validate(res, ctx, body, mode, Some(&row)).await?;
    let pk = write(res, ctx, mode, &input, Some(&row)).await?;
    reload(res, ctx, pk).await
}

pub async fn delete(res: &Resource, ctx: &Ctx<'_>, lookup: &str) -> EngineResult<()> {
    authorize(res, ctx)?;
    let row = find_row(res, ctx, lookup).await?;
    let mut tx = ctx.store().begin().await?;
    tx.write(&Write::Delete {
        table: res.table.to_string(),
        filter: Cond::Eq(res.pk_column.to_string(), res.pk_value(&row)),
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Field rules, references and unique values first (all reported together), then the
/// cross-field rules, as DRF orders them.
pub async fn validate(res: &Resource, ctx: &Ctx<'_>, body: Value, mode: WriteMode, existing: Option<&Row>) -> EngineResult<Input> {
    let body = body_object(body)?;
    res.hooks.precheck(ctx, mode, &body, existing).await?;
    // DRF reports every field's error at once: its own type/format rule, then (for the
    // fields that passed) references, unique values and `validate_<field>` rules.
    let (mut input, mut errors) = check_fields(res, &body, mode);
    let refs = check_references(res, ctx, &input).await?;
    let unique = check_unique(res, ctx, &input, existing).await?;
    let (field_unique, together): (Vec<_>, Vec<_>) =
        unique.0.into_iter().partition(|(k, _)| k != domain::errors::NON_FIELD);
    let field_rules = res.hooks.validate_fields(ctx, mode, &input, existing).await?;
    for (k, v) in refs.0.into_iter().chain(field_unique).chain(field_rules.0) {
        if !errors.has(&k) {
            errors.set(&k, v);
        }
    }
    if !errors.is_empty() {
        return Err(EngineError::Validation(errors));
    }
    if let Some((_, v)) = together.into_iter().next() {
        let mut e = domain::errors::FieldErrors::new();
        e.set(domain::errors::NON_FIELD, v);
        return Err(EngineError::Validation(e));
    }
    res.hooks.validate(ctx, mode, &mut input, existing).await?;
    Ok(input)
}

async fn reload(res: &Resource, ctx: &Ctx<'_>, pk: SqlValue) -> EngineResult<Value> {
    let mut sel = Select::new(res.table);
    sel.columns = res.columns();
    sel.filter = Cond::Eq(res.pk_column.to_string(), pk);
    let row = ctx.store().select(&sel).await?.into_iter().next().ok_or(EngineError::NotFound)?;
    render_one(res, ctx, &row).await
}

/// Writes a validated input in one transaction and returns the row's primary key.
pub async fn write(res: &Resource, ctx: &Ctx<'_>, mode: WriteMode, input: &Input, existing: Option<&Row>) -> EngineResult<SqlValue> {
    let mut tx = ctx.store().begin().await?;
    let result = write_in(res, ctx, tx.as_mut(), mode, input, existing).await;
    match result {
        Ok(pk) => {
            tx.commit().await.map_err(map_write_error)?;
            Ok(pk)
        }
        Err(EngineError::Internal(m)) if m.starts_with("unique") => {
            drop(tx);
            // Lost a race with a concurrent write: report it as the validation error it is.
            let errors = check_unique(res, ctx, input, existing).await?;
            if errors.is_empty() {
                Err(EngineError::Validation(domain::errors::FieldErrors::non_field(
                    "This object conflicts with an existing one.",
                )))
            } else {
                Err(EngineError::Validation(errors))
            }
        }
        Err(e) => Err(e),
    }
}

fn map_write_error(e: StoreError) -> EngineError {
    match e {
        StoreError::Unique(m) => EngineError::Internal(format!("unique: {m}")),
        other => other.into(),
    }
}

/// The same write inside a caller's transaction (blueprints and `flow_set` use it).
pub async fn write_in(
    res: &Resource,
    ctx: &Ctx<'_>,
    tx: &mut dyn Queries,
    mode: WriteMode,
    input: &Input,
    existing: Option<&Row>,
) -> EngineResult<SqlValue> {
    let mut cols: Vec<(String, SqlValue)> = vec![];
    for f in res.fields.iter().filter(|f| f.write) {
        if let (Some(c), Some(v)) = (f.column, input.fields.get(f.name)) {
            cols.push((c.to_string(), to_sql(ctx, f, v)));
        }
    }
    cols.extend(input.extra.iter().cloned());
    let pk = match existing {
        Some(row) => {
            let pk = res.pk_value(row);
            if !cols.is_empty() {
                tx.write(&Write::Update {
                    table: res.table.to_string(),
                    set: cols,
                    filter: Cond::Eq(res.pk_column.to_string(), pk.clone()),
                })
                .await
                .map_err(map_write_error)?;
            }
            pk
        }
        None => {
            if let Some(k) = res.kind {
                cols.push(("kind".into(), SqlValue::Text(k.into())));
            }
            // Generated identities: every own-uuid column that the input does not set.
            for f in &res.fields {
                if let (Kind::OwnUuid, Some(c)) = (&f.kind, f.column) {
                    if c != res.pk_column && !cols.iter().any(|(x, _)| x == c) {
                        cols.push((c.to_string(), SqlValue::Text(uuid::Uuid::new_v4().to_string())));
                    }
                }
            }
            if res.pk_type == KeyType::Int {
                let id = tx.insert_returning_id(res.table, &cols).await.map_err(map_write_error)?;
                SqlValue::Int(id)
            } else {
                let pk = input.pk.clone().unwrap_or_else(|| SqlValue::Text(uuid::Uuid::new_v4().to_string()));
                cols.push((res.pk_column.to_string(), pk.clone()));
                tx.write(&Write::Insert { table: res.table.to_string(), values: cols }).await.map_err(map_write_error)?;
                pk
            }
        }
    };
    for f in res.fields.iter().filter(|f| f.write) {
        if let (Kind::RefList { link, self_col, other_col, .. }, Some(Value::Array(items))) = (&f.kind, input.fields.get(f.name)) {
            tx.write(&Write::Delete { table: link.to_string(), filter: Cond::Eq(self_col.to_string(), pk.clone()) })
                .await?;
            for it in items {
                tx.write(&Write::Insert {
                    table: link.to_string(),
                    values: vec![(self_col.to_string(), pk.clone()), (other_col.to_string(), super::input::json_key(it))],
                })
                .await
                .map_err(map_write_error)?;
            }
        }
    }
    res.hooks.after_write(ctx, tx, &pk, input, mode).await?;
    Ok(pk)
}
