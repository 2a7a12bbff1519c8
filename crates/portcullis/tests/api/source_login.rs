//! Federated login against a real OpenID Connect provider (node `oidc-provider`): enrollment,
//! returning login, linking, matching modes, and the attacks on state and code.

use crate::harness::TestServer;
use domain::store::Store;
use crate::idp::{walk_to_callback, OidcProvider};
use crate::source_fixtures::*;
use serde_json::{json, Value};

fn accounts() -> Value {
    json!({
        "alice": {"sub": "alice-sub-1", "email": "alice@example.org", "email_verified": true, "preferred_username": "alice", "name": "Alice Liddell"},
        "bob": {"sub": "bob-sub-2", "email": "bob@example.org", "email_verified": true, "preferred_username": "bob", "name": "Bob Builder"},
    })
}

/// A provider and an OpenID Connect source configured from its discovery document.
async fn oidc(s: &TestServer, mode: &str, extra: Value) -> (OidcProvider, Value) {
    let p = OidcProvider::start(&callback_url(s, "idp"), accounts());
    let mut body = json!({
        "provider_type": "openidconnect",
        "consumer_key": p.client_id,
        "consumer_secret": p.client_secret,
        "oidc_well_known_url": p.well_known_url(),
        "user_matching_mode": mode,
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let src = source(s, "idp", body).await;
    (p, src)
}

both_seeded!(first_login_enrolls_and_the_second_authenticates, |s| {
    let (p, src) = oidc(&s, "identifier", json!({})).await;
    assert!(src["oidc_jwks"]["keys"].as_array().is_some_and(|k| !k.is_empty()), "discovery stored the provider's keys: {src}");
    let users_before = user_count(&s).await;

    let mut v = Visitor::new(&s);
    let to = v.start("idp").await;
    let url = url::Url::parse(&to).unwrap();
    assert!(to.starts_with(&format!("{}/", p.issuer)), "{to}");
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], p.client_id);
    assert_eq!(q["redirect_uri"], callback_url(&s, "idp"));
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["scope"], "email openid profile");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43, "base64url of a SHA-256");
    assert!(q["state"].len() >= 32 && q["nonce"].len() >= 32, "{q:?}");

    let cb = walk_to_callback(&to, &callback_url(&s, "idp")).await;
    let r = v.callback(&cb).await;
    assert_eq!(r.status, 302, "{}", r.text);
    assert_eq!(r.location.as_deref(), Some("/if/flow/default-source-enrollment/"), "no callback query is carried along");
    let end = v.finish_flow(&r, "unused").await;
    assert_eq!(end["component"], "xak-flow-redirect", "{end}");
    assert_eq!(end["to"], "/if/user/");
    assert_eq!(v.username().await.as_deref(), Some("alice"));
    let page = v.get("/if/user/").await.text;
    assert!(page.contains("Successfully authenticated with Test idp!"), "{page}");

    let alice = user_named(&s, "alice").await.expect("alice was enrolled");
    assert_eq!(alice["email"], "alice@example.org");
    assert_eq!(alice["name"], "Alice Liddell");
    assert_eq!(alice["path"], "goauthentik.io/sources/idp");
    assert_eq!(alice["attributes"]["goauthentik.io/user/sources"], json!(["Test idp"]));
    let conns = connections(&s, "idp").await;
    assert_eq!(conns.len(), 1, "{conns:?}");
    assert_eq!(conns[0]["identifier"], "alice-sub-1");
    assert_eq!(conns[0]["user"], alice["pk"]);
    assert!(conns[0].get("access_token").is_none(), "the access token is write-only");
    assert_eq!(user_count(&s).await, users_before + 1);

    // A new browser: the connection authenticates alice through the authentication flow.
    let mut v2 = Visitor::new(&s);
    let r = v2.sign_in("idp").await;
    assert_eq!(r.location.as_deref(), Some("/if/flow/default-source-authentication/"), "{}", r.text);
    let end = v2.finish_flow(&r, "unused").await;
    assert_eq!(end["to"], "/if/user/", "{end}");
    assert_eq!(v2.username().await.as_deref(), Some("alice"));
    assert_eq!(user_count(&s).await, users_before + 1, "no second user");
    assert_eq!(connections(&s, "idp").await.len(), 1);
});

both_seeded!(the_access_token_is_stored_sealed_and_refreshed_at_every_login, |s| {
    let (_p, _src) = oidc(&s, "identifier", json!({})).await;
    let read_token = || async {
        let rows = s
            .store()
            .select(&domain::query::Select::new("source_connections").col("access_token", domain::value::ColType::Text))
            .await
            .unwrap();
        rows[0].text("access_token").map(str::to_string)
    };
    let mut v = Visitor::new(&s);
    let r = v.sign_in("idp").await;
    v.finish_flow(&r, "unused").await;
    let first = read_token().await.expect("an access token is kept");
    let mut v2 = Visitor::new(&s);
    let r = v2.sign_in("idp").await;
    v2.finish_flow(&r, "unused").await;
    let second = read_token().await.expect("an access token is kept");
    assert_ne!(first, second, "the second login stored its own token");
    // Sealed: AES-GCM output is not the provider's token (oidc-provider tokens are 43 characters).
    assert!(second.len() > 60, "{second}");
});

both_seeded!(a_tampered_state_is_refused_and_the_attempt_is_spent, |s| {
    let (_p, _src) = oidc(&s, "identifier", json!({})).await;
    let users_before = user_count(&s).await;
    let mut v = Visitor::new(&s);
    let to = v.start("idp").await;
    let cb = walk_to_callback(&to, &callback_url(&s, "idp")).await;
    let mut url = url::Url::parse(&cb).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .map(|(k, v)| if k == "state" { (k, format!("{v}x")) } else { (k, v) })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    let r = v.callback(url.as_str()).await;
    assert_eq!(failure_message(&mut v, &r).await, "Authentication failed: State check failed.");
    // The genuine callback comes too late: the attempt was used up by the forged one.
    let r = v.callback(&cb).await;
    assert_eq!(failure_message(&mut v, &r).await, "Authentication failed: State check failed.");
    assert_eq!(user_count(&s).await, users_before);
    assert!(connections(&s, "idp").await.is_empty());
});

both_seeded!(a_callback_opened_in_another_browser_is_refused, |s| {
    let (_p, _src) = oidc(&s, "identifier", json!({})).await;
    let mut victim = Visitor::new(&s);
    let to = victim.start("idp").await;
    let cb = walk_to_callback(&to, &callback_url(&s, "idp")).await;
    let mut attacker = Visitor::new(&s);
    let r = attacker.callback(&cb).await;
    assert_eq!(failure_message(&mut attacker, &r).await, "Authentication failed: State check failed.");
    assert_eq!(attacker.username().await, None);
});

both_seeded!(a_replayed_callback_and_a_replayed_code_are_refused, |s| {
    let (_p, _src) = oidc(&s, "identifier", json!({})).await;
    let mut v = Visitor::new(&s);
    let to = v.start("idp").await;
    let cb = walk_to_callback(&to, &callback_url(&s, "idp")).await;
    let r = v.callback(&cb).await;
    assert_eq!(r.location.as_deref(), Some("/if/flow/default-source-enrollment/"));
    // The same callback again, in the same session: the state was single-use.
    let r = v.callback(&cb).await;
    assert_eq!(failure_message(&mut v, &r).await, "Authentication failed: State check failed.");
    // A fresh attempt's state with the spent code: the provider refuses the code.
    let mut v2 = Visitor::new(&s);
    let to2 = v2.start("idp").await;
    let state2 = url::Url::parse(&to2).unwrap().query_pairs().find(|(k, _)| k == "state").unwrap().1.to_string();
    let mut url = url::Url::parse(&cb).unwrap();
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().map(|(k, v)| if k == "state" { (k, state2.clone()) } else { (k, v) }).collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    let r = v2.callback(url.as_str()).await;
    assert_eq!(failure_message(&mut v2, &r).await, "Authentication failed: Could not retrieve token.");
    assert_eq!(v2.username().await, None);
});

both_seeded!(an_error_from_the_provider_is_shown, |s| {
    let p = OidcProvider::start(&callback_url(&s, "idp"), accounts());
    // The provider refuses unknown accounts; a fixed login_hint in the authorization URL wins.
    source(
        &s,
        "idp",
        json!({"provider_type": "openidconnect", "consumer_key": p.client_id, "consumer_secret": p.client_secret,
               "oidc_well_known_url": p.well_known_url(), "authorization_url": format!("{}?login_hint=nobody", p.authorization_url())}),
    )
    .await;
    let mut v = Visitor::new(&s);
    let r = v.sign_in("idp").await;
    assert_eq!(failure_message(&mut v, &r).await, "Authentication failed: login_hint names no test account");
});

both_seeded!(a_provider_that_is_down_ends_in_a_message, |s| {
    let p = OidcProvider::start(&callback_url(&s, "idp"), accounts());
    source(
        &s,
        "idp",
        json!({"provider_type": "openidconnect", "consumer_key": p.client_id, "consumer_secret": p.client_secret,
               "authorization_url": p.authorization_url(), "access_token_url": "http://127.0.0.1:9/token",
               "profile_url": p.userinfo_url(), "oidc_jwks_url": p.jwks_url()}),
    )
    .await;
    let mut v = Visitor::new(&s);
    let r = v.sign_in("idp").await;
    assert_eq!(failure_message(&mut v, &r).await, "Authentication failed: Could not retrieve token.");
});

both_seeded!(email_link_connects_the_existing_user, |s| {
    let (_p, _src) = oidc(&s, "email_link", json!({})).await;
    let local = s.create("/api/v3/core/users/", json!({"username": "alice.local", "name": "Alice", "email": "alice@example.org"})).await;
    let users_before = user_count(&s).await;
    let mut v = Visitor::new(&s);
    let r = v.sign_in("idp").await;
    assert_eq!(r.location.as_deref(), Some("/if/flow/default-source-authentication/"), "{}", r.text);
    let end = v.finish_flow(&r, "unused").await;
    assert_eq!(end["to"], "/if/user/", "{end}");
    assert_eq!(v.username().await.as_deref(), Some("alice.local"));
    let conns = connections(&s, "idp").await;
    assert_eq!((conns.len(), &conns[0]["user"]), (1, &local["pk"]));
    assert_eq!(user_count(&s).await, users_before);
});

both_seeded!(email_deny_refuses_an_identity_matching_a_local_user, |s| {
    let (_p, _src) = oidc(&s, "email_deny", json!({})).await;
    s.create("/api/v3/core/users/", json!({"username": "alice.local", "name": "Alice", "email": "alice@example.org"})).await;
    let mut v = Visitor::new(&s);
    let r = v.sign_in("idp").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("Permission denied"), "{}", r.text);
    assert!(
        r.text.contains("Request to authenticate with Test idp has been denied. Please authenticate with the source you&#x27;ve previously signed up with."),
        "{}",
        r.text
    );
    assert!(connections(&s, "idp").await.is_empty());
    assert_eq!(v.username().await, None);
    // Without a matching user, email_deny enrolls.
    let mut v2 = Visitor::new(&s);
    let to = v2.start("idp").await;
    let hinted = to.replace("response_type=code", "response_type=code&login_hint=bob");
    let cb = walk_to_callback(&hinted, &callback_url(&s, "idp")).await;
    let r = v2.callback(&cb).await;
    assert_eq!(r.location.as_deref(), Some("/if/flow/default-source-enrollment/"), "{}", r.text);
});

both_seeded!(username_link_connects_and_username_deny_refuses, |s| {
    let (_p, _src) = oidc(&s, "username_link", json!({})).await;
    let local = s.create("/api/v3/core/users/", json!({"username": "alice", "name": "Alice"})).await;
    let mut v = Visitor::new(&s);
    let r = v.sign_in("idp").await;
    assert_eq!(r.location.as_deref(), Some("/if/flow/default-source-authentication/"), "{}", r.text);
    assert_eq!(connections(&s, "idp").await[0]["user"], local["pk"]);
    let r = s.patch("/api/v3/sources/oauth/idp/", json!({"user_matching_mode": "username_deny"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let conn = connections(&s, "idp").await[0]["pk"].clone();
    assert_eq!(s.delete(&format!("/api/v3/sources/user_connections/oauth/{conn}/")).await.status, 204);
    let mut v2 = Visitor::new(&s);
    let r = v2.sign_in("idp").await;
    assert_eq!(r.status, 200);
    assert!(r.text.contains("Permission denied"), "{}", r.text);
});

async fn password_login(s: &TestServer) -> Visitor {
    let mut v = Visitor::new(s);
    let login = "default-authentication-flow";
    v.c.get(login, "").await;
    v.c.post(login, "", json!({"component": "ak-stage-identification", "uid_field": "akadmin"})).await;
    let end = v.c.post(login, "", json!({"component": "ak-stage-password", "password": crate::harness::PASSWORD})).await;
    assert_eq!(end["component"], "xak-flow-redirect", "{end}");
    v
}

both_seeded!(a_signed_in_user_links_the_source_to_their_account, |s| {
    let (_p, _src) = oidc(&s, "identifier", json!({})).await;
    let mut v = password_login(&s).await;
    let r = v.sign_in("idp").await;
    assert_eq!(r.location.as_deref(), Some("/if/user/#/settings;page-idp"), "{}", r.text);
    let page = v.get("/if/user/").await.text;
    assert!(page.contains("Successfully linked Test idp!"), "{page}");
    let admin = user_named(&s, "akadmin").await.unwrap();
    let conns = connections(&s, "idp").await;
    assert_eq!((conns.len(), &conns[0]["user"], &conns[0]["identifier"]), (1, &admin["pk"], &json!("alice-sub-1")));
    // Now the identity signs in as akadmin.
    let mut v2 = Visitor::new(&s);
    let r = v2.sign_in("idp").await;
    v2.finish_flow(&r, "unused").await;
    assert_eq!(v2.username().await.as_deref(), Some("akadmin"));
});

both_seeded!(an_identity_connected_to_someone_else_cannot_be_linked, |s| {
    let (_p, _src) = oidc(&s, "identifier", json!({})).await;
    let mut alice = Visitor::new(&s);
    let r = alice.sign_in("idp").await;
    alice.finish_flow(&r, "unused").await;
    let mut admin = password_login(&s).await;
    let r = admin.sign_in("idp").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("Permission denied") && r.text.contains("Not you?"), "{}", r.text);
    let conns = connections(&s, "idp").await;
    assert_eq!(conns.len(), 1);
    assert_eq!(conns[0]["user"], user_named(&s, "alice").await.unwrap()["pk"]);
});

both_seeded!(a_disabled_or_unknown_source_has_no_login_pages, |s| {
    let (_p, _src) = oidc(&s, "identifier", json!({})).await;
    let r = s.patch("/api/v3/sources/oauth/idp/", json!({"enabled": false})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let mut v = Visitor::new(&s);
    assert_eq!(v.get("/source/oauth/login/idp/").await.status, 404);
    assert_eq!(v.get("/source/oauth/callback/idp/?code=x&state=y").await.status, 404);
    assert_eq!(v.get("/source/oauth/login/nope/").await.status, 404);
});

both_seeded!(a_source_without_enrollment_flow_says_so, |s| {
    let (_p, _src) = oidc(&s, "identifier", json!({"enrollment_flow": null})).await;
    let mut v = Visitor::new(&s);
    let r = v.sign_in("idp").await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("Source is not configured for enrollment."), "{}", r.text);
    assert!(connections(&s, "idp").await.is_empty());
});

both_seeded!(next_of_the_login_flow_is_kept_only_when_it_is_a_local_path, |s| {
    let (_p, _src) = oidc(&s, "identifier", json!({})).await;
    for (next, expected) in [("/app/settings", "/app/settings"), ("https://evil.example/", "/if/user/")] {
        let mut v = Visitor::new(&s);
        v.c.get("default-authentication-flow", &format!("next={}", urlencoding(next))).await;
        let r = v.sign_in("idp").await;
        let end = v.finish_flow(&r, "unused").await;
        assert_eq!(end["to"], expected, "{next}: {end}");
    }
});

fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

both_seeded!(a_provider_may_answer_with_a_form_post, |s| {
    let (_p, _src) = oidc(&s, "identifier", json!({})).await;
    let mut v = Visitor::new(&s);
    let to = v.start("idp").await;
    let cb = walk_to_callback(&to, &callback_url(&s, "idp")).await;
    let query = url::Url::parse(&cb).unwrap().query().unwrap().to_string();
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(callback_url(&s, "idp"))
        .header("Cookie", v.c.cookie_header())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(query)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 302);
    assert_eq!(r.headers()["location"], "/if/flow/default-source-enrollment/");
});

both_seeded!(okta_and_a_custom_user_path_template, |s| {
    // Okta is an OpenID Connect type whose URLs come from the admin (here: discovery).
    let (_p, _src) = oidc(&s, "identifier", json!({"provider_type": "okta", "user_path_template": "people/%(slug)s/%%"})).await;
    let mut v = Visitor::new(&s);
    let r = v.sign_in("idp").await;
    // Okta's username is the `nickname` claim, which this account lacks: the prompt asks.
    let end = v.finish_flow(&r, "alice-okta").await;
    assert_eq!(end["to"], "/if/user/", "{end}");
    let alice = user_named(&s, "alice-okta").await.unwrap();
    assert_eq!((&alice["path"], &alice["email"]), (&json!("people/idp/%"), &json!("alice@example.org")));
    let r = s.patch("/api/v3/sources/oauth/idp/", json!({"user_path_template": "people/%(name)s"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let mut v2 = Visitor::new(&s);
    let to = v2.start("idp").await;
    let cb = walk_to_callback(&to.replace("response_type=code", "response_type=code&login_hint=bob"), &callback_url(&s, "idp")).await;
    let r = v2.callback(&cb).await;
    v2.finish_flow(&r, "bob-okta").await;
    assert_eq!(user_named(&s, "bob-okta").await.unwrap()["path"], "users", "an unusable template falls back to the default path");
});

both_seeded!(the_callback_reports_the_providers_time_apart_from_its_own, |s| {
    let (_p, _src) = oidc(&s, "identifier", json!({})).await;
    let mut v = Visitor::new(&s);
    let to = v.start("idp").await;
    let cb = walk_to_callback(&to, &callback_url(&s, "idp")).await;
    let path = cb.strip_prefix(&s.base).unwrap().to_string();
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}{path}", s.base))
        .header("Cookie", v.c.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 302);
    let timing = r.headers()["server-timing"].to_str().unwrap().to_string();
    let dur = |name: &str| -> f64 {
        let part = timing.split(", ").find(|p| p.starts_with(name)).unwrap_or_else(|| panic!("{timing}"));
        part.split("dur=").nth(1).unwrap().parse().unwrap()
    };
    assert!(dur("provider;") > 0.0, "the token and profile requests took time: {timing}");
    assert!(dur("app;") > 0.0, "{timing}");
});
