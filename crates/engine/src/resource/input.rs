//! Validating a write body against the description, with DRF's rules and messages.

use super::{Field, Input, KeyType, Kind, Resource, TextFormat, WriteMode};
use crate::ctx::Ctx;
use crate::error::{EngineError, EngineResult};
use domain::errors::{msg, python_type_name, FieldErrors};
use domain::query::Cond;
use domain::value::{Row, SqlValue};
use serde_json::{Map, Value};

/// DRF's BooleanField inputs.
pub fn parse_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        // Python: `1.0 in {1, True}` holds, so integral floats count too.
        Value::Number(n) if n.as_f64() == Some(1.0) => Some(true),
        Value::Number(n) if n.as_f64() == Some(0.0) => Some(false),
        Value::String(s) => match s.as_str() {
            "true" | "True" | "TRUE" | "t" | "T" | "1" | "yes" | "Yes" | "YES" | "y" | "Y" | "on" | "On" | "ON" => Some(true),
            "false" | "False" | "FALSE" | "f" | "F" | "0" | "no" | "No" | "NO" | "n" | "N" | "off" | "Off" | "OFF" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// DRF's IntegerField inputs: integers, integral floats and their string forms.
pub fn parse_int(v: &Value) -> Result<i64, String> {
    let n: Option<f64> = match v {
        Value::Number(n) => n.as_i64().map(|i| i as f64).or(n.as_f64()),
        Value::String(s) => {
            let t = s.trim();
            let t = t.strip_suffix(".0").unwrap_or(t);
            t.parse::<i64>().ok().map(|i| i as f64)
        }
        _ => None,
    };
    let Some(n) = n else { return Err(msg::NOT_INT.into()) };
    if n.fract() != 0.0 || !n.is_finite() {
        return Err(msg::NOT_INT.into());
    }
    if n > 2147483647.0 {
        return Err(msg::INT_MAX.into());
    }
    if n < -2147483648.0 {
        return Err(msg::INT_MIN.into());
    }
    Ok(n as i64)
}

/// DRF's CharField: strings and numbers (coerced), trimmed.
pub fn parse_text(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.trim().to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(msg::NOT_STRING.into()),
    }
}

fn choice_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

/// Checks a key's syntax: uuids must parse, integer keys must be integers.
fn parse_key(v: &Value, ty: KeyType) -> Result<Value, String> {
    match ty {
        KeyType::Uuid => match v {
            Value::String(s) => uuid::Uuid::parse_str(s.trim())
                .map(|u| Value::String(u.to_string()))
                .map_err(|_| msg::bad_uuid(s)),
            Value::Number(n) => Err(msg::bad_uuid(&n.to_string())),
            other => Err(msg::incorrect_pk_type(python_type_name(other))),
        },
        KeyType::Int => match v {
            Value::Number(n) if n.is_i64() => Ok(v.clone()),
            // Django looks the key up with the string, which the integer column converts.
            Value::String(s) => s.trim().parse::<i64>().map(Value::from).map_err(|_| msg::incorrect_pk_type("str")),
            other => Err(msg::incorrect_pk_type(python_type_name(other))),
        },
    }
}

/// Validates one present value of a field, with no database access.
fn check_value(f: &Field, v: &Value) -> Result<Value, Value> {
    let one = |m: String| Value::Array(vec![Value::String(m)]);
    if v.is_null() {
        return if f.nullable { Ok(Value::Null) } else { Err(one(msg::NOT_NULL.into())) };
    }
    match &f.kind {
        Kind::Text { max, blank, format } => {
            let s = parse_text(v).map_err(one)?;
            if s.is_empty() {
                return if *blank { Ok(Value::String(s)) } else { Err(one(msg::NOT_BLANK.into())) };
            }
            // DRF runs every validator of a string field and reports all their messages.
            let mut errs: Vec<Value> = vec![];
            if let Some(m) = max {
                if s.chars().count() > *m {
                    errs.push(Value::String(msg::max_length(*m)));
                }
            }
            if s.contains('\0') {
                errs.push(Value::String(msg::NULL_CHARS.into()));
            }
            if !errs.is_empty() {
                return Err(Value::Array(errs));
            }
            match format {
                TextFormat::Slug if !domain::text::is_slug(&s) => Err(one(msg::SLUG.into())),
                TextFormat::Email if !domain::text::is_email(&s) => Err(one(msg::EMAIL.into())),
                TextFormat::Duration if domain::duration::parse(&s).is_none() => Err(one(msg::duration(&s))),
                _ => Ok(Value::String(s)),
            }
        }
        Kind::Int => parse_int(v).map(Value::from).map_err(one),
        Kind::Bool => parse_bool(v).map(Value::Bool).ok_or_else(|| one(msg::NOT_BOOL.into())),
        Kind::DateTime => match v {
            Value::String(s) => domain::time::parse(s).map(Value::from).ok_or_else(|| one(msg::DATETIME.into())),
            _ => Err(one(msg::DATETIME.into())),
        },
        Kind::Json { object } => {
            if *object && !v.is_object() {
                Err(one(msg::DICT.into()))
            } else {
                Ok(v.clone())
            }
        }
        Kind::Choice(c) => {
            let s = choice_str(v);
            if v.is_string() && c.values.contains(&s.as_str()) {
                Ok(Value::String(s))
            } else {
                Err(one(msg::invalid_choice(&s)))
            }
        }
        Kind::ChoiceList(c) => {
            let Value::Array(items) = v else {
                return Err(one(msg::expected_list(python_type_name(v))));
            };
            let mut errs = Map::new();
            let mut out = vec![];
            for (i, it) in items.iter().enumerate() {
                let s = choice_str(it);
                if it.is_string() && c.values.contains(&s.as_str()) {
                    out.push(Value::String(s));
                } else {
                    errs.insert(i.to_string(), one(msg::invalid_choice(&s)));
                }
            }
            if errs.is_empty() {
                Ok(Value::Array(out))
            } else {
                Err(Value::Object(errs))
            }
        }
        Kind::Ref { ty, .. } => parse_key(v, *ty).map_err(one),
        Kind::RefList { ty, non_empty, .. } => {
            let Value::Array(items) = v else {
                return Err(one(format!(
                    "Expected a list of items but got type \"{}\".",
                    python_type_name(v)
                )));
            };
            if items.is_empty() && *non_empty {
                return Err(one(msg::EMPTY_LIST.into()));
            }
            let mut out: Vec<Value> = vec![];
            for it in items {
                let k = parse_key(it, *ty).map_err(one)?;
                if !out.contains(&k) {
                    out.push(k);
                }
            }
            Ok(Value::Array(out))
        }
        Kind::OwnUuid | Kind::OwnInt | Kind::Computed(_) => Ok(v.clone()),
    }
}

/// Validates a body for `mode`. Returns the fields to store (defaults included on create).
pub fn check_body(res: &Resource, body: &Map<String, Value>, mode: WriteMode) -> Result<Input, FieldErrors> {
    let (input, errors) = check_fields(res, body, mode);
    errors.into_result().map(|_| input)
}

/// Like [`check_body`], but keeps going: the fields that passed (in the input) and the errors
/// of those that did not, so that later checks can report their errors in the same answer.
pub fn check_fields(res: &Resource, body: &Map<String, Value>, mode: WriteMode) -> (Input, FieldErrors) {
    let mut errors = FieldErrors::new();
    let mut input = Input::default();
    for f in res.fields.iter().filter(|f| f.write) {
        match body.get(f.name) {
            Some(v) => match check_value(f, v) {
                Ok(v) => {
                    input.fields.insert(f.name.to_string(), v);
                }
                Err(e) => errors.set(f.name, e),
            },
            None => {
                if f.required && mode != WriteMode::Patch {
                    errors.add(f.name, msg::REQUIRED);
                } else if mode == WriteMode::Create || (mode == WriteMode::Put && f.reset_on_put) {
                    if let Some(d) = f.default {
                        let d = d();
                        // Defaults go through the same normalisation (datetimes to instants).
                        input.fields.insert(f.name.to_string(), check_value(f, &d).unwrap_or(d));
                    }
                }
            }
        }
    }
    (input, errors)
}

/// Checks that references name existing rows.
pub async fn check_references(res: &Resource, ctx: &Ctx<'_>, input: &Input) -> EngineResult<FieldErrors> {
    let mut errors = FieldErrors::new();
    for f in res.fields.iter().filter(|f| f.write) {
        let Some(v) = input.fields.get(f.name) else { continue };
        let (table, key, kind, values): (&str, &str, Option<&str>, Vec<&Value>) = match &f.kind {
            Kind::Ref { table, key, kind, .. } if !v.is_null() => (table, key, *kind, vec![v]),
            Kind::RefList { table, key, .. } => (table, key, None, v.as_array().map(|a| a.iter().collect()).unwrap_or_default()),
            _ => continue,
        };
        for item in values {
            let sv = json_key(item);
            let mut cond = Cond::Eq(key.to_string(), sv);
            if let Some(k) = kind {
                cond = cond.and(Cond::eq("kind", k));
            }
            if ctx.store().count(table, &cond).await? == 0 {
                let shown = match item {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                errors.add(f.name, msg::invalid_pk(&shown));
            }
        }
    }
    Ok(errors)
}

pub fn json_key(v: &Value) -> SqlValue {
    match v {
        Value::Number(n) => SqlValue::Int(n.as_i64().unwrap_or_default()),
        Value::String(s) => SqlValue::Text(s.clone()),
        _ => SqlValue::Null,
    }
}

/// The stored value for a normalized field value.
pub fn to_sql(ctx: &Ctx<'_>, f: &Field, v: &Value) -> SqlValue {
    if v.is_null() {
        return SqlValue::Null;
    }
    match &f.kind {
        Kind::Bool => SqlValue::Bool(v.as_bool().unwrap_or(false)),
        Kind::Int | Kind::DateTime | Kind::OwnInt => SqlValue::Int(v.as_i64().unwrap_or_default()),
        Kind::Json { .. } | Kind::ChoiceList(_) => SqlValue::Text(v.to_string()),
        Kind::Ref { .. } => json_key(v),
        Kind::Text { format: TextFormat::Sealed, .. } => {
            SqlValue::Text(ctx.services.sealer.seal(v.as_str().unwrap_or_default()))
        }
        _ => match v {
            Value::String(s) => SqlValue::Text(s.clone()),
            other => SqlValue::Text(other.to_string()),
        },
    }
}

/// The value of a field after the write: the input's if given, else the stored one.
pub fn merged(res: &Resource, input: &Input, existing: Option<&Row>, name: &str) -> Value {
    if let Some(v) = input.fields.get(name) {
        return v.clone();
    }
    match (existing, res.field(name)) {
        (Some(row), Some(f)) => match (f.column, &f.kind) {
            (Some(c), Kind::DateTime) => row.int(c).map(Value::from).unwrap_or(Value::Null),
            (Some(c), _) => super::output::column_json(f, row.get(c)),
            _ => Value::Null,
        },
        _ => Value::Null,
    }
}

/// Unique fields and unique-together sets, checked against the merged values.
pub async fn check_unique(res: &Resource, ctx: &Ctx<'_>, input: &Input, existing: Option<&Row>) -> EngineResult<FieldErrors> {
    let mut errors = FieldErrors::new();
    let not_self = |c: Cond| match existing {
        Some(row) => c.and(Cond::Not(Box::new(Cond::Eq(res.pk_column.to_string(), res.pk_value(row))))),
        None => c,
    };
    for f in res.fields.iter().filter(|f| f.write) {
        let (Some(m), Some(col), Some(v)) = (f.unique, f.column, input.fields.get(f.name)) else { continue };
        if v.is_null() {
            continue;
        }
        let cond = not_self(Cond::Eq(col.to_string(), to_sql(ctx, f, v)));
        if ctx.store().count(res.table, &cond).await? > 0 {
            errors.add(f.name, m);
        }
    }
    for (fields, message) in &res.unique_together {
        if !fields.iter().any(|n| input.fields.contains_key(*n)) {
            continue;
        }
        let mut cond = Cond::True;
        let mut has_null = false;
        for n in fields.iter() {
            let Some(f) = res.field(n) else { continue };
            let v = merged(res, input, existing, n);
            if v.is_null() {
                has_null = true;
            }
            cond = cond.and(Cond::Eq(f.column.unwrap_or(n).to_string(), to_sql(ctx, f, &v)));
        }
        // NULLs never collide in SQL unique constraints.
        if !has_null && ctx.store().count(res.table, &not_self(cond)).await? > 0 {
            errors.add(domain::errors::NON_FIELD, *message);
        }
    }
    Ok(errors)
}

/// A JSON write body must be an object; `null` and other types get DRF's messages.
pub fn body_object(body: Value) -> EngineResult<Map<String, Value>> {
    match body {
        Value::Object(m) => Ok(m),
        Value::Null => Err(EngineError::Validation(FieldErrors::non_field("No data provided"))),
        other => Err(EngineError::Validation(FieldErrors::non_field(format!(
            "Invalid data. Expected a dictionary, but got {}.",
            python_type_name(&other)
        )))),
    }
}
