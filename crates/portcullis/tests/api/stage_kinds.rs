//! Every stage kind: defaults, metadata, retrieve, list (filters, search, ordering), PUT,
//! PATCH, DELETE (bindings go with the stage) and `used_by`.

use crate::flows::flow_body;
use crate::harness::TestServer;
use serde_json::{json, Value};
use std::sync::Arc;

const NIL: &str = "00000000-0000-0000-0000-000000000000";

/// The four metadata fields of a kind, exactly.
pub fn assert_meta(v: &Value, component: &str, verbose: &str, model: &str) {
    assert_eq!(v["component"], component, "{v}");
    assert_eq!(v["verbose_name"], verbose, "{v}");
    assert_eq!(v["verbose_name_plural"], format!("{verbose}s"), "{v}");
    assert_eq!(v["meta_model_name"], model, "{v}");
    assert_eq!(v["flow_set"], json!([]), "{v}");
    assert!(v["pk"].as_str().is_some_and(|p| uuid::Uuid::parse_str(p).is_ok()), "{v}");
}

/// Names of a list response, in order.
pub fn names(r: &crate::harness::Resp) -> Vec<String> {
    r.body["results"].as_array().unwrap_or_else(|| panic!("{r:?}")).iter().map(|o| o["name"].as_str().unwrap().to_string()).collect()
}

/// Retrieve, list, PUT, PATCH, `used_by` and DELETE of one stage of kind `path`, created from
/// `create` (which must include `name`). Returns nothing; panics on the first deviation.
pub async fn lifecycle(s: &Arc<TestServer>, path: &str, create: Value, put: Value, patch: Value, model: &str) {
    let st = s.create(path, create.clone()).await;
    let id = st["pk"].as_str().unwrap().to_string();
    let obj = format!("{path}{id}/");
    // Retrieve: the same object.
    let r = s.get(&obj).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, st);
    // Also visible (with its own metadata) through /stages/all/.
    let all = s.get(&format!("/api/v3/stages/all/{id}/")).await;
    assert_eq!(all.status, 200);
    assert_eq!(all.body["meta_model_name"], model);
    // PUT: every given field changes; omitted optional fields are kept.
    let r = s.put(&obj, put.clone()).await;
    assert_eq!(r.status, 200, "{r:?}");
    for (k, v) in put.as_object().unwrap() {
        assert_eq!(&r.body[k], v, "PUT {k}: {r:?}");
    }
    // PATCH: only the given fields change.
    let before = r.body.clone();
    let r = s.patch(&obj, patch.clone()).await;
    assert_eq!(r.status, 200, "{r:?}");
    for (k, v) in before.as_object().unwrap() {
        let expected = patch.get(k).unwrap_or(v);
        assert_eq!(&r.body[k], expected, "PATCH {k}: {r:?}");
    }
    // used_by: the flow and the binding.
    let flow = s.create("/api/v3/flows/instances/", flow_body(&format!("lc-{}", &id[..8]))).await;
    let b = s.create("/api/v3/flows/bindings/", json!({"target": flow["pk"], "stage": id, "order": 3})).await;
    let used = s.get(&format!("{obj}used_by/")).await;
    assert_eq!(used.status, 200);
    // Other relations of a kind (e.g. a prompt stage's `fields`) sort around these by accessor.
    let entries: Vec<&Value> = used.body.as_array().unwrap().iter().filter(|e| e["app"] == "authentik_flows").collect();
    assert_eq!(entries.len(), 2, "{used:?}");
    assert_eq!(entries[0], &json!({"app": "authentik_flows", "model_name": "flow", "pk": flow["pk"], "name": format!("Flow {} ({})", flow["name"].as_str().unwrap(), flow["slug"].as_str().unwrap()), "action": "cascade_many"}));
    assert_eq!(entries[1], &json!({"app": "authentik_flows", "model_name": "flowstagebinding", "pk": b["pk"], "name": format!("Flow-stage binding #3 to {}", flow["pk"].as_str().unwrap()), "action": "cascade"}));
    // DELETE: 204, the binding is gone, the flow stays.
    let r = s.delete(&obj).await;
    assert_eq!(r.status, 204);
    assert_eq!(r.text, "");
    assert_eq!(s.get(&obj).await.status, 404);
    assert_eq!(s.delete(&obj).await.body, json!({"detail": "Not found."}));
    assert_eq!(s.get(&format!("/api/v3/flows/bindings/{}/", b["pk"].as_str().unwrap())).await.status, 404);
    assert_eq!(s.get(&format!("/api/v3/flows/instances/{}/", flow["slug"].as_str().unwrap())).await.status, 200);
}

/// A source row of `kind`, inserted directly (the sources API is built elsewhere).
pub async fn insert_source(s: &Arc<TestServer>, kind: &str, slug: &str) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    crate::harness::insert_row(
        s,
        "sources",
        vec![("uuid", id.clone().into()), ("kind", kind.into()), ("name", format!("Source {slug}").into()), ("slug", slug.into())],
    )
    .await;
    id
}

async fn count(s: &Arc<TestServer>, path: &str) -> i64 {
    s.get(path).await.body["pagination"]["count"].as_i64().unwrap()
}

// ---------------------------------------------------------------- deny

both!(deny_stage_defaults_metadata_and_lifecycle, |s| {
    let d = s.create("/api/v3/stages/deny/", json!({"name": "deny-1"})).await;
    assert_meta(&d, "ak-stage-deny-form", "Deny Stage", "authentik_stages_deny.denystage");
    assert_eq!(d["deny_message"], "");
    let keys: Vec<&String> = d.as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["pk", "name", "component", "verbose_name", "verbose_name_plural", "meta_model_name", "flow_set", "deny_message"]);
    lifecycle(
        &s,
        "/api/v3/stages/deny/",
        json!({"name": "deny-2", "deny_message": "Go away"}),
        json!({"name": "deny-2b", "deny_message": ""}),
        json!({"deny_message": "No."}),
        "authentik_stages_deny.denystage",
    )
    .await;
});

both!(deny_stage_filters_search_and_ordering, |s| {
    let a = s.create("/api/v3/stages/deny/", json!({"name": "b-deny", "deny_message": "m1"})).await;
    s.create("/api/v3/stages/deny/", json!({"name": "a-deny", "deny_message": "m2"})).await;
    // Another kind never shows up in a kind's list.
    s.create("/api/v3/stages/user_logout/", json!({"name": "a-logout"})).await;
    let r = s.get("/api/v3/stages/deny/").await;
    assert_eq!(names(&r), vec!["a-deny", "b-deny"]);
    assert_eq!(names(&s.get("/api/v3/stages/deny/?ordering=-name").await), vec!["b-deny", "a-deny"]);
    assert_eq!(names(&s.get("/api/v3/stages/deny/?ordering=deny_message").await), vec!["b-deny", "a-deny"]);
    assert_eq!(names(&s.get("/api/v3/stages/deny/?deny_message=m2").await), vec!["a-deny"]);
    assert_eq!(names(&s.get("/api/v3/stages/deny/?name=b-deny").await), vec!["b-deny"]);
    assert_eq!(names(&s.get("/api/v3/stages/deny/?name=B-DENY").await), Vec::<String>::new());
    assert_eq!(names(&s.get(&format!("/api/v3/stages/deny/?stage_uuid={}", a["pk"].as_str().unwrap())).await), vec!["b-deny"]);
    assert_eq!(s.get("/api/v3/stages/deny/?stage_uuid=zz").await.body, json!({"stage_uuid": ["Enter a valid UUID."]}));
    assert_eq!(names(&s.get("/api/v3/stages/deny/?search=B-D").await), vec!["b-deny"]);
    // Ordering by a computed field is ignored (default order).
    assert_eq!(names(&s.get("/api/v3/stages/deny/?ordering=-component").await), vec!["a-deny", "b-deny"]);
});

both!(deny_stage_rejects_bad_input_without_writing, |s| {
    let r = s.post("/api/v3/stages/deny/", json!({"deny_message": 5})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"name": ["This field is required."]}));
    let r = s.post("/api/v3/stages/deny/", json!({"name": "", "deny_message": ["x"]})).await;
    assert_eq!(r.body, json!({"name": ["This field may not be blank."], "deny_message": ["Not a valid string."]}));
    let r = s.post("/api/v3/stages/deny/", json!({"name": "n", "deny_message": null})).await;
    assert_eq!(r.body, json!({"deny_message": ["This field may not be null."]}));
    let r = s.post("/api/v3/stages/deny/", json!(["x"])).await;
    assert_eq!(r.body, json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}));
    assert_eq!(count(&s, "/api/v3/stages/all/").await, 0);
});

// ---------------------------------------------------------------- user logout

both!(user_logout_stage_defaults_and_lifecycle, |s| {
    let d = s.create("/api/v3/stages/user_logout/", json!({"name": "out"})).await;
    assert_meta(&d, "ak-stage-user-logout-form", "User Logout Stage", "authentik_stages_user_logout.userlogoutstage");
    assert_eq!(d.as_object().unwrap().len(), 7);
    assert_eq!(names(&s.get(&format!("/api/v3/stages/user_logout/?stage_uuid={}", d["pk"].as_str().unwrap())).await), vec!["out"]);
    assert_eq!(names(&s.get("/api/v3/stages/user_logout/?search=OU").await), vec!["out"]);
    assert_eq!(names(&s.get("/api/v3/stages/user_logout/?name=nope").await), Vec::<String>::new());
    lifecycle(&s, "/api/v3/stages/user_logout/", json!({"name": "o2"}), json!({"name": "o3"}), json!({"name": "o4"}), "authentik_stages_user_logout.userlogoutstage").await;
});

// ---------------------------------------------------------------- user login

both!(user_login_stage_defaults_and_lifecycle, |s| {
    let d = s.create("/api/v3/stages/user_login/", json!({"name": "login"})).await;
    assert_meta(&d, "ak-stage-user-login-form", "User Login Stage", "authentik_stages_user_login.userloginstage");
    assert_eq!(d["session_duration"], "seconds=0");
    assert_eq!(d["remember_me_offset"], "seconds=0");
    assert_eq!(d["terminate_other_sessions"], false);
    assert_eq!(d["network_binding"], "no_binding");
    assert_eq!(d["geoip_binding"], "no_binding");
    lifecycle(
        &s,
        "/api/v3/stages/user_login/",
        json!({"name": "l2", "session_duration": "hours=8"}),
        json!({"name": "l3", "session_duration": "days=1", "terminate_other_sessions": true, "remember_me_offset": "weeks=2", "network_binding": "bind_asn", "geoip_binding": "bind_continent_country_city"}),
        json!({"network_binding": "bind_asn_network_ip"}),
        "authentik_stages_user_login.userloginstage",
    )
    .await;
});

both!(user_login_stage_filters, |s| {
    let a = s.create("/api/v3/stages/user_login/", json!({"name": "la", "session_duration": "hours=1", "terminate_other_sessions": true, "network_binding": "bind_asn", "geoip_binding": "bind_continent", "remember_me_offset": "days=30"})).await;
    s.create("/api/v3/stages/user_login/", json!({"name": "lb"})).await;
    let p = "/api/v3/stages/user_login/";
    assert_eq!(names(&s.get(&format!("{p}?session_duration=hours=1")).await), vec!["la"]);
    assert_eq!(names(&s.get(&format!("{p}?remember_me_offset=days=30")).await), vec!["la"]);
    assert_eq!(names(&s.get(&format!("{p}?terminate_other_sessions=TRUE")).await), vec!["la"]);
    assert_eq!(names(&s.get(&format!("{p}?terminate_other_sessions=0")).await), vec!["lb"]);
    assert_eq!(names(&s.get(&format!("{p}?network_binding=bind_asn")).await), vec!["la"]);
    assert_eq!(names(&s.get(&format!("{p}?geoip_binding=no_binding")).await), vec!["lb"]);
    assert_eq!(names(&s.get(&format!("{p}?stage_uuid={}", a["pk"].as_str().unwrap())).await), vec!["la"]);
    assert_eq!(names(&s.get(&format!("{p}?ordering=-session_duration")).await), vec!["lb", "la"]);
    let r = s.get(&format!("{p}?network_binding=bogus&geoip_binding=x")).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"network_binding": ["Select a valid choice. bogus is not one of the available choices."], "geoip_binding": ["Select a valid choice. x is not one of the available choices."]})
    );
});

both!(user_login_durations_are_validated, |s| {
    let p = "/api/v3/stages/user_login/";
    for (i, ok) in ["hours=1;minutes=2;seconds=3", "days=1", "weeks=-1", "Minutes= 1.5 ", "hours=1; minutes=2"].iter().enumerate() {
        let r = s.post(p, json!({"name": format!("ok-{i}"), "session_duration": ok, "remember_me_offset": ok})).await;
        assert_eq!(r.status, 201, "{ok}: {r:?}");
    }
    for bad in ["hours", "hours=x", "1e20", "hours=1e20", "hours=1;", "foo=1", "hours=nan", "hours=inf", "hours=1=2"] {
        let r = s.post(p, json!({"name": "bad", "session_duration": bad})).await;
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.body, json!({"session_duration": [format!("{bad} is not in the correct format of 'hours=3;minutes=1'.")]}), "{bad}");
        let r = s.post(p, json!({"name": "bad", "remember_me_offset": bad})).await;
        assert_eq!(r.body, json!({"remember_me_offset": [format!("{bad} is not in the correct format of 'hours=3;minutes=1'.")]}), "{bad}");
    }
    let r = s.post(p, json!({"name": "bad", "session_duration": "", "remember_me_offset": 5, "terminate_other_sessions": "maybe", "network_binding": "nope", "geoip_binding": null})).await;
    assert_eq!(
        r.body,
        json!({
            "session_duration": ["This field may not be blank."],
            "remember_me_offset": ["5 is not in the correct format of 'hours=3;minutes=1'."],
            "terminate_other_sessions": ["Must be a valid boolean."],
            "network_binding": ["\"nope\" is not a valid choice."],
            "geoip_binding": ["This field may not be null."]
        })
    );
    let st = s.get("/api/v3/stages/user_login/?name=ok-0").await.body["results"][0].clone();
    let r = s.patch(&format!("{p}{}/", st["pk"].as_str().unwrap()), json!({"session_duration": "hours"})).await;
    assert_eq!(r.status, 400);
    assert_eq!(s.get(&format!("{p}{}/", st["pk"].as_str().unwrap())).await.body["session_duration"], "hours=1;minutes=2;seconds=3");
    assert_eq!(count(&s, p).await, 5);
});

// ---------------------------------------------------------------- user write

both!(user_write_stage_defaults_and_lifecycle, |s| {
    let d = s.create("/api/v3/stages/user_write/", json!({"name": "write"})).await;
    assert_meta(&d, "ak-stage-user-write-form", "User Write Stage", "authentik_stages_user_write.userwritestage");
    assert_eq!(d["user_creation_mode"], "create_when_required");
    assert_eq!(d["create_users_as_inactive"], false);
    assert_eq!(d["create_users_group"], Value::Null);
    assert_eq!(d["user_type"], "external");
    assert_eq!(d["user_path_template"], "");
    let group = uuid::Uuid::new_v4().to_string();
    crate::harness::insert_row(&s, "groups", vec![("uuid", group.clone().into()), ("name", "newcomers".into())]).await;
    lifecycle(
        &s,
        "/api/v3/stages/user_write/",
        json!({"name": "w2", "create_users_group": group}),
        json!({"name": "w3", "user_creation_mode": "always_create", "create_users_as_inactive": true, "create_users_group": null, "user_type": "internal_service_account", "user_path_template": "goauthentik.io/%(slug)s"}),
        json!({"create_users_group": group, "user_path_template": ""}),
        "authentik_stages_user_write.userwritestage",
    )
    .await;
});

both!(user_write_stage_group_reference_filters_and_errors, |s| {
    let group = uuid::Uuid::new_v4().to_string();
    crate::harness::insert_row(&s, "groups", vec![("uuid", group.clone().into()), ("name", "g".into())]).await;
    let p = "/api/v3/stages/user_write/";
    let a = s.create(p, json!({"name": "wa", "create_users_group": group, "user_creation_mode": "never_create", "user_type": "internal", "create_users_as_inactive": true, "user_path_template": "x/y"})).await;
    s.create(p, json!({"name": "wb"})).await;
    assert_eq!(names(&s.get(&format!("{p}?create_users_group={group}")).await), vec!["wa"]);
    assert_eq!(s.get(&format!("{p}?create_users_group={NIL}")).await.body, json!({"create_users_group": ["Select a valid choice. That choice is not one of the available choices."]}));
    assert_eq!(names(&s.get(&format!("{p}?user_creation_mode=never_create")).await), vec!["wa"]);
    assert_eq!(names(&s.get(&format!("{p}?user_type=external")).await), vec!["wb"]);
    assert_eq!(names(&s.get(&format!("{p}?create_users_as_inactive=true")).await), vec!["wa"]);
    assert_eq!(names(&s.get(&format!("{p}?user_path_template=x/y")).await), vec!["wa"]);
    assert_eq!(names(&s.get(&format!("{p}?stage_uuid={}", a["pk"].as_str().unwrap())).await), vec!["wa"]);
    assert_eq!(names(&s.get(&format!("{p}?ordering=-user_type")).await), vec!["wa", "wb"]);
    let r = s.post(p, json!({"name": "wc", "create_users_group": NIL})).await;
    assert_eq!(r.body, json!({"create_users_group": [format!("Invalid pk \"{NIL}\" - object does not exist.")]}));
    let r = s.post(p, json!({"name": "wc", "create_users_group": [], "user_type": "robot", "user_creation_mode": 1, "create_users_as_inactive": "x", "user_path_template": {}})).await;
    assert_eq!(
        r.body,
        json!({
            "create_users_group": ["Incorrect type. Expected pk value, received list."],
            "user_type": ["\"robot\" is not a valid choice."],
            "user_creation_mode": ["\"1\" is not a valid choice."],
            "create_users_as_inactive": ["Must be a valid boolean."],
            "user_path_template": ["Not a valid string."]
        })
    );
    let r = s.post(p, json!({"name": "wc", "create_users_group": "zz"})).await;
    assert_eq!(r.body, json!({"create_users_group": ["\u{201c}zz\u{201d} is not a valid UUID."]}));
    // Deleting the group empties the reference (set null).
    crate::harness::delete_rows(&s, "groups", "uuid", &group).await;
    assert_eq!(s.get(&format!("{p}{}/", a["pk"].as_str().unwrap())).await.body["create_users_group"], Value::Null);
    assert_eq!(count(&s, p).await, 2);
});

// ---------------------------------------------------------------- invitation stage

both!(invitation_stage_defaults_and_lifecycle, |s| {
    let d = s.create("/api/v3/stages/invitation/stages/", json!({"name": "inv"})).await;
    assert_meta(&d, "ak-stage-invitation-form", "Invitation Stage", "authentik_stages_invitation.invitationstage");
    assert_eq!(d["continue_flow_without_invitation"], false);
    lifecycle(
        &s,
        "/api/v3/stages/invitation/stages/",
        json!({"name": "i2", "continue_flow_without_invitation": true}),
        json!({"name": "i3", "continue_flow_without_invitation": false}),
        json!({"continue_flow_without_invitation": true}),
        "authentik_stages_invitation.invitationstage",
    )
    .await;
});

both!(invitation_stage_hand_written_boolean_filters_and_no_flows, |s| {
    let p = "/api/v3/stages/invitation/stages/";
    let bound = s.create(p, json!({"name": "bound", "continue_flow_without_invitation": true})).await;
    s.create(p, json!({"name": "free"})).await;
    // Bound twice (two flows): listed once with no_flows=false.
    for slug in ["f1", "f2"] {
        let f = s.create("/api/v3/flows/instances/", flow_body(slug)).await;
        s.create("/api/v3/flows/bindings/", json!({"target": f["pk"], "stage": bound["pk"], "order": 1})).await;
    }
    assert_eq!(names(&s.get(&format!("{p}?no_flows=true")).await), vec!["free"]);
    assert_eq!(names(&s.get(&format!("{p}?no_flows=False")).await), vec!["bound"]);
    assert_eq!(names(&s.get(&format!("{p}?no_flows=2")).await), vec!["free"]);
    assert_eq!(names(&s.get(&format!("{p}?no_flows=3")).await), vec!["bound"]);
    // `1`, `0`, `TRUE` are not understood by hand-written filters: no filtering.
    assert_eq!(names(&s.get(&format!("{p}?no_flows=1")).await), vec!["bound", "free"]);
    assert_eq!(names(&s.get(&format!("{p}?continue_flow_without_invitation=True")).await), vec!["bound"]);
    assert_eq!(names(&s.get(&format!("{p}?continue_flow_without_invitation=false")).await), vec!["free"]);
    assert_eq!(names(&s.get(&format!("{p}?continue_flow_without_invitation=TRUE")).await), vec!["bound", "free"]);
    assert_eq!(names(&s.get(&format!("{p}?continue_flow_without_invitation=0")).await), vec!["bound", "free"]);
    assert_eq!(names(&s.get(&format!("{p}?stage_uuid={}", bound["pk"].as_str().unwrap())).await), vec!["bound"]);
    assert_eq!(names(&s.get(&format!("{p}?ordering=-continue_flow_without_invitation")).await), vec!["bound", "free"]);
    assert_eq!(names(&s.get(&format!("{p}?search=FRE")).await), vec!["free"]);
    let r = s.post(p, json!({"name": "x", "continue_flow_without_invitation": "perhaps"})).await;
    assert_eq!(r.body, json!({"continue_flow_without_invitation": ["Must be a valid boolean."]}));
    assert_eq!(count(&s, p).await, 2);
});

// ---------------------------------------------------------------- password

both!(password_stage_defaults_and_lifecycle, |s| {
    let d = s.create("/api/v3/stages/password/", json!({"name": "pw", "backends": []})).await;
    assert_meta(&d, "ak-stage-password-form", "Password Stage", "authentik_stages_password.passwordstage");
    assert_eq!(d["backends"], json!([]));
    assert_eq!(d["configure_flow"], Value::Null);
    assert_eq!(d["failed_attempts_before_cancel"], 5);
    let f = s.create("/api/v3/flows/instances/", flow_body("conf")).await;
    lifecycle(
        &s,
        "/api/v3/stages/password/",
        json!({"name": "pw2", "backends": ["authentik.core.auth.InbuiltBackend"]}),
        json!({"name": "pw3", "backends": ["authentik.core.auth.TokenBackend", "authentik.sources.ldap.auth.LDAPBackend"], "configure_flow": f["pk"], "failed_attempts_before_cancel": -1}),
        json!({"failed_attempts_before_cancel": 2147483647}),
        "authentik_stages_password.passwordstage",
    )
    .await;
});

both!(password_stage_backends_rules, |s| {
    let p = "/api/v3/stages/password/";
    let r = s.post(p, json!({"name": "pw"})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"backends": ["This field is required."]}));
    let r = s.post(p, json!({"name": "pw", "backends": ["authentik.core.auth.InbuiltBackend", "x"]})).await;
    assert_eq!(r.body, json!({"backends": {"1": ["\"x\" is not a valid choice."]}}));
    let r = s.post(p, json!({"name": "pw", "backends": "authentik.core.auth.InbuiltBackend"})).await;
    assert_eq!(r.body, json!({"backends": ["Expected a list of items but got type \"str\"."]}));
    let r = s.post(p, json!({"name": "pw", "backends": [], "failed_attempts_before_cancel": "x", "configure_flow": "zz"})).await;
    assert_eq!(
        r.body,
        json!({"failed_attempts_before_cancel": ["A valid integer is required."], "configure_flow": ["\u{201c}zz\u{201d} is not a valid UUID."]})
    );
    let r = s.post(p, json!({"name": "pw", "backends": [], "configure_flow": NIL})).await;
    assert_eq!(r.body, json!({"configure_flow": [format!("Invalid pk \"{NIL}\" - object does not exist.")]}));
    let r = s.post(p, json!({"name": "pw", "backends": [], "failed_attempts_before_cancel": 2147483648i64})).await;
    assert_eq!(r.body, json!({"failed_attempts_before_cancel": ["Ensure this value is less than or equal to 2147483647."]}));
    assert_eq!(count(&s, p).await, 0);
    // PUT requires backends too; PATCH does not.
    let st = s.create(p, json!({"name": "pw", "backends": ["authentik.core.auth.InbuiltBackend"]})).await;
    let obj = format!("{p}{}/", st["pk"].as_str().unwrap());
    assert_eq!(s.put(&obj, json!({"name": "pw"})).await.body, json!({"backends": ["This field is required."]}));
    let r = s.patch(&obj, json!({"name": "pw-renamed"})).await;
    assert_eq!(r.body["backends"], json!(["authentik.core.auth.InbuiltBackend"]));
});

both!(password_stage_filters_and_used_by_identification, |s| {
    let p = "/api/v3/stages/password/";
    let f = s.create("/api/v3/flows/instances/", flow_body("conf")).await;
    let a = s.create(p, json!({"name": "pa", "backends": [], "configure_flow": f["pk"], "failed_attempts_before_cancel": 3})).await;
    s.create(p, json!({"name": "pb", "backends": []})).await;
    assert_eq!(names(&s.get(&format!("{p}?configure_flow={}", f["pk"].as_str().unwrap())).await), vec!["pa"]);
    assert_eq!(s.get(&format!("{p}?configure_flow={NIL}")).await.body, json!({"configure_flow": ["Select a valid choice. That choice is not one of the available choices."]}));
    assert_eq!(names(&s.get(&format!("{p}?failed_attempts_before_cancel=3")).await), vec!["pa"]);
    assert_eq!(s.get(&format!("{p}?failed_attempts_before_cancel=x")).await.body, json!({"failed_attempts_before_cancel": ["Enter a number."]}));
    assert_eq!(names(&s.get(&format!("{p}?ordering=failed_attempts_before_cancel")).await), vec!["pa", "pb"]);
    assert_eq!(names(&s.get(&format!("{p}?search=pb")).await), vec!["pb"]);
    let id = s.create("/api/v3/stages/identification/", json!({"name": "ident", "user_fields": ["username"], "password_stage": a["pk"]})).await;
    let used = s.get(&format!("{p}{}/used_by/", a["pk"].as_str().unwrap())).await;
    assert_eq!(
        used.body,
        json!([{"app": "authentik_stages_identification", "model_name": "identificationstage", "pk": id["pk"], "name": "Stage ident", "action": "set_null"}])
    );
    // Deleting the password stage empties the identification stage's reference.
    assert_eq!(s.delete(&format!("{p}{}/", a["pk"].as_str().unwrap())).await.status, 204);
    let r = s.get(&format!("/api/v3/stages/identification/{}/", id["pk"].as_str().unwrap())).await;
    assert_eq!(r.body["password_stage"], Value::Null);
});

// ---------------------------------------------------------------- identification

both!(identification_stage_defaults_and_lifecycle, |s| {
    let d = s.create("/api/v3/stages/identification/", json!({"name": "id", "user_fields": ["email", "username"]})).await;
    assert_meta(&d, "ak-stage-identification-form", "Identification Stage", "authentik_stages_identification.identificationstage");
    assert_eq!(d["user_fields"], json!(["email", "username"]));
    assert_eq!(d["password_stage"], Value::Null);
    assert_eq!(d["case_insensitive_matching"], true);
    assert_eq!(d["show_matched_user"], true);
    assert_eq!(d["enrollment_flow"], Value::Null);
    assert_eq!(d["recovery_flow"], Value::Null);
    assert_eq!(d["passwordless_flow"], Value::Null);
    assert_eq!(d["sources"], json!([]));
    assert_eq!(d["show_source_labels"], false);
    assert_eq!(d["pretend_user_exists"], true);
    let pw = s.create("/api/v3/stages/password/", json!({"name": "pw", "backends": []})).await;
    let f = s.create("/api/v3/flows/instances/", flow_body("enroll")).await;
    let src = insert_source(&s, "oauth", "gh").await;
    lifecycle(
        &s,
        "/api/v3/stages/identification/",
        json!({"name": "id2", "user_fields": ["upn"]}),
        json!({"name": "id3", "user_fields": [], "sources": [src], "password_stage": pw["pk"], "case_insensitive_matching": false, "show_matched_user": false, "enrollment_flow": f["pk"], "recovery_flow": f["pk"], "passwordless_flow": f["pk"], "show_source_labels": true, "pretend_user_exists": false}),
        json!({"password_stage": null, "recovery_flow": null}),
        "authentik_stages_identification.identificationstage",
    )
    .await;
});

both!(identification_stage_needs_user_fields_or_sources_on_merged_values, |s| {
    let p = "/api/v3/stages/identification/";
    let msg = json!({"non_field_errors": ["When no user fields are selected, at least one source must be selected"]});
    assert_eq!(s.post(p, json!({"name": "i"})).await.body, msg);
    assert_eq!(s.post(p, json!({"name": "i", "user_fields": [], "sources": []})).await.body, msg);
    let src = insert_source(&s, "oauth", "gh").await;
    // Sources without user_fields: user_fields defaults to [].
    let st = s.create(p, json!({"name": "i", "sources": [src]})).await;
    assert_eq!(st["user_fields"], json!([]));
    assert_eq!(st["sources"], json!([src]));
    let obj = format!("{p}{}/", st["pk"].as_str().unwrap());
    // PATCH of another field keeps the stored sources: valid.
    let r = s.patch(&obj, json!({"name": "i-renamed"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    // Removing the sources without user fields is refused, and nothing changes.
    assert_eq!(s.patch(&obj, json!({"sources": [], "name": "x"})).await.body, msg);
    let r = s.get(&obj).await;
    assert_eq!(r.body["sources"], json!([src]));
    assert_eq!(r.body["name"], "i-renamed");
    // With stored user fields, emptying sources is fine.
    assert_eq!(s.patch(&obj, json!({"user_fields": ["email"]})).await.status, 200);
    let r = s.patch(&obj, json!({"sources": []})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["sources"], json!([]));
    assert_eq!(s.patch(&obj, json!({"user_fields": []})).await.body, msg);
    // PUT is judged the same way (stored sources are empty now).
    assert_eq!(s.put(&obj, json!({"name": "i", "user_fields": []})).await.body, msg);
});

both!(identification_stage_references_and_bad_input, |s| {
    let p = "/api/v3/stages/identification/";
    let deny = s.create("/api/v3/stages/deny/", json!({"name": "d"})).await;
    let d = deny["pk"].as_str().unwrap();
    let r = s.post(p, json!({"name": "i", "user_fields": ["email"], "password_stage": d})).await;
    assert_eq!(r.body, json!({"password_stage": [format!("Invalid pk \"{d}\" - object does not exist.")]}));
    let r = s.post(p, json!({"name": "i", "user_fields": ["email", "phone"], "enrollment_flow": "zz", "show_source_labels": "x"})).await;
    assert_eq!(
        r.body,
        json!({
            "user_fields": {"1": ["\"phone\" is not a valid choice."]},
            "enrollment_flow": ["\u{201c}zz\u{201d} is not a valid UUID."],
            "show_source_labels": ["Must be a valid boolean."]
        })
    );
    let r = s.post(p, json!({"name": "i", "user_fields": ["email"], "sources": [NIL], "recovery_flow": NIL})).await;
    assert_eq!(
        r.body,
        json!({
            "sources": [format!("Invalid pk \"{NIL}\" - object does not exist.")],
            "recovery_flow": [format!("Invalid pk \"{NIL}\" - object does not exist.")]
        })
    );
    let r = s.post(p, json!({"name": "i", "user_fields": "email", "sources": "x"})).await;
    assert_eq!(r.body, json!({"user_fields": ["Expected a list of items but got type \"str\"."], "sources": ["Expected a list of items but got type \"str\"."]}));
    let r = s.post(p, json!({"name": "i", "user_fields": [], "sources": [1]})).await;
    assert_eq!(r.status, 400);
    assert_eq!(count(&s, p).await, 0);
});

both!(identification_stage_filters_and_source_used_by, |s| {
    let p = "/api/v3/stages/identification/";
    let pw = s.create("/api/v3/stages/password/", json!({"name": "pw", "backends": []})).await;
    let f = s.create("/api/v3/flows/instances/", flow_body("rec")).await;
    let src = insert_source(&s, "oauth", "gh").await;
    let a = s
        .create(p, json!({"name": "ia", "user_fields": ["email"], "password_stage": pw["pk"], "case_insensitive_matching": false, "show_matched_user": false, "enrollment_flow": f["pk"], "recovery_flow": f["pk"], "passwordless_flow": f["pk"], "show_source_labels": true, "sources": [src]}))
        .await;
    s.create(p, json!({"name": "ib", "user_fields": ["username"]})).await;
    let fp = f["pk"].as_str().unwrap();
    for q in [
        format!("password_stage={}", pw["pk"].as_str().unwrap()),
        "case_insensitive_matching=false".into(),
        "show_matched_user=0".into(),
        format!("enrollment_flow={fp}"),
        format!("recovery_flow={fp}"),
        format!("passwordless_flow={fp}"),
        "show_source_labels=True".into(),
        "search=IA".into(),
    ] {
        assert_eq!(names(&s.get(&format!("{p}?{q}")).await), vec!["ia"], "{q}");
    }
    // A password_stage filter naming another kind of stage is not a valid choice.
    let r = s.get(&format!("{p}?password_stage={}", a["pk"].as_str().unwrap())).await;
    assert_eq!(r.body, json!({"password_stage": ["Select a valid choice. That choice is not one of the available choices."]}));
    assert_eq!(names(&s.get(&format!("{p}?ordering=-show_source_labels,name")).await), vec!["ia", "ib"]);
    assert_eq!(names(&s.get(&format!("{p}?ordering=user_fields")).await), vec!["ia", "ib"]);
    let used = s.get(&format!("{p}{}/used_by/", a["pk"].as_str().unwrap())).await;
    assert_eq!(used.body, json!([{"app": "authentik_core", "model_name": "source", "pk": src, "name": "Source gh", "action": "cascade_many"}]));
    // Deleting the flow empties the three flow references.
    assert_eq!(s.delete("/api/v3/flows/instances/rec/").await.status, 204);
    let r = s.get(&format!("{p}{}/", a["pk"].as_str().unwrap())).await;
    assert_eq!((r.body["enrollment_flow"].clone(), r.body["recovery_flow"].clone(), r.body["passwordless_flow"].clone()), (Value::Null, Value::Null, Value::Null));
});

// ---------------------------------------------------------------- prompt stage

async fn prompt(s: &Arc<TestServer>, name: &str) -> String {
    let p = s.create("/api/v3/stages/prompt/prompts/", json!({"name": name, "field_key": name, "label": name, "type": "text"})).await;
    p["pk"].as_str().unwrap().to_string()
}

both!(prompt_stage_defaults_and_lifecycle, |s| {
    let p1 = prompt(&s, "p1").await;
    let p2 = prompt(&s, "p2").await;
    let d = s.create("/api/v3/stages/prompt/stages/", json!({"name": "ps", "fields": [p1]})).await;
    assert_meta(&d, "ak-stage-prompt-form", "Prompt Stage", "authentik_stages_prompt.promptstage");
    assert_eq!(d["fields"], json!([p1]));
    assert_eq!(d["validation_policies"], json!([]));
    lifecycle(
        &s,
        "/api/v3/stages/prompt/stages/",
        json!({"name": "ps2", "fields": [p1, p2]}),
        json!({"name": "ps3", "fields": [p2], "validation_policies": []}),
        json!({"name": "ps4"}),
        "authentik_stages_prompt.promptstage",
    )
    .await;
});

both!(prompt_stage_fields_rules_and_policies, |s| {
    let p = "/api/v3/stages/prompt/stages/";
    let p1 = prompt(&s, "p1").await;
    assert_eq!(s.post(p, json!({"name": "ps"})).await.body, json!({"fields": ["This field is required."]}));
    assert_eq!(s.post(p, json!({"name": "ps", "fields": []})).await.body, json!({"fields": ["This list may not be empty."]}));
    assert_eq!(s.post(p, json!({"name": "ps", "fields": [NIL]})).await.body, json!({"fields": [format!("Invalid pk \"{NIL}\" - object does not exist.")]}));
    assert_eq!(s.post(p, json!({"name": "ps", "fields": {}})).await.body, json!({"fields": ["Expected a list of items but got type \"dict\"."]}));
    let pol = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        s.post(p, json!({"name": "ps", "fields": [p1], "validation_policies": [pol]})).await.body,
        json!({"validation_policies": [format!("Invalid pk \"{pol}\" - object does not exist.")]})
    );
    assert_eq!(s.post(p, json!({"name": "ps", "fields": [p1], "validation_policies": ["zz"]})).await.body, json!({"validation_policies": ["\u{201c}zz\u{201d} is not a valid UUID."]}));
    assert_eq!(s.post(p, json!({"name": "ps", "fields": [p1], "validation_policies": "x"})).await.body, json!({"validation_policies": ["Expected a list of items but got type \"str\"."]}));
    assert_eq!(count(&s, p).await, 0);
    // Names are unique across every kind, with the serializer's message for prompt stages.
    s.create("/api/v3/stages/deny/", json!({"name": "taken"})).await;
    assert_eq!(s.post(p, json!({"name": "taken", "fields": [p1]})).await.body, json!({"name": ["This field must be unique."]}));
    let st = s.create(p, json!({"name": "ps", "fields": [p1]})).await;
    assert_eq!(s.post(p, json!({"name": "ps", "fields": [p1]})).await.body, json!({"name": ["This field must be unique."]}));
    assert_eq!(s.post("/api/v3/stages/deny/", json!({"name": "ps"})).await.body, json!({"name": ["stage with this name already exists."]}));
    // PATCH to an empty list is refused too; the stored fields stay.
    let obj = format!("{p}{}/", st["pk"].as_str().unwrap());
    assert_eq!(s.patch(&obj, json!({"fields": []})).await.body, json!({"fields": ["This list may not be empty."]}));
    assert_eq!(s.get(&obj).await.body["fields"], json!([p1]));
});

both!(prompt_stage_filters_and_used_by, |s| {
    let p = "/api/v3/stages/prompt/stages/";
    let p1 = prompt(&s, "p1").await;
    let p2 = prompt(&s, "p2").await;
    let p3 = prompt(&s, "p3").await;
    let a = s.create(p, json!({"name": "pa", "fields": [p1, p2]})).await;
    s.create(p, json!({"name": "pb", "fields": [p2]})).await;
    assert_eq!(names(&s.get(&format!("{p}?fields={p1}")).await), vec!["pa"]);
    // Many values: OR, each stage once.
    assert_eq!(names(&s.get(&format!("{p}?fields={p1}&fields={p2}")).await), vec!["pa", "pb"]);
    assert_eq!(names(&s.get(&format!("{p}?fields={p3}")).await), Vec::<String>::new());
    assert_eq!(s.get(&format!("{p}?fields={NIL}")).await.body, json!({"fields": [format!("Select a valid choice. {NIL} is not one of the available choices.")]}));
    assert_eq!(s.get(&format!("{p}?fields=zz")).await.body, json!({"fields": ["\u{201c}zz\u{201d} is not a valid UUID."]}));
    assert_eq!(s.get(&format!("{p}?validation_policies={NIL}")).await.body, json!({"validation_policies": [format!("Select a valid choice. {NIL} is not one of the available choices.")]}));
    assert_eq!(names(&s.get(&format!("{p}?stage_uuid={}", a["pk"].as_str().unwrap())).await), vec!["pa"]);
    assert_eq!(names(&s.get(&format!("{p}?ordering=-name")).await), vec!["pb", "pa"]);
    assert_eq!(names(&s.get(&format!("{p}?search=PB")).await), vec!["pb"]);
    let mut expected = vec![
        json!({"app": "authentik_stages_prompt", "model_name": "prompt", "pk": p1, "name": "Prompt field 'p1' type text", "action": "cascade_many"}),
        json!({"app": "authentik_stages_prompt", "model_name": "prompt", "pk": p2, "name": "Prompt field 'p2' type text", "action": "cascade_many"}),
    ];
    expected.sort_by_key(|e| e["name"].as_str().unwrap().to_string());
    assert_eq!(s.get(&format!("{p}{}/used_by/", a["pk"].as_str().unwrap())).await.body, json!(expected));
    // Deleting the stage keeps the prompts; deleting a prompt removes it from the stage.
    assert_eq!(s.delete(&format!("/api/v3/stages/prompt/prompts/{p1}/")).await.status, 204);
    assert_eq!(s.get(&format!("{p}{}/", a["pk"].as_str().unwrap())).await.body["fields"], json!([p2]));
});

// ---------------------------------------------------------------- source stage

both!(source_stage_defaults_and_lifecycle, |s| {
    let src = insert_source(&s, "oauth", "gh").await;
    let d = s.create("/api/v3/stages/source/", json!({"name": "ss", "source": src})).await;
    assert_meta(&d, "ak-stage-source-form", "Source Stage", "authentik_stages_source.sourcestage");
    assert_eq!(d["source"], src);
    assert_eq!(d["resume_timeout"], "minutes=10");
    let src2 = insert_source(&s, "oauth", "gl").await;
    lifecycle(
        &s,
        "/api/v3/stages/source/",
        json!({"name": "ss2", "source": src}),
        json!({"name": "ss3", "source": src2, "resume_timeout": "hours=1"}),
        json!({"resume_timeout": "days=1;hours=2"}),
        "authentik_stages_source.sourcestage",
    )
    .await;
});

both!(source_stage_needs_an_existing_web_source_and_dies_with_it, |s| {
    let p = "/api/v3/stages/source/";
    assert_eq!(s.post(p, json!({"name": "ss"})).await.body, json!({"source": ["This field is required."]}));
    assert_eq!(s.post(p, json!({"name": "ss", "source": NIL})).await.body, json!({"source": [format!("Invalid pk \"{NIL}\" - object does not exist.")]}));
    assert_eq!(s.post(p, json!({"name": "ss", "source": null})).await.body, json!({"source": ["This field may not be null."]}));
    let ldap = insert_source(&s, "ldap", "dir").await;
    assert_eq!(
        s.post(p, json!({"name": "ss", "source": ldap})).await.body,
        json!({"source": ["Invalid source selected, only web-based sources are supported."]})
    );
    let src = insert_source(&s, "oauth", "gh").await;
    let r = s.post(p, json!({"name": "ss", "source": src, "resume_timeout": "minutes"})).await;
    assert_eq!(r.body, json!({"resume_timeout": ["minutes is not in the correct format of 'hours=3;minutes=1'."]}));
    assert_eq!(s.post(p, json!({"name": "ss", "source": src, "resume_timeout": ""})).await.body, json!({"resume_timeout": ["This field may not be blank."]}));
    assert_eq!(count(&s, p).await, 0);
    // No enterprise licence is needed.
    let st = s.create(p, json!({"name": "ss", "source": src, "resume_timeout": "weeks=-1"})).await;
    let obj = format!("{p}{}/", st["pk"].as_str().unwrap());
    assert_eq!(s.patch(&obj, json!({"source": ldap})).await.body, json!({"source": ["Invalid source selected, only web-based sources are supported."]}));
    assert_eq!(names(&s.get(&format!("{p}?source={src}")).await), vec!["ss"]);
    assert_eq!(s.get(&format!("{p}?source={ldap}")).await.body["pagination"]["count"], 0);
    assert_eq!(s.get(&format!("{p}?source={NIL}")).await.body, json!({"source": ["Select a valid choice. That choice is not one of the available choices."]}));
    assert_eq!(names(&s.get(&format!("{p}?resume_timeout=weeks=-1")).await), vec!["ss"]);
    assert_eq!(names(&s.get(&format!("{p}?stage_uuid={}", st["pk"].as_str().unwrap())).await), vec!["ss"]);
    assert_eq!(names(&s.get(&format!("{p}?ordering=-resume_timeout&search=s")).await), vec!["ss"]);
    // Deleting the source row deletes the stage (database cascade).
    crate::harness::delete_rows(&s, "sources", "uuid", &src).await;
    assert_eq!(s.get(&obj).await.status, 404);
});
