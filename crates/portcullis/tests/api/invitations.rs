//! Invitations: `/stages/invitation/invitations/`.

use crate::flows::flow_body;
use crate::sources::{count_rows, plain_user};
use serde_json::{json, Value};

const PATH: &str = "/api/v3/stages/invitation/invitations/";

fn names(r: &crate::harness::Resp) -> Vec<String> {
    r.body["results"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap().to_string()).collect()
}

both!(invitation_create_sets_creator_and_defaults, |s| {
    let me = s.get("/api/v3/core/users/me/").await.body["user"]["pk"].as_i64().unwrap();
    let i = s.create(PATH, json!({"name": "welcome", "created_by": 9999})).await;
    let keys: Vec<&str> = i.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, vec!["pk", "name", "expires", "fixed_data", "created_by", "single_use", "flow", "flow_obj"]);
    assert_eq!(i["expires"], Value::Null);
    assert_eq!(i["fixed_data"], json!({}));
    assert_eq!(i["single_use"], false);
    assert_eq!(i["flow"], Value::Null);
    assert_eq!(i["flow_obj"], Value::Null);
    let creator = &i["created_by"];
    assert_eq!(creator["pk"], me);
    assert_eq!(creator["username"], "akadmin");
    let ckeys: Vec<&str> = creator.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(ckeys, vec!["pk", "username", "name", "is_active", "last_login", "email", "attributes", "uid"]);
    let id = i["pk"].as_str().unwrap();
    assert_eq!(s.get(&format!("{PATH}{id}/")).await.body, i);
    // The creator never changes.
    let r = s.put(&format!("{PATH}{id}/"), json!({"name": "renamed", "created_by": 1, "single_use": true, "fixed_data": {"email": "a@b.c"}, "expires": "2030-01-01"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["created_by"], i["created_by"]);
    assert_eq!(r.body["single_use"], true);
    assert_eq!(r.body["fixed_data"], json!({"email": "a@b.c"}));
    assert_eq!(r.body["expires"], "2030-01-01T00:00:00Z");
    let r = s.patch(&format!("{PATH}{id}/"), json!({"expires": null})).await;
    assert_eq!(r.body["expires"], Value::Null);
    assert_eq!(s.get(&format!("{PATH}{id}/used_by/")).await.body, json!([]));
    assert_eq!(s.delete(&format!("{PATH}{id}/")).await.status, 204);
    assert_eq!(s.get(&format!("{PATH}{id}/")).await.status, 404);
    assert_eq!(s.get(&format!("{PATH}not-a-uuid/")).await.status, 404);
});

both!(invitation_flow_obj_is_the_full_flow, |s| {
    let f = s.create("/api/v3/flows/instances/", flow_body("enroll")).await;
    let i = s.create(PATH, json!({"name": "with-flow", "flow": f["pk"]})).await;
    assert_eq!(i["flow"], f["pk"]);
    let flow = s.get("/api/v3/flows/instances/enroll/").await.body;
    assert_eq!(i["flow_obj"], flow);
    // Deleting the flow clears the reference.
    assert_eq!(s.delete("/api/v3/flows/instances/enroll/").await.status, 204);
    let r = s.get(&format!("{PATH}{}/", i["pk"].as_str().unwrap())).await;
    assert_eq!(r.body["flow"], Value::Null);
    assert_eq!(r.body["flow_obj"], Value::Null);
});

both!(invitation_bad_input_is_refused_and_nothing_written, |s| {
    let cases: Vec<(Value, Value)> = vec![
        (json!({}), json!({"name": ["This field is required."]})),
        (json!({"name": "has space"}), json!({"name": ["Enter a valid \"slug\" consisting of letters, numbers, underscores or hyphens."]})),
        (json!({"name": "a".repeat(51)}), json!({"name": ["Ensure this field has no more than 50 characters."]})),
        (json!({"name": "ok", "expires": "soon"}), json!({"expires": ["Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."]})),
        (json!({"name": "ok", "fixed_data": [1]}), json!({"fixed_data": ["Value must be a dictionary, and not have any duplicate keys."]})),
        (json!({"name": "ok", "single_use": "often"}), json!({"single_use": ["Must be a valid boolean."]})),
        (json!({"name": "ok", "flow": "00000000-0000-0000-0000-000000000001"}), json!({"flow": ["Invalid pk \"00000000-0000-0000-0000-000000000001\" - object does not exist."]})),
        (json!({"name": "ok", "flow": "zz"}), json!({"flow": ["“zz” is not a valid UUID."]})),
    ];
    for (body, expected) in cases {
        let r = s.post(PATH, body.clone()).await;
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(r.body, expected, "{body}");
    }
    assert_eq!(count_rows(&s, "invitations").await, 0);
    // Names are not unique.
    s.create(PATH, json!({"name": "same"})).await;
    s.create(PATH, json!({"name": "same"})).await;
});

both!(invitations_order_by_expires_descending_with_nulls_first, |s| {
    s.create(PATH, json!({"name": "b-2030", "expires": "2030-01-01T00:00:00Z"})).await;
    s.create(PATH, json!({"name": "a-never"})).await;
    s.create(PATH, json!({"name": "c-2031", "expires": "2031-06-01T12:30:00.5Z"})).await;
    let list = |q: &str| format!("{PATH}?{q}");
    assert_eq!(names(&s.get(&list("")).await), vec!["a-never", "c-2031", "b-2030"]);
    assert_eq!(names(&s.get(&list("ordering=expires")).await), vec!["b-2030", "c-2031", "a-never"]);
    assert_eq!(names(&s.get(&list("ordering=name")).await), vec!["a-never", "b-2030", "c-2031"]);
    assert_eq!(names(&s.get(&list("ordering=-name")).await), vec!["c-2031", "b-2030", "a-never"]);
    for name in ["pk", "name", "expires", "fixed_data", "created_by", "single_use", "flow", "flow_obj"] {
        assert_eq!(s.get(&list(&format!("ordering={name}"))).await.body["pagination"]["count"], 3, "{name}");
    }
});

both!(invitation_filters_and_search, |s| {
    let f = s.create("/api/v3/flows/instances/", flow_body("enroll-flow")).await;
    s.create(PATH, json!({"name": "flowed", "flow": f["pk"], "expires": "2030-01-01T00:00:00Z"})).await;
    s.create(PATH, json!({"name": "plain", "expires": "2031-06-01T12:30:00.5Z"})).await;
    let q = |q: &str| format!("{PATH}?{q}");
    assert_eq!(names(&s.get(&q("name=plain")).await), vec!["plain"]);
    assert_eq!(names(&s.get(&q("flow__slug=enroll-flow")).await), vec!["flowed"]);
    assert_eq!(names(&s.get(&q("flow__slug=other")).await), Vec::<String>::new());
    assert_eq!(names(&s.get(&q("created_by__username=akadmin")).await).len(), 2);
    assert_eq!(names(&s.get(&q("created_by__username=nobody")).await).len(), 0);
    assert_eq!(names(&s.get(&q("expires=2030-01-01T00:00:00Z")).await), vec!["flowed"]);
    let r = s.get(&q("expires=tomorrow")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"expires": ["Enter a valid date/time."]}));
    assert_eq!(names(&s.get(&q("search=LAIN")).await), vec!["plain"]);
    assert_eq!(names(&s.get(&q("search=enroll-fl")).await), vec!["flowed"]);
    assert_eq!(names(&s.get(&q("search=akadm")).await).len(), 2);
    assert_eq!(names(&s.get(&q("search=2030-01-01%2000:00:00%2B00")).await), vec!["flowed"]);
    assert_eq!(names(&s.get(&q("search=12:30:00.5%2B00")).await), vec!["plain"]);
    assert_eq!(names(&s.get(&q("search=2031")).await), vec!["plain"]);
});

both!(deleting_the_creator_deletes_the_invitation_and_non_superusers_are_refused, |s| {
    let u = s.create("/api/v3/core/users/", json!({"username": "admin2", "name": ""})).await["pk"].as_i64().unwrap();
    // An invitation created by another user (written directly: only superusers use this API).
    crate::harness::insert_row(
        &s,
        "invitations",
        vec![
            ("uuid", domain::value::SqlValue::Text(uuid::Uuid::new_v4().to_string())),
            ("name", domain::value::SqlValue::Text("theirs".into())),
            ("created_by", domain::value::SqlValue::Int(u)),
        ],
    )
    .await;
    s.create(PATH, json!({"name": "mine"})).await;
    let r = s.get(&format!("/api/v3/core/users/{u}/used_by/")).await;
    assert_eq!(r.body[0]["model_name"], "invitation");
    assert_eq!(r.body[0]["action"], "cascade");
    assert_eq!(s.delete(&format!("/api/v3/core/users/{u}/")).await.status, 204);
    assert_eq!(names(&s.get(PATH).await), vec!["mine"]);
    let (_, tok) = plain_user(&s, "plain").await;
    let r = s.send(reqwest::Method::GET, PATH, None, Some(&tok)).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body, json!({"detail": "You do not have permission to perform this action."}));
    let r = s.send(reqwest::Method::POST, PATH, Some(&json!({"name": "x"})), Some(&tok)).await;
    assert_eq!(r.status, 403);
    assert_eq!(count_rows(&s, "invitations").await, 1);
});
