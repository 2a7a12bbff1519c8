//! A small validator of executor JSON against the contract's challenge schemas
//! (`authentik-2024.2.2-subset.yml`): the component named by a challenge's `component` is
//! looked up through `ChallengeTypes`' discriminator, and the value is checked for required
//! keys, types, nullability, enums and unknown keys (`$ref`, `allOf`, `oneOf` resolved).

use serde_json::Value;
use std::sync::OnceLock;

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        // The spec sits next to the repository (`../shared/spec`); a worktree is one level deeper.
        const FILE: &str = "authentik-2024.2.2-subset.yml";
        let mut candidates: Vec<std::path::PathBuf> = vec![];
        if let Ok(dir) = std::env::var("PORTCULLIS_SPEC_DIR") {
            candidates.push(std::path::Path::new(&dir).join(FILE));
        }
        let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        candidates.push(manifest.join("../../../shared/spec").join(FILE));
        candidates.push(manifest.join("../../../../shared/spec").join(FILE));
        let path = candidates.iter().find(|p| p.is_file()).unwrap_or_else(|| panic!("contract not found in {candidates:?}; set PORTCULLIS_SPEC_DIR"));
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let y: serde_yaml::Value = serde_yaml::from_str(&text).expect("contract YAML parses");
        serde_json::to_value(y).expect("contract converts to JSON")
    })
}

fn schemas() -> &'static Value {
    &spec()["components"]["schemas"]
}

fn resolve(r: &str) -> &'static Value {
    let name = r.rsplit('/').next().unwrap_or(r);
    let s = &schemas()[name];
    assert!(!s.is_null(), "unknown schema {r}");
    s
}

/// The schema name a discriminated union maps `component` to.
fn by_discriminator(union: &str, component: &str) -> Option<&'static str> {
    schemas()[union]["discriminator"]["mapping"][component].as_str().map(|r| r.rsplit('/').next().unwrap())
}

fn type_ok(ty: &str, v: &Value) -> bool {
    match ty {
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    }
}

fn check(schema: &Value, v: &Value, path: &str, errs: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        return check(resolve(r), v, path, errs);
    }
    if v.is_null() {
        if schema["nullable"] != Value::Bool(true) {
            errs.push(format!("{path}: null where not nullable"));
        }
        return;
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            check(s, v, path, errs);
        }
    }
    if let Some(one) = schema["oneOf"].as_array() {
        let comp = v.get("component").and_then(Value::as_str);
        match schema["discriminator"]["mapping"].as_object().and_then(|m| comp.and_then(|c| m.get(c))).and_then(Value::as_str) {
            Some(r) => check(resolve(r), v, path, errs),
            None => {
                let ok = one.iter().any(|s| {
                    let mut e = vec![];
                    check(s, v, path, &mut e);
                    e.is_empty()
                });
                if !ok {
                    errs.push(format!("{path}: matches none of oneOf"));
                }
            }
        }
    }
    if let Some(ty) = schema["type"].as_str() {
        if !type_ok(ty, v) {
            errs.push(format!("{path}: expected {ty}, got {v}"));
            return;
        }
    }
    if let Some(en) = schema["enum"].as_array() {
        if !en.contains(v) {
            errs.push(format!("{path}: {v} not in enum {en:?}"));
        }
    }
    if let (Some(min), Some(s)) = (schema["minLength"].as_u64(), v.as_str()) {
        if (s.chars().count() as u64) < min {
            errs.push(format!("{path}: shorter than {min}"));
        }
    }
    if let Value::Object(obj) = v {
        if let Some(req) = schema["required"].as_array() {
            for k in req.iter().filter_map(Value::as_str) {
                if !obj.contains_key(k) {
                    errs.push(format!("{path}: missing required key {k}"));
                }
            }
        }
        let props = schema["properties"].as_object();
        for (k, val) in obj {
            let sub = format!("{path}.{k}");
            match props.and_then(|p| p.get(k)) {
                Some(ps) => check(ps, val, &sub, errs),
                None => match &schema["additionalProperties"] {
                    Value::Object(ap) if !ap.is_empty() => check(&Value::Object(ap.clone()), val, &sub, errs),
                    Value::Object(_) | Value::Bool(true) => {}
                    _ if props.is_some() => errs.push(format!("{sub}: key not in the schema")),
                    _ => {}
                },
            }
        }
    }
    if let (Some(items), Value::Array(a)) = (schema.get("items"), v) {
        for (i, x) in a.iter().enumerate() {
            check(items, x, &format!("{path}[{i}]"), errs);
        }
    }
}

/// Errors of `v` against the named component schema (empty when it conforms).
pub fn errors_against(schema_name: &str, v: &Value) -> Vec<String> {
    let mut errs = vec![];
    let s = &schemas()[schema_name];
    assert!(!s.is_null(), "no schema {schema_name}");
    check(s, v, schema_name, &mut errs);
    errs
}

/// Panics unless `challenge` conforms to the schema `ChallengeTypes` maps its `component` to.
pub fn assert_challenge(challenge: &Value) {
    let comp = challenge["component"].as_str().unwrap_or_else(|| panic!("challenge without component: {challenge}"));
    let name = by_discriminator("ChallengeTypes", comp).unwrap_or_else(|| panic!("component {comp} is not in ChallengeTypes"));
    let errs = errors_against(name, challenge);
    assert!(errs.is_empty(), "challenge does not conform to {name}: {errs:?}\n{challenge}");
}

/// Panics unless an answer conforms to the `*ChallengeResponseRequest` for its `component`.
pub fn assert_answer(answer: &Value) {
    let comp = answer["component"].as_str().unwrap_or_else(|| panic!("answer without component: {answer}"));
    let name = by_discriminator("FlowChallengeResponseRequest", comp).unwrap_or_else(|| panic!("no response schema for {comp}"));
    let errs = errors_against(name, answer);
    assert!(errs.is_empty(), "answer does not conform to {name}: {errs:?}\n{answer}");
}

#[test]
fn validator_rejects_what_the_contract_forbids() {
    use serde_json::json;
    let ok = json!({"type": "native", "component": "ak-stage-password", "pending_user": "a", "pending_user_avatar": "/x",
        "flow_info": {"title": "t", "background": "", "cancel_url": "/flows/-/cancel/", "layout": "stacked"}});
    assert!(errors_against("PasswordChallenge", &ok).is_empty());
    let mut missing = ok.clone();
    missing.as_object_mut().unwrap().remove("pending_user");
    assert!(!errors_against("PasswordChallenge", &missing).is_empty());
    let mut bad_enum = ok.clone();
    bad_enum["flow_info"]["layout"] = json!("sideways");
    assert!(!errors_against("PasswordChallenge", &bad_enum).is_empty());
    let mut bad_type = ok.clone();
    bad_type["type"] = json!(1);
    assert!(!errors_against("PasswordChallenge", &bad_type).is_empty());
    let mut extra = ok.clone();
    extra["surprise"] = json!(true);
    assert!(!errors_against("PasswordChallenge", &extra).is_empty());
    let errs = json!({"type": "native", "component": "ak-stage-password", "pending_user": "a", "pending_user_avatar": "/x",
        "response_errors": {"password": [{"string": "Invalid password"}]}});
    assert!(!errors_against("PasswordChallenge", &errs).is_empty(), "ErrorDetail needs code");
    let prompt = json!({"type": "native", "component": "ak-stage-prompt", "fields": [{"field_key": "a", "label": "A", "type": "nope",
        "required": true, "placeholder": "", "initial_value": "", "order": 0, "sub_text": "", "choices": null}]});
    assert!(!errors_against("PromptChallenge", &prompt).is_empty());
}
