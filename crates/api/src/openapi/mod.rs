//! The OpenAPI document, generated from the resource descriptions: every registered resource
//! contributes its operations and component schemas, actions their own operations, resource
//! modules the extra components they refer to (`engine::resources::components`).

mod paths;
mod schema;
mod shared;

use engine::resource::Component;
use engine::resources::Registry;
use serde_json::{json, Map, Value};

/// The document under construction.
#[derive(Default)]
pub struct Doc {
    paths: Map<String, Value>,
    schemas: Map<String, Value>,
}

impl Doc {
    /// Adds a component schema; the first definition of a name wins.
    pub fn add(&mut self, name: &str, schema: Value) {
        self.schemas.entry(name.to_string()).or_insert(schema);
    }

    /// Adds an operation under `path` (relative to `/api/v3`).
    pub fn operation(&mut self, path: &str, method: &str, op: Value) {
        let item = self.paths.entry(path.to_string()).or_insert_with(|| json!({}));
        item[method] = op;
    }
}

fn sorted(m: Map<String, Value>) -> Value {
    let mut entries: Vec<(String, Value)> = m.into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Object(entries.into_iter().collect())
}

pub fn document(registry: &Registry) -> Value {
    let mut doc = Doc::default();
    shared::add(&mut doc);
    for res in &registry.resources {
        let has_body = schema::add_resource(&mut doc, res);
        paths::add_resource(&mut doc, res, has_body);
    }
    for c in engine::resources::components::all() {
        match c {
            Component::Json(name, f) => doc.add(name, f()),
            Component::Resource(f) => {
                let r = f();
                if let Some(s) = schema::object(&mut doc, &r, schema::Dir::Response) {
                    doc.add(r.schema_name, s);
                }
            }
            Component::Request(f) => {
                let r = f();
                if let Some(s) = schema::object(&mut doc, &r, schema::Dir::Request) {
                    doc.add(&schema::request_name(&r), s);
                }
            }
        }
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "authentik",
            "version": "2024.2.2",
            "description": "Making authentication simple.",
            "contact": {"email": "hello@goauthentik.io"},
            "license": {"name": "MIT", "url": "https://github.com/goauthentik/authentik/blob/main/LICENSE"},
        },
        "paths": sorted(doc.paths),
        "components": {
            "schemas": sorted(doc.schemas),
            "securitySchemes": {"authentik": {"type": "http", "scheme": "bearer"}},
        },
    })
}
