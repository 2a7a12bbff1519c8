//! Component schemas from a resource's fields: `{Schema}` (response), `{Schema}Request`,
//! `Patched{Schema}Request` and `Paginated{Schema}List`, following drf-spectacular's rules.

use super::Doc;
use engine::resource::{Choices, Field, KeyType, Kind, Resource, TextFormat};
use serde_json::{json, Map, Value};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Response,
    Request,
    Patched,
}

pub fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// `$ref` to the enum component of `c`, registering the component.
pub fn enum_ref(doc: &mut Doc, c: &Choices) -> Value {
    doc.add(c.schema, json!({"type": "string", "enum": c.values}));
    reference(c.schema)
}

/// Adds keywords to a schema; a `$ref` cannot carry siblings in OpenAPI 3.0, so it is wrapped
/// in a one-element `allOf` first (as drf-spectacular does).
pub fn with(schema: Value, extra: Map<String, Value>) -> Value {
    if extra.is_empty() {
        return schema;
    }
    let mut obj = match schema {
        Value::Object(m) if m.contains_key("$ref") => {
            let mut o = Map::new();
            o.insert("allOf".into(), Value::Array(vec![Value::Object(m)]));
            o
        }
        Value::Object(m) => m,
        other => return other,
    };
    obj.extend(extra);
    Value::Object(obj)
}

pub fn key_schema(ty: KeyType) -> Value {
    match ty {
        KeyType::Uuid => json!({"type": "string", "format": "uuid"}),
        KeyType::Int => json!({"type": "integer"}),
    }
}

/// The schema of one field in one direction, without the field's documentation keywords.
fn base_schema(doc: &mut Doc, f: &Field, dir: Dir) -> Value {
    if let Some(schema) = f.schema {
        return schema();
    }
    match &f.kind {
        Kind::Text { max, blank, format } => {
            let mut s = json!({"type": "string"});
            match format {
                TextFormat::Email => s["format"] = json!("email"),
                TextFormat::Slug => s["pattern"] = json!("^[-a-zA-Z0-9_]+$"),
                _ => {}
            }
            if dir != Dir::Response && !blank {
                s["minLength"] = json!(1);
            }
            if let Some(m) = max {
                s["maxLength"] = json!(m);
            }
            s
        }
        Kind::Int => json!({"type": "integer", "maximum": i32::MAX, "minimum": i32::MIN}),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::DateTime => json!({"type": "string", "format": "date-time"}),
        Kind::Json { object: true } => json!({"type": "object", "additionalProperties": {}}),
        Kind::Json { object: false } => json!({}),
        Kind::Choice(c) => enum_ref(doc, c),
        Kind::ChoiceList(c) => json!({"type": "array", "items": enum_ref(doc, c)}),
        Kind::OwnUuid => key_schema(KeyType::Uuid),
        Kind::OwnInt => key_schema(KeyType::Int),
        Kind::Ref { ty, .. } => key_schema(*ty),
        Kind::RefList { ty, .. } => json!({"type": "array", "items": key_schema(*ty)}),
        Kind::Computed(c) if dir == Dir::Response => c.schema(),
        Kind::Computed(c) => c.request_schema(),
    }
}

/// A property: base schema plus `readOnly`/`writeOnly`, `nullable` and the field's `doc` pairs.
pub fn property(doc: &mut Doc, f: &Field, dir: Dir) -> Value {
    let base = base_schema(doc, f, dir);
    let mut extra = Map::new();
    if dir == Dir::Response && !f.write {
        extra.insert("readOnly".into(), json!(true));
    }
    if dir != Dir::Response && !f.read {
        extra.insert("writeOnly".into(), json!(true));
    }
    if f.nullable {
        extra.insert("nullable".into(), json!(true));
    }
    for (k, v) in f.doc {
        extra.insert(k.to_string(), json!(v));
    }
    with(base, extra)
}

/// Whether drf-spectacular lists the field in the component's `required`.
fn is_required(f: &Field, dir: Dir) -> bool {
    match dir {
        Dir::Patched => false,
        Dir::Request => f.required,
        Dir::Response => match &f.kind {
            Kind::Computed(c) => c.required(),
            _ => f.required || !f.write,
        },
    }
}

fn included(f: &Field, dir: Dir) -> bool {
    if f.undocumented {
        return false;
    }
    match dir {
        Dir::Response => f.read,
        Dir::Request | Dir::Patched => f.write,
    }
}

/// An object schema of the fields that appear in `dir`; `None` when there are none.
pub fn object(doc: &mut Doc, res: &Resource, dir: Dir) -> Option<Value> {
    let fields: Vec<&Field> = res.fields.iter().filter(|f| included(f, dir)).collect();
    if fields.is_empty() && dir != Dir::Response {
        return None;
    }
    let mut props = Map::new();
    for f in &fields {
        props.insert(f.name.to_string(), property(doc, f, dir));
    }
    let mut required: Vec<&str> = fields.iter().filter(|f| is_required(f, dir)).map(|f| f.name).collect();
    required.sort_unstable();
    let mut s = json!({"type": "object", "properties": props});
    if !required.is_empty() {
        s["required"] = json!(required);
    }
    Some(s)
}

pub fn request_name(res: &Resource) -> String {
    format!("{}Request", res.schema_name)
}

pub fn patched_name(res: &Resource) -> String {
    format!("Patched{}Request", res.schema_name)
}

pub fn paginated_name(res: &Resource) -> String {
    format!("Paginated{}List", res.schema_name)
}

/// Every component a resource contributes. Returns whether it has a request body.
pub fn add_resource(doc: &mut Doc, res: &Resource) -> bool {
    if let Some(s) = object(doc, res, Dir::Response) {
        doc.add(res.schema_name, s);
    }
    if res.ops.list {
        add_paginated(doc, res);
    }
    let writes = res.ops.create || res.ops.update;
    match (writes, object(doc, res, Dir::Request), object(doc, res, Dir::Patched)) {
        (true, Some(req), Some(patched)) => {
            doc.add(&request_name(res), req);
            doc.add(&patched_name(res), patched);
            true
        }
        _ => false,
    }
}

fn add_paginated(doc: &mut Doc, res: &Resource) {
    doc.add(
        &paginated_name(res),
        json!({
            "type": "object",
            "properties": {
                "pagination": reference("Pagination"),
                "results": {"type": "array", "items": reference(res.schema_name)},
            },
            "required": ["pagination", "results"],
        }),
    );
}
