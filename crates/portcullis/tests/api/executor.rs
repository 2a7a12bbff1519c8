use crate::flow_client::FlowClient;
use crate::harness::{TestServer, PASSWORD};
use serde_json::json;
use std::sync::Arc;

const LOGIN: &str = "default-authentication-flow";

async fn login_as_admin(s: &TestServer) -> FlowClient {
    let mut c = FlowClient::new(&s.base);
    c.get(LOGIN, "").await;
    c.post(LOGIN, "", json!({"component": "ak-stage-identification", "uid_field": "akadmin"})).await;
    let end = c.post(LOGIN, "", json!({"component": "ak-stage-password", "password": PASSWORD})).await;
    assert_eq!(end["component"], "xak-flow-redirect", "{end}");
    c
}

both_seeded!(default_login_flow_runs_identification_password_login, |s| {
    let mut c = FlowClient::new(&s.base);
    let ch = c.get(LOGIN, "next=/app/").await;
    assert_eq!(
        ch,
        json!({"type": "native", "flow_info": {"title": "Welcome to authentik!", "background": "/static/dist/assets/images/flow_background.jpg", "cancel_url": "/flows/-/cancel/", "layout": "stacked"}, "component": "ak-stage-identification", "user_fields": ["email", "username"], "password_fields": false, "flow_designation": "authentication", "primary_action": "Log in", "sources": [], "show_source_labels": false})
    );
    let anonymous_session = c.session.clone().expect("a session cookie");
    let ch = c.post(LOGIN, "next=/app/", json!({"component": "ak-stage-identification", "uid_field": "AKADMIN"})).await;
    assert_eq!(ch["component"], "ak-stage-password");
    assert_eq!(ch["pending_user"], "akadmin");
    let ch = c.post(LOGIN, "next=/app/", json!({"component": "ak-stage-password", "password": "wrong"})).await;
    assert_eq!(ch["component"], "ak-stage-password");
    assert_eq!(ch["response_errors"], json!({"password": [{"string": "Invalid password", "code": "invalid"}]}));
    let end = c.post(LOGIN, "next=/app/", json!({"component": "ak-stage-password", "password": PASSWORD})).await;
    assert_eq!(end, json!({"type": "redirect", "component": "xak-flow-redirect", "to": "/app/"}));
    // A new session id at login (no fixation), and the session authenticates the API.
    assert_ne!(c.session.as_deref(), Some(anonymous_session.as_str()));
    let me = c.raw(reqwest::Method::GET, "/api/v3/core/users/me/", None).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["user"]["username"], "akadmin");
});

both_seeded!(password_stage_cancels_after_the_failed_attempt_limit, |s| {
    let mut c = FlowClient::new(&s.base);
    c.post(LOGIN, "", json!({"uid_field": "akadmin"})).await;
    for _ in 0..4 {
        let ch = c.post(LOGIN, "", json!({"password": "nope"})).await;
        assert_eq!(ch["response_errors"]["password"][0]["string"], "Invalid password");
    }
    let denied = c.post(LOGIN, "", json!({"password": "nope"})).await;
    assert_eq!(denied["component"], "ak-stage-access-denied");
    assert_eq!(denied["error_message"], "Unknown error");
    // The plan is gone: the next request starts at identification again.
    assert_eq!(c.get(LOGIN, "").await["component"], "ak-stage-identification");
});

both_seeded!(unknown_identifier_is_indistinguishable_until_the_password, |s| {
    let mut c = FlowClient::new(&s.base);
    let ch = c.post(LOGIN, "", json!({"uid_field": "nobody@example.com"})).await;
    assert_eq!(ch["component"], "ak-stage-password");
    assert_eq!(ch["pending_user"], "nobody@example.com");
    let ch = c.post(LOGIN, "", json!({"password": "whatever"})).await;
    assert_eq!(ch["response_errors"]["password"][0]["string"], "Invalid password");
});

both_seeded!(unsafe_next_is_refused_at_the_end_of_the_flow, |s| {
    let mut c = FlowClient::new(&s.base);
    c.post(LOGIN, "next=https://evil.example/", json!({"uid_field": "akadmin"})).await;
    let end = c.post(LOGIN, "next=https://evil.example/", json!({"password": PASSWORD})).await;
    assert_eq!(end["component"], "ak-stage-access-denied");
    assert_eq!(end["error_message"], "Invalid next URL");
});

both_seeded!(logout_flow_ends_the_session, |s| {
    let mut c = login_as_admin(&s).await;
    assert_eq!(c.raw(reqwest::Method::GET, "/api/v3/core/users/me/", None).await.status, 200);
    let end = c.get("default-invalidation-flow", "").await;
    assert_eq!(end["component"], "xak-flow-redirect");
    assert_eq!(c.raw(reqwest::Method::GET, "/api/v3/core/users/me/", None).await.status, 403);
});

both_seeded!(session_writes_to_the_api_need_the_csrf_header, |s| {
    let mut c = login_as_admin(&s).await;
    let r = c.raw(reqwest::Method::POST, "/api/v3/core/users/", Some(&json!({"username": "x", "name": "x"}))).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body["detail"], "CSRF Failed: CSRF token missing or incorrect.");
});

both_seeded!(unknown_flow_is_404, |s| {
    let mut c = FlowClient::new(&s.base);
    let r = c.raw(reqwest::Method::GET, "/api/v3/flows/executor/nope/", None).await;
    assert_eq!(r.status, 404);
});

async fn invitation(s: &Arc<TestServer>, single_use: bool, flow_slug: Option<&str>, expires: Option<i64>) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let flow = match flow_slug {
        Some(slug) => Some(s.get(&format!("/api/v3/flows/instances/{slug}/")).await.body["pk"].as_str().unwrap().to_string()),
        None => None,
    };
    crate::harness::insert_row(
        s,
        "invitations",
        vec![
            ("uuid", id.clone().into()),
            ("name", "welcome".into()),
            ("expires", expires.into()),
            ("fixed_data", r#"{"email": "new@example.com"}"#.into()),
            ("created_by", 1i64.into()),
            ("single_use", single_use.into()),
            ("flow", flow.into()),
        ],
    )
    .await;
    id
}

const ENROLL: &str = "default-enrollment-invitation";

fn enrollment_answer(username: &str) -> serde_json::Value {
    json!({"component": "ak-stage-prompt", "username": username, "password": "S3cret!pass", "password_repeat": "S3cret!pass", "name": "New User"})
}

both_seeded!(invitation_enrollment_creates_and_logs_in_the_user, |s| {
    let inv = invitation(&s, true, Some(ENROLL), None).await;
    let mut c = FlowClient::new(&s.base);
    let q = format!("itoken={inv}");
    let ch = c.get(ENROLL, &q).await;
    assert_eq!(ch["component"], "ak-stage-prompt", "{ch}");
    let email = ch["fields"].as_array().unwrap().iter().find(|f| f["field_key"] == "email").unwrap();
    assert_eq!(email["initial_value"], "new@example.com");
    let mismatch = c.post(ENROLL, &q, json!({"username": "new", "password": "a", "password_repeat": "b", "name": "N"})).await;
    assert_eq!(mismatch["response_errors"], json!({"non_field_errors": [{"string": "Passwords don't match.", "code": "invalid"}]}));
    let end = c.post(ENROLL, &q, enrollment_answer("new")).await;
    assert_eq!(end, json!({"type": "redirect", "component": "xak-flow-redirect", "to": "/"}));
    let me = c.raw(reqwest::Method::GET, "/api/v3/core/users/me/", None).await;
    assert_eq!(me.body["user"]["username"], "new");
    assert_eq!(me.body["user"]["email"], "new@example.com");
    // Single use: consumed when the flow completed.
    let mut other = FlowClient::new(&s.base);
    let denied = other.get(ENROLL, &q).await;
    assert_eq!(denied["error_message"], "Invalid invite/invite not found");
});

both_seeded!(missing_expired_and_wrong_flow_invitations_are_refused, |s| {
    let mut c = FlowClient::new(&s.base);
    let denied = c.get(ENROLL, "").await;
    assert_eq!(denied["component"], "ak-stage-access-denied");
    assert_eq!(denied["error_message"], "Invalid invite/invite not found");
    let expired = invitation(&s, false, None, Some(domain::time::now_micros() - 1_000_000)).await;
    let denied = FlowClient::new(&s.base).get(ENROLL, &format!("itoken={expired}")).await;
    assert_eq!(denied["error_message"], "Invalid invite/invite not found");
    let wrong = invitation(&s, false, Some(LOGIN), None).await;
    let denied = FlowClient::new(&s.base).get(ENROLL, &format!("itoken={wrong}")).await;
    assert_eq!(denied["error_message"], "Invalid invite/invite not found");
    let denied = FlowClient::new(&s.base).get(ENROLL, "itoken=not-a-uuid").await;
    assert_eq!(denied["error_message"], "Invalid invite/invite not found");
});

both_seeded!(two_flows_racing_on_a_single_use_invitation_enroll_one_user, |s| {
    let inv = invitation(&s, true, None, None).await;
    let q = format!("itoken={inv}");
    let mut a = FlowClient::new(&s.base);
    let mut b = FlowClient::new(&s.base);
    let (ca, cb) = tokio::join!(a.get(ENROLL, &q), b.get(ENROLL, &q));
    let prompts = [&ca, &cb].iter().filter(|c| c["component"] == "ak-stage-prompt").count();
    assert_eq!(prompts, 1, "exactly one flow may hold the invitation: {ca} / {cb}");
    let winner = if ca["component"] == "ak-stage-prompt" { &mut a } else { &mut b };
    winner.post(ENROLL, &q, enrollment_answer("winner")).await;
    let users = s.get("/api/v3/core/users/?username=winner").await;
    assert_eq!(users.body["pagination"]["count"], 1);
});

both_seeded!(execute_plans_the_flow_for_the_caller_in_their_session, |s| {
    let flow = s.create("/api/v3/flows/instances/", json!({"name": "Confirm", "slug": "confirm", "title": "Confirm", "designation": "stage_configuration"})).await;
    let stage = s.create("/api/v3/stages/password/", json!({"name": "confirm-password", "backends": ["authentik.core.auth.InbuiltBackend"]})).await;
    s.create("/api/v3/flows/bindings/", json!({"target": flow["pk"], "stage": stage["pk"], "order": 10})).await;
    let mut c = login_as_admin(&s).await;
    let r = c.raw(reqwest::Method::GET, "/api/v3/flows/instances/confirm/execute/", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["link"], format!("{}/if/flow/confirm/", s.base));
    // The plan in the session already knows who the user is.
    let ch = c.get("confirm", "").await;
    assert_eq!(ch["component"], "ak-stage-password");
    assert_eq!(ch["pending_user"], "akadmin");
    // A token client gets the link as well (it has no session to keep a plan in).
    let r = s.get("/api/v3/flows/instances/confirm/execute/").await;
    assert_eq!(r.status, 200);
    // A flow whose requirement the caller does not meet is not applicable.
    let r = s.get("/api/v3/flows/instances/default-enrollment-invitation/execute/").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"non_field_errors": ["Flow not applicable to current user/request: Flow does not apply to current user."]}));
    assert_eq!(s.get("/api/v3/flows/instances/nope/execute/").await.status, 404);
});

// ---- the executor protocol (flows.md 3) ----

use crate::flow_fixtures::*;
use crate::harness::{config, create_pg_database, drop_pg_database, temp_dir, Db};
use serde_json::Value;

fn assert_denied(ch: &Value, message: &str) {
    assert_eq!(ch["component"], "ak-stage-access-denied", "{ch}");
    assert_eq!(ch["error_message"], message, "{ch}");
}

async fn deny_flow(s: &TestServer, slug: &str, extra: Value) {
    let f = flow(s, slug, "authentication", extra).await;
    let d = stage(s, "deny", &format!("{slug}-deny"), vec![("deny_message", "reached the stage".into())]).await;
    bind(s, &f, &d, 10).await;
}

both_seeded!(flow_authentication_requirement_is_checked_at_planning, |s| {
    for (slug, req) in [("needs-login", "require_authenticated"), ("needs-su", "require_superuser"), ("needs-outpost", "require_outpost"), ("needs-anon", "require_unauthenticated")] {
        deny_flow(&s, slug, json!({"authentication": req, "denied_action": "message"})).await;
    }
    let mut anon = FlowClient::new(&s.base);
    assert_denied(&anon.get("needs-login", "").await, "Flow does not apply to current user.");
    assert_denied(&anon.get("needs-su", "").await, "Flow does not apply to current user.");
    assert_denied(&anon.get("needs-outpost", "").await, "Flow does not apply to current user.");
    assert_denied(&anon.get("needs-anon", "").await, "reached the stage");
    let ch = anon.get("needs-login", "").await;
    assert_eq!(ch["pending_user"], "");
    assert_eq!(ch["flow_info"]["title"], "Title of needs-login");

    let mut admin = login_as_admin(&s).await;
    assert_denied(&admin.get("needs-login", "").await, "reached the stage");
    assert_denied(&admin.get("needs-su", "").await, "reached the stage");
    assert_denied(&admin.get("needs-anon", "").await, "Flow does not apply to current user.");
    assert_denied(&admin.get("needs-outpost", "").await, "Flow does not apply to current user.");

    user(&s, "plain", "pw-plain-123").await;
    let mut plain = FlowClient::new(&s.base);
    plain.post(LOGIN, "", json!({"uid_field": "plain"})).await;
    plain.post(LOGIN, "", json!({"component": "ak-stage-password", "password": "pw-plain-123"})).await;
    assert_denied(&plain.get("needs-su", "").await, "Flow does not apply to current user.");
    assert_denied(&plain.get("needs-login", "").await, "reached the stage");
});

both_seeded!(denied_action_decides_between_message_and_redirect, |s| {
    deny_flow(&s, "cont", json!({"authentication": "require_authenticated", "denied_action": "continue"})).await;
    deny_flow(&s, "msgcont", json!({"authentication": "require_authenticated", "denied_action": "message_continue"})).await;
    deny_flow(&s, "msg", json!({"authentication": "require_authenticated", "denied_action": "message"})).await;
    let redirect = |to: &str| json!({"type": "redirect", "component": "xak-flow-redirect", "to": to});
    let mut c = FlowClient::new(&s.base);
    assert_eq!(c.get("cont", "").await, redirect("/"));
    assert_eq!(c.get("cont", "next=/app/").await, redirect("/app/"));
    // An unsafe `next` is ignored.
    assert_eq!(c.get("cont", "next=//evil.example/").await, redirect("/"));
    assert_eq!(c.get("msgcont", "next=/app/").await, redirect("/app/"));
    // `next` directly on the executor URL (authentik's reading) counts too.
    assert_eq!(c.exec_path("/api/v3/flows/executor/msgcont/?next=%2Fown%2F", None).await, redirect("/own/"));
    assert_denied(&c.get("msgcont", "").await, "Flow does not apply to current user.");
    assert_denied(&c.get("msg", "next=/app/").await, "Flow does not apply to current user.");
});

both_seeded!(invalid_response_action_restart_starts_the_flow_again, |s| {
    let first = prompt_stage(&s, "first", vec![p("a", "text")]).await;
    let second = prompt_stage(&s, "second", vec![p("b", "text")]).await;
    let f = flow(&s, "restart", "enrollment", json!({})).await;
    bind(&s, &f, &first, 10).await;
    bind_with(&s, &f, &second, 20, "restart").await;
    let f2 = flow(&s, "restart-ctx", "enrollment", json!({})).await;
    bind(&s, &f2, &first, 10).await;
    bind_with(&s, &f2, &second, 20, "restart_with_context").await;

    let mut c = FlowClient::new(&s.base);
    let ch = c.post("restart", "", json!({"component": "ak-stage-prompt", "a": "kept?"})).await;
    assert_eq!(ch["fields"][0]["field_key"], "b");
    let ch = c.post("restart", "", json!({"component": "ak-stage-prompt"})).await;
    assert_eq!(ch["fields"][0]["field_key"], "a", "back at the first stage: {ch}");
    assert_eq!(ch["fields"][0]["initial_value"], "", "a plain restart forgets the answers");
    assert!(ch.get("response_errors").is_none());

    let ch = c.post("restart-ctx", "", json!({"component": "ak-stage-prompt", "a": "kept"})).await;
    assert_eq!(ch["fields"][0]["field_key"], "b");
    let ch = c.post("restart-ctx", "", json!({"component": "ak-stage-prompt"})).await;
    assert_eq!(ch["fields"][0]["field_key"], "a");
    assert_eq!(ch["fields"][0]["initial_value"], "kept", "restart_with_context keeps prompt_data");
});

both_seeded!(continuation_is_a_302_only_for_the_canonical_url, |s| {
    let mut c = FlowClient::new(&s.base);
    let canonical = "/api/v3/flows/executor/default-authentication-flow/?query=next%3D%2Fapp%2F";
    let r = c.raw(reqwest::Method::POST, canonical, Some(&json!({"uid_field": "akadmin"}))).await;
    assert_eq!(r.status, 302);
    assert_eq!(r.location.as_deref(), Some(canonical));
    // The same query encoded differently (`/` left alone): a redirect challenge to the canonical URL.
    let mut c = FlowClient::new(&s.base);
    let r = c.raw(reqwest::Method::POST, "/api/v3/flows/executor/default-authentication-flow/?query=next%3D/app/", Some(&json!({"uid_field": "akadmin"}))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, json!({"type": "redirect", "component": "xak-flow-redirect", "to": canonical}));
    let ch = c.exec_path(canonical, None).await;
    assert_eq!(ch["component"], "ak-stage-password");
    // Without any query the continuation is the bare executor URL.
    let mut c = FlowClient::new(&s.base);
    let r = c.raw(reqwest::Method::POST, "/api/v3/flows/executor/default-authentication-flow/", Some(&json!({"uid_field": "akadmin"}))).await;
    assert_eq!((r.status, r.location.as_deref()), (302, Some("/api/v3/flows/executor/default-authentication-flow/")));
});

both_seeded!(cancel_drops_the_plan_and_honours_only_a_safe_next, |s| {
    let mut c = FlowClient::new(&s.base);
    c.post(LOGIN, "", json!({"uid_field": "akadmin"})).await;
    let r = c.raw(reqwest::Method::GET, "/flows/-/cancel/", None).await;
    assert_eq!((r.status, r.location.as_deref()), (302, Some("/flows/-/default/invalidation/")));
    assert_eq!(c.get(LOGIN, "").await["component"], "ak-stage-identification");
    let r = c.raw(reqwest::Method::GET, "/flows/-/cancel/?next=%2Fapp%2F", None).await;
    assert_eq!(r.location.as_deref(), Some("/app/"));
    for bad in ["https%3A%2F%2Fevil.example%2F", "%2F%2Fevil.example", "%2F%5Cevil.example", "javascript%3Aalert(1)"] {
        let r = c.raw(reqwest::Method::GET, &format!("/flows/-/cancel/?next={bad}"), None).await;
        assert_eq!(r.location.as_deref(), Some("/flows/-/default/invalidation/"), "{bad}");
    }
    let r = c.raw(reqwest::Method::GET, "/flows/-/default/invalidation/", None).await;
    assert_eq!(r.location.as_deref(), Some("/if/flow/default-invalidation-flow/"));
});

both_seeded!(next_must_be_a_site_relative_path, |s| {
    for bad in ["//evil.example/", "/\\evil.example", "javascript:alert(1)", "https://evil.example/"] {
        let mut c = FlowClient::new(&s.base);
        let q = format!("next={}", engine::flow::query::escape(bad));
        c.post(LOGIN, &q, json!({"uid_field": "akadmin"})).await;
        let end = c.post(LOGIN, &q, json!({"component": "ak-stage-password", "password": PASSWORD})).await;
        assert_denied(&end, "Invalid next URL");
    }
    let mut c = FlowClient::new(&s.base);
    c.post(LOGIN, "next=/app/?a=1", json!({"uid_field": "akadmin"})).await;
    let end = c.post(LOGIN, "next=/app/?a=1", json!({"component": "ak-stage-password", "password": PASSWORD})).await;
    assert_eq!(end["to"], "/app/?a=1");
});

both_seeded!(executor_posts_of_a_logged_in_session_need_the_csrf_header, |s| {
    deny_flow(&s, "d", json!({})).await;
    let mut c = login_as_admin(&s).await;
    let r = c.raw(reqwest::Method::POST, "/api/v3/flows/executor/default-authentication-flow/", Some(&json!({"uid_field": "akadmin"}))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["component"], "ak-stage-flow-error", "{}", r.body);
    crate::contract::assert_challenge(&r.body);
    // GETs are fine, and so is a POST with the header.
    assert_eq!(c.get(LOGIN, "").await["component"], "ak-stage-identification");
    c.send_csrf = true;
    let ch = c.post(LOGIN, "", json!({"uid_field": "akadmin"})).await;
    assert_eq!(ch["component"], "ak-stage-password");
    // The API accepts a session write with the right header.
    let r = c.raw(reqwest::Method::POST, "/api/v3/core/users/", Some(&json!({"username": "via-session", "name": "x"}))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Anonymous executor POSTs need no token.
    let mut anon = FlowClient::new(&s.base);
    assert_eq!(anon.post(LOGIN, "", json!({"uid_field": "akadmin"})).await["component"], "ak-stage-password");
});

both_seeded!(login_replaces_the_session_id_and_the_old_one_is_dead, |s| {
    let mut c = FlowClient::new(&s.base);
    c.post(LOGIN, "", json!({"uid_field": "akadmin"})).await;
    let (old_session, old_csrf) = (c.session.clone().unwrap(), c.csrf.clone().unwrap());
    c.post(LOGIN, "", json!({"component": "ak-stage-password", "password": PASSWORD})).await;
    assert_ne!(c.session.as_deref(), Some(old_session.as_str()));
    assert_ne!(c.csrf.as_deref(), Some(old_csrf.as_str()));
    let mut fixated = FlowClient::new(&s.base);
    fixated.session = Some(old_session);
    assert_eq!(fixated.raw(reqwest::Method::GET, "/api/v3/core/users/me/", None).await.status, 403);
    assert_eq!(c.raw(reqwest::Method::GET, "/api/v3/core/users/me/", None).await.status, 200);
});

both_seeded!(a_plan_for_another_flow_is_discarded, |s| {
    deny_flow(&s, "other", json!({})).await;
    let mut c = FlowClient::new(&s.base);
    assert_eq!(c.post(LOGIN, "", json!({"uid_field": "akadmin"})).await["component"], "ak-stage-password");
    assert_denied(&c.get("other", "").await, "reached the stage");
    assert_eq!(c.get(LOGIN, "").await["component"], "ak-stage-identification");
});

both_seeded!(malformed_bodies_get_a_flow_error_with_the_request_id, |s| {
    let r = s
        .raw(
            s.client()
                .post(format!("{}/api/v3/flows/executor/{LOGIN}/", s.base))
                .header("Content-Type", "application/json")
                .body("{not json"),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["component"], "ak-stage-flow-error");
    assert_eq!(r.headers["x-authentik-id"].to_str().unwrap(), r.body["request_id"].as_str().unwrap());
    crate::contract::assert_challenge(&r.body);
});

both_seeded!(deactivating_or_deleting_a_user_ends_their_sessions, |s| {
    let pk = user(&s, "lena", "pw-lena-1234").await;
    async fn login(s: &TestServer) -> FlowClient {
        let mut c = FlowClient::new(&s.base);
        c.post(LOGIN, "", json!({"uid_field": "lena"})).await;
        c.post(LOGIN, "", json!({"component": "ak-stage-password", "password": "pw-lena-1234"})).await;
        assert_eq!(c.raw(reqwest::Method::GET, "/api/v3/core/users/me/", None).await.status, 200);
        c
    }
    async fn me(c: &mut FlowClient) -> u16 {
        c.raw(reqwest::Method::GET, "/api/v3/core/users/me/", None).await.status
    }
    let url = format!("/api/v3/core/users/{pk}/");
    // PATCH is_active=false, then back: the old session stays dead.
    let mut c = login(&s).await;
    assert_eq!(s.patch(&url, json!({"is_active": false})).await.status, 200);
    assert_eq!(s.patch(&url, json!({"is_active": true})).await.status, 200);
    assert_eq!(me(&mut c).await, 403);
    // The same through PUT.
    let mut c = login(&s).await;
    assert_eq!(s.put(&url, json!({"username": "lena", "name": "lena", "is_active": false})).await.status, 200);
    assert_eq!(s.patch(&url, json!({"is_active": true})).await.status, 200);
    assert_eq!(me(&mut c).await, 403);
    // A PATCH that keeps the user active keeps the session.
    let mut c = login(&s).await;
    assert_eq!(s.patch(&url, json!({"name": "Lena"})).await.status, 200);
    assert_eq!(me(&mut c).await, 200);
    assert_eq!(s.delete(&url).await.status, 204);
    assert_eq!(me(&mut c).await, 403);
});

both_seeded!(invitation_may_be_optional_or_come_from_an_earlier_prompt, |s| {
    let inv = invitation(&s, false, None, None).await;
    // continue_flow_without_invitation: no invitation, and the flow goes on untouched.
    let opt = stage(&s, "invitation", "optional-inv", vec![("continue_flow_without_invitation", true.into())]).await;
    let show = prompt_stage(&s, "show", vec![p("email", "email")]).await;
    flow_of(&s, "optional", "enrollment", &[&opt, &show]).await;
    let mut c = FlowClient::new(&s.base);
    let ch = c.get("optional", "").await;
    assert_eq!(ch["fields"][0]["initial_value"], "");
    let ch = FlowClient::new(&s.base).get("optional", &format!("itoken={inv}")).await;
    assert_eq!(ch["fields"][0]["initial_value"], "new@example.com", "fixed_data lands in prompt_data");
    // The token asked for by a prompt field named `token`.
    let ask = prompt_stage(&s, "ask", vec![p("token", "text")]).await;
    let req = stage(&s, "invitation", "required-inv", vec![]).await;
    flow_of(&s, "asked", "enrollment", &[&ask, &req, &show]).await;
    let mut c = FlowClient::new(&s.base);
    let ch = c.post("asked", "", json!({"component": "ak-stage-prompt", "token": inv})).await;
    assert_eq!(ch["fields"][0]["field_key"], "email", "{ch}");
    assert_eq!(ch["fields"][0]["initial_value"], "new@example.com");
    let ch = FlowClient::new(&s.base).post("asked", "", json!({"component": "ak-stage-prompt", "token": uuid::Uuid::new_v4().to_string()})).await;
    assert_denied(&ch, "Invalid invite/invite not found");
});

both_seeded!(single_use_invitation_cannot_be_reused_after_enrollment, |s| {
    let inv = invitation(&s, true, Some(ENROLL), None).await;
    let q = format!("itoken={inv}");
    let mut c = FlowClient::new(&s.base);
    c.get(ENROLL, &q).await;
    c.post(ENROLL, &q, enrollment_answer("first")).await;
    assert_eq!(c.raw(reqwest::Method::GET, "/api/v3/core/users/me/", None).await.body["user"]["username"], "first");
    // A logged-in user may not enroll again (require_unauthenticated)...
    assert_denied(&c.get(ENROLL, &q).await, "Flow does not apply to current user.");
    // ...and a new visitor finds the invitation gone.
    assert_denied(&FlowClient::new(&s.base).get(ENROLL, &q).await, "Invalid invite/invite not found");
    // A reusable invitation serves several enrollments.
    let multi = invitation(&s, false, Some(ENROLL), None).await;
    for name in ["m1", "m2"] {
        let mut c = FlowClient::new(&s.base);
        c.get(ENROLL, &format!("itoken={multi}")).await;
        let end = c.post(ENROLL, &format!("itoken={multi}"), enrollment_answer(name)).await;
        assert_eq!(end["component"], "xak-flow-redirect", "{end}");
    }
});

/// The session cookie is `Secure` only when a trusted proxy says the request came over HTTPS.
async fn secure_cookie_case(db: Db) {
    crate::harness::run_with(db, &[("PORTCULLIS_DEFAULT_FLOWS", "true"), ("PORTCULLIS_TRUST_PROXY", "true")], |s| async move {
        let mut c = FlowClient::new(&s.base);
        c.headers.push(("X-Forwarded-Proto".into(), "https".into()));
        c.get(LOGIN, "").await;
        let cookie = c.set_cookie("authentik_session").expect("session cookie");
        assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(c.set_cookie("authentik_csrf").unwrap().contains("; Secure"));
        c.post(LOGIN, "", json!({"uid_field": "akadmin"})).await;
        c.post(LOGIN, "", json!({"component": "ak-stage-password", "password": PASSWORD})).await;
        assert!(c.all_set_cookies.iter().filter(|h| h.starts_with("authentik_session=")).all(|h| h.contains("; Secure")));
        let page = c.raw(reqwest::Method::GET, "/if/flow/default-authentication-flow/", None).await;
        assert_eq!(page.status, 200);
        assert!(c.set_cookie("authentik_csrf").unwrap().contains("; Secure"));
        let mut plain = FlowClient::new(&s.base);
        plain.get(LOGIN, "").await;
        assert!(!plain.set_cookie("authentik_session").unwrap().contains("Secure"));
    })
    .await;
    // Without PORTCULLIS_TRUST_PROXY the header is not believed.
    crate::harness::run_with(db, &[("PORTCULLIS_DEFAULT_FLOWS", "true")], |s| async move {
        let mut c = FlowClient::new(&s.base);
        c.headers.push(("X-Forwarded-Proto".into(), "https".into()));
        c.get(LOGIN, "").await;
        assert!(!c.set_cookie("authentik_session").unwrap().contains("Secure"));
    })
    .await;
}

mod session_cookie_is_secure_behind_a_trusted_tls_proxy {
    use super::*;
    #[tokio::test]
    async fn sqlite() {
        secure_cookie_case(Db::Sqlite).await
    }
    #[tokio::test]
    async fn postgres() {
        secure_cookie_case(Db::Postgres).await
    }
}

/// Two server processes on one database: a login flow whose requests alternate between them.
async fn two_servers_case(db: Db) {
    let dir = temp_dir();
    let pg = if db == Db::Postgres { Some(create_pg_database().await) } else { None };
    let env = [("PORTCULLIS_DEFAULT_FLOWS", "true")];
    let a = portcullis::start(config(db, &dir, pg.as_deref(), &env)).await.expect("first server");
    let b = portcullis::start(config(db, &dir, pg.as_deref(), &env)).await.expect("second server on the same database");
    let (base_a, base_b) = (format!("http://{}", a.addr), format!("http://{}", b.addr));
    let outcome = tokio::spawn(async move {
        let mut c = FlowClient::new(&base_a);
        assert_eq!(c.get(LOGIN, "next=/app/").await["component"], "ak-stage-identification");
        c.base = base_b.clone();
        assert_eq!(c.post(LOGIN, "next=/app/", json!({"uid_field": "akadmin"})).await["component"], "ak-stage-password");
        c.base = base_a.clone();
        let ch = c.post(LOGIN, "next=/app/", json!({"component": "ak-stage-password", "password": "wrong"})).await;
        assert_eq!(ch["response_errors"]["password"][0]["string"], "Invalid password");
        c.base = base_b.clone();
        let end = c.post(LOGIN, "next=/app/", json!({"component": "ak-stage-password", "password": PASSWORD})).await;
        assert_eq!(end, json!({"type": "redirect", "component": "xak-flow-redirect", "to": "/app/"}));
        c.base = base_a.clone();
        assert_eq!(c.raw(reqwest::Method::GET, "/api/v3/core/users/me/", None).await.body["user"]["username"], "akadmin");
        c.base = base_b.clone();
        c.get("default-invalidation-flow", "").await;
        c.base = base_a.clone();
        assert_eq!(c.raw(reqwest::Method::GET, "/api/v3/core/users/me/", None).await.status, 403);
    })
    .await;
    a.stop().await;
    b.stop().await;
    if let Some(name) = pg {
        drop_pg_database(&name).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

mod two_servers_on_one_database_continue_each_others_flows {
    use super::*;
    #[tokio::test]
    async fn sqlite() {
        two_servers_case(Db::Sqlite).await
    }
    #[tokio::test]
    async fn postgres() {
        two_servers_case(Db::Postgres).await
    }
}

both_seeded!(flow_page_shows_a_rejected_answer_again_without_passwords, |s| {
    let inv = invitation(&s, false, Some(ENROLL), None).await;
    let mut c = FlowClient::new(&s.base);
    let path = format!("/if/flow/{ENROLL}/?itoken={inv}");
    let page = c.raw(reqwest::Method::GET, &path, None).await;
    assert_eq!(page.status, 200);
    let csrf = c.csrf.clone().expect("the page sets the CSRF cookie");
    let form = format!("csrf={csrf}&component=ak-stage-prompt&username=newbie&password=one&password_repeat=two&name=New+Bie&email=new%40example.com");
    let r = s
        .raw(
            s.client()
                .post(format!("{}{path}", s.base))
                .header("Cookie", c.cookie_header())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(form),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("Passwords don&#x27;t match."), "{}", r.text);
    assert!(r.text.contains("id=\"username\" name=\"username\" type=\"text\" value=\"newbie\""), "{}", r.text);
    assert!(r.text.contains("value=\"New Bie\""), "{}", r.text);
    assert!(!r.text.contains("value=\"one\"") && !r.text.contains("value=\"two\""), "passwords are never echoed");
    // A form without the CSRF field changes nothing and goes back to the page.
    let r = s
        .raw(
            s.client()
                .post(format!("{}{path}", s.base))
                .header("Cookie", c.cookie_header())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body("component=ak-stage-prompt&username=x"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!r.text.contains("Passwords don&#x27;t match."), "the answer was not judged");
    assert_eq!(s.get("/api/v3/core/users/?username=x").await.body["pagination"]["count"], 0);
});

both_seeded!(session_cookie_is_resent_only_when_the_session_changes, |s| {
    let mut c = FlowClient::new(&s.base);
    c.get(LOGIN, "next=/app/").await;
    assert!(c.set_cookie("authentik_session").is_some(), "a new session is announced");
    c.get(LOGIN, "next=/app/").await;
    assert!(c.set_cookie("authentik_session").is_none(), "nothing changed: {:?}", c.set_cookies);
    // A different stored query is a change.
    c.get(LOGIN, "next=/other/").await;
    assert!(c.set_cookie("authentik_session").is_some());
    // The stored query really changed: the flow ends at the new `next`.
    c.post(LOGIN, "next=/other/", json!({"uid_field": "akadmin"})).await;
    let end = c.post(LOGIN, "next=/other/", json!({"component": "ak-stage-password", "password": PASSWORD})).await;
    assert_eq!(end["to"], "/other/");
});

both_seeded!(source_flows_cannot_be_opened_directly, |s| {
    // authentik guards them with `*-if-sso` policies; without them anyone could sign up here.
    for slug in ["default-source-enrollment", "default-source-authentication"] {
        let mut c = FlowClient::new(&s.base);
        let ch = c.get(slug, "").await;
        assert_eq!(ch["component"], "ak-stage-access-denied", "{slug}: {ch}");
        assert_eq!(ch["error_message"], "Flow does not apply to current user.");
        let ch = c.post(slug, "", json!({"component": "ak-stage-prompt", "username": "intruder"})).await;
        assert_eq!(ch["component"], "ak-stage-access-denied", "{slug}: {ch}");
    }
    assert_eq!(s.get("/api/v3/core/users/?username=intruder").await.body["pagination"]["count"], 0);
    let r = s.get("/api/v3/flows/instances/default-source-enrollment/execute/").await;
    assert_eq!(r.status, 400);
});

both_seeded!(migrated_django_password_logs_in_and_is_upgraded_to_argon2id, |s| {
    use domain::query::{Cond, Select, Write};
    use domain::store::Store;
    use domain::value::ColType;
    // Django's make_password("hunter2", "Gm4pTqXLs0aQ", "pbkdf2_sha256") at 100000 iterations.
    const DJANGO_HASH: &str = "pbkdf2_sha256$100000$Gm4pTqXLs0aQ$VMy1iwX/cmHG+MbzAVi3+QTgqObOVesMgobCwm8MuZA=";
    let pk = s.create("/api/v3/core/users/", json!({"username": "migrated", "name": "M"})).await["pk"].as_i64().unwrap();
    let mut tx = s.store().begin().await.unwrap();
    tx.write(&Write::Update { table: "users".into(), set: vec![("password".into(), DJANGO_HASH.into())], filter: Cond::eq("id", pk) })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut c = FlowClient::new(&s.base);
    c.post(LOGIN, "", json!({"uid_field": "migrated"})).await;
    let end = c.post(LOGIN, "", json!({"password": "hunter2"})).await;
    assert_eq!(end["component"], "xak-flow-redirect", "{end}");
    let rows = s.store().select(&Select::new("users").col("password", ColType::Text).filter(Cond::eq("id", pk))).await.unwrap();
    assert!(rows[0].text("password").unwrap().starts_with("$argon2id$"), "upgraded on login");
    // And the upgraded hash still logs in.
    let mut again = FlowClient::new(&s.base);
    again.post(LOGIN, "", json!({"uid_field": "migrated"})).await;
    assert_eq!(again.post(LOGIN, "", json!({"password": "hunter2"})).await["component"], "xak-flow-redirect");
});
