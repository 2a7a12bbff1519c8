//! Operations of a resource: list, create, retrieve, update, partial update, destroy,
//! `used_by` and its actions, with drf-spectacular's operation ids, parameters and responses.

use super::schema::{key_schema, paginated_name, patched_name, reference, request_name};
use super::Doc;
use engine::resource::{Action, Filter, FilterKind, LookupType, Method, Resource};
use serde_json::{json, Map, Value};

/// An operation without body and responses.
pub fn operation(id: &str, description: &str, tag: &str, parameters: Vec<Value>) -> Value {
    let mut op = json!({"operationId": id, "description": description});
    if !parameters.is_empty() {
        op["parameters"] = Value::Array(parameters);
    }
    op["tags"] = json!([tag]);
    op["security"] = json!([{"authentik": []}]);
    op
}

fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

/// The success response plus the 400/403 every operation declares.
pub fn responses(code: &str, schema: Option<Value>, description: &str) -> Value {
    let mut r = Map::new();
    r.insert(
        code.to_string(),
        match schema {
            Some(s) => json!({"content": json_content(s), "description": description}),
            None => json!({"description": description}),
        },
    );
    add_error_responses(&mut r);
    Value::Object(r)
}

fn add_error_responses(r: &mut Map<String, Value>) {
    r.entry("400").or_insert_with(|| json!({"content": json_content(reference("ValidationError")), "description": ""}));
    r.entry("403").or_insert_with(|| json!({"content": json_content(reference("GenericError")), "description": ""}));
}

fn body(name: &str, required: bool) -> Value {
    let mut b = json!({"content": json_content(reference(name))});
    if required {
        b["required"] = json!(true);
    }
    b
}

fn lookup_param(res: &Resource) -> Value {
    let (schema, description) = match res.lookup_type {
        LookupType::Int => (json!({"type": "integer"}), Some(format!("A unique integer value identifying this {}.", res.meta.verbose_name))),
        LookupType::Uuid => (json!({"type": "string", "format": "uuid"}), Some(format!("A UUID string identifying this {}.", res.meta.verbose_name))),
        LookupType::Text => (json!({"type": "string"}), None),
    };
    let mut p = json!({"in": "path", "name": res.lookup_param, "schema": schema});
    if let Some(d) = description {
        p["description"] = json!(d);
    }
    p["required"] = json!(true);
    p
}

fn filter_schema(f: &Filter) -> Value {
    let enum_of = |values: &[&str]| {
        let mut v = values.to_vec();
        v.sort_unstable();
        json!({"type": "string", "enum": v})
    };
    match &f.kind {
        FilterKind::Text(_) | FilterKind::StartsWith(_) | FilterKind::Related { .. } => json!({"type": "string"}),
        FilterKind::Int(_) => json!({"type": "integer"}),
        FilterKind::OwnUuid(_) => json!({"type": "string", "format": "uuid"}),
        FilterKind::Bool(_) | FilterKind::StrictBool(_) => json!({"type": "boolean"}),
        FilterKind::Choice(_, c) => enum_of(c.values),
        FilterKind::MultiChoice(_, c) => json!({"type": "array", "items": enum_of(c.values)}),
        FilterKind::Ref { ty, .. } => key_schema(*ty),
        FilterKind::DateTime(_) => json!({"type": "string", "format": "date-time"}),
        FilterKind::Custom(c) => c.schema(),
    }
}

/// Filters plus pagination, ordering and search, sorted by name as drf-spectacular sorts them.
fn list_params(res: &Resource) -> Vec<Value> {
    let mut params: Vec<(String, Value)> = res
        .filters
        .iter()
        .map(|f| {
            let mut p = json!({"in": "query", "name": f.name, "schema": filter_schema(f)});
            if f.is_array() {
                p["explode"] = json!(true);
                p["style"] = json!("form");
            }
            (f.name.to_string(), p)
        })
        .collect();
    let mut standard = |name: &str, description: &str, ty: &str| {
        params.push((
            name.to_string(),
            json!({"name": name, "required": false, "in": "query", "description": description, "schema": {"type": ty}}),
        ))
    };
    // authentik's default filter backends (OrderingFilter, SearchFilter) declare `ordering` and
    // `search` on every list, also where there is nothing to search (the term is then ignored).
    standard("ordering", "Which field to use when ordering the results.", "string");
    standard("page", "A page number within the paginated result set.", "integer");
    standard("page_size", "Number of results to return per page.", "integer");
    standard("search", "A search term.", "string");
    params.sort_by(|a, b| a.0.cmp(&b.0));
    params.into_iter().map(|(_, p)| p).collect()
}

pub fn add_resource(doc: &mut Doc, res: &Resource, has_body: bool) {
    let prefix = res.operation_prefix;
    let op = |suffix: &str, params: Vec<Value>| operation(&format!("{prefix}_{suffix}"), res.description, res.tag, params);
    let object_path = format!("{}{{{}}}/", res.path, res.lookup_param);
    let item = || reference(res.schema_name);

    if res.ops.list {
        let mut o = op("list", list_params(res));
        o["responses"] = responses("200", Some(reference(&paginated_name(res))), "");
        doc.operation(res.path, "get", o);
    }
    if res.ops.create {
        let mut o = op("create", vec![]);
        if has_body {
            o["requestBody"] = body(&request_name(res), true);
        }
        o["responses"] = responses("201", Some(item()), "");
        doc.operation(res.path, "post", o);
    }
    if res.ops.retrieve {
        let mut o = op("retrieve", vec![lookup_param(res)]);
        o["responses"] = responses("200", Some(item()), "");
        doc.operation(&object_path, "get", o);
    }
    if res.ops.update {
        for (method, suffix, name, required) in
            [("put", "update", request_name(res), true), ("patch", "partial_update", patched_name(res), false)]
        {
            let mut o = op(suffix, vec![lookup_param(res)]);
            if has_body {
                o["requestBody"] = body(&name, required);
            }
            o["responses"] = responses("200", Some(item()), "");
            doc.operation(&object_path, method, o);
        }
    }
    if res.ops.delete {
        let mut o = op("destroy", vec![lookup_param(res)]);
        o["responses"] = responses("204", None, "No response body");
        doc.operation(&object_path, "delete", o);
    }
    if res.ops.retrieve || res.ops.update || res.ops.delete {
        let mut o = operation(&format!("{prefix}_used_by_list"), "Get a list of all objects that use this object", res.tag, vec![lookup_param(res)]);
        o["responses"] = responses("200", Some(json!({"type": "array", "items": reference("UsedBy")})), "");
        doc.operation(&format!("{object_path}used_by/"), "get", o);
    }
    for a in &res.actions {
        add_action(doc, res, a, &object_path);
    }
}

/// drf-spectacular's suffix: `create` for POST, `list` for a GET answering an array.
fn action_suffix(a: &Action, spec: &Value) -> &'static str {
    match a.method {
        Method::Post => "create",
        Method::Get if spec["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array" => "list",
        Method::Get => "retrieve",
    }
}

fn add_action(doc: &mut Doc, res: &Resource, a: &Action, object_path: &str) {
    let spec = (a.openapi)();
    let mut params = if a.detail { vec![lookup_param(res)] } else { vec![] };
    if let Some(Value::Array(extra)) = spec.get("parameters") {
        params.extend(extra.iter().cloned());
    }
    let description = spec["description"].as_str().unwrap_or(res.description);
    let id = format!("{}_{}_{}", res.operation_prefix, a.name, action_suffix(a, &spec));
    let mut o = operation(&id, description, res.tag, params);
    if let Value::Object(m) = &spec {
        for (k, v) in m {
            if !matches!(k.as_str(), "description" | "parameters" | "responses") {
                o[k.as_str()] = v.clone();
            }
        }
    }
    let mut responses = spec.get("responses").and_then(Value::as_object).cloned().unwrap_or_default();
    add_error_responses(&mut responses);
    o["responses"] = Value::Object(responses);
    let path = if a.detail { format!("{object_path}{}/", a.name) } else { format!("{}{}/", res.path, a.name) };
    let method = match a.method {
        Method::Get => "get",
        Method::Post => "post",
    };
    doc.operation(&path, method, o);
}
