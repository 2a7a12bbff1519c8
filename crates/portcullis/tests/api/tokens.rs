//! `/core/tokens/`: CRUD, ownership, keys, expiry, API authentication, filters, search,
//! ordering and validation.

use crate::harness::{TestServer, TOKEN};
use reqwest::Method;
use serde_json::{json, Value};

const TOKENS: &str = "/api/v3/core/tokens/";
const BOOTSTRAP: &str = "authentik-bootstrap-token";
const ME: &str = "/api/v3/core/users/me/";

fn tk(ident: &str) -> String {
    format!("{TOKENS}{ident}/")
}

async fn admin_pk(s: &TestServer) -> i64 {
    s.get(ME).await.body["user"]["pk"].as_i64().unwrap()
}

async fn user(s: &TestServer, username: &str) -> i64 {
    s.create("/api/v3/core/users/", json!({"username": username, "name": username})).await["pk"].as_i64().unwrap()
}

async fn key_of(s: &TestServer, ident: &str) -> String {
    let r = s.get(&format!("{}view_key/", tk(ident))).await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["key"].as_str().unwrap().to_string()
}

async fn token_count(s: &TestServer) -> i64 {
    s.get(TOKENS).await.body["pagination"]["count"].as_i64().unwrap()
}

/// Identifiers a list query returns, without the bootstrap token.
async fn idents(s: &TestServer, query: &str) -> Vec<String> {
    let r = s.get(&format!("{TOKENS}?{query}")).await;
    assert_eq!(r.status, 200, "{query}: {r:?}");
    r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["identifier"].as_str().unwrap().to_string())
        .filter(|i| i != BOOTSTRAP)
        .collect()
}

async fn me_with(s: &TestServer, key: &str) -> (u16, Value) {
    let r = s.send(Method::GET, ME, None, Some(key)).await;
    (r.status, r.body)
}

fn micros(v: &Value) -> i64 {
    domain::time::parse(v.as_str().unwrap()).unwrap()
}

fn in_minutes(m: i64) -> String {
    domain::time::format_micros(domain::time::now_micros() + m * 60_000_000)
}

const INVALID: (u16, &str) = (403, "Token invalid/expired");

fn denied(r: (u16, Value)) -> (u16, String) {
    (r.0, r.1["detail"].as_str().unwrap_or_default().to_string())
}

both!(token_create_has_authentik_defaults_and_never_shows_the_key, |s| {
    let admin = admin_pk(&s).await;
    let before = domain::time::now_micros();
    let r = s.post(TOKENS, json!({"identifier": "t1"})).await;
    assert_eq!(r.status, 201, "{r:?}");
    let b = &r.body;
    let mut keys: Vec<&str> = b.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["description", "expires", "expiring", "identifier", "intent", "managed", "pk", "user", "user_obj"]);
    assert!(uuid::Uuid::parse_str(b["pk"].as_str().unwrap()).is_ok());
    assert_eq!(b["managed"], Value::Null);
    assert_eq!(b["intent"], "api");
    assert_eq!(b["user"], admin, "user defaults to the requester");
    assert_eq!(b["user_obj"]["pk"], admin);
    assert_eq!(b["user_obj"]["username"], "akadmin");
    assert_eq!(b["description"], "");
    assert_eq!(b["expiring"], true);
    // The model default: now + the default token duration (30 minutes).
    let exp = micros(&b["expires"]);
    assert!(exp >= before + 29 * 60_000_000 && exp <= domain::time::now_micros() + 31 * 60_000_000, "{}", b["expires"]);
    let key = key_of(&s, "t1").await;
    assert_eq!(key.len(), 60);
    assert!(key.chars().all(|c| c.is_ascii_alphanumeric()));
    for path in [TOKENS.to_string(), tk("t1")] {
        let r = s.get(&path).await;
        assert_eq!(r.status, 200);
        assert!(!r.text.contains(&key), "{path} leaks the key");
        assert!(!r.text.contains("\"key\""), "{path} has a key field");
    }
    assert!(!r.text.contains(&key));
    let r = s.get(&format!("{}used_by/", tk("t1"))).await;
    assert_eq!((r.status, r.body), (200, json!([])));
});

both!(token_retrieve_patch_put_delete, |s| {
    let u = user(&s, "owner").await;
    s.create(TOKENS, json!({"identifier": "t1", "user": u, "description": "d", "expiring": false})).await;
    let r = s.get(&tk("t1")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["user"], u);
    let r = s.patch(&tk("t1"), json!({"description": "new"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["description"], "new");
    assert_eq!(r.body["user"], u, "a superuser's update keeps the owner");
    assert_eq!(r.body["expiring"], false);
    let r = s.put(&tk("t1"), json!({"identifier": "t2"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["identifier"], "t2");
    assert_eq!(r.body["user"], u);
    assert_eq!(r.body["description"], "new");
    assert_eq!(s.get(&tk("t1")).await.status, 404);
    let r = s.put(&tk("t2"), json!({"description": "x"})).await;
    assert_eq!((r.status, r.body), (400, json!({"identifier": ["This field is required."]})));
    let r = s.delete(&tk("t2")).await;
    assert_eq!(r.status, 204);
    assert!(r.text.is_empty());
    let r = s.get(&tk("t2")).await;
    assert_eq!((r.status, r.body), (404, json!({"detail": "Not found."})));
    assert_eq!(s.delete(&tk("t2")).await.status, 404);
});

both!(expires_is_kept_as_given_for_api_tokens, |s| {
    let r = s.post(TOKENS, json!({"identifier": "long", "expires": "2031-05-06T07:08:09Z"})).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["expires"], "2031-05-06T07:08:09Z");
    let r = s.patch(&tk("long"), json!({"expires": "2032-01-01T00:00:00Z"})).await;
    assert_eq!(r.body["expires"], "2032-01-01T00:00:00Z");
    let r = s.patch(&tk("long"), json!({"description": "kept"})).await;
    assert_eq!(r.body["expires"], "2032-01-01T00:00:00Z");
    let r = s.put(&tk("long"), json!({"identifier": "long"})).await;
    assert_eq!(r.body["expires"], "2032-01-01T00:00:00Z");
    let r = s.patch(&tk("long"), json!({"expires": null})).await;
    assert_eq!(r.body["expires"], Value::Null);
});

both!(token_created_through_the_api_authenticates_its_user, |s| {
    let (pk, key) = s.user_with_token("apiuser").await;
    let (status, body) = me_with(&s, &key).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["pk"], pk);
    assert_eq!(body["user"]["is_superuser"], false);
});

both!(expired_token_is_refused_for_api_auth_and_deleted, |s| {
    s.create(TOKENS, json!({"identifier": "old", "expiring": true, "expires": "2020-01-01T00:00:00Z"})).await;
    let key = key_of(&s, "old").await;
    assert_eq!(denied(me_with(&s, &key).await), (INVALID.0, INVALID.1.to_string()));
    assert_eq!(s.get(&tk("old")).await.status, 404, "authentication deleted the expired token");
    // A past expiry does not matter when the token does not expire.
    s.create(TOKENS, json!({"identifier": "forever", "expiring": false, "expires": "2020-01-01T00:00:00Z"})).await;
    let key = key_of(&s, "forever").await;
    assert_eq!(me_with(&s, &key).await.0, 200);
});

both!(app_password_token_is_refused_for_api_auth, |s| {
    s.create(TOKENS, json!({"identifier": "app", "intent": "app_password", "expiring": false, "expires": null})).await;
    let key = key_of(&s, "app").await;
    assert_eq!(denied(me_with(&s, &key).await), (INVALID.0, INVALID.1.to_string()));
    assert_eq!(s.get(&tk("app")).await.status, 200, "a live app password is not deleted");
});

both!(token_of_an_inactive_user_is_refused, |s| {
    let (pk, key) = s.user_with_token("sleepy").await;
    assert_eq!(me_with(&s, &key).await.0, 200);
    assert_eq!(s.patch(&format!("/api/v3/core/users/{pk}/"), json!({"is_active": false})).await.status, 200);
    assert_eq!(denied(me_with(&s, &key).await), (INVALID.0, INVALID.1.to_string()));
});

both!(non_superuser_cannot_create_token_for_another_user, |s| {
    let admin = admin_pk(&s).await;
    let (pk, key) = s.user_with_token("nsu").await;
    let r = s.send(Method::POST, TOKENS, Some(&json!({"identifier": "nsu-2", "user": admin, "expiring": false})), Some(&key)).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["user"], pk, "the token belongs to the requester");
    assert_eq!(r.body["expiring"], true, "non-superusers cannot create non-expiring tokens");
    // Nor keep it from expiring later.
    let r = s.send(Method::PATCH, &tk("nsu-2"), Some(&json!({"expiring": false})), Some(&key)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["expiring"], true);
    // An unknown user is still a validation error.
    let r = s.send(Method::POST, TOKENS, Some(&json!({"identifier": "nsu-3", "user": 99999})), Some(&key)).await;
    assert_eq!((r.status, r.body), (400, json!({"user": ["Invalid pk \"99999\" - object does not exist."]})));
    // The user's `token-expires` attribute decides the forced value.
    s.patch(&format!("/api/v3/core/users/{pk}/"), json!({"attributes": {"goauthentik.io/user/token-expires": false}})).await;
    let r = s.send(Method::POST, TOKENS, Some(&json!({"identifier": "nsu-4"})), Some(&key)).await;
    assert_eq!(r.body["expiring"], false);
});

both!(token_owner_cannot_be_changed, |s| {
    let admin = admin_pk(&s).await;
    let (pk, key) = s.user_with_token("mover").await;
    let r = s.send(Method::PATCH, &tk("mover-token"), Some(&json!({"user": admin})), Some(&key)).await;
    assert_eq!((r.status, r.body), (400, json!({"user": ["User cannot be changed"]})));
    let r = s.send(Method::PUT, &tk("mover-token"), Some(&json!({"identifier": "mover-token", "user": admin})), Some(&key)).await;
    assert_eq!((r.status, r.body), (400, json!({"user": ["User cannot be changed"]})));
    // Superusers cannot move tokens either (CVE-2024-37905).
    let r = s.patch(&tk("mover-token"), json!({"user": admin})).await;
    assert_eq!((r.status, r.body), (400, json!({"user": ["User cannot be changed"]})));
    assert_eq!(s.get(&tk("mover-token")).await.body["user"], pk);
    // Naming the current owner is fine.
    let r = s.send(Method::PATCH, &tk("mover-token"), Some(&json!({"user": pk, "description": "same"})), Some(&key)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["description"], "same");
});

both!(non_superuser_sees_and_changes_only_own_tokens, |s| {
    let (_, key) = s.user_with_token("nosy").await;
    let r = s.send(Method::GET, TOKENS, None, Some(&key)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["pagination"]["count"], 1);
    assert_eq!(r.body["results"][0]["identifier"], "nosy-token");
    let not_found = json!({"detail": "Not found."});
    let other = tk(BOOTSTRAP);
    for (m, path, body) in [
        (Method::GET, other.clone(), None),
        (Method::PATCH, other.clone(), Some(json!({"description": "mine"}))),
        (Method::PUT, other.clone(), Some(json!({"identifier": BOOTSTRAP}))),
        (Method::DELETE, other.clone(), None),
        (Method::GET, format!("{other}view_key/"), None),
        (Method::POST, format!("{other}set_key/"), Some(json!({"key": "stolen-key"}))),
        (Method::GET, format!("{other}used_by/"), None),
    ] {
        let r = s.send(m.clone(), &path, body.as_ref(), Some(&key)).await;
        assert_eq!((r.status, r.body.clone()), (404, not_found.clone()), "{m} {path}");
    }
    assert_eq!(s.get(&tk(BOOTSTRAP)).await.body["description"], "Token used for bootstrapping");
    assert_eq!(me_with(&s, TOKEN).await.0, 200, "the admin token still works");
    // Filters cannot reveal others' tokens either.
    let r = s.send(Method::GET, &format!("{TOKENS}?identifier={BOOTSTRAP}"), None, Some(&key)).await;
    assert_eq!(r.body["pagination"]["count"], 0);
});

both!(non_superuser_can_view_key_and_delete_own_token, |s| {
    let (_, key) = s.user_with_token("self").await;
    let r = s.send(Method::GET, &format!("{}view_key/", tk("self-token")), None, Some(&key)).await;
    assert_eq!((r.status, r.body), (200, json!({"key": key})));
    let r = s.send(Method::POST, TOKENS, Some(&json!({"identifier": "self-2"})), Some(&key)).await;
    assert_eq!(r.status, 201);
    let r = s.send(Method::DELETE, &tk("self-2"), None, Some(&key)).await;
    assert_eq!(r.status, 204);
    assert_eq!(s.get(&tk("self-2")).await.status, 404);
});

both!(set_key_is_superuser_only_and_replaces_the_key, |s| {
    let (_, key) = s.user_with_token("keyed").await;
    let path = format!("{}set_key/", tk("keyed-token"));
    let r = s.send(Method::POST, &path, Some(&json!({"key": "chosen-by-user"})), Some(&key)).await;
    assert_eq!((r.status, r.body), (403, json!({"detail": "You do not have permission to perform this action."})));
    assert_eq!(me_with(&s, &key).await.0, 200, "the key is unchanged");
    for bad in [json!({}), json!({"key": ""}), json!({"key": null}), json!({"key": 5}), json!([1])] {
        let r = s.post(&path, bad.clone()).await;
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.text.is_empty(), "{bad}: {r:?}");
    }
    // Another token's key is refused and nothing changes.
    let r = s.post(&path, json!({"key": TOKEN})).await;
    assert_eq!(r.status, 400);
    assert_eq!(me_with(&s, TOKEN).await.1["user"]["username"], "akadmin");
    assert_eq!(me_with(&s, &key).await.1["user"]["username"], "keyed");
    let r = s.post(&path, json!({"key": "a-brand-new-key-value"})).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert!(r.text.is_empty());
    assert_eq!(denied(me_with(&s, &key).await), (INVALID.0, INVALID.1.to_string()));
    assert_eq!(me_with(&s, "a-brand-new-key-value").await.1["user"]["username"], "keyed");
    assert_eq!(key_of(&s, "keyed-token").await, "a-brand-new-key-value");
    assert_eq!(s.post(&format!("{}set_key/", tk("nope")), json!({"key": "k"})).await.status, 404);
    assert_eq!(s.get(&path).await.status, 405);
});

both!(only_api_and_app_password_intents_are_accepted, |s| {
    for intent in ["verification", "recovery"] {
        let r = s.post(TOKENS, json!({"identifier": "i", "intent": intent})).await;
        assert_eq!((r.status, r.body), (400, json!({"intent": [format!("Invalid intent {intent}")]})), "{intent}");
    }
    let r = s.post(TOKENS, json!({"identifier": "i", "intent": "nope"})).await;
    assert_eq!((r.status, r.body), (400, json!({"intent": ["\"nope\" is not a valid choice."]})));
    s.create(TOKENS, json!({"identifier": "i", "intent": "app_password", "expires": null})).await;
    let r = s.patch(&tk("i"), json!({"intent": "recovery"})).await;
    assert_eq!((r.status, r.body), (400, json!({"intent": ["Invalid intent recovery"]})));
    // An update without intent keeps the stored one.
    let r = s.patch(&tk("i"), json!({"description": "still an app password"})).await;
    assert_eq!(r.body["intent"], "app_password");
    let r = s.put(&tk("i"), json!({"identifier": "i"})).await;
    assert_eq!(r.body["intent"], "app_password");
    assert_eq!(token_count(&s).await, 2);
});

both!(app_password_expiry_is_limited_by_the_maximum_lifetime, |s| {
    let too_far = json!({"expires": ["Token expires exceeds maximum lifetime (minutes=30)."]});
    let r = s.post(TOKENS, json!({"identifier": "ap", "intent": "app_password", "expires": in_minutes(60)})).await;
    assert_eq!((r.status, r.body), (400, too_far.clone()));
    s.create(TOKENS, json!({"identifier": "ap", "intent": "app_password", "expires": in_minutes(10)})).await;
    s.create(TOKENS, json!({"identifier": "ap-null", "intent": "app_password", "expires": null})).await;
    let r = s.patch(&tk("ap"), json!({"expires": in_minutes(60)})).await;
    assert_eq!((r.status, r.body), (400, too_far.clone()), "the stored intent applies on update");
    // API tokens have no such limit.
    s.create(TOKENS, json!({"identifier": "api", "expires": in_minutes(60 * 24 * 365)})).await;
    // The user's attribute (merged over group attributes) sets the limit.
    let u = user(&s, "lifer").await;
    let grp = s.create("/api/v3/core/groups/", json!({"name": "g", "users": [u], "attributes": {"goauthentik.io/user/token-maximum-lifetime": "hours=2"}})).await;
    let _ = grp;
    s.create(TOKENS, json!({"identifier": "g1", "user": u, "intent": "app_password", "expires": in_minutes(90)})).await;
    let r = s.post(TOKENS, json!({"identifier": "g2", "user": u, "intent": "app_password", "expires": in_minutes(150)})).await;
    assert_eq!((r.status, r.body), (400, json!({"expires": ["Token expires exceeds maximum lifetime (hours=2)."]})));
    s.patch(&format!("/api/v3/core/users/{u}/"), json!({"attributes": {"goauthentik.io/user/token-maximum-lifetime": "days=30"}})).await;
    s.create(TOKENS, json!({"identifier": "u1", "user": u, "intent": "app_password", "expires": in_minutes(60 * 24 * 10)})).await;
    let r = s.post(TOKENS, json!({"identifier": "u2", "user": u, "intent": "app_password", "expires": in_minutes(60 * 24 * 40)})).await;
    assert_eq!((r.status, r.body), (400, json!({"expires": ["Token expires exceeds maximum lifetime (days=30)."]})));
    assert_eq!(s.get(&tk("g2")).await.status, 404);
    assert_eq!(s.get(&tk("u2")).await.status, 404);
});

async fn filter_fixture(s: &TestServer) -> i64 {
    let bob = user(s, "bob").await;
    s.create(
        TOKENS,
        json!({"identifier": "alpha", "managed": "m1", "description": "first", "expires": "2030-01-01T00:00:00Z", "expiring": true}),
    )
    .await;
    s.create(TOKENS, json!({"identifier": "beta", "user": bob, "intent": "app_password", "description": "second", "expires": null, "expiring": false}))
        .await;
    s.create(
        TOKENS,
        json!({"identifier": "gamma", "user": bob, "managed": "m2", "description": "a-third", "expires": "2029-01-01T00:00:00Z", "expiring": true}),
    )
    .await;
    bob
}

both!(token_filters_by_every_declared_parameter, |s| {
    filter_fixture(&s).await;
    assert_eq!(idents(&s, "identifier=alpha").await, ["alpha"]);
    assert_eq!(idents(&s, "identifier=Alpha").await, Vec::<String>::new());
    assert_eq!(idents(&s, "user__username=bob").await, ["beta", "gamma"]);
    assert_eq!(idents(&s, "user__username=nobody").await, Vec::<String>::new());
    assert_eq!(idents(&s, "description=second").await, ["beta"]);
    assert_eq!(idents(&s, "managed=m1").await, ["alpha"]);
    assert_eq!(idents(&s, "intent=app_password").await, ["beta"]);
    assert_eq!(idents(&s, "intent=api").await, ["alpha", "gamma"]);
    assert_eq!(idents(&s, "expires=2030-01-01T00:00:00Z").await, ["alpha"]);
    for v in ["true", "True", "1"] {
        assert_eq!(idents(&s, &format!("expiring={v}")).await, ["alpha", "gamma"], "{v}");
    }
    for v in ["false", "FALSE", "0"] {
        assert_eq!(idents(&s, &format!("expiring={v}")).await, ["beta"], "{v}");
    }
    assert_eq!(idents(&s, "expiring=maybe").await.len(), 3);
    assert_eq!(idents(&s, "identifier=").await.len(), 3);
    assert_eq!(idents(&s, "user__username=bob&expiring=true").await, ["gamma"]);
    let r = s.get(&format!("{TOKENS}?intent=nope")).await;
    assert_eq!((r.status, r.body), (400, json!({"intent": ["Select a valid choice. nope is not one of the available choices."]})));
    let r = s.get(&format!("{TOKENS}?expires=soon&intent=nope")).await;
    assert_eq!(
        (r.status, r.body),
        (400, json!({"expires": ["Enter a valid date/time."], "intent": ["Select a valid choice. nope is not one of the available choices."]}))
    );
});

both!(token_search_matches_identifier_intent_username_and_description, |s| {
    filter_fixture(&s).await;
    assert_eq!(idents(&s, "search=ALP").await, ["alpha"]);
    assert_eq!(idents(&s, "search=app_pass").await, ["beta"]);
    assert_eq!(idents(&s, "search=bob").await, ["beta", "gamma"]);
    assert_eq!(idents(&s, "search=akadmin").await, ["alpha"]);
    assert_eq!(idents(&s, "search=THIRD").await, ["gamma"]);
    assert_eq!(idents(&s, "search=bob%20second").await, ["beta"]);
    assert_eq!(idents(&s, "search=bob,first").await, Vec::<String>::new());
});

both!(token_ordering_by_every_allowed_name, |s| {
    filter_fixture(&s).await;
    let all = s.get(TOKENS).await.body["results"].as_array().unwrap().clone();
    let mut by_pk: Vec<(String, String)> = all
        .iter()
        .filter(|t| t["identifier"] != BOOTSTRAP)
        .map(|t| (t["pk"].as_str().unwrap().to_string(), t["identifier"].as_str().unwrap().to_string()))
        .collect();
    by_pk.sort();
    let pk_order: Vec<String> = by_pk.into_iter().map(|x| x.1).collect();
    let mut pk_desc = pk_order.clone();
    pk_desc.reverse();
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("", vec!["alpha".into(), "beta".into(), "gamma".into()]),
        ("ordering=identifier", vec!["alpha".into(), "beta".into(), "gamma".into()]),
        ("ordering=-identifier", vec!["gamma".into(), "beta".into(), "alpha".into()]),
        ("ordering=pk", pk_order),
        ("ordering=-pk", pk_desc),
        ("ordering=managed", vec!["alpha".into(), "gamma".into(), "beta".into()]),
        ("ordering=-managed", vec!["beta".into(), "gamma".into(), "alpha".into()]),
        ("ordering=intent,identifier", vec!["alpha".into(), "gamma".into(), "beta".into()]),
        ("ordering=-intent,identifier", vec!["beta".into(), "alpha".into(), "gamma".into()]),
        ("ordering=user,identifier", vec!["alpha".into(), "beta".into(), "gamma".into()]),
        ("ordering=-user,identifier", vec!["beta".into(), "gamma".into(), "alpha".into()]),
        ("ordering=description", vec!["gamma".into(), "alpha".into(), "beta".into()]),
        ("ordering=-description", vec!["beta".into(), "alpha".into(), "gamma".into()]),
        ("ordering=expires", vec!["gamma".into(), "alpha".into(), "beta".into()]),
        ("ordering=-expires", vec!["beta".into(), "alpha".into(), "gamma".into()]),
        ("ordering=expiring,identifier", vec!["beta".into(), "alpha".into(), "gamma".into()]),
        ("ordering=-expiring,identifier", vec!["alpha".into(), "gamma".into(), "beta".into()]),
        // Unknown, write-only and computed names are dropped.
        ("ordering=-key", vec!["alpha".into(), "beta".into(), "gamma".into()]),
        ("ordering=-user_obj", vec!["alpha".into(), "beta".into(), "gamma".into()]),
    ];
    for (q, want) in cases {
        assert_eq!(idents(&s, q).await, want, "{q}");
    }
});

both!(token_bad_input_is_refused_with_drf_messages_and_nothing_written, |s| {
    s.create(TOKENS, json!({"identifier": "keep", "description": "orig", "expires": null})).await;
    let long = "a".repeat(256);
    let slug = "Enter a valid \"slug\" consisting of letters, numbers, underscores or hyphens.";
    let cases: Vec<(Value, Value)> = vec![
        (json!({}), json!({"identifier": ["This field is required."]})),
        (json!({"identifier": ""}), json!({"identifier": ["This field may not be blank."]})),
        (json!({"identifier": "bad slug!"}), json!({"identifier": [slug]})),
        (json!({"identifier": long}), json!({"identifier": ["Ensure this field has no more than 255 characters."]})),
        (json!({"identifier": ["x"]}), json!({"identifier": ["Not a valid string."]})),
        (json!({"identifier": BOOTSTRAP}), json!({"identifier": ["Token with this identifier already exists."]})),
        (json!({"identifier": "n1", "user": 99999}), json!({"user": ["Invalid pk \"99999\" - object does not exist."]})),
        (json!({"identifier": "n1", "user": "abc"}), json!({"user": ["Incorrect type. Expected pk value, received str."]})),
        (json!({"identifier": "n1", "user": null}), json!({"user": ["This field may not be null."]})),
        (json!({"identifier": "n1", "intent": 5}), json!({"intent": ["\"5\" is not a valid choice."]})),
        (json!({"identifier": "n1", "expires": "soon"}), json!({"expires": ["Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."]})),
        (json!({"identifier": "n1", "expiring": "maybe"}), json!({"expiring": ["Must be a valid boolean."]})),
        (json!({"identifier": "n1", "description": {"a": 1}}), json!({"description": ["Not a valid string."]})),
        (json!({"identifier": "n1", "managed": ""}), json!({"managed": ["This field may not be blank."]})),
        (
            json!({"identifier": "n1", "managed": "goauthentik.io/bootstrap/token"}),
            json!({"managed": ["Token with this Managed by authentik already exists."]}),
        ),
        (
            json!({"identifier": "bad slug!", "expiring": "maybe", "user": 99999}),
            json!({"identifier": [slug], "expiring": ["Must be a valid boolean."], "user": ["Invalid pk \"99999\" - object does not exist."]}),
        ),
        (json!("x"), json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]})),
    ];
    let before = token_count(&s).await;
    for (body, want) in &cases {
        let r = s.post(TOKENS, body.clone()).await;
        assert_eq!(r.status, 400, "create {body}: {r:?}");
        assert_eq!(&r.body, want, "create {body}");
    }
    assert_eq!(token_count(&s).await, before, "no failed create wrote a token");
    for (body, want) in cases.iter().skip(1) {
        let r = s.patch(&tk("keep"), body.clone()).await;
        assert_eq!(r.status, 400, "patch {body}: {r:?}");
        assert_eq!(&r.body, want, "patch {body}");
    }
    let after = s.get(&tk("keep")).await.body;
    assert_eq!(after["description"], "orig");
    assert_eq!(after["expires"], Value::Null);
    assert_eq!(after["managed"], Value::Null);
    assert_eq!(after["expiring"], true);
});

both!(anonymous_requests_to_tokens_are_refused, |s| {
    for path in [TOKENS.to_string(), tk(BOOTSTRAP), format!("{}view_key/", tk(BOOTSTRAP))] {
        let r = s.send(Method::GET, &path, None, Some("")).await;
        assert_eq!((r.status, r.body), (403, json!({"detail": "Authentication credentials were not provided."})), "{path}");
    }
});
