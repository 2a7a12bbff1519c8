//! django-filter's behaviour for the filters a resource declares.

use super::{Choices, KeyType};
use crate::ctx::Ctx;
use crate::error::{EngineError, EngineResult};
use async_trait::async_trait;
use domain::errors::{msg, FieldErrors};
use domain::query::{Cond, Select};
use domain::value::{ColType, SqlValue};
use serde_json::Value;
use std::sync::Arc;

/// A filter whose meaning is not one of the generated kinds.
#[async_trait]
pub trait CustomFilter: Send + Sync {
    /// `values` are the non-empty values of the parameter. `Ok(None)`: no filtering.
    async fn apply(&self, ctx: &Ctx<'_>, values: &[String]) -> Result<Option<Cond>, FilterError>;
    fn schema(&self) -> Value;
    fn is_array(&self) -> bool {
        false
    }
}

pub enum FilterError {
    Message(String),
    /// The whole response body (authentik's JSON `attributes` filters answer with arrays).
    Body(Value),
    Engine(EngineError),
}

pub enum FilterKind {
    /// Case-sensitive equality on a text column.
    Text(&'static str),
    Int(&'static str),
    /// The model's own uuid column (`Enter a valid UUID.`).
    OwnUuid(&'static str),
    /// Booleans as generated filters parse them (`true`/`false`/`1`/`0`, any case).
    Bool(&'static str),
    /// Booleans as authentik's hand-written filter sets parse them (`true`/`True`/`false`/`False`, `2`/`3`).
    StrictBool(&'static str),
    Choice(&'static str, &'static Choices),
    MultiChoice(&'static str, &'static Choices),
    /// A foreign key: the value must name an existing row.
    Ref { column: &'static str, table: &'static str, key: &'static str, ty: KeyType },
    DateTime(&'static str),
    StartsWith(&'static str),
    /// Equality on a column of a related row: `flow__slug`.
    Related { fk: &'static str, table: &'static str, key: &'static str, col: &'static str },
    Custom(Arc<dyn CustomFilter>),
}

pub struct Filter {
    pub name: &'static str,
    pub kind: FilterKind,
}

impl Filter {
    pub fn new(name: &'static str, kind: FilterKind) -> Filter {
        Filter { name, kind }
    }
}

fn parse_loose_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn parse_strict_bool(v: &str) -> Option<bool> {
    match v {
        "true" | "True" | "2" => Some(true),
        "false" | "False" | "3" => Some(false),
        _ => None,
    }
}

async fn ref_exists(ctx: &Ctx<'_>, table: &str, key: &str, v: SqlValue) -> EngineResult<bool> {
    Ok(ctx.store().count(table, &Cond::Eq(key.to_string(), v)).await? > 0)
}

impl Filter {
    async fn apply(&self, ctx: &Ctx<'_>, values: &[String]) -> Result<Option<Cond>, FilterError> {
        let first = values[0].as_str();
        // Django's form fields reject NUL before any lookup (PostgreSQL text cannot hold it);
        // kinds that parse their value (numbers, uuids, booleans, choices, instants) already
        // refuse or ignore it.
        if values.iter().any(|v| v.contains('\0')) {
            match &self.kind {
                FilterKind::Text(_) | FilterKind::StartsWith(_) | FilterKind::Related { .. } | FilterKind::Custom(_) => {
                    return Err(FilterError::Message(msg::NULL_CHARS.into()))
                }
                FilterKind::Ref { .. } => return Err(FilterError::Message(msg::CHOICE_FILTER.into())),
                _ => {}
            }
        }
        let c = match &self.kind {
            FilterKind::Text(col) => Cond::eq(col, first),
            FilterKind::Int(col) => match first.trim().parse::<i64>() {
                Ok(i) => Cond::eq(col, i),
                Err(_) => return Err(FilterError::Message(msg::NUMBER_FILTER.into())),
            },
            FilterKind::OwnUuid(col) => match uuid::Uuid::parse_str(first.trim()) {
                Ok(u) => Cond::eq(col, u.to_string()),
                Err(_) => return Err(FilterError::Message(msg::UUID_FILTER.into())),
            },
            FilterKind::Bool(col) => match parse_loose_bool(first) {
                Some(b) => Cond::eq(col, b),
                None => return Ok(None),
            },
            FilterKind::StrictBool(col) => match parse_strict_bool(first) {
                Some(b) => Cond::eq(col, b),
                None => return Ok(None),
            },
            FilterKind::Choice(col, choices) => {
                if !choices.values.contains(&first) {
                    return Err(FilterError::Message(msg::choice_not_available(first)));
                }
                Cond::eq(col, first)
            }
            FilterKind::MultiChoice(col, choices) => {
                let mut vs = vec![];
                for v in values {
                    if !choices.values.contains(&v.as_str()) {
                        return Err(FilterError::Message(msg::choice_not_available(v)));
                    }
                    if !vs.contains(&SqlValue::Text(v.clone())) {
                        vs.push(SqlValue::Text(v.clone()));
                    }
                }
                Cond::In(col.to_string(), vs)
            }
            FilterKind::Ref { column, table, key, ty } => {
                let v = match ty {
                    KeyType::Uuid => match uuid::Uuid::parse_str(first.trim()) {
                        Ok(u) => SqlValue::Text(u.to_string()),
                        Err(_) => return Err(FilterError::Message(msg::bad_uuid(first))),
                    },
                    KeyType::Int => match first.trim().parse::<i64>() {
                        Ok(i) => SqlValue::Int(i),
                        Err(_) => return Err(FilterError::Message(msg::CHOICE_FILTER.into())),
                    },
                };
                if !ref_exists(ctx, table, key, v.clone()).await.map_err(FilterError::Engine)? {
                    return Err(FilterError::Message(msg::CHOICE_FILTER.into()));
                }
                Cond::Eq(column.to_string(), v)
            }
            FilterKind::DateTime(col) => match domain::time::parse(first) {
                Some(t) => Cond::eq(col, t),
                None => return Err(FilterError::Message("Enter a valid date/time.".into())),
            },
            FilterKind::StartsWith(col) => Cond::StartsWith(col.to_string(), first.to_string()),
            FilterKind::Related { fk, table, key, col } => Cond::InSelect(
                fk.to_string(),
                Box::new(Select::new(table).col(key, ColType::Text).filter(Cond::eq(col, first))),
            ),
            FilterKind::Custom(c) => return c.apply(ctx, values).await,
        };
        Ok(Some(c))
    }

    /// Whether the contract declares the parameter as a repeated array.
    pub fn is_array(&self) -> bool {
        match &self.kind {
            FilterKind::MultiChoice(..) => true,
            FilterKind::Custom(c) => c.is_array(),
            _ => false,
        }
    }
}

/// Turns the request's filter parameters into one condition, collecting every bad parameter
/// into one 400 body.
pub async fn conditions(ctx: &Ctx<'_>, filters: &[Filter]) -> EngineResult<Cond> {
    let mut cond = Cond::True;
    let mut errors = FieldErrors::new();
    for f in filters {
        let Some(values) = ctx.query.get(f.name) else { continue };
        let values: Vec<String> = values.iter().filter(|v| !v.is_empty()).cloned().collect();
        if values.is_empty() {
            continue;
        }
        match f.apply(ctx, &values).await {
            Ok(Some(c)) => cond = cond.and(c),
            Ok(None) => {}
            Err(FilterError::Message(m)) => errors.add(f.name, m),
            Err(FilterError::Body(b)) => return Err(EngineError::BadRequestBody(b)),
            Err(FilterError::Engine(e)) => return Err(e),
        }
    }
    if errors.is_empty() {
        Ok(cond)
    } else {
        Err(EngineError::Validation(errors))
    }
}
