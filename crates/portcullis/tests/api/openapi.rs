//! `GET /api/v3/schema/` is generated from the resource descriptions; these tests hold it
//! against the contract (`shared/spec/authentik-2024.2.2-subset.yml`), operation by operation.

use crate::harness::TestServer;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

const CONTRACT: &str = "shared/spec/authentik-2024.2.2-subset.yml";
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The contract, found in the nearest ancestor of the crate that has `shared/spec/` (the main
/// checkout and worktrees sit at different depths); `PORTCULLIS_CONTRACT` overrides.
fn contract() -> Value {
    let path = std::env::var("PORTCULLIS_CONTRACT").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .map(|d| d.join(CONTRACT))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("{CONTRACT} not found above {}", env!("CARGO_MANIFEST_DIR")))
    });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_yaml::from_str(&text).expect("the contract is valid YAML")
}

async fn generated(s: &TestServer) -> Value {
    let r = s.get("/api/v3/schema/").await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body
}

/// `(path, method) -> operation` of a document.
fn operations(doc: &Value) -> BTreeMap<(String, String), Value> {
    let mut out = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for m in METHODS {
            if let Some(op) = item.get(m) {
                out.insert((path.clone(), m.to_string()), op.clone());
            }
        }
    }
    out
}

/// Structural comparison of two documents; collects every difference.
struct Cmp<'a> {
    gen: &'a Value,
    con: &'a Value,
    diffs: Vec<String>,
    compared: BTreeSet<String>,
}

/// Keywords that carry no structure: documentation and regex patterns (the generator emits
/// them where it can, but Rust's and Django's regex spellings differ and docs are free text).
const IGNORED: [&str; 3] = ["description", "title", "pattern"];

/// `allOf: [X]` with siblings is how OpenAPI 3.0 attaches keywords to a `$ref`: flatten it,
/// drop ignored keywords and `false` flags that mean the same as absent.
fn normalize(s: &Value) -> serde_json::Map<String, Value> {
    let mut m = s.as_object().cloned().unwrap_or_default();
    if let Some(Value::Array(all)) = m.get("allOf").cloned() {
        if all.len() == 1 {
            m.remove("allOf");
            for (k, v) in all[0].as_object().cloned().unwrap_or_default() {
                m.entry(k).or_insert(v);
            }
        }
    }
    for k in IGNORED {
        m.remove(k);
    }
    for flag in ["nullable", "readOnly", "writeOnly", "required"] {
        if m.get(flag) == Some(&Value::Bool(false)) {
            m.remove(flag);
        }
    }
    m
}

fn ref_name(v: &Value) -> Option<&str> {
    v.as_str().and_then(|r| r.strip_prefix("#/components/schemas/"))
}

fn names(v: Option<&Value>) -> BTreeSet<String> {
    match v {
        Some(Value::Array(a)) => a.iter().map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string())).collect(),
        Some(Value::Object(o)) => o.keys().cloned().collect(),
        _ => BTreeSet::new(),
    }
}

impl<'a> Cmp<'a> {
    fn new(gen: &'a Value, con: &'a Value) -> Cmp<'a> {
        Cmp { gen, con, diffs: vec![], compared: BTreeSet::new() }
    }

    fn diff(&mut self, at: &str, what: String) {
        self.diffs.push(format!("{at}: {what}"));
    }

    fn sets(&mut self, at: &str, what: &str, g: BTreeSet<String>, c: BTreeSet<String>) -> BTreeSet<String> {
        let extra: Vec<_> = g.difference(&c).collect();
        let missing: Vec<_> = c.difference(&g).collect();
        if !extra.is_empty() || !missing.is_empty() {
            self.diff(at, format!("{what}: generated has extra {extra:?}, lacks {missing:?}"));
        }
        g.intersection(&c).cloned().collect()
    }

    fn component(&mut self, name: &str) {
        if !self.compared.insert(name.to_string()) {
            return;
        }
        let (gen, con) = (self.gen, self.con);
        let g = &gen["components"]["schemas"][name];
        let c = &con["components"]["schemas"][name];
        match (g.is_null(), c.is_null()) {
            (true, _) => self.diff(&format!("components.{name}"), "missing from the generated document".into()),
            (_, true) => self.diff(&format!("components.{name}"), "not in the contract".into()),
            _ => self.schema(&format!("components.{name}"), g, c),
        }
    }

    fn schema(&mut self, at: &str, g: &Value, c: &Value) {
        let (g, c) = (normalize(g), normalize(c));
        match (g.get("$ref").and_then(ref_name), c.get("$ref").and_then(ref_name)) {
            (Some(a), Some(b)) if a == b => self.component(a),
            (None, None) => {}
            (a, b) => self.diff(at, format!("$ref: generated {a:?}, contract {b:?}")),
        }
        let keys: BTreeSet<&String> = g.keys().chain(c.keys()).collect();
        for k in keys {
            let (gv, cv) = (g.get(k), c.get(k));
            let at_k = format!("{at}.{k}");
            match k.as_str() {
                "$ref" => {}
                "enum" | "required" => {
                    self.sets(at, k, names(gv), names(cv));
                }
                "properties" => {
                    for p in self.sets(at, "properties", names(gv), names(cv)) {
                        self.schema(&format!("{at}.{p}"), &gv.unwrap()[&p], &cv.unwrap()[&p]);
                    }
                }
                "items" | "additionalProperties" => match (gv, cv) {
                    (Some(a), Some(b)) if a.is_object() && b.is_object() => self.schema(&at_k, a, b),
                    (Some(a), Some(b)) if a == b => {}
                    _ => self.diff(&at_k, format!("generated {gv:?}, contract {cv:?}")),
                },
                "allOf" | "oneOf" | "anyOf" => match (gv.and_then(Value::as_array), cv.and_then(Value::as_array)) {
                    (Some(a), Some(b)) if a.len() == b.len() => {
                        for (i, (x, y)) in a.iter().zip(b).enumerate() {
                            self.schema(&format!("{at_k}[{i}]"), x, y);
                        }
                    }
                    _ => self.diff(&at_k, format!("generated {gv:?}, contract {cv:?}")),
                },
                _ if gv != cv => self.diff(&at_k, format!("generated {gv:?}, contract {cv:?}")),
                _ => {}
            }
        }
    }

    fn content(&mut self, at: &str, g: &Value, c: &Value) {
        for ty in self.sets(at, "content types", names(g.get("content")), names(c.get("content"))) {
            self.schema(&format!("{at}[{ty}]"), &g["content"][&ty]["schema"], &c["content"][&ty]["schema"]);
        }
    }

    fn operation(&mut self, at: &str, g: &Value, c: &Value) {
        for k in ["operationId", "tags", "security"] {
            if g[k] != c[k] {
                self.diff(at, format!("{k}: generated {}, contract {}", g[k], c[k]));
            }
        }
        let params = |op: &Value| -> BTreeMap<String, Value> {
            op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| (format!("{}:{}", p["in"].as_str().unwrap_or("?"), p["name"].as_str().unwrap_or("?")), p.clone()))
                .collect()
        };
        let (gp, cp) = (params(g), params(c));
        for name in self.sets(at, "parameters", gp.keys().cloned().collect(), cp.keys().cloned().collect()) {
            let (a, b) = (&gp[&name], &cp[&name]);
            let at_p = format!("{at} parameter {name}");
            for k in ["required", "explode", "style"] {
                let norm = |v: &Value| if v == &json!(false) { Value::Null } else { v.clone() };
                if norm(&a[k]) != norm(&b[k]) {
                    self.diff(&at_p, format!("{k}: generated {}, contract {}", a[k], b[k]));
                }
            }
            self.schema(&at_p, &a["schema"], &b["schema"]);
        }
        match (g.get("requestBody"), c.get("requestBody")) {
            (None, None) => {}
            (Some(a), Some(b)) => {
                if a.get("required") != b.get("required") {
                    self.diff(at, format!("requestBody.required: generated {:?}, contract {:?}", a.get("required"), b.get("required")));
                }
                self.content(&format!("{at} request"), a, b);
            }
            (a, b) => self.diff(at, format!("requestBody: generated {}, contract {}", a.is_some(), b.is_some())),
        }
        let codes = self.sets(at, "response codes", names(g.get("responses")), names(c.get("responses")));
        for code in codes {
            self.content(&format!("{at} response {code}"), &g["responses"][&code], &c["responses"][&code]);
        }
    }
}

/// Every difference between the generated operations (and the components they reach) and
/// the contract's.
fn differences(gen: &Value, con: &Value) -> Vec<String> {
    let contract_ops = operations(con);
    let mut cmp = Cmp::new(gen, con);
    for ((path, method), op) in operations(gen) {
        if let Some(c) = contract_ops.get(&(path.clone(), method.clone())) {
            cmp.operation(&format!("{} {path}", method.to_uppercase()), &op, c);
        }
    }
    cmp.diffs
}

fn collect_refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if let Some(name) = m.get("$ref").and_then(ref_name) {
                out.insert(name.to_string());
            }
            m.values().for_each(|x| collect_refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

both!(generated_operations_match_the_contract_structurally, |s| {
    let gen = generated(&s).await;
    let diffs = differences(&gen, &contract());
    assert!(diffs.is_empty(), "{} difference(s) between /api/v3/schema/ and the contract:\n{}", diffs.len(), diffs.join("\n"));
});

both!(generated_schema_invents_no_operations, |s| {
    let gen = generated(&s).await;
    let contract_ops = operations(&contract());
    let invented: Vec<String> = operations(&gen)
        .into_iter()
        .filter(|(k, _)| !contract_ops.contains_key(k))
        .map(|((p, m), op)| format!("{} {p} ({})", m.to_uppercase(), op["operationId"]))
        .collect();
    assert!(invented.is_empty(), "operations not in the contract:\n{}", invented.join("\n"));
});

both!(generated_schema_references_resolve, |s| {
    let gen = generated(&s).await;
    let mut refs = BTreeSet::new();
    collect_refs(&gen, &mut refs);
    let dangling: Vec<&String> = refs.iter().filter(|r| gen["components"]["schemas"].get(r.as_str()).is_none()).collect();
    assert!(dangling.is_empty(), "$refs without a component: {dangling:?}");
    assert_eq!(gen["openapi"], "3.0.3");
    assert_eq!(gen["components"]["securitySchemes"]["authentik"], json!({"type": "http", "scheme": "bearer"}));
});

/// A value for a path parameter that names no object.
fn absent_lookup(param: &Value) -> &'static str {
    match (param["schema"]["type"].as_str(), param["schema"]["format"].as_str()) {
        (Some("integer"), _) => "987654321",
        (_, Some("uuid")) => "00000000-0000-4000-8000-000000000000",
        _ => "portcullis-absent",
    }
}

both!(generated_schema_covers_exactly_the_routed_operations, |s| {
    let gen = generated(&s).await;
    let ops = operations(&gen);
    let ids: BTreeSet<String> = ops.values().filter_map(|o| o["operationId"].as_str().map(str::to_string)).collect();
    let expected = [
        "core_users_list",
        "core_users_create",
        "core_users_retrieve",
        "core_users_update",
        "core_users_partial_update",
        "core_users_destroy",
        "core_users_used_by_list",
        "core_users_me_retrieve",
        "core_users_set_password_create",
        "root_config_retrieve",
    ];
    let missing: Vec<&str> = expected.iter().copied().filter(|id| !ids.contains(*id)).collect();
    assert!(missing.is_empty(), "implemented operations missing from the schema: {missing:?}");

    // Every documented operation is routed: never 405, and collection routes never 404.
    let mut unrouted = vec![];
    for ((path, method), op) in &ops {
        let mut url = path.clone();
        for p in op["parameters"].as_array().into_iter().flatten().filter(|p| p["in"] == "path") {
            url = url.replace(&format!("{{{}}}", p["name"].as_str().unwrap()), absent_lookup(p));
        }
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let body = if op.get("requestBody").is_some() { Some(json!({})) } else { None };
        let r = s.send(m, &format!("/api/v3{url}"), body.as_ref(), None).await;
        let not_found_route = r.status == 404 && !path.contains('{');
        if r.status == 405 || r.status >= 500 || not_found_route {
            unrouted.push(format!("{} {url} ({}) answered {}", method.to_uppercase(), op["operationId"], r.status));
        }
    }
    assert!(unrouted.is_empty(), "documented operations that the server does not route:\n{}", unrouted.join("\n"));

    // Every contract collection route the server answers is documented.
    let mut undocumented = vec![];
    for ((path, method), op) in operations(&contract()) {
        if method != "get" || path.contains('{') || ops.contains_key(&(path.clone(), method.clone())) {
            continue;
        }
        let r = s.get(&format!("/api/v3{path}")).await;
        if r.status != 404 {
            undocumented.push(format!("GET {path} ({}) answered {}", op["operationId"], r.status));
        }
    }
    assert!(undocumented.is_empty(), "routed operations missing from the schema:\n{}", undocumented.join("\n"));
});

both!(schema_comparison_reports_changed_types_and_required_fields, |s| {
    let con = contract();
    let mut gen = generated(&s).await;
    gen["components"]["schemas"]["User"]["properties"]["email"]["format"] = json!("uri");
    gen["components"]["schemas"]["UserRequest"]["required"] = json!(["name"]);
    gen["components"]["schemas"]["User"]["properties"]["uuid"]["readOnly"] = json!(false);
    let diffs = differences(&gen, &con).join("\n");
    assert!(diffs.contains("components.User.email.format"), "{diffs}");
    assert!(diffs.contains("components.UserRequest: required: generated has extra [], lacks [\"username\"]"), "{diffs}");
    assert!(diffs.contains("components.User.uuid.readOnly"), "{diffs}");
});
