//! The source stage: a flow sends the visitor through a source and continues where it
//! stopped when they come back in time (flows.md 4.9).

use crate::fake_idp::{FakeIdp, FakeUser};
use crate::flow_fixtures::{bind, flow, flow_of, p, prompt_stage, stage};
use crate::harness::TestServer;
use crate::source_fixtures::*;
use domain::value::SqlValue;
use serde_json::json;

/// A source at the fake provider whose identity `sub-alice` is connected to a local `bob`;
/// its authentication flow is `src-auth` (no stages) unless `with_auth_flow` is false.
async fn setup(s: &TestServer, fake: &FakeIdp, with_auth_flow: bool) -> (String, i64) {
    let auth = if with_auth_flow { json!(flow(s, "src-auth", "authentication", json!({})).await) } else { json!(null) };
    let src_pk = fake_source(s, fake, json!({"authentication_flow": auth})).await;
    let bob = s.create("/api/v3/core/users/", json!({"username": "bob", "name": "Bob"})).await["pk"].as_i64().unwrap();
    s.create("/api/v3/sources/user_connections/oauth/", json!({"user": bob, "source": src_pk, "identifier": "sub-alice"})).await;
    (src_pk, bob)
}

async fn source_stage(s: &TestServer, src: &str, timeout: &str) -> String {
    stage(s, "source", "go-to-source", vec![("source", src.into()), ("resume_timeout", SqlValue::from(timeout))]).await
}

/// The flow `needs-source`: the source stage, then a prompt for `favourite`.
async fn needs_source_flow(s: &TestServer, src: &str, timeout: &str) {
    let st = source_stage(s, src, timeout).await;
    let after = prompt_stage(s, "after-source", vec![p("favourite", "text")]).await;
    flow_of(s, "needs-source", "authentication", &[&st, &after]).await;
}

/// An OpenID Connect source `fake` at the fake provider; `extra` adds or overrides fields.
async fn fake_source(s: &TestServer, fake: &FakeIdp, extra: serde_json::Value) -> String {
    let mut body = json!({"provider_type": "openidconnect", "oidc_well_known_url": fake.well_known_url(), "consumer_key": fake.client_id,
                          "consumer_secret": fake.client_secret});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    source(s, "fake", body).await["pk"].as_str().unwrap().to_string()
}

/// From the flow's redirect to the source through the provider to our callback.
async fn through_source(v: &mut Visitor, s: &TestServer, challenge: &serde_json::Value) -> crate::flow_client::Step {
    assert_eq!(challenge["component"], "xak-flow-redirect", "{challenge}");
    assert_eq!(challenge["to"], "/source/oauth/login/fake/");
    let to = v.start("fake").await;
    let cb = crate::idp::walk_to_callback(&to, &callback_url(s, "fake")).await;
    v.callback(&cb).await
}

both_seeded!(the_flow_continues_after_the_source_at_the_next_stage, |s| {
    let fake = FakeIdp::start(vec![FakeUser::new("alice", 1)]).await;
    let (src, _bob) = setup(&s, &fake, true).await;
    needs_source_flow(&s, &src, "minutes=10").await;
    let mut v = Visitor::new(&s);
    let ch = v.c.get("needs-source", "next=/somewhere").await;
    let r = through_source(&mut v, &s, &ch).await;
    assert_eq!(r.location.as_deref(), Some("/if/flow/src-auth/"), "the source's own flow runs first: {}", r.text);
    let back = v.c.get("src-auth", "").await;
    assert_eq!(back["component"], "xak-flow-redirect", "{back}");
    assert_eq!(back["to"], "/if/flow/needs-source/?next=%2Fsomewhere");
    let ch = v.c.get("needs-source", "next=/somewhere").await;
    assert_eq!(ch["component"], "ak-stage-prompt", "resumed at the stage after the source: {ch}");
    assert_eq!(ch["fields"][0]["field_key"], "favourite");
    // The suspension is spent: running the flow again starts from the beginning.
    let end = v.c.post("needs-source", "next=/somewhere", json!({"component": "ak-stage-prompt", "favourite": "tea"})).await;
    assert_eq!(end["to"], "/somewhere", "{end}");
    let again = v.c.get("needs-source", "").await;
    assert_eq!(again["to"], "/source/oauth/login/fake/");
});

both_seeded!(after_the_resume_timeout_the_flow_starts_again, |s| {
    let fake = FakeIdp::start(vec![FakeUser::new("alice", 1)]).await;
    let (src, _bob) = setup(&s, &fake, true).await;
    needs_source_flow(&s, &src, "seconds=1").await;
    let mut v = Visitor::new(&s);
    let ch = v.c.get("needs-source", "").await;
    through_source(&mut v, &s, &ch).await;
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let back = v.c.get("src-auth", "").await;
    assert_eq!(back["to"], "/if/flow/needs-source/", "{back}");
    let ch = v.c.get("needs-source", "").await;
    assert_eq!(ch["to"], "/source/oauth/login/fake/", "the flow starts from the beginning: {ch}");
    let page = v.get("/if/flow/default-authentication-flow/").await.text;
    assert!(page.contains("The sign-in took too long and the flow has to start again."), "{page}");
});

both_seeded!(without_a_source_flow_the_suspended_flow_continues_directly, |s| {
    let fake = FakeIdp::start(vec![FakeUser::new("alice", 1)]).await;
    let (src, _bob) = setup(&s, &fake, false).await;
    let st = source_stage(&s, &src, "minutes=10").await;
    let login = stage(&s, "user_login", "login-after-source", vec![]).await;
    flow_of(&s, "external-login", "authentication", &[&st, &login]).await;
    let mut v = Visitor::new(&s);
    let ch = v.c.get("external-login", "").await;
    let r = through_source(&mut v, &s, &ch).await;
    assert_eq!(r.location.as_deref(), Some("/if/flow/external-login/"), "{}", r.text);
    let end = v.c.get("external-login", "").await;
    assert_eq!(end["component"], "xak-flow-redirect", "{end}");
    assert_eq!(v.username().await.as_deref(), Some("bob"), "the connected user is signed in by the resumed flow");
});

both_seeded!(the_identity_never_replaces_the_user_the_flow_already_identified, |s| {
    let fake = FakeIdp::start(vec![FakeUser::new("alice", 1)]).await;
    let (src, _bob) = setup(&s, &fake, true).await;
    s.create("/api/v3/core/users/", json!({"username": "carol", "name": "Carol"})).await;
    let ident = stage(&s, "identification", "ident-first", vec![("user_fields", r#"["username"]"#.into())]).await;
    let st = source_stage(&s, &src, "minutes=10").await;
    let login = stage(&s, "user_login", "login-after-source", vec![]).await;
    let f = flow(&s, "mfa-like", "authentication", json!({})).await;
    bind(&s, &f, &ident, 10).await;
    bind(&s, &f, &st, 20).await;
    bind(&s, &f, &login, 30).await;
    let mut v = Visitor::new(&s);
    v.c.get("mfa-like", "").await;
    let ch = v.c.post("mfa-like", "", json!({"component": "ak-stage-identification", "uid_field": "carol"})).await;
    let r = through_source(&mut v, &s, &ch).await;
    assert_eq!(r.location.as_deref(), Some("/if/flow/src-auth/"));
    let denied = v.c.get("src-auth", "").await;
    assert_eq!(denied["component"], "ak-stage-access-denied", "{denied}");
    assert!(denied["error_message"].as_str().unwrap().starts_with("Request to authenticate with Test fake has been denied."), "{denied}");
    assert_eq!(v.username().await, None);
});

both_seeded!(a_missing_or_disabled_source_makes_the_stage_deny, |s| {
    let fake = FakeIdp::start(vec![FakeUser::new("alice", 1)]).await;
    let (src, _bob) = setup(&s, &fake, true).await;
    let st = source_stage(&s, &src, "minutes=10").await;
    flow_of(&s, "needs-source", "authentication", &[&st]).await;
    assert_eq!(s.patch("/api/v3/sources/oauth/fake/", json!({"enabled": false})).await.status, 200);
    let mut v = Visitor::new(&s);
    let ch = v.c.get("needs-source", "").await;
    assert_eq!(ch["component"], "ak-stage-access-denied", "{ch}");
    assert_eq!(ch["error_message"], "Invalid source");
});

both_seeded!(a_signed_in_user_connects_an_account_in_the_middle_of_a_flow, |s| {
    let fake = FakeIdp::start(vec![FakeUser::new("newcomer", 1)]).await;
    let src = fake_source(&s, &fake, json!({})).await;
    let st = source_stage(&s, &src, "minutes=10").await;
    let after = prompt_stage(&s, "after-source", vec![p("favourite", "text")]).await;
    flow_of(&s, "connect-account", "stage_configuration", &[&st, &after]).await;
    // akadmin signs in with a password, then runs the flow.
    let mut v = Visitor::new(&s);
    v.c.get("default-authentication-flow", "").await;
    v.c.post("default-authentication-flow", "", json!({"component": "ak-stage-identification", "uid_field": "akadmin"})).await;
    v.c.post("default-authentication-flow", "", json!({"component": "ak-stage-password", "password": crate::harness::PASSWORD})).await;
    let ch = v.c.get("connect-account", "").await;
    let r = through_source(&mut v, &s, &ch).await;
    assert_eq!(r.location.as_deref(), Some("/if/flow/connect-account/"), "linked, and back to the suspended flow: {}", r.text);
    let ch = v.c.get("connect-account", "").await;
    assert_eq!(ch["component"], "ak-stage-prompt", "{ch}");
    let admin = user_named(&s, "akadmin").await.unwrap();
    let conns = connections(&s, "fake").await;
    assert_eq!((conns.len(), &conns[0]["user"], &conns[0]["identifier"]), (1, &admin["pk"], &json!("sub-newcomer")));
});

both_seeded!(an_enrollment_connects_the_new_account_through_a_source_stage, |s| {
    let fake = FakeIdp::start(vec![FakeUser::new("octo", 1)]).await;
    // No enrollment flow of its own: the identity is attached to the user the flow creates.
    let src = fake_source(&s, &fake, json!({"enrollment_flow": null})).await;
    let ask = prompt_stage(&s, "enroll-ask", vec![p("username", "text")]).await;
    let write = stage(&s, "user_write", "enroll-write", vec![("user_creation_mode", "always_create".into())]).await;
    let st = source_stage(&s, &src, "minutes=10").await;
    let login = stage(&s, "user_login", "enroll-login", vec![]).await;
    flow_of(&s, "enroll-with-source", "enrollment", &[&ask, &write, &st, &login]).await;
    let mut v = Visitor::new(&s);
    v.c.get("enroll-with-source", "").await;
    let ch = v.c.post("enroll-with-source", "", json!({"component": "ak-stage-prompt", "username": "fresh"})).await;
    let r = through_source(&mut v, &s, &ch).await;
    assert_eq!(r.location.as_deref(), Some("/if/flow/enroll-with-source/"), "{}", r.text);
    let end = v.c.get("enroll-with-source", "").await;
    assert_eq!(end["component"], "xak-flow-redirect", "{end}");
    assert_eq!(v.username().await.as_deref(), Some("fresh"));
    let fresh = user_named(&s, "fresh").await.unwrap();
    let conns = connections(&s, "fake").await;
    assert_eq!((conns.len(), &conns[0]["user"], &conns[0]["identifier"]), (1, &fresh["pk"], &json!("sub-octo")));
    assert!(user_named(&s, "octo").await.is_none(), "no second user from the provider's profile");
});

both_seeded!(an_abandoned_suspended_flow_does_not_capture_a_later_source_login, |s| {
    let fake = FakeIdp::start(vec![FakeUser::new("alice", 1)]).await;
    let (src, _bob) = setup(&s, &fake, true).await;
    needs_source_flow(&s, &src, "minutes=10").await;
    let mut v = Visitor::new(&s);
    let ch = v.c.get("needs-source", "").await;
    assert_eq!(ch["to"], "/source/oauth/login/fake/");
    // The visitor walks away and starts the login flow instead, then uses the source there.
    v.c.get("default-authentication-flow", "next=/elsewhere").await;
    let r = v.sign_in("fake").await;
    assert_eq!(r.location.as_deref(), Some("/if/flow/src-auth/"), "{}", r.text);
    let end = v.c.get("src-auth", "").await;
    assert_eq!(end["to"], "/elsewhere", "the source login ends where the login flow was going, not in the abandoned flow: {end}");
});
