//! Resolving a blueprint value: plain YAML becomes JSON, authentik's YAML tags are evaluated
//! (`!KeyOf`, `!Find`, `!Context`, `!Env`, `!Format`, `!If`, `!Condition`, `!Enumerate`,
//! `!Value`, `!Index`). An unknown tag or a tag that cannot be resolved makes the entry invalid.

use crate::ctx::Ctx;
use crate::resources::Registry;
use domain::query::{Cond, Select};
use serde_json::{Map, Number, Value};
use serde_yaml::Value as Yaml;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

pub type TagResult = Result<Value, String>;

/// What tags can see while one entry is resolved.
pub struct Resolver<'a> {
    pub ctx: &'a Ctx<'a>,
    pub registry: &'a Registry,
    /// The blueprint's `context` mapping.
    pub context: &'a serde_yaml::Mapping,
    /// `id` of every entry applied so far -> the primary key of its object.
    pub ids: &'a HashMap<String, Value>,
    /// Enclosing `!Enumerate` items, innermost last: (index or key, value).
    stack: Vec<(Value, Value)>,
}

/// Python's truthiness of a JSON value.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().map(|f| f != 0.0).unwrap_or(true),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// A YAML mapping key as a JSON object key.
pub fn key_string(k: &Yaml) -> Result<String, String> {
    match k {
        Yaml::String(s) => Ok(s.clone()),
        Yaml::Number(n) => Ok(n.to_string()),
        Yaml::Bool(b) => Ok(if *b { "True".into() } else { "False".into() }),
        Yaml::Null => Ok("None".into()),
        _ => Err("mapping keys must be scalars".into()),
    }
}

fn number(n: &serde_yaml::Number) -> Value {
    if let Some(i) = n.as_i64() {
        Value::from(i)
    } else if let Some(u) = n.as_u64() {
        Value::from(u)
    } else {
        n.as_f64().and_then(Number::from_f64).map(Value::Number).unwrap_or(Value::Null)
    }
}

/// A primary key as JSON: integers stay numbers, everything else is text.
pub fn key_json(v: &domain::value::SqlValue) -> Value {
    match v {
        domain::value::SqlValue::Int(i) => Value::from(*i),
        domain::value::SqlValue::Null => Value::Null,
        other => Value::String(crate::resource::output::key_string(other)),
    }
}

pub fn python_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}

/// Python's `format % args` for `%s`, `%d`/`%i` and `%%`.
pub fn percent_format(fmt: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let mut it = fmt.chars();
    let mut next = args.iter();
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('%') => out.push('%'),
            Some('s') => out.push_str(&python_str(next.next().ok_or("not enough arguments for format string")?)),
            Some('d') | Some('i') => match next.next().ok_or("not enough arguments for format string")? {
                Value::Number(n) if n.is_i64() || n.is_u64() => out.push_str(&n.to_string()),
                Value::Number(n) => out.push_str(&(n.as_f64().unwrap_or_default().trunc() as i64).to_string()),
                Value::Bool(b) => out.push_str(if *b { "1" } else { "0" }),
                _ => return Err("%d format: a real number is required".into()),
            },
            Some(o) => return Err(format!("unsupported format character '{o}'")),
            None => return Err("incomplete format".into()),
        }
    }
    if next.next().is_some() {
        return Err("not all arguments converted during string formatting".into());
    }
    Ok(out)
}

fn args_of(tag: &str, v: &Yaml) -> Result<Vec<Yaml>, String> {
    match v {
        Yaml::Sequence(s) => Ok(s.clone()),
        _ => Err(format!("!{tag} expects a sequence")),
    }
}

impl<'a> Resolver<'a> {
    pub fn new(ctx: &'a Ctx<'a>, registry: &'a Registry, context: &'a serde_yaml::Mapping, ids: &'a HashMap<String, Value>) -> Self {
        Resolver { ctx, registry, context, ids, stack: vec![] }
    }

    pub fn resolve<'s>(&'s mut self, v: &'s Yaml) -> Pin<Box<dyn Future<Output = TagResult> + Send + 's>>
    where
        'a: 's,
    {
        Box::pin(async move {
            match v {
                Yaml::Null => Ok(Value::Null),
                Yaml::Bool(b) => Ok(Value::Bool(*b)),
                Yaml::Number(n) => Ok(number(n)),
                Yaml::String(s) => Ok(Value::String(s.clone())),
                Yaml::Sequence(items) => {
                    let mut out = vec![];
                    for i in items {
                        out.push(self.resolve(i).await?);
                    }
                    Ok(Value::Array(out))
                }
                Yaml::Mapping(m) => {
                    let mut out = Map::new();
                    for (k, val) in m {
                        let k = match k {
                            Yaml::Tagged(_) => python_str(&self.resolve(k).await?),
                            _ => key_string(k)?,
                        };
                        out.insert(k, self.resolve(val).await?);
                    }
                    Ok(Value::Object(out))
                }
                Yaml::Tagged(t) => {
                    let name = t.tag.to_string();
                    let name = name.trim_start_matches('!').to_string();
                    self.tag(&name, &t.value).await
                }
            }
        })
    }

    async fn scalar_or_default(&mut self, tag: &str, v: &Yaml) -> Result<(Value, Value), String> {
        match v {
            Yaml::Sequence(s) if !s.is_empty() => {
                let key = self.resolve(&s[0]).await?;
                let default = match s.get(1) {
                    Some(d) => self.resolve(d).await?,
                    None => Value::Null,
                };
                Ok((key, default))
            }
            Yaml::Sequence(_) | Yaml::Mapping(_) => Err(format!("!{tag} expects a key or [key, default]")),
            other => Ok((self.resolve(other).await?, Value::Null)),
        }
    }

    async fn tag(&mut self, name: &str, v: &Yaml) -> TagResult {
        match name {
            "KeyOf" => {
                let id = python_str(&self.resolve(v).await?);
                self.ids.get(&id).cloned().ok_or_else(|| {
                    format!("KeyOf: failed to find entry with `id` of `{id}` and a model instance (the entry must come earlier in the blueprint)")
                })
            }
            "Context" => {
                let (key, default) = self.scalar_or_default(name, v).await?;
                let key = python_str(&key);
                match self.context.get(Yaml::String(key)) {
                    Some(found) => {
                        let found = found.clone();
                        self.resolve(&found).await
                    }
                    None => Ok(default),
                }
            }
            "Env" => {
                let (key, default) = self.scalar_or_default(name, v).await?;
                match std::env::var(python_str(&key)) {
                    Ok(s) if !s.is_empty() => Ok(Value::String(s)),
                    _ => Ok(default),
                }
            }
            "Format" => {
                let a = args_of(name, v)?;
                let Some(first) = a.first() else { return Err("!Format expects [format, args...]".into()) };
                let fmt = self.resolve(first).await?;
                let Value::String(fmt) = fmt else { return Err("!Format: the format must be a string".into()) };
                let mut args = vec![];
                for x in &a[1..] {
                    args.push(self.resolve(x).await?);
                }
                percent_format(&fmt, &args).map(Value::String).map_err(|e| format!("!Format: {e}"))
            }
            "If" => {
                let a = args_of(name, v)?;
                match a.len() {
                    1 => Ok(Value::Bool(truthy(&self.resolve(&a[0]).await?))),
                    3 => {
                        let c = truthy(&self.resolve(&a[0]).await?);
                        self.resolve(if c { &a[1] } else { &a[2] }).await
                    }
                    _ => Err("!If expects [condition] or [condition, when_true, when_false]".into()),
                }
            }
            "Condition" => {
                let a = args_of(name, v)?;
                let Some(first) = a.first() else { return Err("!Condition expects [mode, values...]".into()) };
                let mode = python_str(&self.resolve(first).await?).to_uppercase();
                let mut vals = vec![];
                for x in &a[1..] {
                    vals.push(truthy(&self.resolve(x).await?));
                }
                if vals.is_empty() {
                    return Err("At least one value is required after mode selection.".into());
                }
                let xor = vals.iter().fold(false, |acc, b| acc ^ b);
                let r = match mode.as_str() {
                    "AND" => vals.iter().all(|b| *b),
                    "NAND" => !vals.iter().all(|b| *b),
                    "OR" => vals.iter().any(|b| *b),
                    "NOR" => !vals.iter().any(|b| *b),
                    "XOR" => xor,
                    "XNOR" => !xor,
                    other => return Err(format!("!Condition: unknown mode '{other}'")),
                };
                Ok(Value::Bool(r))
            }
            "Enumerate" => {
                let a = args_of(name, v)?;
                if a.len() != 3 {
                    return Err("!Enumerate expects [iterable, SEQ|MAP, body]".into());
                }
                let items: Vec<(Value, Value)> = match self.resolve(&a[0]).await? {
                    Value::Array(xs) => xs.into_iter().enumerate().map(|(i, x)| (Value::from(i), x)).collect(),
                    Value::Object(m) => m.into_iter().map(|(k, x)| (Value::String(k), x)).collect(),
                    Value::String(s) => s.chars().enumerate().map(|(i, c)| (Value::from(i), Value::String(c.to_string()))).collect(),
                    _ => return Err("Enumerate's iterable must be an iterable such as a sequence or a mapping".into()),
                };
                let mode = python_str(&self.resolve(&a[1]).await?).to_uppercase();
                if mode != "SEQ" && mode != "MAP" {
                    return Err(format!("!Enumerate: output must be SEQ or MAP, not '{mode}'"));
                }
                let mut seq = vec![];
                let mut map = Map::new();
                for item in items {
                    self.stack.push(item);
                    let body = self.resolve(&a[2]).await;
                    self.stack.pop();
                    let body = body?;
                    if mode == "SEQ" {
                        seq.push(body);
                    } else {
                        match body {
                            Value::Object(m) => map.extend(m),
                            Value::Array(pair) if pair.len() == 2 => {
                                map.insert(python_str(&pair[0]), pair[1].clone());
                            }
                            other => return Err(format!("Invalid Enumerate item found: {other}")),
                        }
                    }
                }
                Ok(if mode == "SEQ" { Value::Array(seq) } else { Value::Object(map) })
            }
            "Index" | "Value" => {
                let depth = match v {
                    Yaml::Number(n) => n.as_u64().ok_or_else(|| format!("!{name} expects a depth >= 0"))?,
                    Yaml::String(s) => s.trim().parse::<u64>().map_err(|_| format!("!{name} expects a depth >= 0"))?,
                    Yaml::Null => 0,
                    _ => return Err(format!("!{name} expects a depth >= 0")),
                } as usize;
                if self.stack.is_empty() {
                    return Err(format!("{name} tags are only usable inside an Enumerate tag"));
                }
                let Some(i) = self.stack.len().checked_sub(depth + 1) else {
                    return Err(format!("{name} tag: depth {depth} is deeper than the enclosing Enumerate tags"));
                };
                let (k, x) = &self.stack[i];
                Ok(if name == "Index" { k.clone() } else { x.clone() })
            }
            "Find" => {
                let a = args_of(name, v)?;
                let Some(first) = a.first() else { return Err("!Find expects [model, [field, value], ...]".into()) };
                let model = python_str(&self.resolve(first).await?);
                let res = self.registry.by_model(&model).ok_or_else(|| format!("!Find: unknown model '{model}'"))?;
                let mut cond = res.base_cond(self.ctx);
                for c in &a[1..] {
                    let pair = match self.resolve(c).await? {
                        Value::Array(p) if p.len() == 2 => p,
                        _ => return Err("!Find: each condition is [field, value]".into()),
                    };
                    let field = python_str(&pair[0]);
                    let (col, f) = if field == "pk" {
                        (res.pk_column, None)
                    } else {
                        let f = res.field(&field).filter(|f| f.column.is_some()).ok_or_else(|| format!("!Find: '{model}' has no field '{field}'"))?;
                        (f.column.unwrap_or_default(), Some(f))
                    };
                    let sv = match f {
                        Some(f) => crate::resource::input::to_sql(self.ctx, f, &pair[1]),
                        None => crate::resource::input::json_key(&pair[1]),
                    };
                    cond = cond.and(Cond::Eq(col.to_string(), sv));
                }
                let mut sel = Select::new(res.table);
                sel.columns = res.columns();
                sel.filter = cond;
                let sel = sel.order_by(res.pk_column, false);
                let rows = self.ctx.store().select(&sel).await.map_err(|e| format!("!Find: {e}"))?;
                Ok(rows.first().map(|r| key_json(&res.pk_value(r))).unwrap_or(Value::Null))
            }
            other => Err(format!("unknown YAML tag !{other}")),
        }
    }
}
