//! Importing a blueprint (api-behaviour.md 3.1.7, 3.2): every entry is resolved, validated
//! with the API's own rules and written inside ONE transaction; any invalid entry rolls the
//! whole import back.
//!
//! Validation reads (references, unique values, hooks, `!Find`) go through the open
//! transaction: the entries run on a `Ctx` whose services use a [`TxStore`], so an entry sees
//! the objects that earlier entries of the same blueprint created.

use super::tags::{key_json, truthy, Resolver};
use crate::ctx::Ctx;
use crate::error::EngineError;
use crate::resource::input::{check_fields, to_sql};
use crate::resource::ops::{validate, write_in};
use crate::resource::{Resource, WriteMode};
use crate::resources::Registry;
use crate::txstore::TxStore;
use domain::query::{Cond, Select, Write};
use domain::store::Queries;
use domain::value::{Row, SqlValue};
use serde_json::{json, Map, Value};
use serde_yaml::Value as Yaml;
use std::collections::HashMap;

/// Largest blueprint accepted.
pub const MAX_SIZE: usize = 4 * 1024 * 1024;
const LOGGER: &str = "authentik.blueprints.v1.importer";

/// The result of an import: authentik's `FlowImportResult`.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub logs: Vec<Value>,
    pub success: bool,
}

impl Outcome {
    pub fn to_json(&self) -> Value {
        json!({"logs": self.logs, "success": self.success})
    }
    fn failed(event: String, attributes: Value) -> Outcome {
        Outcome { logs: vec![log_event("error", &event, attributes)], success: false }
    }
}

pub fn log_event(level: &str, event: &str, attributes: Value) -> Value {
    json!({
        "timestamp": domain::time::format_micros(domain::time::now_micros()),
        "log_level": level,
        "logger": LOGGER,
        "event": event,
        "attributes": attributes,
    })
}

/// A parsed, not yet resolved blueprint.
struct Doc {
    context: serde_yaml::Mapping,
    entries: Vec<serde_yaml::Mapping>,
}

/// Checks the document's shape: UTF-8, YAML, a mapping, `version: 1`, entries with a `model`.
fn parse(data: &[u8]) -> Result<Doc, (String, Value)> {
    if data.len() > MAX_SIZE {
        return Err((format!("Blueprint is too large: {} bytes, at most {MAX_SIZE} are accepted", data.len()), json!({})));
    }
    let text = std::str::from_utf8(data).map_err(|e| (format!("Blueprint is not valid UTF-8: {e}"), json!({})))?;
    let doc: Yaml = serde_yaml::from_str(text).map_err(|e| (format!("Blueprint is not valid YAML: {e}"), json!({})))?;
    let Yaml::Mapping(mut top) = doc else {
        return Err(("Blueprint must be a YAML mapping".into(), json!({})));
    };
    match top.get("version") {
        Some(Yaml::Number(n)) if n.as_i64() == Some(1) => {}
        other => {
            let shown = other.map(|v| serde_yaml::to_string(v).unwrap_or_default().trim().to_string()).unwrap_or_else(|| "missing".into());
            return Err((format!("Blueprint version must be 1 (got {shown})"), json!({"version": shown})));
        }
    }
    let context = match top.remove("context") {
        None | Some(Yaml::Null) => serde_yaml::Mapping::new(),
        Some(Yaml::Mapping(m)) => m,
        Some(_) => return Err(("Blueprint context must be a mapping".into(), json!({}))),
    };
    let raw = match top.remove("entries") {
        None | Some(Yaml::Null) => vec![],
        Some(Yaml::Sequence(s)) => s,
        Some(_) => return Err(("Blueprint entries must be a list".into(), json!({}))),
    };
    let mut entries = vec![];
    for (i, e) in raw.into_iter().enumerate() {
        let Yaml::Mapping(m) = e else {
            return Err((format!("Blueprint entry {i} must be a mapping"), json!({"entry": i})));
        };
        match m.get("model") {
            Some(Yaml::String(_)) | Some(Yaml::Tagged(_)) => {}
            _ => return Err((format!("Blueprint entry {i} has no model"), json!({"entry": i}))),
        }
        entries.push(m);
    }
    Ok(Doc { context, entries })
}

/// Why an entry is invalid: a message and structured details.
struct Invalid(String, Value);

fn field_errors_text(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                field_errors_text(x, &p, out);
            }
        }
        Value::Array(a) if a.iter().all(Value::is_string) => {
            let msgs: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
            out.push(format!("field `{prefix}`: {}", msgs.join(" ")));
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                field_errors_text(x, &format!("{prefix}.{i}"), out);
            }
        }
        other => out.push(format!("field `{prefix}`: {}", other.as_str().map(str::to_string).unwrap_or_else(|| other.to_string()))),
    }
}

fn engine_invalid(e: EngineError) -> Invalid {
    match e {
        EngineError::Validation(errs) => {
            let j = errs.to_json();
            let mut parts = vec![];
            field_errors_text(&j, "", &mut parts);
            Invalid(parts.join("; "), json!({"errors": j}))
        }
        EngineError::BadRequestBody(v) => Invalid(v.to_string(), json!({"errors": v})),
        EngineError::Internal(m) if m.starts_with("unique") => {
            Invalid("the object conflicts with an existing one (unique constraint)".into(), json!({}))
        }
        EngineError::Internal(m) if m.contains("foreign key") => Invalid("a referenced object does not exist".into(), json!({})),
        EngineError::Forbidden(m) => Invalid(m.into(), json!({})),
        other => Invalid(format!("could not be applied: {other}"), json!({})),
    }
}

/// Replaces, anywhere in `v`, string values that are a rewritten primary key.
fn rewrite_pks(v: &mut Value, map: &HashMap<String, Value>) {
    match v {
        Value::String(s) => {
            if let Some(n) = map.get(s.as_str()) {
                *v = n.clone();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rewrite_pks(x, map)),
        Value::Object(m) => m.values_mut().for_each(|x| rewrite_pks(x, map)),
        _ => {}
    }
}

/// Blueprint-only attributes (api-behaviour.md 3.2): flows' `background` and sources' `icon`
/// as plain strings, tokens' `key`, users' `password`; and flows' `sso_only` (a Portcullis
/// addition, docs/compatibility.md: only a source login may plan the flow).
#[derive(Default)]
struct Extras {
    columns: Vec<(String, SqlValue)>,
    token_key: Option<String>,
    password: Option<String>,
}

fn take_extras(res: &Resource, attrs: &mut Map<String, Value>) -> Result<Extras, Invalid> {
    let mut x = Extras::default();
    let invalid = |field: &str, m: &str| {
        Invalid(format!("field `{field}`: {m}"), json!({"errors": {field: [m]}}))
    };
    let mut text = |field: &str, nullable: bool| -> Result<Option<Option<String>>, Invalid> {
        match attrs.remove(field) {
            None => Ok(None),
            Some(Value::Null) if nullable => Ok(Some(None)),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(Some(s))),
            Some(Value::String(_)) if nullable => Ok(Some(None)),
            Some(Value::String(_)) => Err(invalid(field, domain::errors::msg::NOT_BLANK)),
            Some(_) => Err(invalid(field, domain::errors::msg::NOT_STRING)),
        }
    };
    match res.table {
        "flows" => {
            if let Some(v) = text("background", true)? {
                x.columns.push(("background".into(), v.unwrap_or_default().into()));
            }
            match attrs.remove("sso_only") {
                None => {}
                Some(Value::Bool(b)) => x.columns.push(("sso_only".into(), b.into())),
                Some(_) => return Err(invalid("sso_only", domain::errors::msg::NOT_BOOL)),
            }
        }
        "sources" => {
            if let Some(v) = text("icon", true)? {
                x.columns.push(("icon".into(), v.map(SqlValue::Text).unwrap_or(SqlValue::Null)));
            }
        }
        "tokens" => x.token_key = text("key", false)?.flatten(),
        "users" => x.password = text("password", false)?.flatten(),
        _ => {}
    }
    Ok(x)
}

fn set_extra(input: &mut crate::resource::Input, col: &str, v: SqlValue) {
    input.extra.retain(|(c, _)| c != col);
    input.extra.push((col.to_string(), v));
}

fn apply_extra_columns(ctx: &Ctx<'_>, x: &Extras, input: &mut crate::resource::Input) {
    for (c, v) in &x.columns {
        set_extra(input, c, v.clone());
    }
    if let Some(k) = &x.token_key {
        set_extra(input, "key_digest", SqlValue::Text(ctx.services.sealer.lookup_digest(k)));
        set_extra(input, "key_sealed", SqlValue::Text(ctx.services.sealer.seal(k)));
    }
}

async fn apply_extra_writes(ctx: &Ctx<'_>, x: &Extras, pk: &SqlValue) -> Result<(), Invalid> {
    if let (Some(p), SqlValue::Int(id)) = (&x.password, pk) {
        // Runs on the import's transaction (`ctx.store()` is the transaction).
        crate::resources::users::set_password(ctx, *id, p).await.map_err(engine_invalid)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Present,
    Created,
    MustCreated,
    Absent,
}

struct Importer<'a> {
    ctx: &'a Ctx<'a>,
    registry: &'a Registry,
    tx: &'a TxStore,
    context: serde_yaml::Mapping,
    ids: HashMap<String, Value>,
    pk_map: HashMap<String, Value>,
}

impl Importer<'_> {
    async fn entry(&mut self, raw: &serde_yaml::Mapping) -> Result<(), Invalid> {
        let bad = |m: String| Invalid(m, json!({}));
        let get = |k: &str| raw.get(k).cloned().unwrap_or(Yaml::Null);
        let (model, state, identifiers, attrs, id) = {
            let mut r = Resolver::new(self.ctx, self.registry, &self.context, &self.ids);
            let conditions = r.resolve(&get("conditions")).await.map_err(bad)?;
            let conditions = match conditions {
                Value::Null => vec![],
                Value::Array(a) => a,
                _ => return Err(bad("`conditions` must be a list".into())),
            };
            if !conditions.iter().all(truthy) {
                return Ok(());
            }
            let model = r.resolve(&get("model")).await.map_err(bad)?;
            let state = r.resolve(&get("state")).await.map_err(bad)?;
            let identifiers = r.resolve(&get("identifiers")).await.map_err(bad)?;
            let attrs = r.resolve(&get("attrs")).await.map_err(bad)?;
            let id = r.resolve(&get("id")).await.map_err(bad)?;
            (model, state, identifiers, attrs, id)
        };
        let Value::String(model) = model else { return Err(bad("`model` must be a string".into())) };
        let state = match &state {
            Value::Null => State::Present,
            Value::String(s) if s == "present" => State::Present,
            Value::String(s) if s == "created" => State::Created,
            Value::String(s) if s == "must_created" => State::MustCreated,
            Value::String(s) if s == "absent" => State::Absent,
            other => return Err(bad(format!("`state` must be one of present, created, must_created, absent (got {other})"))),
        };
        let mut identifiers = match identifiers {
            Value::Null => Map::new(),
            Value::Object(m) => m,
            _ => return Err(bad("`identifiers` must be a mapping".into())),
        };
        let mut attrs = match attrs {
            Value::Null => Map::new(),
            Value::Object(m) => m,
            _ => return Err(bad("`attrs` must be a mapping".into())),
        };
        if identifiers.is_empty() {
            return Err(bad("`identifiers` must name at least one field".into()));
        }
        let res = self
            .registry
            .by_model(&model)
            .filter(|r| r.ops.create && r.ops.update)
            .ok_or_else(|| bad(format!("model {model} cannot be imported (unknown, abstract or not writable)")))?;
        // Earlier entries' pks that turned out different.
        let mut idv = Value::Object(identifiers);
        rewrite_pks(&mut idv, &self.pk_map);
        identifiers = match idv {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let mut av = Value::Object(attrs);
        rewrite_pks(&mut av, &self.pk_map);
        attrs = match av {
            Value::Object(m) => m,
            _ => unreachable!(),
        };

        let extras = take_extras(&res, &mut attrs)?;
        let given_pk = match identifiers.get("pk") {
            None | Some(Value::Null) => None,
            Some(v) => Some(self.parse_pk(&res, v)?),
        };
        let existing = self.lookup(&res, &identifiers, given_pk.as_ref()).await?;
        if let (Some(row), Some(Value::String(old))) = (&existing, identifiers.get("pk")) {
            let real = key_json(&res.pk_value(row));
            if real != Value::String(old.clone()) {
                self.pk_map.insert(old.clone(), real);
            }
        }
        let mut txq = self.tx.queries();
        let pk: Option<SqlValue> = match (state, existing) {
            (State::Absent, Some(row)) => {
                txq.write(&Write::Delete { table: res.table.to_string(), filter: Cond::Eq(res.pk_column.to_string(), res.pk_value(&row)) })
                    .await
                    .map_err(|e| engine_invalid(e.into()))?;
                None
            }
            (State::Absent, None) => None,
            (State::MustCreated, Some(_)) => {
                return Err(bad("state is set to must_created and the object exists already".into()));
            }
            (State::Created, Some(row)) => Some(res.pk_value(&row)),
            (State::Present, Some(row)) => {
                let mut body = attrs.clone();
                for (k, v) in identifiers.iter().filter(|(k, _)| *k != "pk") {
                    body.insert(k.clone(), v.clone());
                }
                let mut input = validate(&res, self.ctx, Value::Object(body), WriteMode::Patch, Some(&row)).await.map_err(engine_invalid)?;
                apply_extra_columns(self.ctx, &extras, &mut input);
                let pk = write_in(&res, self.ctx, &mut txq, WriteMode::Patch, &input, Some(&row)).await.map_err(engine_invalid)?;
                apply_extra_writes(self.ctx, &extras, &pk).await?;
                Some(pk)
            }
            (_, None) => {
                let mut body = attrs.clone();
                for (k, v) in identifiers.iter().filter(|(k, _)| *k != "pk") {
                    body.insert(k.clone(), v.clone());
                }
                let mut input = validate(&res, self.ctx, Value::Object(body), WriteMode::Create, None).await.map_err(engine_invalid)?;
                if input.pk.is_none() {
                    input.pk = given_pk.clone();
                }
                apply_extra_columns(self.ctx, &extras, &mut input);
                let pk = write_in(&res, self.ctx, &mut txq, WriteMode::Create, &input, None).await.map_err(engine_invalid)?;
                apply_extra_writes(self.ctx, &extras, &pk).await?;
                if let (Some(Value::String(old)), false) = (identifiers.get("pk"), Some(&pk) == given_pk.as_ref()) {
                    self.pk_map.insert(old.clone(), key_json(&pk));
                }
                Some(pk)
            }
        };
        if let (Some(pk), Value::String(id)) = (pk, id) {
            self.ids.insert(id, key_json(&pk));
        }
        Ok(())
    }

    fn parse_pk(&self, res: &Resource, v: &Value) -> Result<SqlValue, Invalid> {
        let bad = || Invalid(format!("identifier `pk`: {v} is not a valid primary key of {}.{}", res.meta.app_label, res.meta.model_name), json!({}));
        match res.pk_type {
            crate::resource::KeyType::Uuid => {
                let s = v.as_str().ok_or_else(bad)?;
                uuid::Uuid::parse_str(s.trim()).map(|u| SqlValue::Text(u.to_string())).map_err(|_| bad())
            }
            crate::resource::KeyType::Int => match v {
                Value::Number(n) => n.as_i64().map(SqlValue::Int).ok_or_else(bad),
                Value::String(s) => s.trim().parse().map(SqlValue::Int).map_err(|_| bad()),
                _ => Err(bad()),
            },
        }
    }

    /// The object matching `pk`, or else all the other identifiers together.
    async fn lookup(&self, res: &Resource, identifiers: &Map<String, Value>, pk: Option<&SqlValue>) -> Result<Option<Row>, Invalid> {
        let others: Map<String, Value> = identifiers.iter().filter(|(k, _)| *k != "pk").map(|(k, v)| (k.clone(), v.clone())).collect();
        let mut all = Cond::True;
        for k in others.keys() {
            match res.field(k) {
                Some(f) if f.column.is_some() && f.write => {}
                _ => return Err(Invalid(format!("identifier `{k}` is not a writable field of {}.{}", res.meta.app_label, res.meta.model_name), json!({}))),
            }
        }
        let (normalized, errors) = check_fields(res, &others, WriteMode::Patch);
        // An identifier with a bad value matches nothing; validation reports it.
        let others_usable = errors.is_empty() && !others.is_empty();
        if others_usable {
            for (k, v) in &normalized.fields {
                let Some(f) = res.field(k) else { continue };
                let col = f.column.unwrap_or_default().to_string();
                all = all.and(if v.is_null() { Cond::IsNull(col) } else { Cond::Eq(col, to_sql(self.ctx, f, v)) });
            }
        }
        let by_pk = pk.map(|p| Cond::Eq(res.pk_column.to_string(), p.clone()));
        let cond = match (by_pk, others_usable) {
            (Some(p), true) => Cond::Or(vec![p, all]),
            (Some(p), false) => p,
            (None, true) => all,
            (None, false) => return Ok(None),
        };
        let mut sel = Select::new(res.table);
        sel.columns = res.columns();
        sel.filter = res.base_cond(self.ctx).and(cond);
        let sel = sel.order_by(res.pk_column, false);
        let rows = self.ctx.store().select(&sel).await.map_err(|e| engine_invalid(e.into()))?;
        Ok(rows.into_iter().next())
    }
}

/// Imports a blueprint. `dry_run` validates everything (writing inside the transaction) and
/// rolls back. Never fails: problems are reported in the outcome.
pub async fn import(ctx: &Ctx<'_>, registry: &Registry, data: &[u8], dry_run: bool) -> Outcome {
    import_claimed(ctx, registry, data, dry_run, None).await.unwrap_or_else(|| Outcome { logs: vec![], success: true })
}

/// As [`import`], but first inserts the `settings` row `claim` (key, value) in the same
/// transaction: when that key exists already (another process applied this file, or is
/// applying it right now and commits first), nothing is done and `None` is returned. The row
/// is only kept when the import succeeds.
pub async fn import_claimed(ctx: &Ctx<'_>, registry: &Registry, data: &[u8], dry_run: bool, claim: Option<(&str, &str)>) -> Option<Outcome> {
    let doc = match parse(data) {
        Ok(d) => d,
        Err((m, a)) => return Some(Outcome::failed(m, a)),
    };
    let tx = match TxStore::begin(ctx.store()).await {
        Ok(t) => t,
        Err(e) => return Some(Outcome::failed(format!("Blueprint could not be applied: {e}"), json!({}))),
    };
    if let Some((key, value)) = claim {
        let ins = Write::Insert { table: "settings".into(), values: vec![("key".into(), key.into()), ("value".into(), value.into())] };
        match tx.queries().write(&ins).await {
            Ok(_) => {}
            Err(domain::store::StoreError::Unique(_)) => {
                tx.rollback().await;
                return None;
            }
            Err(e) => {
                tx.rollback().await;
                return Some(Outcome::failed(format!("Blueprint could not be applied: {e}"), json!({})));
            }
        }
    }
    Some(run_entries(ctx, registry, doc, tx, dry_run).await)
}

async fn run_entries(ctx: &Ctx<'_>, registry: &Registry, doc: Doc, tx: TxStore, dry_run: bool) -> Outcome {
    let services = ctx.services.on_transaction(&tx);
    let txctx = Ctx { services: &services, actor: ctx.actor.clone(), base_url: ctx.base_url.clone(), query: Default::default(), session: None };
    let mut imp = Importer { ctx: &txctx, registry, tx: &tx, context: doc.context, ids: HashMap::new(), pk_map: HashMap::new() };
    let mut logs = vec![];
    for (i, raw) in doc.entries.iter().enumerate() {
        if let Err(Invalid(m, mut attrs)) = imp.entry(raw).await {
            let model = raw.get("model").and_then(Yaml::as_str).unwrap_or("?").to_string();
            if let Value::Object(o) = &mut attrs {
                o.insert("entry".into(), json!(i));
                o.insert("model".into(), json!(model));
            }
            logs.push(log_event("warning", &format!("Entry invalid: entry {i} ({model}): {m}"), attrs));
            logs.push(log_event("warning", "Blueprint validation failed", json!({})));
            tx.rollback().await;
            return Outcome { logs, success: false };
        }
    }
    if dry_run {
        tx.rollback().await;
        return Outcome { logs, success: true };
    }
    match tx.commit().await {
        Ok(()) => Outcome { logs, success: true },
        Err(e) => {
            logs.push(log_event("error", &format!("Blueprint could not be applied: {e}"), json!({})));
            Outcome { logs, success: false }
        }
    }
}
