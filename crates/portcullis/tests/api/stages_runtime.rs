//! Each stage kind at run time: its challenge (checked against the contract by the flow
//! client), its answers and its failure paths (flows.md 4).

use crate::flow_client::FlowClient;
use crate::flow_fixtures::*;
use crate::harness::{insert_row, TestServer, PASSWORD};
use domain::value::SqlValue;
use serde_json::{json, Value};

fn denied(ch: &Value, message: &str) {
    assert_eq!(ch["component"], "ak-stage-access-denied", "{ch}");
    assert_eq!(ch["error_message"], message, "{ch}");
}

fn errors(ch: &Value) -> &Value {
    &ch["response_errors"]
}

/// identification (username/email) -> password -> user_login.
async fn login_flow(s: &TestServer, slug: &str, ident: Vec<(&'static str, SqlValue)>, password: Vec<(&'static str, SqlValue)>, login: Vec<(&'static str, SqlValue)>) {
    let i = stage(s, "identification", &format!("{slug}-ident"), ident).await;
    let p = stage(s, "password", &format!("{slug}-password"), password).await;
    let l = stage(s, "user_login", &format!("{slug}-login"), login).await;
    flow_of(s, slug, "authentication", &[&i, &p, &l]).await;
}

// ---- identification ----

both!(identification_refuses_unknown_users_without_pretend_user_exists, |s| {
    let i = stage(&s, "identification", "ident", vec![("pretend_user_exists", false.into())]).await;
    let d = stage(&s, "deny", "after", vec![("deny_message", "reached".into())]).await;
    flow_of(&s, "f", "authentication", &[&i, &d]).await;
    let mut c = FlowClient::new(&s.base);
    let ch = c.post("f", "", json!({"component": "ak-stage-identification", "uid_field": "nobody"})).await;
    assert_eq!(ch["component"], "ak-stage-identification");
    assert_eq!(errors(&ch), &json!({"non_field_errors": [{"string": "Failed to authenticate.", "code": "invalid"}]}));
    // A known user passes on to the next stage.
    let ch = c.post("f", "", json!({"component": "ak-stage-identification", "uid_field": "akadmin"})).await;
    denied(&ch, "reached");
    assert_eq!(ch["pending_user"], "akadmin");
});

both!(identification_with_pretend_user_exists_accepts_unknown_users, |s| {
    let i = stage(&s, "identification", "ident", vec![]).await;
    let d = stage(&s, "deny", "after", vec![("deny_message", "reached".into())]).await;
    flow_of(&s, "f", "authentication", &[&i, &d]).await;
    let mut c = FlowClient::new(&s.base);
    let ch = c.post("f", "", json!({"component": "ak-stage-identification", "uid_field": "nobody"})).await;
    denied(&ch, "reached");
    assert_eq!(ch["pending_user"], "nobody");
});

both!(identification_requires_a_non_blank_uid_field, |s| {
    let i = stage(&s, "identification", "ident", vec![]).await;
    flow_of(&s, "f", "authentication", &[&i]).await;
    let mut c = FlowClient::new(&s.base);
    let ch = c.post("f", "", json!({})).await;
    assert_eq!(errors(&ch), &json!({"uid_field": [{"string": "This field is required.", "code": "required"}]}));
    let ch = c.post("f", "", json!({"uid_field": "  "})).await;
    assert_eq!(errors(&ch), &json!({"uid_field": [{"string": "This field may not be blank.", "code": "blank"}]}));
    let ch = c.post("f", "", json!({"uid_field": 5})).await;
    assert_eq!(errors(&ch), &json!({"uid_field": [{"string": "Not a valid string.", "code": "invalid"}]}));
    let ch = c.post("f", "", json!(["not", "an", "object"])).await;
    assert_eq!(
        errors(&ch),
        &json!({"non_field_errors": [{"string": "Invalid data. Expected a dictionary, but got list.", "code": "invalid"}]})
    );
});

both!(identification_inline_password_is_checked_and_skips_nothing_else, |s| {
    let ps = stage(&s, "password", "pw", vec![]).await;
    let i = stage(&s, "identification", "ident", vec![("password_stage", ps.clone().into())]).await;
    let l = stage(&s, "user_login", "login", vec![]).await;
    flow_of(&s, "f", "authentication", &[&i, &l]).await;
    let mut c = FlowClient::new(&s.base);
    let ch = c.get("f", "").await;
    assert_eq!(ch["password_fields"], true);
    let fail = json!({"non_field_errors": [{"string": "Failed to authenticate.", "code": "invalid"}]});
    let ch = c.post("f", "", json!({"component": "ak-stage-identification", "uid_field": "akadmin", "password": "wrong"})).await;
    assert_eq!(errors(&ch), &fail);
    // An unknown user is refused even with pretend_user_exists when a password is asked inline.
    let ch = c.post("f", "", json!({"component": "ak-stage-identification", "uid_field": "ghost", "password": "x"})).await;
    assert_eq!(errors(&ch), &fail);
    // Passwords are not trimmed.
    let ch = c.post("f", "", json!({"component": "ak-stage-identification", "uid_field": "akadmin", "password": format!(" {PASSWORD}")})).await;
    assert_eq!(errors(&ch), &fail);
    let end = c.post("f", "", json!({"component": "ak-stage-identification", "uid_field": "akadmin", "password": PASSWORD})).await;
    assert_eq!(end, json!({"type": "redirect", "component": "xak-flow-redirect", "to": "/"}));
    assert_eq!(c.raw(reqwest::Method::GET, "/api/v3/core/users/me/", None).await.body["user"]["username"], "akadmin");
});

both!(identification_matches_case_insensitively_only_when_configured, |s| {
    user(&s, "alice", "pw-alice-1").await;
    let i = stage(&s, "identification", "ident", vec![("pretend_user_exists", false.into()), ("case_insensitive_matching", false.into())]).await;
    let d = stage(&s, "deny", "after", vec![("deny_message", "reached".into())]).await;
    flow_of(&s, "strict", "authentication", &[&i, &d]).await;
    let mut c = FlowClient::new(&s.base);
    let ch = c.post("strict", "", json!({"uid_field": "ALICE"})).await;
    assert_eq!(errors(&ch)["non_field_errors"][0]["string"], "Failed to authenticate.");
    let ch = c.post("strict", "", json!({"uid_field": "alice@example.com"})).await;
    denied(&ch, "reached");
    assert_eq!(ch["pending_user"], "alice");

    let i2 = stage(&s, "identification", "ident2", vec![("pretend_user_exists", false.into())]).await;
    flow_of(&s, "loose", "authentication", &[&i2, &d]).await;
    let ch = FlowClient::new(&s.base).post("loose", "", json!({"uid_field": "ALICE@EXAMPLE.COM"})).await;
    denied(&ch, "reached");
    assert_eq!(ch["pending_user"], "alice");
});

both!(identification_without_show_matched_user_shows_the_typed_identifier, |s| {
    user(&s, "alice", "pw-alice-1").await;
    let i = stage(&s, "identification", "ident", vec![("show_matched_user", false.into())]).await;
    let p = stage(&s, "password", "pw", vec![]).await;
    flow_of(&s, "f", "authentication", &[&i, &p]).await;
    let mut c = FlowClient::new(&s.base);
    let ch = c.post("f", "", json!({"component": "ak-stage-identification", "uid_field": "Alice@Example.com"})).await;
    assert_eq!(ch["component"], "ak-stage-password");
    assert_eq!(ch["pending_user"], "Alice@Example.com");
    assert_eq!(ch["pending_user_avatar"], "/static/dist/assets/images/user_default.png");
});

both!(identification_links_carry_the_stored_query, |s| {
    let enroll = flow(&s, "sign-up", "enrollment", json!({})).await;
    let recover = flow(&s, "forgot", "recovery", json!({})).await;
    let i = stage(&s, "identification", "ident", vec![("enrollment_flow", enroll.into()), ("recovery_flow", recover.into())]).await;
    flow_of(&s, "f", "enrollment", &[&i]).await;
    let ch = FlowClient::new(&s.base).get("f", "next=/app/&itoken=abc").await;
    assert_eq!(ch["enroll_url"], "/if/flow/sign-up/?itoken=abc&next=%2Fapp%2F");
    assert_eq!(ch["recovery_url"], "/if/flow/forgot/?itoken=abc&next=%2Fapp%2F");
    assert_eq!(ch["primary_action"], "Continue");
    assert_eq!(ch["flow_designation"], "enrollment");
    assert!(ch.get("passwordless_url").is_none());
    let ch = FlowClient::new(&s.base).get("f", "").await;
    assert_eq!(ch["enroll_url"], "/if/flow/sign-up/");
});

// ---- password ----

both!(password_stage_rejects_missing_blank_and_wrong_passwords_and_counts_them, |s| {
    login_flow(&s, "f", vec![("pretend_user_exists", false.into())], vec![("failed_attempts_before_cancel", 3i64.into())], vec![]).await;
    let mut c = FlowClient::new(&s.base);
    c.post("f", "", json!({"uid_field": "akadmin"})).await;
    let ch = c.post("f", "", json!({})).await;
    assert_eq!(errors(&ch), &json!({"password": [{"string": "This field is required.", "code": "required"}]}));
    let ch = c.post("f", "", json!({"password": ""})).await;
    assert_eq!(errors(&ch), &json!({"password": [{"string": "This field may not be blank.", "code": "blank"}]}));
    let ch = c.post("f", "", json!({"component": "ak-stage-password", "password": "wrong"})).await;
    denied(&ch, "Unknown error");
    assert_eq!(ch["pending_user"], "akadmin");
});

both!(password_counter_is_reset_by_a_successful_answer, |s| {
    let i = stage(&s, "identification", "ident", vec![]).await;
    let p = stage(&s, "password", "pw", vec![("failed_attempts_before_cancel", 3i64.into())]).await;
    flow_of(&s, "f", "authentication", &[&i, &p]).await;
    let mut c = FlowClient::new(&s.base);
    for round in 0..2 {
        c.post("f", "", json!({"uid_field": "akadmin"})).await;
        for _ in 0..2 {
            let ch = c.post("f", "", json!({"component": "ak-stage-password", "password": "wrong"})).await;
            assert_eq!(errors(&ch)["password"][0]["string"], "Invalid password", "round {round}");
        }
        let end = c.post("f", "", json!({"component": "ak-stage-password", "password": PASSWORD})).await;
        assert_eq!(end["component"], "xak-flow-redirect", "round {round}: {end}");
    }
});

both!(password_of_an_inactive_user_is_just_invalid, |s| {
    let pk = user(&s, "bob", "pw-bob-1234").await;
    assert_eq!(s.patch(&format!("/api/v3/core/users/{pk}/"), json!({"is_active": false})).await.status, 200);
    let mut c = FlowClient::new(&s.base);
    login_flow(&s, "f", vec![], vec![], vec![]).await;
    c.post("f", "", json!({"uid_field": "bob"})).await;
    let ch = c.post("f", "", json!({"component": "ak-stage-password", "password": "pw-bob-1234"})).await;
    assert_eq!(errors(&ch), &json!({"password": [{"string": "Invalid password", "code": "invalid"}]}));
});

both!(password_stage_accepts_an_app_password_token, |s| {
    let pk = user(&s, "bob", "pw-bob-1234").await;
    // The tokens API lands elsewhere: store the app password as that API would (keyed digest).
    let key = "bob-app-password-0123456789";
    let digest = domain::crypto::Sealer::new("test-secret-key").lookup_digest(key);
    insert_row(
        &s,
        "tokens",
        vec![
            ("uuid", uuid::Uuid::new_v4().to_string().into()),
            ("identifier", "bob-app".into()),
            ("key_digest", digest.into()),
            ("key_sealed", "unused-by-the-login".into()),
            ("intent", "app_password".into()),
            ("user_id", pk.into()),
            ("expiring", false.into()),
        ],
    )
    .await;
    login_flow(&s, "f", vec![], vec![], vec![]).await;
    let mut c = FlowClient::new(&s.base);
    c.post("f", "", json!({"uid_field": "bob"})).await;
    let end = c.post("f", "", json!({"component": "ak-stage-password", "password": key})).await;
    assert_eq!(end["component"], "xak-flow-redirect", "{end}");
    // Any other string is not that password.
    let mut d = FlowClient::new(&s.base);
    d.post("f", "", json!({"uid_field": "bob"})).await;
    let ch = d.post("f", "", json!({"component": "ak-stage-password", "password": "bob-app-password-012345678"})).await;
    assert_eq!(ch["response_errors"]["password"][0]["string"], "Invalid password");
});

// ---- prompt ----

const ALL_TYPES: &[&str] = &[
    "text", "text_area", "text_read_only", "text_area_read_only", "username", "email", "password", "number", "checkbox",
    "radio-button-group", "dropdown", "date", "date-time", "file", "separator", "hidden", "static", "ak-locale",
];

both!(prompt_challenge_renders_every_field_type_as_the_contract_says, |s| {
    let fields = ALL_TYPES
        .iter()
        .enumerate()
        .map(|(i, ty)| {
            let f = p(ty, ty).order(100 - i as i64);
            if *ty == "radio-button-group" || *ty == "dropdown" {
                f.placeholder("only")
            } else {
                f.placeholder("hint").initial("init")
            }
        })
        .collect();
    let st = prompt_stage(&s, "all", fields).await;
    flow_of(&s, "f", "enrollment", &[&st]).await;
    let ch = FlowClient::new(&s.base).get("f", "").await;
    let fields = ch["fields"].as_array().unwrap();
    assert_eq!(fields.len(), ALL_TYPES.len());
    // Sorted by `order`: the last type listed has the lowest order.
    assert_eq!(fields[0]["type"], "ak-locale");
    for f in fields {
        let ty = f["type"].as_str().unwrap();
        if ty == "radio-button-group" || ty == "dropdown" {
            assert_eq!(f["choices"], json!(["only"]), "{f}");
            assert_eq!(f["placeholder"], "", "{f}");
            assert_eq!(f["initial_value"], "only", "{f}");
        } else {
            assert_eq!(f["choices"], Value::Null, "{f}");
            assert_eq!(f["placeholder"], "hint");
            assert_eq!(f["initial_value"], "init");
        }
        assert_eq!(f["label"], format!("Label {ty}"));
        assert_eq!(f["required"], true);
        assert_eq!(f["sub_text"], "");
    }
});

both!(prompt_rejects_bad_values_with_drf_messages, |s| {
    let st = prompt_stage(
        &s,
        "bad",
        vec![
            p("req", "text"),
            p("blank", "text"),
            p("number", "number"),
            p("checkbox", "checkbox"),
            p("date", "date"),
            p("datetime", "date-time"),
            p("email", "email"),
            p("username", "username"),
            p("choice", "dropdown").placeholder("a"),
            p("radio", "radio-button-group").placeholder("a"),
            p("file", "file"),
            p("file2", "file"),
            p("notstring", "text"),
        ],
    )
    .await;
    flow_of(&s, "f", "enrollment", &[&st]).await;
    let mut c = FlowClient::new(&s.base);
    let ch = c
        .post(
            "f",
            "",
            json!({"component": "ak-stage-prompt", "blank": "", "number": "x", "checkbox": "maybe", "date": "2020-13-01",
                "datetime": "yesterday", "email": "not-an-email", "username": "akadmin", "choice": "z", "radio": "b",
                "file": "https://example.com/x", "file2": "data:text/plain,abc", "notstring": {"a": 1}}),
        )
        .await;
    let e = |m: &str, c: &str| json!([{"string": m, "code": c}]);
    assert_eq!(
        errors(&ch),
        &json!({
            "req": e("This field is required.", "required"),
            "blank": e("This field may not be blank.", "blank"),
            "number": e("A valid integer is required.", "invalid"),
            "checkbox": e("Must be a valid boolean.", "invalid"),
            "date": e("Date has wrong format. Use one of these formats instead: YYYY-MM-DD.", "invalid"),
            "datetime": e("Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].", "invalid"),
            "email": e("Enter a valid email address.", "invalid"),
            "username": e("Username is already taken.", "invalid"),
            "choice": e("\"z\" is not a valid choice.", "invalid_choice"),
            "radio": e("\"b\" is not a valid choice.", "invalid_choice"),
            "file": e("Invalid scheme", "invalid"),
            "file2": e("Invalid encoding", "invalid"),
            "notstring": e("Not a valid string.", "invalid"),
        })
    );
});

/// A prompt stage followed by a user write that stores every answer under `attributes.*`, so
/// the test can read `prompt_data` back from the created user.
async fn prompt_then_write(s: &TestServer, fields: Vec<P<'_>>) {
    let mut all = vec![p("username", "username")];
    all.extend(fields);
    let st = prompt_stage(s, "pr", all).await;
    let w = stage(s, "user_write", "write", vec![("user_creation_mode", "always_create".into())]).await;
    flow_of(s, "f", "enrollment", &[&st, &w]).await;
}

async fn attributes_of(s: &TestServer, username: &str) -> Value {
    let r = s.get(&format!("/api/v3/core/users/?username={username}")).await;
    assert_eq!(r.body["pagination"]["count"], 1, "{r:?}");
    r.body["results"][0]["attributes"].clone()
}

both!(prompt_stores_typed_values_and_forces_display_only_fields, |s| {
    prompt_then_write(
        &s,
        vec![
            p("attributes.hidden", "hidden").initial("hv"),
            p("attributes.static", "static").placeholder("sv"),
            p("attributes.ro", "text_read_only").initial("rv"),
            p("attributes.sep", "separator"),
            p("attributes.optional", "text").optional(),
            p("attributes.number", "number"),
            p("attributes.check", "checkbox"),
            p("attributes.day", "date"),
            p("attributes.pick", "dropdown").placeholder("x"),
            p("attributes.locale", "ak-locale"),
        ],
    )
    .await;
    let mut c = FlowClient::new(&s.base);
    let end = c
        .post(
            "f",
            "",
            json!({"component": "ak-stage-prompt", "username": " carol ", "attributes.hidden": "forged", "attributes.static": "forged",
                "attributes.ro": "forged", "attributes.sep": "forged", "attributes.number": "42", "attributes.check": "true",
                "attributes.day": "2024-02-29", "attributes.pick": "x", "attributes.locale": ""}),
        )
        .await;
    assert_eq!(end["component"], "xak-flow-redirect", "{end}");
    let a = attributes_of(&s, "carol").await;
    assert_eq!(
        a,
        json!({"hidden": "hv", "static": "sv", "ro": "rv", "number": 42, "check": true, "day": "2024-02-29", "pick": "x", "locale": ""})
    );
});

both!(prompt_field_with_a_current_value_is_not_required, |s| {
    prompt_then_write(&s, vec![p("attributes.keep", "text").initial("preset"), p("attributes.over", "text").initial("preset")]).await;
    let mut c = FlowClient::new(&s.base);
    let end = c.post("f", "", json!({"component": "ak-stage-prompt", "username": "dave", "attributes.over": "mine"})).await;
    assert_eq!(end["component"], "xak-flow-redirect", "{end}");
    assert_eq!(attributes_of(&s, "dave").await, json!({"keep": "preset", "over": "mine"}));
});

both!(prompt_two_password_fields_must_match_exactly, |s| {
    prompt_then_write(&s, vec![p("password", "password"), p("password_repeat", "password")]).await;
    let mut c = FlowClient::new(&s.base);
    let mismatch = json!({"non_field_errors": [{"string": "Passwords don't match.", "code": "invalid"}]});
    let ch = c.post("f", "", json!({"component": "ak-stage-prompt", "username": "erin", "password": "abc", "password_repeat": "abd"})).await;
    assert_eq!(errors(&ch), &mismatch);
    // Not trimmed: a trailing space makes them differ.
    let ch = c.post("f", "", json!({"component": "ak-stage-prompt", "username": "erin", "password": "abc ", "password_repeat": "abc"})).await;
    assert_eq!(errors(&ch), &mismatch);
    let end = c.post("f", "", json!({"component": "ak-stage-prompt", "username": "erin", "password": " S3cret ", "password_repeat": " S3cret "})).await;
    assert_eq!(end["component"], "xak-flow-redirect");
    // The untrimmed password is the one stored.
    login_flow(&s, "login", vec![], vec![], vec![]).await;
    let mut l = FlowClient::new(&s.base);
    l.post("login", "", json!({"uid_field": "erin"})).await;
    let ch = l.post("login", "", json!({"component": "ak-stage-password", "password": "S3cret"})).await;
    assert_eq!(errors(&ch)["password"][0]["string"], "Invalid password");
    let end = l.post("login", "", json!({"component": "ak-stage-password", "password": " S3cret "})).await;
    assert_eq!(end["component"], "xak-flow-redirect");
});

both!(prompt_username_may_keep_the_pending_users_own_name, |s| {
    user(&s, "frank", "pw-frank-123").await;
    let i = stage(&s, "identification", "ident", vec![("pretend_user_exists", false.into())]).await;
    let st = prompt_stage(&s, "pr", vec![p("username", "username"), p("name", "text")]).await;
    let w = stage(&s, "user_write", "write", vec![]).await;
    flow_of(&s, "f", "authentication", &[&i, &st, &w]).await;
    let mut c = FlowClient::new(&s.base);
    c.post("f", "", json!({"uid_field": "frank"})).await;
    let ch = c.post("f", "", json!({"component": "ak-stage-prompt", "username": "akadmin", "name": "F"})).await;
    assert_eq!(errors(&ch), &json!({"username": [{"string": "Username is already taken.", "code": "invalid"}]}));
    let end = c.post("f", "", json!({"component": "ak-stage-prompt", "username": "frank", "name": "Frank Renamed"})).await;
    assert_eq!(end["component"], "xak-flow-redirect", "{end}");
    let r = s.get("/api/v3/core/users/?username=frank").await;
    assert_eq!(r.body["results"][0]["name"], "Frank Renamed");
});

// ---- user write ----

both!(user_write_without_prompt_data_is_denied, |s| {
    let w = stage(&s, "user_write", "write", vec![]).await;
    flow_of(&s, "f", "enrollment", &[&w]).await;
    denied(&FlowClient::new(&s.base).get("f", "").await, "No Pending data.");
});

both!(user_write_never_create_needs_a_pending_user, |s| {
    let st = prompt_stage(&s, "pr", vec![p("username", "text")]).await;
    let w = stage(&s, "user_write", "write", vec![("user_creation_mode", "never_create".into())]).await;
    flow_of(&s, "f", "enrollment", &[&st, &w]).await;
    let ch = FlowClient::new(&s.base).post("f", "", json!({"component": "ak-stage-prompt", "username": "gina"})).await;
    denied(&ch, "No user found and can't create new user.");
    assert_eq!(s.get("/api/v3/core/users/?username=gina").await.body["pagination"]["count"], 0);
});

both!(user_write_creates_users_with_the_stages_settings, |s| {
    let group = uuid::Uuid::new_v4().to_string();
    insert_row(
        &s,
        "groups",
        vec![("uuid", group.clone().into()), ("name", "enrolled".into()), ("is_superuser", false.into()), ("attributes", "{}".into())],
    )
    .await;
    let st = prompt_stage(&s, "pr", vec![p("username", "text"), p("email", "email"), p("attributes.my_key", "text"), p("is_superuser", "checkbox")]).await;
    let w = stage(
        &s,
        "user_write",
        "write",
        vec![
            ("user_creation_mode", "always_create".into()),
            ("create_users_as_inactive", true.into()),
            ("create_users_group", group.clone().into()),
            ("user_type", "internal".into()),
            ("user_path_template", "users/enrolled".into()),
        ],
    )
    .await;
    flow_of(&s, "f", "enrollment", &[&st, &w]).await;
    let end = FlowClient::new(&s.base)
        .post("f", "", json!({"component": "ak-stage-prompt", "username": "hank", "email": "h@example.com", "attributes.my_key": "v", "is_superuser": true}))
        .await;
    assert_eq!(end["component"], "xak-flow-redirect", "{end}");
    let r = s.get("/api/v3/core/users/?username=hank").await;
    let u = &r.body["results"][0];
    assert_eq!(u["is_active"], false);
    assert_eq!(u["type"], "internal");
    assert_eq!(u["path"], "users/enrolled");
    assert_eq!(u["email"], "h@example.com");
    assert_eq!(u["is_superuser"], false, "keys outside the allow-list are dropped");
    // `_` becomes `.` in attribute keys, as authentik does.
    assert_eq!(u["attributes"], json!({"my": {"key": "v"}}));
    assert_eq!(u["groups"], json!([group]));
});

both!(user_write_when_required_updates_the_pending_user_and_always_create_fails_on_taken_names, |s| {
    let pk = user(&s, "ivan", "pw-ivan-123").await;
    let i = stage(&s, "identification", "ident", vec![("pretend_user_exists", false.into())]).await;
    let st = prompt_stage(&s, "pr", vec![p("name", "text")]).await;
    let w = stage(&s, "user_write", "write", vec![]).await;
    flow_of(&s, "upd", "authentication", &[&i, &st, &w]).await;
    let mut c = FlowClient::new(&s.base);
    c.post("upd", "", json!({"uid_field": "ivan"})).await;
    let end = c.post("upd", "", json!({"component": "ak-stage-prompt", "name": "Ivan the Updated"})).await;
    assert_eq!(end["component"], "xak-flow-redirect", "{end}");
    assert_eq!(s.get(&format!("/api/v3/core/users/{pk}/")).await.body["name"], "Ivan the Updated");
    assert_eq!(s.get("/api/v3/core/users/?name=Ivan%20the%20Updated").await.body["pagination"]["count"], 1);

    let st2 = prompt_stage(&s, "pr2", vec![p("username", "text")]).await;
    let w2 = stage(&s, "user_write", "write2", vec![("user_creation_mode", "always_create".into())]).await;
    flow_of(&s, "dup", "enrollment", &[&st2, &w2]).await;
    let ch = FlowClient::new(&s.base).post("dup", "", json!({"component": "ak-stage-prompt", "username": "ivan"})).await;
    denied(&ch, "Failed to update user. Please try again later.");
});

// ---- user login ----

both!(user_login_session_duration_sets_the_cookie_max_age, |s| {
    login_flow(&s, "f", vec![], vec![], vec![("session_duration", "hours=2".into())]).await;
    let mut c = FlowClient::new(&s.base);
    c.post("f", "", json!({"uid_field": "akadmin"})).await;
    assert!(c.all_set_cookies.iter().all(|h| !h.contains("Max-Age=")), "anonymous sessions are browser sessions");
    c.post("f", "", json!({"component": "ak-stage-password", "password": PASSWORD})).await;
    let session = c.all_set_cookies.iter().rev().find(|h| h.starts_with("authentik_session=")).unwrap().clone();
    assert!(session.contains("Max-Age=7200"), "{session}");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax") && session.contains("Path=/"), "{session}");
    assert!(!session.contains("Secure"), "plain HTTP: {session}");
    // Re-sent later (a new plan changes the session), the cookie stays persistent.
    let mut d = stage(&s, "deny", "later", vec![]).await;
    d = flow_of(&s, "later", "authentication", &[&d]).await;
    let _ = d;
    c.get("later", "").await;
    let again = c.set_cookie("authentik_session").expect("cookie re-sent");
    assert!(again.contains("Max-Age=71") || again.contains("Max-Age=72"), "{again}");
});

both!(user_login_asks_remember_me_when_an_offset_is_set, |s| {
    login_flow(&s, "f", vec![], vec![], vec![("session_duration", "hours=1".into()), ("remember_me_offset", "hours=1".into())]).await;
    let mut c = FlowClient::new(&s.base);
    c.post("f", "", json!({"uid_field": "akadmin"})).await;
    let ch = c.post("f", "", json!({"component": "ak-stage-password", "password": PASSWORD})).await;
    assert_eq!(ch["component"], "ak-stage-user-login", "{ch}");
    assert_eq!(ch["pending_user"], "akadmin");
    let ch = c.post("f", "", json!({})).await;
    assert_eq!(errors(&ch), &json!({"remember_me": [{"string": "This field is required.", "code": "required"}]}));
    let ch = c.post("f", "", json!({"remember_me": "perhaps"})).await;
    assert_eq!(errors(&ch), &json!({"remember_me": [{"string": "Must be a valid boolean.", "code": "invalid"}]}));
    let end = c.post("f", "", json!({"component": "ak-stage-user-login", "remember_me": true})).await;
    assert_eq!(end["component"], "xak-flow-redirect");
    let session = c.all_set_cookies.iter().rev().find(|h| h.starts_with("authentik_session=")).unwrap().clone();
    assert!(session.contains("Max-Age=7200"), "{session}");
    // Not remembered: only the session duration.
    let mut d = FlowClient::new(&s.base);
    d.post("f", "", json!({"uid_field": "akadmin"})).await;
    d.post("f", "", json!({"component": "ak-stage-password", "password": PASSWORD})).await;
    d.post("f", "", json!({"component": "ak-stage-user-login", "remember_me": false})).await;
    let session = d.all_set_cookies.iter().rev().find(|h| h.starts_with("authentik_session=")).unwrap().clone();
    assert!(session.contains("Max-Age=3600"), "{session}");
});

both!(user_login_denies_an_inactive_user, |s| {
    let pk = user(&s, "jill", "pw-jill-123").await;
    let i = stage(&s, "identification", "ident", vec![("pretend_user_exists", false.into())]).await;
    let l = stage(&s, "user_login", "login", vec![]).await;
    flow_of(&s, "f", "authentication", &[&i, &l]).await;
    s.patch(&format!("/api/v3/core/users/{pk}/"), json!({"is_active": false})).await;
    let mut c = FlowClient::new(&s.base);
    let ch = c.post("f", "", json!({"uid_field": "jill"})).await;
    denied(&ch, "Unknown error");
    assert_eq!(c.raw(reqwest::Method::GET, "/api/v3/core/users/me/", None).await.status, 403);
});

both!(user_login_without_a_pending_user_is_denied, |s| {
    let l = stage(&s, "user_login", "login", vec![]).await;
    flow_of(&s, "f", "authentication", &[&l]).await;
    denied(&FlowClient::new(&s.base).get("f", "").await, "Unknown error");
});

async fn logged_in(s: &TestServer, slug: &str, username: &str, password: &str) -> FlowClient {
    let mut c = FlowClient::new(&s.base);
    c.post(slug, "", json!({"uid_field": username})).await;
    let end = c.post(slug, "", json!({"component": "ak-stage-password", "password": password})).await;
    assert_eq!(end["component"], "xak-flow-redirect", "{end}");
    assert_eq!(c.raw(reqwest::Method::GET, "/api/v3/core/users/me/", None).await.status, 200);
    c
}

both!(user_login_terminate_other_sessions_ends_the_users_other_sessions, |s| {
    user(&s, "kim", "pw-kim-1234").await;
    login_flow(&s, "keep", vec![], vec![], vec![]).await;
    let i = stage(&s, "identification", "ident-t", vec![]).await;
    let p2 = stage(&s, "password", "pw-t", vec![]).await;
    let l = stage(&s, "user_login", "login-t", vec![("terminate_other_sessions", true.into())]).await;
    flow_of(&s, "terminate", "authentication", &[&i, &p2, &l]).await;
    let mut first = logged_in(&s, "keep", "kim", "pw-kim-1234").await;
    let mut other_user = logged_in(&s, "keep", "akadmin", PASSWORD).await;
    let mut second = logged_in(&s, "terminate", "kim", "pw-kim-1234").await;
    assert_eq!(first.raw(reqwest::Method::GET, "/api/v3/core/users/me/", None).await.status, 403);
    assert_eq!(second.raw(reqwest::Method::GET, "/api/v3/core/users/me/", None).await.status, 200);
    assert_eq!(other_user.raw(reqwest::Method::GET, "/api/v3/core/users/me/", None).await.status, 200);
});

// ---- user logout, deny, source ----

both!(user_logout_flushes_the_session_and_later_stages_still_run, |s| {
    login_flow(&s, "login", vec![], vec![], vec![]).await;
    let mut c = logged_in(&s, "login", "akadmin", PASSWORD).await;
    let before = c.session.clone();
    let out = stage(&s, "user_logout", "out", vec![]).await;
    let d = stage(&s, "deny", "after", vec![("deny_message", "after logout".into())]).await;
    flow_of(&s, "f", "invalidation", &[&out, &d]).await;
    let ch = c.get("f", "next=/elsewhere/").await;
    denied(&ch, "after logout");
    assert_eq!(ch["pending_user"], "");
    assert_ne!(c.session, before);
    assert_eq!(c.raw(reqwest::Method::GET, "/api/v3/core/users/me/", None).await.status, 403);
    // A logout flow that ends right after the logout still honours a safe `next`.
    let mut c = logged_in(&s, "login", "akadmin", PASSWORD).await;
    flow_of(&s, "bye", "invalidation", &[&out]).await;
    assert_eq!(c.get("bye", "next=/goodbye/").await, json!({"type": "redirect", "component": "xak-flow-redirect", "to": "/goodbye/"}));
    assert_eq!(c.raw(reqwest::Method::GET, "/api/v3/core/users/me/", None).await.status, 403);
});

both!(deny_stage_shows_the_configured_message_or_unknown_error, |s| {
    let d = stage(&s, "deny", "d1", vec![("deny_message", "Not today.".into())]).await;
    flow_of(&s, "f1", "authentication", &[&d]).await;
    let mut c = FlowClient::new(&s.base);
    let ch = c.get("f1", "").await;
    assert_eq!(
        ch,
        json!({"type": "native", "flow_info": {"title": "Title of f1", "background": "/static/dist/assets/images/flow_background.jpg", "cancel_url": "/flows/-/cancel/", "layout": "stacked"},
            "component": "ak-stage-access-denied", "pending_user": "", "pending_user_avatar": "/static/dist/assets/images/user_default.png", "error_message": "Not today."})
    );
    let d2 = stage(&s, "deny", "d2", vec![]).await;
    flow_of(&s, "f2", "authentication", &[&d2]).await;
    denied(&c.get("f2", "").await, "Unknown error");
});

both!(a_source_stage_without_its_source_denies, |s| {
    let st = stage(&s, "source", "src", vec![]).await;
    flow_of(&s, "f", "authentication", &[&st]).await;
    let mut c = FlowClient::new(&s.base);
    let ch = c.get("f", "").await;
    assert_eq!(ch["component"], "ak-stage-access-denied", "{ch}");
    assert_eq!(ch["error_message"], "Source does not exist");
});

both!(a_stage_the_executor_cannot_run_is_a_flow_error_with_details_for_superusers, |s| {
    let st = stage(&s, "dummy", "cannot-run", vec![]).await;
    flow_of(&s, "f", "authentication", &[&st]).await;
    let mut c = FlowClient::new(&s.base);
    let r = c.raw(reqwest::Method::GET, "/api/v3/flows/executor/f/", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["component"], "ak-stage-flow-error");
    assert_eq!(r.body["request_id"].as_str().map(str::len), Some(32));
    assert!(r.body.get("error").is_none(), "details only for superusers: {}", r.body);
    crate::contract::assert_challenge(&r.body);
    // A superuser (here via bearer token) sees what went wrong.
    let r = s.get("/api/v3/flows/executor/f/").await;
    assert_eq!(r.body["component"], "ak-stage-flow-error");
    assert!(r.body["error"].as_str().unwrap().contains("no executor for stage kind dummy"), "{}", r.body);
    crate::contract::assert_challenge(&r.body);
});
