//! Bad input on user writes gets DRF's 400 bodies and changes nothing; PUT replaces, PATCH
//! merges, DELETE removes (api-behaviour.md 1.9-1.11, 3.9.1).

use crate::harness::TestServer;
use reqwest::Method;
use serde_json::{json, Value};

const USERS: &str = "/api/v3/core/users/";
const DATETIME: &str = "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].";
const DICT: &str = "Value must be a dictionary, and not have any duplicate keys.";

/// A user to update, and the snapshot every failed write must leave untouched.
async fn victim(s: &TestServer) -> (String, Value) {
    let u = s
        .create(USERS, json!({"username": "victim", "name": "Victim", "email": "v@example.com", "attributes": {"a": 1}, "path": "people"}))
        .await;
    let path = format!("{USERS}{}/", u["pk"]);
    let snap = s.get(&path).await.body;
    (path, snap)
}

/// Asserts a 400 with exactly `want`, and that neither the user list nor the victim changed.
async fn refused(s: &TestServer, method: Method, path: &str, body: Value, want: Value, victim: &(String, Value)) {
    let before = s.count(USERS).await;
    let r = s.send(method.clone(), path, Some(&body), None).await;
    assert_eq!(r.status, 400, "{method} {path} {body}: {r:?}");
    assert_eq!(r.body, want, "{method} {path} {body}");
    assert_eq!(s.count(USERS).await, before, "{method} {body}: the user list changed");
    assert_eq!(s.get(&victim.0).await.body, victim.1, "{method} {body}: the user changed");
}

both!(wrong_json_types_for_every_field_get_drf_messages_all_at_once, |s| {
    let v = victim(&s).await;
    let body = json!({
        "username": true, "name": [], "is_active": "maybe", "last_login": 5, "groups": "x",
        "email": "nope", "attributes": [], "path": {}, "type": "bogus"
    });
    let want = json!({
        "username": ["Not a valid string."],
        "name": ["Not a valid string."],
        "is_active": ["Must be a valid boolean."],
        "last_login": [DATETIME],
        "groups": ["Expected a list of items but got type \"str\"."],
        "email": ["Enter a valid email address."],
        "attributes": [DICT],
        "path": ["Not a valid string."],
        "type": ["\"bogus\" is not a valid choice."],
    });
    refused(&s, Method::POST, USERS, body.clone(), want.clone(), &v).await;
    refused(&s, Method::PUT, &v.0.clone(), body.clone(), want.clone(), &v).await;
    refused(&s, Method::PATCH, &v.0.clone(), body, want, &v).await;
});

both!(more_wrong_types_and_values, |s| {
    let v = victim(&s).await;
    let p = v.0.clone();
    let cases: Vec<(Value, Value)> = vec![
        (json!({"username": {}}), json!({"username": ["Not a valid string."]})),
        (json!({"is_active": 2}), json!({"is_active": ["Must be a valid boolean."]})),
        (json!({"is_active": []}), json!({"is_active": ["Must be a valid boolean."]})),
        (json!({"last_login": "yesterday"}), json!({"last_login": [DATETIME]})),
        (json!({"last_login": true}), json!({"last_login": [DATETIME]})),
        (json!({"attributes": "x"}), json!({"attributes": [DICT]})),
        (json!({"attributes": 1}), json!({"attributes": [DICT]})),
        (json!({"type": 5}), json!({"type": ["\"5\" is not a valid choice."]})),
        (json!({"type": true}), json!({"type": ["\"True\" is not a valid choice."]})),
        (json!({"type": "Internal"}), json!({"type": ["\"Internal\" is not a valid choice."]})),
        (json!({"groups": 5}), json!({"groups": ["Expected a list of items but got type \"int\"."]})),
        (json!({"groups": [true]}), json!({"groups": ["Incorrect type. Expected pk value, received bool."]})),
        (json!({"username": ""}), json!({"username": ["This field may not be blank."]})),
        (json!({"username": "   "}), json!({"username": ["This field may not be blank."]})),
        (json!({"path": ""}), json!({"path": ["This field may not be blank."]})),
    ];
    for (body, want) in cases {
        refused(&s, Method::PATCH, &p, body, want, &v).await;
    }
});

both!(null_for_non_nullable_fields_is_refused, |s| {
    let v = victim(&s).await;
    let body = json!({"username": null, "name": null, "is_active": null, "groups": null, "email": null,
                      "attributes": null, "path": null, "type": null});
    let m = json!(["This field may not be null."]);
    let want = json!({"username": m, "name": m, "is_active": m, "groups": m, "email": m, "attributes": m, "path": m, "type": m});
    refused(&s, Method::POST, USERS, body.clone(), want.clone(), &v).await;
    refused(&s, Method::PATCH, &v.0.clone(), body, want, &v).await;
    // last_login is nullable.
    let r = s.patch(&v.0, json!({"last_login": null})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["last_login"], Value::Null);
});

both!(missing_required_fields_are_reported_on_create_and_put, |s| {
    let v = victim(&s).await;
    let want = json!({"username": ["This field is required."], "name": ["This field is required."]});
    refused(&s, Method::POST, USERS, json!({}), want.clone(), &v).await;
    refused(&s, Method::POST, USERS, json!({"email": "x@example.com"}), want.clone(), &v).await;
    refused(&s, Method::PUT, &v.0.clone(), json!({"email": "x@example.com"}), want, &v).await;
    refused(&s, Method::PUT, &v.0.clone(), json!({"username": "victim"}), json!({"name": ["This field is required."]}), &v).await;
});

both!(unknown_and_read_only_fields_are_ignored, |s| {
    let r = s
        .post(
            USERS,
            json!({"username": "extra", "name": "Extra", "bogus": 1, "pk": 99999, "uuid": "00000000-0000-0000-0000-000000000000",
                   "is_superuser": true, "uid": "x", "avatar": "x", "groups_obj": [{"name": "x"}], "password": "pw"}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_ne!(r.body["pk"], 99999);
    assert_ne!(r.body["uuid"], "00000000-0000-0000-0000-000000000000");
    assert_eq!(r.body["is_superuser"], false);
    assert_ne!(r.body["uid"], "x");
    assert_eq!(r.body["groups_obj"], json!([]));
    assert!(r.body.get("bogus").is_none() && r.body.get("password").is_none());
});

both!(username_longer_than_150_characters_is_refused, |s| {
    let v = victim(&s).await;
    let long = "x".repeat(151);
    refused(&s, Method::POST, USERS, json!({"username": long, "name": ""}), json!({"username": ["Ensure this field has no more than 150 characters."]}), &v).await;
    // 150 characters (not bytes) are fine, spaces too; surrounding whitespace is trimmed.
    let max = "é".repeat(150);
    assert_eq!(s.create(USERS, json!({"username": max, "name": ""})).await["username"], max.as_str());
    assert_eq!(s.create(USERS, json!({"username": "  with space  ", "name": ""})).await["username"], "with space");
});

both!(invalid_email_is_refused_and_blank_email_accepted, |s| {
    let v = victim(&s).await;
    for e in ["plainaddress", "a@", "@example.com", "a b@example.com", "a@@example.com", "a@example"] {
        refused(&s, Method::PATCH, &v.0.clone(), json!({"email": e}), json!({"email": ["Enter a valid email address."]}), &v).await;
    }
    let r = s.patch(&v.0, json!({"email": ""})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["email"], "");
});

both!(creating_an_internal_service_account_is_refused, |s| {
    let v = victim(&s).await;
    refused(
        &s,
        Method::POST,
        USERS,
        json!({"username": "svc", "name": "", "type": "internal_service_account"}),
        json!({"type": ["Setting a user to internal service account is not allowed."]}),
        &v,
    )
    .await;
});

both!(internal_service_accounts_cannot_be_modified, |s| {
    use domain::query::{Cond, Write};
    use domain::store::Store;
    let u = s.create(USERS, json!({"username": "outpost", "name": "Outpost"})).await;
    let pk = u["pk"].as_i64().unwrap();
    let mut tx = s.store().begin().await.unwrap();
    tx.write(&Write::Update { table: "users".into(), set: vec![("type".into(), "internal_service_account".into())], filter: Cond::eq("id", pk) })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let path = format!("{USERS}{pk}/");
    let v = (path.clone(), s.get(&path).await.body);
    refused(&s, Method::PATCH, &path, json!({"name": "x"}), json!({"non_field_errors": ["Can't modify internal service account users"]}), &v).await;
    refused(&s, Method::PATCH, &path, json!({"type": "internal"}), json!({"type": ["Can't change internal service account to other user type."]}), &v).await;
    refused(&s, Method::PUT, &path, json!({"username": "outpost", "name": "x"}), json!({"non_field_errors": ["Can't modify internal service account users"]}), &v).await;
});

both!(user_path_rules, |s| {
    let v = victim(&s).await;
    let p = v.0.clone();
    for (path, msg) in [
        ("/lead", "No leading or trailing slashes allowed."),
        ("trail/", "No leading or trailing slashes allowed."),
        ("/", "No leading or trailing slashes allowed."),
        ("a//b", "No empty segments in user path allowed."),
    ] {
        refused(&s, Method::PATCH, &p, json!({"path": path}), json!({"path": [msg]}), &v).await;
    }
    // A field rule is reported together with the other fields' errors.
    refused(
        &s,
        Method::POST,
        USERS,
        json!({"username": "", "name": "x", "path": "/x"}),
        json!({"username": ["This field may not be blank."], "path": ["No leading or trailing slashes allowed."]}),
        &v,
    )
    .await;
    let r = s.patch(&p, json!({"path": "goauthentik.io/sources/x"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["path"], "goauthentik.io/sources/x");
});

both!(groups_must_name_existing_groups_by_uuid, |s| {
    let v = victim(&s).await;
    let p = v.0.clone();
    let missing = uuid::Uuid::new_v4().to_string();
    refused(&s, Method::PATCH, &p, json!({"groups": [missing]}), json!({"groups": [format!("Invalid pk \"{missing}\" - object does not exist.")]}), &v).await;
    refused(&s, Method::POST, USERS, json!({"username": "g", "name": "", "groups": [missing]}), json!({"groups": [format!("Invalid pk \"{missing}\" - object does not exist.")]}), &v).await;
    refused(&s, Method::PATCH, &p, json!({"groups": ["zz"]}), json!({"groups": ["\u{201c}zz\u{201d} is not a valid UUID."]}), &v).await;
});

both!(duplicate_username_is_refused_together_with_other_errors, |s| {
    let v = victim(&s).await;
    refused(&s, Method::POST, USERS, json!({"username": "victim", "name": ""}), json!({"username": ["This field must be unique."]}), &v).await;
    refused(
        &s,
        Method::POST,
        USERS,
        json!({"username": "akadmin", "name": null}),
        json!({"username": ["This field must be unique."], "name": ["This field may not be null."]}),
        &v,
    )
    .await;
    refused(&s, Method::PATCH, &v.0.clone(), json!({"username": "akadmin"}), json!({"username": ["This field must be unique."]}), &v).await;
    // Unique is case-sensitive, and a user keeps its own name.
    assert_eq!(s.create(USERS, json!({"username": "Victim", "name": ""})).await["username"], "Victim");
    assert_eq!(s.patch(&v.0, json!({"username": "victim"})).await.status, 200);
});

both!(body_over_the_limit_is_413_json_and_writes_nothing, |s| {
    let before = s.count(USERS).await;
    let big = format!("{{\"username\": \"big\", \"name\": \"{}\"}}", "x".repeat(10 * 1024 * 1024));
    let r = s
        .raw(
            s.client()
                .post(format!("{}{USERS}", s.base))
                .header("Authorization", format!("Bearer {}", s.token))
                .header("Content-Type", "application/json")
                .body(big),
        )
        .await;
    assert_eq!(r.status, 413, "{r:?}");
    assert_eq!(r.body, json!({"detail": "Request body is too large."}));
    assert_eq!(s.count(USERS).await, before);
    assert_eq!(s.count(&format!("{USERS}?username=big")).await, 0);
});

both!(boolean_fields_accept_drf_spellings, |s| {
    let (p, _) = victim(&s).await;
    for (v, want) in [(json!("no"), false), (json!("yes"), true), (json!(0), false), (json!(1.0), true), (json!("F"), false), (json!("on"), true)] {
        let r = s.patch(&p, json!({"is_active": v})).await;
        assert_eq!(r.status, 200, "{v}: {r:?}");
        assert_eq!(r.body["is_active"], want, "{v}");
    }
});

// ---- create / update / delete semantics ----

async fn admin_group(s: &TestServer) -> String {
    let r = s.get(&format!("{USERS}?username=akadmin")).await;
    r.body["results"][0]["groups"][0].as_str().unwrap().to_string()
}

both!(put_replaces_needs_required_fields_and_resets_groups, |s| {
    let g = admin_group(&s).await;
    let u = s
        .create(USERS, json!({"username": "putme", "name": "Put", "email": "p@example.com", "groups": [g], "attributes": {"k": "v"}}))
        .await;
    assert_eq!(u["groups"], json!([g]));
    let path = format!("{USERS}{}/", u["pk"]);
    let r = s.put(&path, json!({"username": "putme2", "name": "Put 2"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["username"], "putme2");
    assert_eq!(r.body["name"], "Put 2");
    // groups has an API default and is reset; other omitted optional fields keep their values.
    assert_eq!(r.body["groups"], json!([]));
    assert_eq!(r.body["groups_obj"], json!([]));
    assert_eq!(r.body["email"], "p@example.com");
    assert_eq!(r.body["attributes"], json!({"k": "v"}));
    assert_eq!(s.get(&path).await.body, r.body);
});

both!(patch_merges_into_the_stored_object, |s| {
    let g = admin_group(&s).await;
    let u = s.create(USERS, json!({"username": "patchme", "name": "Patch", "email": "p@example.com", "groups": [g]})).await;
    let path = format!("{USERS}{}/", u["pk"]);
    let r = s.patch(&path, json!({"email": "q@example.com"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let mut want = u.clone();
    want["email"] = json!("q@example.com");
    assert_eq!(r.body, want);
    assert_eq!(r.body["groups"], json!([g]));
    assert_eq!(r.body["is_superuser"], true);
    let r = s.patch(&path, json!({"groups": []})).await;
    assert_eq!(r.body["groups"], json!([]));
    assert_eq!(r.body["is_superuser"], false);
});

both!(delete_answers_204_then_404, |s| {
    let u = s.create(USERS, json!({"username": "gone", "name": ""})).await;
    let path = format!("{USERS}{}/", u["pk"]);
    let r = s.delete(&path).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(r.text, "");
    for m in [Method::GET, Method::DELETE, Method::PATCH, Method::PUT] {
        let r = s.send(m.clone(), &path, Some(&json!({"username": "gone", "name": ""})), None).await;
        assert_eq!(r.status, 404, "{m}: {r:?}");
        assert_eq!(r.body, json!({"detail": "Not found."}));
    }
    assert_eq!(s.count(&format!("{USERS}?username=gone")).await, 0);
});

both!(used_by_of_a_user_lists_its_groups, |s| {
    let g = admin_group(&s).await;
    let r = s.get("/api/v3/core/users/1/used_by/").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body,
        json!([{"app": "authentik_core", "model_name": "group", "pk": g, "name": "Group authentik Admins", "action": "cascade_many"}])
    );
    let u = s.create(USERS, json!({"username": "loner", "name": ""})).await;
    let r = s.get(&format!("{USERS}{}/used_by/", u["pk"])).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, json!([]));
    let r = s.get("/api/v3/core/users/424242/used_by/").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body, json!({"detail": "Not found."}));
});
