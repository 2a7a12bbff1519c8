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
