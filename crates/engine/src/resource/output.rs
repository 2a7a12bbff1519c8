//! Rendering rows as the API's JSON objects, fields in the description's order.

use super::{Field, KeyType, Kind, Resource};
use crate::ctx::Ctx;
use crate::error::EngineResult;
use domain::query::{Cond, Select};
use domain::value::{ColType, Row, SqlValue};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The JSON value of a stored column.
pub fn column_json(field: &Field, v: &SqlValue) -> Value {
    if v.is_null() {
        return Value::Null;
    }
    match &field.kind {
        Kind::Bool => Value::Bool(v.as_bool().unwrap_or(false)),
        Kind::Int | Kind::OwnInt => v.as_i64().map(Value::from).unwrap_or(Value::Null),
        Kind::DateTime => v.as_i64().map(|t| Value::String(domain::time::format_micros(t))).unwrap_or(Value::Null),
        Kind::Json { .. } | Kind::ChoiceList(_) => {
            v.as_str().and_then(|s| serde_json::from_str(s).ok()).unwrap_or(Value::Null)
        }
        Kind::Ref { ty: KeyType::Int, .. } => v.as_i64().map(Value::from).unwrap_or(Value::Null),
        _ => match v {
            SqlValue::Text(s) => Value::String(s.clone()),
            SqlValue::Int(i) => Value::from(*i),
            SqlValue::Bool(b) => Value::Bool(*b),
            SqlValue::Null => Value::Null,
        },
    }
}

/// Loads a many-to-many field for a page of rows: owner key -> related keys, in link order.
pub async fn load_links(
    ctx: &Ctx<'_>,
    link: &str,
    self_col: &str,
    other_col: &str,
    other_ty: KeyType,
    owners: &[SqlValue],
    owner_ty: ColType,
) -> EngineResult<HashMap<String, Vec<Value>>> {
    let mut out: HashMap<String, Vec<Value>> = HashMap::new();
    if owners.is_empty() {
        return Ok(out);
    }
    let other_ct = if other_ty == KeyType::Int { ColType::Int } else { ColType::Text };
    let sel = Select::new(link)
        .col(self_col, owner_ty)
        .col(other_col, other_ct)
        .filter(Cond::In(self_col.to_string(), owners.to_vec()))
        .order_by(other_col, false);
    for r in ctx.store().select(&sel).await? {
        let owner = key_string(&r.values[0]);
        let v = match &r.values[1] {
            SqlValue::Int(i) => Value::from(*i),
            SqlValue::Text(s) => Value::String(s.clone()),
            _ => continue,
        };
        out.entry(owner).or_default().push(v);
    }
    Ok(out)
}

pub fn key_string(v: &SqlValue) -> String {
    match v {
        SqlValue::Int(i) => i.to_string(),
        SqlValue::Text(s) => s.clone(),
        SqlValue::Bool(b) => b.to_string(),
        SqlValue::Null => String::new(),
    }
}

/// Renders a page of rows.
pub async fn render(res: &Resource, ctx: &Ctx<'_>, rows: &[Row]) -> EngineResult<Vec<Value>> {
    let pks: Vec<SqlValue> = rows.iter().map(|r| res.pk_value(r)).collect();
    let pk_ct = if res.pk_type == KeyType::Int { ColType::Int } else { ColType::Text };
    // Batch-load what is not in the rows themselves, field by field.
    let mut links: HashMap<&str, HashMap<String, Vec<Value>>> = HashMap::new();
    let mut computed: HashMap<&str, Vec<Value>> = HashMap::new();
    for f in res.fields.iter().filter(|f| f.read) {
        match &f.kind {
            Kind::RefList { link, self_col, other_col, ty, .. } => {
                links.insert(f.name, load_links(ctx, link, self_col, other_col, *ty, &pks, pk_ct).await?);
            }
            Kind::Computed(c) => {
                computed.insert(f.name, c.compute(ctx, rows).await?);
            }
            _ => {}
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let mut obj = Map::new();
        let pk = key_string(&pks[i]);
        for f in res.fields.iter().filter(|f| f.read) {
            let v = match &f.kind {
                Kind::RefList { .. } => {
                    Value::Array(links.get(f.name).and_then(|m| m.get(&pk)).cloned().unwrap_or_default())
                }
                Kind::Computed(_) => computed.get_mut(f.name).map(|vs| std::mem::take(&mut vs[i])).unwrap_or(Value::Null),
                _ => match f.column {
                    Some(c) => column_json(f, row.get(c)),
                    None => Value::Null,
                },
            };
            obj.insert(f.name.to_string(), v);
        }
        out.push(Value::Object(obj));
    }
    Ok(out)
}

pub async fn render_one(res: &Resource, ctx: &Ctx<'_>, row: &Row) -> EngineResult<Value> {
    Ok(render(res, ctx, std::slice::from_ref(row)).await?.pop().unwrap_or(Value::Null))
}
