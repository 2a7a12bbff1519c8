//! `/core/groups/`: CRUD, membership, parents, filters, search, ordering, validation, used_by.

use crate::harness::TestServer;
use reqwest::Method;
use serde_json::{json, Value};

const GROUPS: &str = "/api/v3/core/groups/";

fn g(pk: &str) -> String {
    format!("{GROUPS}{pk}/")
}

async fn group(s: &TestServer, body: Value) -> Value {
    s.create(GROUPS, body).await
}

async fn user(s: &TestServer, username: &str) -> i64 {
    s.create("/api/v3/core/users/", json!({"username": username, "name": username})).await["pk"].as_i64().unwrap()
}

async fn is_superuser(s: &TestServer, user: i64) -> bool {
    let r = s.get(&format!("/api/v3/core/users/{user}/")).await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["is_superuser"].as_bool().unwrap()
}

/// Names of the groups a list query returns, in order.
async fn names(s: &TestServer, query: &str) -> Vec<String> {
    let r = s.get(&format!("{GROUPS}?{query}")).await;
    assert_eq!(r.status, 200, "{query}: {r:?}");
    r.body["results"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap().to_string()).collect()
}

/// The bootstrap admins group is always there; tests look at their own groups only.
async fn own_names(s: &TestServer, query: &str) -> Vec<String> {
    names(s, query).await.into_iter().filter(|n| n != "authentik Admins").collect()
}

async fn group_count(s: &TestServer) -> i64 {
    s.get(GROUPS).await.body["pagination"]["count"].as_i64().unwrap()
}

fn num_pk(uuid: &str) -> i64 {
    let n = u128::from_str_radix(&uuid.replace('-', ""), 16).unwrap().to_string();
    n[..5.min(n.len())].parse().unwrap()
}

both!(group_create_has_authentik_defaults_and_shape, |s| {
    let r = s.post(GROUPS, json!({"name": "staff"})).await;
    assert_eq!(r.status, 201, "{r:?}");
    let pk = r.body["pk"].as_str().unwrap().to_string();
    assert_eq!(
        r.body,
        json!({
            "pk": pk, "num_pk": num_pk(&pk), "name": "staff", "is_superuser": false, "parent": null,
            "parent_name": null, "users": [], "users_obj": [], "attributes": {}, "roles": [], "roles_obj": []
        })
    );
    let r = s.get(&g(&pk)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["name"], "staff");
});

both!(group_retrieve_patch_put_delete, |s| {
    let u = user(&s, "member").await;
    let pk = group(&s, json!({"name": "a", "users": [u], "attributes": {"k": 1}})).await["pk"].as_str().unwrap().to_string();
    let r = s.patch(&g(&pk), json!({"name": "b"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["name"], "b");
    assert_eq!(r.body["users"], json!([u]), "PATCH keeps members");
    assert_eq!(r.body["attributes"], json!({"k": 1}));
    let r = s.put(&g(&pk), json!({"name": "c", "is_superuser": true})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["name"], "c");
    assert_eq!(r.body["is_superuser"], true);
    assert_eq!(r.body["attributes"], json!({"k": 1}), "PUT keeps omitted optional fields");
    let r = s.put(&g(&pk), json!({"is_superuser": false})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"name": ["This field is required."]}));
    // Integer keys given as strings are looked up like Django does.
    let r = s.patch(&g(&pk), json!({"users": [u.to_string()]})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["users"], json!([u]));
    let r = s.delete(&g(&pk)).await;
    assert_eq!(r.status, 204);
    assert!(r.text.is_empty());
    let r = s.get(&g(&pk)).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body, json!({"detail": "Not found."}));
    assert_eq!(s.delete(&g(&pk)).await.status, 404);
    assert_eq!(s.get(&g("not-a-uuid")).await.status, 404);
});

both!(put_without_users_clears_members, |s| {
    let u = user(&s, "m1").await;
    let pk = group(&s, json!({"name": "grp", "users": [u]})).await["pk"].as_str().unwrap().to_string();
    let r = s.put(&g(&pk), json!({"name": "grp"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["users"], json!([]));
    assert_eq!(r.body["users_obj"], json!([]));
    let r = s.get(&format!("/api/v3/core/users/{u}/")).await;
    assert_eq!(r.body["groups"], json!([]));
});

both!(users_obj_lists_members_as_group_members_and_include_users_false_nulls_it, |s| {
    let u = user(&s, "bob").await;
    let pk = group(&s, json!({"name": "grp", "users": [u]})).await["pk"].as_str().unwrap().to_string();
    let r = s.get(&g(&pk)).await;
    let obj = &r.body["users_obj"][0];
    let mut keys: Vec<&str> = obj.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["attributes", "email", "is_active", "last_login", "name", "pk", "uid", "username"]);
    assert_eq!(obj["pk"], u);
    assert_eq!(obj["username"], "bob");
    assert_eq!(s.get(&format!("{}?include_users=false", g(&pk))).await.body["users_obj"], Value::Null);
    assert_eq!(s.get(&format!("{}?include_users=TRUE", g(&pk))).await.body["users_obj"][0]["pk"], u);
    let r = s.get(&format!("{GROUPS}?include_users=false&name=grp")).await;
    assert_eq!(r.body["results"][0]["users_obj"], Value::Null);
    assert_eq!(r.body["results"][0]["users"], json!([u]));
});

both!(membership_through_users_field_makes_members_superusers, |s| {
    let u = user(&s, "alice").await;
    assert!(!is_superuser(&s, u).await);
    let pk = group(&s, json!({"name": "admins2", "is_superuser": true, "users": [u]})).await["pk"].as_str().unwrap().to_string();
    assert!(is_superuser(&s, u).await);
    s.patch(&g(&pk), json!({"users": []})).await;
    assert!(!is_superuser(&s, u).await);
});

both!(add_user_and_remove_user_change_membership_and_superuser_status, |s| {
    let u = user(&s, "carol").await;
    let pk = group(&s, json!({"name": "su", "is_superuser": true})).await["pk"].as_str().unwrap().to_string();
    let r = s.post(&format!("{}add_user/", g(&pk)), json!({"pk": u})).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert!(r.text.is_empty());
    assert_eq!(s.get(&g(&pk)).await.body["users"], json!([u]));
    assert!(is_superuser(&s, u).await);
    // Adding an existing member is a no-op.
    assert_eq!(s.post(&format!("{}add_user/", g(&pk)), json!({"pk": u})).await.status, 204);
    assert_eq!(s.get(&g(&pk)).await.body["users"], json!([u]));
    let r = s.post(&format!("{}remove_user/", g(&pk)), json!({"pk": u})).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(s.get(&g(&pk)).await.body["users"], json!([]));
    assert!(!is_superuser(&s, u).await);
    // Removing a non-member is a no-op.
    assert_eq!(s.post(&format!("{}remove_user/", g(&pk)), json!({"pk": u})).await.status, 204);
});

both!(superuser_status_is_inherited_from_a_parent_group, |s| {
    let u = user(&s, "dave").await;
    let parent = group(&s, json!({"name": "top", "is_superuser": true})).await["pk"].as_str().unwrap().to_string();
    let child = group(&s, json!({"name": "child", "parent": parent})).await["pk"].as_str().unwrap().to_string();
    assert_eq!(s.post(&format!("{}add_user/", g(&child)), json!({"pk": u})).await.status, 204);
    assert!(is_superuser(&s, u).await);
    s.patch(&g(&parent), json!({"is_superuser": false})).await;
    assert!(!is_superuser(&s, u).await);
    s.patch(&g(&parent), json!({"is_superuser": true})).await;
    s.patch(&g(&child), json!({"parent": null})).await;
    assert!(!is_superuser(&s, u).await);
});

both!(add_user_refuses_unknown_users_groups_and_non_integer_pks, |s| {
    let u = user(&s, "erin").await;
    let pk = group(&s, json!({"name": "grp"})).await["pk"].as_str().unwrap().to_string();
    for action in ["add_user", "remove_user"] {
        let path = format!("{}{action}/", g(&pk));
        let r = s.post(&path, json!({"pk": 99999})).await;
        assert_eq!((r.status, r.body.clone()), (404, json!({"detail": "Not found."})), "{action}");
        let r = s.post(&path, json!({})).await;
        assert_eq!(r.status, 404, "{action} without pk");
        for bad in [json!("abc"), json!(1.5), json!(true), json!([1])] {
            let r = s.post(&path, json!({ "pk": bad })).await;
            assert_eq!((r.status, r.body.clone()), (400, json!({"pk": ["A valid integer is required."]})), "{action} {bad}");
        }
        let r = s.post(&format!("{GROUPS}{}/{action}/", uuid::Uuid::new_v4()), json!({"pk": u})).await;
        assert_eq!(r.status, 404, "{action} on unknown group");
        let r = s.send(Method::GET, &path, None, None).await;
        assert_eq!(r.status, 405);
    }
    assert_eq!(s.get(&g(&pk)).await.body["users"], json!([]));
});

both!(group_cannot_be_its_own_parent, |s| {
    let pk = group(&s, json!({"name": "self"})).await["pk"].as_str().unwrap().to_string();
    let r = s.patch(&g(&pk), json!({"parent": pk})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"parent": ["Cannot set group as parent of itself."]}));
    let r = s.put(&g(&pk), json!({"name": "self", "parent": pk})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"parent": ["Cannot set group as parent of itself."]}));
    assert_eq!(s.get(&g(&pk)).await.body["parent"], Value::Null);
});

both!(name_and_parent_must_be_unique_together_but_root_names_may_repeat, |s| {
    let parent = group(&s, json!({"name": "p"})).await["pk"].as_str().unwrap().to_string();
    group(&s, json!({"name": "dup"})).await;
    group(&s, json!({"name": "dup"})).await;
    group(&s, json!({"name": "dup", "parent": parent})).await;
    let before = group_count(&s).await;
    let r = s.post(GROUPS, json!({"name": "dup", "parent": parent})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"non_field_errors": ["The fields name, parent must make a unique set."]}));
    assert_eq!(group_count(&s).await, before);
    // Moving another child under the parent with a taken name is refused the same way.
    let other = group(&s, json!({"name": "dup", "parent": null})).await["pk"].as_str().unwrap().to_string();
    let r = s.patch(&g(&other), json!({"parent": parent})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"non_field_errors": ["The fields name, parent must make a unique set."]}));
    // Updating a child without changing the pair is fine.
    let child = s.get(&format!("{GROUPS}?name=dup")).await.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["parent"] == json!(parent))
        .unwrap()["pk"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(s.patch(&g(&child), json!({"name": "dup", "attributes": {"a": 1}})).await.status, 200);
});

both!(parent_name_follows_the_parent_and_deleting_the_parent_orphans_children, |s| {
    let parent = group(&s, json!({"name": "mother"})).await["pk"].as_str().unwrap().to_string();
    let child = group(&s, json!({"name": "kid", "parent": parent})).await;
    assert_eq!(child["parent"], json!(parent));
    assert_eq!(child["parent_name"], "mother");
    let child = child["pk"].as_str().unwrap().to_string();
    s.patch(&g(&parent), json!({"name": "mom"})).await;
    assert_eq!(s.get(&g(&child)).await.body["parent_name"], "mom");
    let r = s.get(&format!("{}used_by/", g(&parent))).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        json!([{"app": "authentik_core", "model_name": "group", "pk": child, "name": "Group kid", "action": "set_null"}])
    );
    assert_eq!(s.delete(&g(&parent)).await.status, 204);
    let r = s.get(&g(&child)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["parent"], Value::Null);
    assert_eq!(r.body["parent_name"], Value::Null);
});

both!(group_used_by_lists_children_and_members, |s| {
    let b = user(&s, "bbb").await;
    let a = user(&s, "aaa").await;
    let pk = group(&s, json!({"name": "g", "users": [b, a]})).await["pk"].as_str().unwrap().to_string();
    let child = group(&s, json!({"name": "c", "parent": pk})).await["pk"].as_str().unwrap().to_string();
    let r = s.get(&format!("{}used_by/", g(&pk))).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        json!([
            {"app": "authentik_core", "model_name": "group", "pk": child, "name": "Group c", "action": "set_null"},
            {"app": "authentik_core", "model_name": "user", "pk": a.to_string(), "name": "aaa", "action": "cascade_many"},
            {"app": "authentik_core", "model_name": "user", "pk": b.to_string(), "name": "bbb", "action": "cascade_many"},
        ])
    );
    let lone = group(&s, json!({"name": "lone"})).await["pk"].as_str().unwrap().to_string();
    assert_eq!(s.get(&format!("{}used_by/", g(&lone))).await.body, json!([]));
    // Deleting the group keeps its members.
    assert_eq!(s.delete(&g(&pk)).await.status, 204);
    assert_eq!(s.get(&format!("/api/v3/core/users/{a}/")).await.status, 200);
});

both!(group_filters_by_name_is_superuser_and_attributes, |s| {
    group(&s, json!({"name": "F0", "attributes": {"team": "x", "nested": {"k": 1}}})).await;
    group(&s, json!({"name": "f0", "is_superuser": true, "attributes": {"team": "y"}})).await;
    assert_eq!(names(&s, "name=F0").await, ["F0"]);
    assert_eq!(names(&s, "name=").await.len(), 3, "empty filter value is ignored");
    assert_eq!(own_names(&s, "is_superuser=true").await, ["f0"]);
    assert_eq!(own_names(&s, "is_superuser=True").await, ["f0"]);
    assert_eq!(own_names(&s, "is_superuser=2").await, ["f0"]);
    assert_eq!(own_names(&s, "is_superuser=false").await, ["F0"]);
    assert_eq!(own_names(&s, "is_superuser=False").await, ["F0"]);
    assert_eq!(own_names(&s, "is_superuser=3").await, ["F0"]);
    // The hand-written boolean ignores everything else.
    assert_eq!(own_names(&s, "is_superuser=1").await.len(), 2);
    assert_eq!(own_names(&s, "is_superuser=TRUE").await.len(), 2);
    let q = |v: &str| format!("attributes={}", v.replace('{', "%7B").replace('}', "%7D").replace('"', "%22").replace(':', "%3A"));
    assert_eq!(names(&s, &q(r#"{"team":"x"}"#)).await, ["F0"]);
    assert_eq!(names(&s, &q(r#"{"nested__k":1}"#)).await, ["F0"]);
    assert_eq!(names(&s, &q(r#"{"team":"z"}"#)).await, Vec::<String>::new());
    let r = s.get(&format!("{GROUPS}?attributes=notjson")).await;
    assert_eq!((r.status, r.body), (400, json!(["filter: failed to parse JSON"])));
    let r = s.get(&format!("{GROUPS}?{}", q("[1]"))).await;
    assert_eq!((r.status, r.body), (400, json!(["filter: value must be key:value mapping"])));
});

both!(group_filters_by_members_pk_and_username_with_or, |s| {
    let a = user(&s, "ua").await;
    let b = user(&s, "ub").await;
    let c = user(&s, "uc").await;
    group(&s, json!({"name": "ga", "users": [a]})).await;
    group(&s, json!({"name": "gb", "users": [b, a]})).await;
    group(&s, json!({"name": "gc", "users": [c]})).await;
    assert_eq!(names(&s, &format!("members_by_pk={a}")).await, ["ga", "gb"]);
    assert_eq!(names(&s, &format!("members_by_pk={b}&members_by_pk={c}")).await, ["gb", "gc"]);
    assert_eq!(names(&s, &format!("members_by_pk={a}&members_by_pk={b}")).await, ["ga", "gb"], "no duplicates");
    assert_eq!(names(&s, "members_by_username=ub").await, ["gb"]);
    assert_eq!(names(&s, "members_by_username=ua&members_by_username=uc").await, ["ga", "gb", "gc"]);
    let r = s.get(&format!("{GROUPS}?members_by_pk=99999")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"members_by_pk": ["Select a valid choice. 99999 is not one of the available choices."]}));
    let r = s.get(&format!("{GROUPS}?members_by_pk=abc")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"members_by_pk": ["\u{201c}abc\u{201d} is not a valid value."]}));
    let r = s.get(&format!("{GROUPS}?members_by_username=nobody&members_by_pk=abc")).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({
            "members_by_username": ["Select a valid choice. nobody is not one of the available choices."],
            "members_by_pk": ["\u{201c}abc\u{201d} is not a valid value."]
        })
    );
});

both!(group_search_matches_name_and_superuser_text, |s| {
    group(&s, json!({"name": "Engineering"})).await;
    group(&s, json!({"name": "Sales", "is_superuser": true})).await;
    assert_eq!(names(&s, "search=engin").await, ["Engineering"]);
    assert_eq!(names(&s, "search=ALE").await, ["Sales"]);
    assert_eq!(names(&s, "search=true").await.len(), 2, "the admins group and Sales");
    assert_eq!(own_names(&s, "search=true").await, ["Sales"]);
    assert_eq!(own_names(&s, "search=fals").await, ["Engineering"]);
    assert_eq!(names(&s, "search=sales%20true").await, ["Sales"]);
    assert_eq!(names(&s, "search=sales,false").await, Vec::<String>::new());
});

both!(group_ordering_by_every_allowed_name, |s| {
    let b = group(&s, json!({"name": "b", "attributes": {"x": 2}})).await["pk"].as_str().unwrap().to_string();
    let a = group(&s, json!({"name": "a", "is_superuser": true, "attributes": {"x": 1}})).await["pk"].as_str().unwrap().to_string();
    group(&s, json!({"name": "c", "parent": a, "attributes": {"x": 3}})).await;
    assert_eq!(own_names(&s, "").await, ["a", "b", "c"], "default order is name");
    assert_eq!(own_names(&s, "ordering=-name").await, ["c", "b", "a"]);
    assert_eq!(own_names(&s, "ordering=name").await, ["a", "b", "c"]);
    let mut by_pk = [("a", a.clone()), ("b", b.clone())];
    by_pk.sort_by(|x, y| x.1.cmp(&y.1));
    let want: Vec<&str> = by_pk.iter().map(|x| x.0).collect();
    let got: Vec<String> = own_names(&s, "ordering=pk").await.into_iter().filter(|n| n != "c").collect();
    assert_eq!(got, want);
    assert_eq!(own_names(&s, "ordering=-is_superuser,name").await, ["a", "b", "c"]);
    assert_eq!(own_names(&s, "ordering=is_superuser,-name").await, ["c", "b", "a"]);
    // `parent` orders by the parent's id; groups without parent come last ascending.
    assert_eq!(own_names(&s, "ordering=parent,name").await, ["c", "a", "b"]);
    // `parent__name` orders by the parent's name; groups without parent come last ascending.
    let d = group(&s, json!({"name": "d", "parent": b})).await["pk"].as_str().unwrap().to_string();
    assert_eq!(own_names(&s, "ordering=parent__name,name").await, ["c", "d", "a", "b"]);
    assert_eq!(own_names(&s, "ordering=-parent__name,name").await, ["a", "b", "d", "c"]);
    assert_eq!(s.delete(&g(&d)).await.status, 204);
    assert_eq!(own_names(&s, "ordering=attributes").await, ["a", "b", "c"]);
    assert_eq!(own_names(&s, "ordering=-attributes").await, ["c", "b", "a"]);
    // Unknown, computed and to-many names are dropped: the default order applies.
    assert_eq!(own_names(&s, "ordering=-nope").await, ["a", "b", "c"]);
    assert_eq!(own_names(&s, "ordering=-num_pk").await, ["a", "b", "c"]);
    assert_eq!(own_names(&s, "ordering=-users").await, ["a", "b", "c"]);
});

both!(group_bad_input_is_refused_with_drf_messages_and_nothing_written, |s| {
    let u = user(&s, "x").await;
    let existing = group(&s, json!({"name": "keep"})).await["pk"].as_str().unwrap().to_string();
    let missing = uuid::Uuid::new_v4().to_string();
    let long = "n".repeat(81);
    let cases: Vec<(Value, Value)> = vec![
        (json!({}), json!({"name": ["This field is required."]})),
        (json!({"name": ""}), json!({"name": ["This field may not be blank."]})),
        (json!({"name": null}), json!({"name": ["This field may not be null."]})),
        (json!({"name": ["a"]}), json!({"name": ["Not a valid string."]})),
        (json!({"name": long}), json!({"name": ["Ensure this field has no more than 80 characters."]})),
        (json!({"name": "n", "is_superuser": "maybe"}), json!({"is_superuser": ["Must be a valid boolean."]})),
        (json!({"name": "n", "parent": "zz"}), json!({"parent": ["\u{201c}zz\u{201d} is not a valid UUID."]})),
        (json!({"name": "n", "parent": missing}), json!({"parent": [format!("Invalid pk \"{missing}\" - object does not exist.")]})),
        (json!({"name": "n", "users": [99999]}), json!({"users": ["Invalid pk \"99999\" - object does not exist."]})),
        (json!({"name": "n", "users": ["abc"]}), json!({"users": ["Incorrect type. Expected pk value, received str."]})),
        (json!({"name": "n", "users": u}), json!({"users": ["Expected a list of items but got type \"int\"."]})),
        (json!({"name": "n", "attributes": [1]}), json!({"attributes": ["Value must be a dictionary, and not have any duplicate keys."]})),
        (json!({"name": "n", "roles": [missing]}), json!({"roles": [format!("Invalid pk \"{missing}\" - object does not exist.")]})),
        (json!({"name": "n", "roles": ["zz"]}), json!({"roles": ["\u{201c}zz\u{201d} is not a valid UUID."]})),
        (
            json!({"name": "", "is_superuser": "maybe", "users": [99999]}),
            json!({"name": ["This field may not be blank."], "is_superuser": ["Must be a valid boolean."], "users": ["Invalid pk \"99999\" - object does not exist."]}),
        ),
        (json!([1]), json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})),
    ];
    let before = group_count(&s).await;
    for (body, want) in &cases {
        let r = s.post(GROUPS, body.clone()).await;
        assert_eq!(r.status, 400, "create {body}: {r:?}");
        assert_eq!(&r.body, want, "create {body}");
    }
    assert_eq!(group_count(&s).await, before, "no failed create wrote a group");
    // The same rules on PATCH, and the failed updates change nothing (members included).
    for (body, want) in cases.iter().skip(1) {
        let r = s.patch(&g(&existing), body.clone()).await;
        assert_eq!(r.status, 400, "patch {body}: {r:?}");
        assert_eq!(&r.body, want, "patch {body}");
    }
    let r = s.patch(&g(&existing), json!({"name": "renamed", "users": [u, 99999]})).await;
    assert_eq!(r.status, 400);
    let after = s.get(&g(&existing)).await.body;
    assert_eq!(after["name"], "keep");
    assert_eq!(after["users"], json!([]));
    assert_eq!(after["is_superuser"], false);
});

both!(groups_are_superuser_only, |s| {
    let (_, token) = s.user_with_token("plain").await;
    let pk = group(&s, json!({"name": "secret"})).await["pk"].as_str().unwrap().to_string();
    let forbidden = json!({"detail": "You do not have permission to perform this action."});
    for (m, path, body) in [
        (Method::GET, GROUPS.to_string(), None),
        (Method::POST, GROUPS.to_string(), Some(json!({"name": "mine"}))),
        (Method::GET, g(&pk), None),
        (Method::PATCH, g(&pk), Some(json!({"name": "x"}))),
        (Method::DELETE, g(&pk), None),
        (Method::GET, format!("{}used_by/", g(&pk)), None),
        (Method::POST, format!("{}add_user/", g(&pk)), Some(json!({"pk": 1}))),
    ] {
        let r = s.send(m.clone(), &path, body.as_ref(), Some(&token)).await;
        assert_eq!((r.status, r.body.clone()), (403, forbidden.clone()), "{m} {path}");
    }
    let r = s.send(Method::GET, GROUPS, None, Some("")).await;
    assert_eq!((r.status, r.body), (403, json!({"detail": "Authentication credentials were not provided."})));
    assert_eq!(s.get(&g(&pk)).await.body["name"], "secret");
});
