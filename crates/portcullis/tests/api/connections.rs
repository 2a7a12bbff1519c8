//! User-source connections: `/sources/user_connections/oauth/` and `/all/`.

use crate::sources::{count_rows, create_discord, plain_user, raw_text};
use domain::value::SqlValue;
use reqwest::Method;
use serde_json::{json, Value};

const OAUTH: &str = "/api/v3/sources/user_connections/oauth/";
const ALL: &str = "/api/v3/sources/user_connections/all/";

async fn new_user(s: &crate::harness::TestServer, name: &str) -> i64 {
    s.create("/api/v3/core/users/", json!({"username": name, "name": name})).await["pk"].as_i64().unwrap()
}

fn ids(r: &crate::harness::Resp) -> Vec<i64> {
    r.body["results"].as_array().unwrap().iter().map(|o| o["pk"].as_i64().unwrap()).collect()
}

both!(oauth_connection_is_created_with_a_source_pk_and_shows_a_base_source, |s| {
    let src = create_discord(&s, "disc").await;
    let u = new_user(&s, "alice").await;
    let c = s.create(OAUTH, json!({"user": u, "source": src["pk"], "identifier": "remote-1", "access_token": "tok-abc"})).await;
    let keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, vec!["pk", "user", "source", "identifier"]);
    assert_eq!(c["user"], u);
    assert_eq!(c["identifier"], "remote-1");
    let nested = &c["source"];
    assert_eq!(nested["pk"], src["pk"]);
    assert_eq!(nested["slug"], "disc");
    assert_eq!(nested["component"], "");
    assert_eq!(nested["verbose_name"], "source");
    assert_eq!(nested["verbose_name_plural"], "sources");
    assert_eq!(nested["meta_model_name"], "authentik_core.source");
    let skeys: Vec<&str> = nested.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        skeys,
        vec!["pk", "name", "slug", "enabled", "authentication_flow", "enrollment_flow", "component", "verbose_name", "verbose_name_plural",
             "meta_model_name", "policy_engine_mode", "user_matching_mode", "managed", "user_path_template", "icon"]
    );
    let id = c["pk"].as_i64().unwrap();
    let r = s.get(&format!("{OAUTH}{id}/")).await;
    assert_eq!(r.body, c);
    let r = s.patch(&format!("{OAUTH}{id}/"), json!({"identifier": "remote-2"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["identifier"], "remote-2");
    let mut put = json!({"user": u, "identifier": "remote-3"});
    let r = s.put(&format!("{OAUTH}{id}/"), put.clone()).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["source"]["slug"], "disc", "PUT without source keeps it");
    put["identifier"] = json!("");
    let r = s.put(&format!("{OAUTH}{id}/"), put).await;
    assert_eq!(r.body, json!({"identifier": ["This field may not be blank."]}));
    assert_eq!(s.get(&format!("{OAUTH}{id}/used_by/")).await.body, json!([]));
    assert_eq!(s.delete(&format!("{OAUTH}{id}/")).await.status, 204);
    assert_eq!(s.get(&format!("{OAUTH}{id}/")).await.status, 404);
});

both!(oauth_connection_bad_input_is_refused_with_drf_bodies, |s| {
    let src = create_discord(&s, "disc").await;
    let spk = src["pk"].as_str().unwrap().to_string();
    let u = new_user(&s, "alice").await;
    let r = s.post(OAUTH, json!({"user": u, "identifier": "x"})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"source": ["This field is required."]}));
    let cases: Vec<(Value, Value)> = vec![
        (json!({}), json!({"user": ["This field is required."], "identifier": ["This field is required."]})),
        (json!({"user": u, "identifier": "x", "source": "00000000-0000-0000-0000-000000000001"}),
         json!({"source": ["Invalid pk \"00000000-0000-0000-0000-000000000001\" - object does not exist."]})),
        (json!({"user": u, "identifier": "x", "source": "zz"}), json!({"source": ["“zz” is not a valid UUID."]})),
        (json!({"user": u, "identifier": "x", "source": null}), json!({"source": ["This field may not be null."]})),
        // A numeric string names the pk (Django's lookup accepts it); other strings are the wrong type.
        (json!({"user": "one", "identifier": "x", "source": spk}), json!({"user": ["Incorrect type. Expected pk value, received str."]})),
        (json!({"user": 9999, "identifier": "x", "source": spk}), json!({"user": ["Invalid pk \"9999\" - object does not exist."]})),
        (json!({"user": u, "identifier": "x".repeat(256), "source": spk}), json!({"identifier": ["Ensure this field has no more than 255 characters."]})),
        (json!({"user": u, "identifier": "x", "source": spk, "access_token": [1]}), json!({"access_token": ["Not a valid string."]})),
    ];
    for (body, expected) in cases {
        let r = s.post(OAUTH, body.clone()).await;
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(r.body, expected, "{body}");
    }
    assert_eq!(count_rows(&s, "source_connections").await, 0);
});

both!(one_connection_per_user_and_source_and_one_user_per_identifier, |s| {
    let src = create_discord(&s, "disc").await;
    let other = create_discord(&s, "other").await;
    let a = new_user(&s, "alice").await;
    let b = new_user(&s, "bob").await;
    s.create(OAUTH, json!({"user": a, "source": src["pk"], "identifier": "id-a"})).await;
    let r = s.post(OAUTH, json!({"user": a, "source": src["pk"], "identifier": "id-a2"})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"non_field_errors": ["The fields user, source must make a unique set."]}));
    let r = s.post(OAUTH, json!({"user": b, "source": src["pk"], "identifier": "id-a"})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"non_field_errors": ["This identifier is already connected to another user of this source."]}));
    // The same identifier at another source, and another user at the same source, are fine.
    s.create(OAUTH, json!({"user": b, "source": other["pk"], "identifier": "id-a"})).await;
    let c = s.create(OAUTH, json!({"user": b, "source": src["pk"], "identifier": "id-b"})).await;
    let r = s.patch(&format!("{OAUTH}{}/", c["pk"]), json!({"source": other["pk"]})).await;
    assert_eq!(r.body, json!({"non_field_errors": ["The fields user, source must make a unique set."]}));
    assert_eq!(count_rows(&s, "source_connections").await, 3);
});

both!(access_token_is_write_only_empty_means_null_and_sealed_at_rest, |s| {
    let src = create_discord(&s, "disc").await;
    let u = new_user(&s, "alice").await;
    let c = s.create(OAUTH, json!({"user": u, "source": src["pk"], "identifier": "i", "access_token": "ya29.secret-access"})).await;
    assert!(c.get("access_token").is_none());
    let key = SqlValue::Int(c["pk"].as_i64().unwrap());
    let raw = raw_text(&s, "source_connections", "access_token", "id", key.clone()).await.unwrap();
    assert!(!raw.contains("ya29.secret-access"), "stored in clear");
    assert_eq!(domain::crypto::Sealer::new("test-secret-key").open(&raw).as_deref(), Some("ya29.secret-access"));
    let r = s.patch(&format!("{OAUTH}{}/", c["pk"]), json!({"access_token": ""})).await;
    assert_eq!(r.status, 200);
    assert!(r.body.get("access_token").is_none());
    assert_eq!(raw_text(&s, "source_connections", "access_token", "id", key.clone()).await, None);
    let r = s.patch(&format!("{OAUTH}{}/", c["pk"]), json!({"access_token": null})).await;
    assert_eq!(r.status, 200);
    assert_eq!(raw_text(&s, "source_connections", "access_token", "id", key).await, None);
});

both!(non_superuser_creates_and_sees_only_their_own_connections, |s| {
    let src = create_discord(&s, "disc").await;
    let other_src = create_discord(&s, "other").await;
    let (me, tok) = plain_user(&s, "me").await;
    let them = new_user(&s, "them").await;
    let theirs = s.create(OAUTH, json!({"user": them, "source": src["pk"], "identifier": "t"})).await;
    let forbidden = json!({"detail": "You do not have permission to perform this action."});
    // Creating for another user: 403, even when it would collide with their connection.
    let r = s.send(Method::POST, OAUTH, Some(&json!({"user": them, "source": src["pk"], "identifier": "t"})), Some(&tok)).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body, forbidden);
    let r = s.send(Method::POST, OAUTH, Some(&json!({"user": them, "source": other_src["pk"], "identifier": "x"})), Some(&tok)).await;
    assert_eq!(r.status, 403);
    let r = s.send(Method::POST, OAUTH, Some(&json!({"user": me, "source": src["pk"], "identifier": "mine"})), Some(&tok)).await;
    assert_eq!(r.status, 201, "{r:?}");
    let mine = r.body["pk"].as_i64().unwrap();
    let r = s.send(Method::GET, OAUTH, None, Some(&tok)).await;
    assert_eq!(r.status, 200);
    assert_eq!(ids(&r), vec![mine]);
    let r = s.send(Method::GET, ALL, None, Some(&tok)).await;
    assert_eq!(ids(&r), vec![mine]);
    let tid = theirs["pk"].as_i64().unwrap();
    for path in [format!("{OAUTH}{tid}/"), format!("{ALL}{tid}/")] {
        assert_eq!(s.send(Method::GET, &path, None, Some(&tok)).await.status, 404);
        assert_eq!(s.send(Method::DELETE, &path, None, Some(&tok)).await.status, 404);
    }
    // Moving one's connection to another user: superusers only.
    let r = s.send(Method::PATCH, &format!("{OAUTH}{mine}/"), Some(&json!({"user": them})), Some(&tok)).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body, forbidden);
    let r = s.send(Method::PUT, &format!("{OAUTH}{mine}/"), Some(&json!({"user": them, "identifier": "mine"})), Some(&tok)).await;
    assert_eq!(r.status, 403);
    let r = s.send(Method::PATCH, &format!("{OAUTH}{mine}/"), Some(&json!({"user": me, "identifier": "mine-2"})), Some(&tok)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["user"], me);
    let r = s.patch(&format!("{OAUTH}{mine}/"), json!({"user": them, "source": other_src["pk"]})).await;
    assert_eq!(r.status, 200, "a superuser may move it: {r:?}");
    assert_eq!(r.body["user"], them);
    assert_eq!(s.send(Method::GET, &format!("{OAUTH}{mine}/"), None, Some(&tok)).await.status, 404);
    let r = s.send(Method::GET, OAUTH, None, Some("")).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body, json!({"detail": "Authentication credentials were not provided."}));
});

both!(oauth_connection_filter_search_and_ordering, |s| {
    let b_src = create_discord(&s, "bbb").await;
    let a_src = create_discord(&s, "aaa").await;
    let u1 = new_user(&s, "u1").await;
    let u2 = new_user(&s, "u2").await;
    let c1 = s.create(OAUTH, json!({"user": u2, "source": b_src["pk"], "identifier": "zz"})).await["pk"].as_i64().unwrap();
    let c2 = s.create(OAUTH, json!({"user": u1, "source": a_src["pk"], "identifier": "yy"})).await["pk"].as_i64().unwrap();
    let get = |q: &str| format!("{OAUTH}?{q}");
    assert_eq!(ids(&s.get(&get("")).await), vec![c2, c1], "default order source__slug");
    assert_eq!(ids(&s.get(&get("source__slug=bbb")).await), vec![c1]);
    assert_eq!(ids(&s.get(&get("source__slug=nope")).await), Vec::<i64>::new());
    assert_eq!(ids(&s.get(&get("search=AA")).await), vec![c2]);
    assert_eq!(ids(&s.get(&get("ordering=-pk")).await), vec![c2, c1]);
    assert_eq!(ids(&s.get(&get("ordering=user")).await), vec![c2, c1]);
    assert_eq!(ids(&s.get(&get("ordering=-identifier")).await), vec![c1, c2]);
    assert_eq!(ids(&s.get(&get("ordering=identifier")).await), vec![c2, c1]);
    assert_eq!(s.get(&get("ordering=source")).await.body["pagination"]["count"], 2);
    assert_eq!(ids(&s.get(&get("ordering=access_token")).await), vec![c2, c1], "write-only names are ignored");
});

both!(all_connections_are_read_update_delete_only, |s| {
    let src = create_discord(&s, "disc").await;
    let u1 = new_user(&s, "u1").await;
    let u2 = new_user(&s, "u2").await;
    let c1 = s.create(OAUTH, json!({"user": u2, "source": src["pk"], "identifier": "a"})).await["pk"].as_i64().unwrap();
    let c2 = s.create(OAUTH, json!({"user": u1, "source": src["pk"], "identifier": "b"})).await["pk"].as_i64().unwrap();
    let r = s.get(ALL).await;
    assert_eq!(ids(&r), vec![c1, c2], "default order pk");
    let o = r.body["results"][0].clone();
    let keys: Vec<&str> = o.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, vec!["pk", "user", "source", "created"]);
    assert_eq!(o["user"], u2);
    assert_eq!(o["source"]["meta_model_name"], "authentik_core.source");
    assert!(o["created"].as_str().unwrap().ends_with('Z'));
    let r = s.post(ALL, json!({"user": u1})).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.body, json!({"detail": "Method \"POST\" not allowed."}));
    let r = s.put(&format!("{ALL}{c1}/"), json!({"user": u1, "created": "2020-01-01T00:00:00Z"})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, o, "nothing is writable");
    let r = s.patch(&format!("{ALL}{c1}/"), json!({"user": u1})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, o);
    assert_eq!(ids(&s.get(&format!("{ALL}?user={u1}")).await), vec![c2]);
    let r = s.get(&format!("{ALL}?user=9999")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"user": ["Select a valid choice. That choice is not one of the available choices."]}));
    assert_eq!(ids(&s.get(&format!("{ALL}?ordering=-pk")).await), vec![c2, c1]);
    assert_eq!(ids(&s.get(&format!("{ALL}?ordering=user")).await), vec![c2, c1]);
    assert_eq!(ids(&s.get(&format!("{ALL}?ordering=-created")).await).len(), 2);
    assert_eq!(ids(&s.get(&format!("{ALL}?ordering=source")).await).len(), 2);
    assert_eq!(ids(&s.get(&format!("{ALL}?search=zzz")).await).len(), 2, "no search fields");
    assert_eq!(s.get(&format!("{ALL}{c1}/used_by/")).await.body, json!([]));
    assert_eq!(s.delete(&format!("{ALL}{c1}/")).await.status, 204);
    assert_eq!(ids(&s.get(ALL).await), vec![c2]);
});

both!(deleting_a_user_removes_their_connections, |s| {
    let src = create_discord(&s, "disc").await;
    let spk = src["pk"].as_str().unwrap().to_string();
    let u = new_user(&s, "gone").await;
    let c = s.create(OAUTH, json!({"user": u, "source": spk, "identifier": "x"})).await["pk"].as_i64().unwrap();
    let r = s.get(&format!("/api/v3/core/users/{u}/used_by/")).await;
    assert_eq!(
        r.body,
        json!([
            {"app": "authentik_core", "model_name": "source", "pk": spk, "name": "Source disc", "action": "cascade_many"},
            {"app": "authentik_core", "model_name": "usersourceconnection", "pk": c.to_string(),
             "name": format!("User-source connection (user={u}, source={spk})"), "action": "cascade"},
        ])
    );
    assert_eq!(s.delete(&format!("/api/v3/core/users/{u}/")).await.status, 204);
    assert_eq!(s.get(&format!("{OAUTH}{c}/")).await.status, 404);
    assert_eq!(count_rows(&s, "source_connections").await, 0);
    assert_eq!(s.get("/api/v3/sources/oauth/disc/").await.status, 200);
});
