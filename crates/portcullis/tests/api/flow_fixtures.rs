//! Building test flows: flows and bindings through the API, stages and prompts as rows (the
//! per-kind stage endpoints are not merged yet).

use crate::harness::{insert_row, TestServer};
use domain::value::SqlValue;
use serde_json::{json, Value};

/// Creates a flow through the API and returns its pk.
pub async fn flow(s: &TestServer, slug: &str, designation: &str, extra: Value) -> String {
    let mut body = json!({"name": format!("Flow {slug}"), "slug": slug, "title": format!("Title of {slug}"), "designation": designation});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            body[k] = v;
        }
    }
    s.create("/api/v3/flows/instances/", body).await["pk"].as_str().unwrap().to_string()
}

/// The database defaults of each stage kind (what an API create would fill in).
fn defaults(kind: &str) -> Vec<(&'static str, SqlValue)> {
    match kind {
        "identification" => vec![
            ("user_fields", r#"["username","email"]"#.into()),
            ("case_insensitive_matching", true.into()),
            ("show_matched_user", true.into()),
            ("show_source_labels", false.into()),
            ("pretend_user_exists", true.into()),
        ],
        "password" => vec![
            ("backends", r#"["authentik.core.auth.InbuiltBackend","authentik.core.auth.TokenBackend"]"#.into()),
            ("failed_attempts_before_cancel", 5i64.into()),
        ],
        "prompt" => vec![("validation_policies", "[]".into())],
        "user_login" => vec![
            ("session_duration", "seconds=0".into()),
            ("remember_me_offset", "seconds=0".into()),
            ("terminate_other_sessions", false.into()),
            ("network_binding", "no_binding".into()),
            ("geoip_binding", "no_binding".into()),
        ],
        "user_write" => vec![
            ("user_creation_mode", "create_when_required".into()),
            ("create_users_as_inactive", false.into()),
            ("user_type", "external".into()),
            ("user_path_template", "".into()),
        ],
        "deny" => vec![("deny_message", "".into())],
        "invitation" => vec![("continue_flow_without_invitation", false.into())],
        "source" => vec![("resume_timeout", "minutes=10".into())],
        _ => vec![],
    }
}

/// Inserts a stage of `kind` with its defaults overridden by `set`; returns its uuid.
pub async fn stage(s: &TestServer, kind: &str, name: &str, set: Vec<(&'static str, SqlValue)>) -> String {
    let uuid = uuid::Uuid::new_v4().to_string();
    let mut values: Vec<(&str, SqlValue)> = vec![("uuid", uuid.clone().into()), ("kind", kind.into()), ("name", name.into())];
    for (k, v) in defaults(kind) {
        if !set.iter().any(|(c, _)| *c == k) {
            values.push((k, v));
        }
    }
    values.extend(set);
    insert_row(s, "stages", values).await;
    uuid
}

/// Binds a stage into a flow through the API.
pub async fn bind(s: &TestServer, flow: &str, stage: &str, order: i64) -> Value {
    s.create("/api/v3/flows/bindings/", json!({"target": flow, "stage": stage, "order": order})).await
}

pub async fn bind_with(s: &TestServer, flow: &str, stage: &str, order: i64, invalid_response_action: &str) -> Value {
    s.create(
        "/api/v3/flows/bindings/",
        json!({"target": flow, "stage": stage, "order": order, "invalid_response_action": invalid_response_action}),
    )
    .await
}

/// A prompt field; `opts` may set `required`, `placeholder`, `initial_value`, `sub_text`, `order`.
pub struct P<'a> {
    pub key: &'a str,
    pub ty: &'a str,
    pub required: bool,
    pub placeholder: &'a str,
    pub initial: &'a str,
    pub order: i64,
}

pub fn p<'a>(key: &'a str, ty: &'a str) -> P<'a> {
    P { key, ty, required: true, placeholder: "", initial: "", order: 0 }
}

impl<'a> P<'a> {
    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }
    pub fn placeholder(mut self, v: &'a str) -> Self {
        self.placeholder = v;
        self
    }
    pub fn initial(mut self, v: &'a str) -> Self {
        self.initial = v;
        self
    }
    pub fn order(mut self, o: i64) -> Self {
        self.order = o;
        self
    }
}

/// A prompt stage with the given fields; returns the stage's uuid.
pub async fn prompt_stage(s: &TestServer, name: &str, fields: Vec<P<'_>>) -> String {
    let st = stage(s, "prompt", name, vec![]).await;
    for f in fields {
        let pu = uuid::Uuid::new_v4().to_string();
        insert_row(
            s,
            "prompts",
            vec![
                ("uuid", pu.clone().into()),
                ("name", format!("{name}-{}", f.key).into()),
                ("field_key", f.key.into()),
                ("label", format!("Label {}", f.key).into()),
                ("type", f.ty.into()),
                ("required", f.required.into()),
                ("placeholder", f.placeholder.into()),
                ("initial_value", f.initial.into()),
                ("order", f.order.into()),
                ("sub_text", "".into()),
                ("placeholder_expression", false.into()),
                ("initial_value_expression", false.into()),
            ],
        )
        .await;
        insert_row(s, "prompt_stage_fields", vec![("stage_uuid", st.clone().into()), ("prompt_uuid", pu.into())]).await;
    }
    st
}

/// A flow made of the given stages at orders 10, 20, 30...
pub async fn flow_of(s: &TestServer, slug: &str, designation: &str, stages: &[&str]) -> String {
    let f = flow(s, slug, designation, json!({})).await;
    for (i, st) in stages.iter().enumerate() {
        bind(s, &f, st, (i as i64 + 1) * 10).await;
    }
    f
}

/// Creates a user with a password through the API; returns its pk.
pub async fn user(s: &TestServer, username: &str, password: &str) -> i64 {
    let u = s.create("/api/v3/core/users/", json!({"username": username, "name": username, "email": format!("{username}@example.com")})).await;
    let pk = u["pk"].as_i64().unwrap();
    let r = s.post(&format!("/api/v3/core/users/{pk}/set_password/"), json!({"password": password})).await;
    assert_eq!(r.status, 204, "{r:?}");
    pk
}
