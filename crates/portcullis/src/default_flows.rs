//! The flows seeded on first start (flows.md 5): ordinary data, editable and deletable.

use domain::query::Write;
use domain::store::{Queries, StoreError};
use domain::value::SqlValue;

fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn insert(tx: &mut dyn Queries, table: &str, values: Vec<(&str, SqlValue)>) -> Result<(), StoreError> {
    tx.write(&Write::Insert { table: table.into(), values: values.into_iter().map(|(k, v)| (k.to_string(), v)).collect() })
        .await
        .map(|_| ())
}

async fn flow(tx: &mut dyn Queries, slug: &str, name: &str, title: &str, designation: &str, authentication: &str) -> Result<String, StoreError> {
    let uuid = id();
    insert(
        tx,
        "flows",
        vec![
            ("uuid", uuid.clone().into()),
            ("pbm_uuid", id().into()),
            ("name", name.into()),
            ("slug", slug.into()),
            ("title", title.into()),
            ("designation", designation.into()),
            ("background", "".into()),
            ("policy_engine_mode", "any".into()),
            ("compatibility_mode", false.into()),
            ("layout", "stacked".into()),
            ("denied_action", "message_continue".into()),
            ("authentication", authentication.into()),
        ],
    )
    .await?;
    Ok(uuid)
}

async fn stage(tx: &mut dyn Queries, kind: &str, name: &str, extra: Vec<(&str, SqlValue)>) -> Result<String, StoreError> {
    let uuid = id();
    let mut values = vec![("uuid", uuid.clone().into()), ("kind", kind.into()), ("name", name.into())];
    values.extend(extra);
    insert(tx, "stages", values).await?;
    Ok(uuid)
}

async fn bind(tx: &mut dyn Queries, flow: &str, stage: &str, order: i64) -> Result<(), StoreError> {
    insert(
        tx,
        "bindings",
        vec![
            ("uuid", id().into()),
            ("pbm_uuid", id().into()),
            ("target", flow.into()),
            ("stage", stage.into()),
            ("evaluate_on_plan", false.into()),
            ("re_evaluate_policies", true.into()),
            ("order", order.into()),
            ("policy_engine_mode", "any".into()),
            ("invalid_response_action", "retry".into()),
        ],
    )
    .await
}

/// Marks a flow as plannable only by a source login (see migration 0003).
async fn sso_only(tx: &mut dyn Queries, flow: &str) -> Result<(), StoreError> {
    tx.write(&Write::Update {
        table: "flows".into(),
        set: vec![("sso_only".into(), true.into())],
        filter: domain::query::Cond::eq("uuid", flow),
    })
    .await
    .map(|_| ())
}

fn login_stage_cols() -> Vec<(&'static str, SqlValue)> {
    vec![
        ("session_duration", "seconds=0".into()),
        ("remember_me_offset", "seconds=0".into()),
        ("terminate_other_sessions", false.into()),
        ("network_binding", "no_binding".into()),
        ("geoip_binding", "no_binding".into()),
    ]
}

fn write_stage_cols(mode: &str) -> Vec<(&'static str, SqlValue)> {
    vec![
        ("user_creation_mode", mode.into()),
        ("create_users_as_inactive", false.into()),
        ("user_type", "external".into()),
        ("user_path_template", "".into()),
    ]
}

async fn prompt(tx: &mut dyn Queries, name: &str, key: &str, label: &str, ty: &str, placeholder: &str, order: i64) -> Result<String, StoreError> {
    let uuid = id();
    insert(
        tx,
        "prompts",
        vec![
            ("uuid", uuid.clone().into()),
            ("name", name.into()),
            ("field_key", key.into()),
            ("label", label.into()),
            ("type", ty.into()),
            ("required", true.into()),
            ("placeholder", placeholder.into()),
            ("initial_value", "".into()),
            ("order", order.into()),
            ("sub_text", "".into()),
            ("placeholder_expression", false.into()),
            ("initial_value_expression", false.into()),
        ],
    )
    .await?;
    Ok(uuid)
}

async fn link_prompt(tx: &mut dyn Queries, stage: &str, prompt: &str) -> Result<(), StoreError> {
    insert(tx, "prompt_stage_fields", vec![("stage_uuid", stage.into()), ("prompt_uuid", prompt.into())]).await
}

/// Seeds the default flows inside the first-start transaction.
pub async fn seed(tx: &mut dyn Queries) -> Result<(), StoreError> {
    // Login: identification, password, login.
    let auth = flow(tx, "default-authentication-flow", "Welcome to authentik!", "Welcome to authentik!", "authentication", "none").await?;
    let ident = stage(
        tx,
        "identification",
        "default-authentication-identification",
        vec![
            ("user_fields", r#"["email","username"]"#.into()),
            ("case_insensitive_matching", true.into()),
            ("show_matched_user", true.into()),
            ("show_source_labels", false.into()),
            ("pretend_user_exists", true.into()),
        ],
    )
    .await?;
    let password = stage(
        tx,
        "password",
        "default-authentication-password",
        vec![
            ("backends", r#"["authentik.core.auth.InbuiltBackend","authentik.core.auth.TokenBackend"]"#.into()),
            ("failed_attempts_before_cancel", 5i64.into()),
        ],
    )
    .await?;
    let login = stage(tx, "user_login", "default-authentication-login", login_stage_cols()).await?;
    bind(tx, &auth, &ident, 10).await?;
    bind(tx, &auth, &password, 20).await?;
    bind(tx, &auth, &login, 100).await?;

    // Logout.
    let inval = flow(tx, "default-invalidation-flow", "Logout", "Default Invalidation Flow", "invalidation", "none").await?;
    let logout = stage(tx, "user_logout", "default-invalidation-logout", vec![]).await?;
    bind(tx, &inval, &logout, 0).await?;

    // Source authentication and enrollment: only a source login may plan them.
    let src_auth = flow(tx, "default-source-authentication", "Welcome to authentik!", "Welcome to authentik!", "authentication", "require_unauthenticated").await?;
    sso_only(tx, &src_auth).await?;
    let src_login = stage(tx, "user_login", "default-source-authentication-login", login_stage_cols()).await?;
    bind(tx, &src_auth, &src_login, 0).await?;
    let src_enroll = flow(
        tx,
        "default-source-enrollment",
        "Welcome to authentik! Please select a username.",
        "Welcome to authentik! Please select a username.",
        "enrollment",
        "none",
    )
    .await?;
    sso_only(tx, &src_enroll).await?;
    let username = prompt(tx, "default-source-enrollment-field-username", "username", "Username", "text", "Username", 100).await?;
    let src_prompt = stage(tx, "prompt", "default-source-enrollment-prompt", vec![("validation_policies", "[]".into())]).await?;
    link_prompt(tx, &src_prompt, &username).await?;
    let src_write = stage(tx, "user_write", "default-source-enrollment-write", write_stage_cols("always_create")).await?;
    let src_login2 = stage(tx, "user_login", "default-source-enrollment-login", login_stage_cols()).await?;
    bind(tx, &src_enroll, &src_prompt, 0).await?;
    bind(tx, &src_enroll, &src_write, 1).await?;
    bind(tx, &src_enroll, &src_login2, 2).await?;

    // Example: enrollment that requires an invitation (a Portcullis addition).
    let inv_flow = flow(tx, "default-enrollment-invitation", "Enrollment with invitation", "Welcome to authentik!", "enrollment", "require_unauthenticated").await?;
    let inv_stage = stage(tx, "invitation", "default-enrollment-invitation", vec![("continue_flow_without_invitation", false.into())]).await?;
    let fields = [
        ("default-enrollment-field-username", "username", "Username", "username", "Username"),
        ("default-enrollment-field-password", "password", "Password", "password", "Password"),
        ("default-enrollment-field-password-repeat", "password_repeat", "Password (repeat)", "password", "Password (repeat)"),
        ("default-enrollment-field-name", "name", "Name", "text", "Name"),
        ("default-enrollment-field-email", "email", "Email", "email", "Email"),
    ];
    let inv_prompt = stage(tx, "prompt", "default-enrollment-invitation-prompt", vec![("validation_policies", "[]".into())]).await?;
    for (i, (name, key, label, ty, ph)) in fields.iter().enumerate() {
        let p = prompt(tx, name, key, label, ty, ph, i as i64 * 10).await?;
        link_prompt(tx, &inv_prompt, &p).await?;
    }
    let inv_write = stage(tx, "user_write", "default-enrollment-invitation-write", write_stage_cols("always_create")).await?;
    let inv_login = stage(tx, "user_login", "default-enrollment-invitation-login", login_stage_cols()).await?;
    bind(tx, &inv_flow, &inv_stage, 5).await?;
    bind(tx, &inv_flow, &inv_prompt, 10).await?;
    bind(tx, &inv_flow, &inv_write, 20).await?;
    bind(tx, &inv_flow, &inv_login, 100).await?;
    Ok(())
}
