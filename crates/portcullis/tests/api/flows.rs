use serde_json::json;

pub fn flow_body(slug: &str) -> serde_json::Value {
    json!({"name": format!("Flow {slug}"), "slug": slug, "title": "Welcome", "designation": "authentication"})
}

both!(flow_create_applies_defaults_and_derived_fields, |s| {
    let f = s.create("/api/v3/flows/instances/", flow_body("login")).await;
    assert_eq!(f["policy_engine_mode"], "any");
    assert_eq!(f["layout"], "stacked");
    assert_eq!(f["denied_action"], "message_continue");
    assert_eq!(f["authentication"], "none");
    assert_eq!(f["compatibility_mode"], false);
    assert_eq!(f["stages"], json!([]));
    assert_eq!(f["policies"], json!([]));
    assert_eq!(f["cache_count"], 0);
    assert_eq!(f["background"], "/static/dist/assets/images/flow_background.jpg");
    assert_eq!(f["export_url"], "/api/v3/flows/instances/login/export/");
    assert_ne!(f["pk"], f["policybindingmodel_ptr_id"]);
    let r = s.get("/api/v3/flows/instances/login/").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["pk"], f["pk"]);
});

both!(flow_slug_must_be_a_unique_slug, |s| {
    s.create("/api/v3/flows/instances/", flow_body("dup")).await;
    let r = s.post("/api/v3/flows/instances/", flow_body("dup")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"slug": ["Flow with this slug already exists."]}));
    let r = s.post("/api/v3/flows/instances/", flow_body("not a slug")).await;
    assert_eq!(r.body["slug"][0], "Enter a valid \"slug\" consisting of letters, numbers, underscores or hyphens.");
    let r = s.post("/api/v3/flows/instances/", json!({"name": "x", "slug": "x", "title": "x", "designation": "nope"})).await;
    assert_eq!(r.body, json!({"designation": ["\"nope\" is not a valid choice."]}));
    let r = s.get("/api/v3/flows/instances/?slug=dup").await;
    assert_eq!(r.body["pagination"]["count"], 1);
});

both!(flow_filters_and_invalid_choice_filter, |s| {
    s.create("/api/v3/flows/instances/", flow_body("a1")).await;
    let mut b = flow_body("e1");
    b["designation"] = json!("enrollment");
    s.create("/api/v3/flows/instances/", b).await;
    let r = s.get("/api/v3/flows/instances/?designation=enrollment").await;
    assert_eq!(r.body["pagination"]["count"], 1);
    assert_eq!(r.body["results"][0]["slug"], "e1");
    let r = s.get("/api/v3/flows/instances/?designation=bogus").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"designation": ["Select a valid choice. bogus is not one of the available choices."]}));
    let r = s.get("/api/v3/flows/instances/?flow_uuid=zz").await;
    assert_eq!(r.body, json!({"flow_uuid": ["Enter a valid UUID."]}));
});

both!(deleting_a_flow_removes_its_bindings, |s| {
    let f = s.create("/api/v3/flows/instances/", flow_body("gone")).await;
    let stage_id = crate::flows::insert_stage(&s, "deny-x").await;
    let b = s
        .create("/api/v3/flows/bindings/", json!({"target": f["pk"], "stage": stage_id, "order": 10}))
        .await;
    let used = s.get("/api/v3/flows/instances/gone/used_by/").await;
    assert_eq!(used.status, 200);
    assert!(used.body.as_array().unwrap().iter().any(|u| u["model_name"] == "flowstagebinding" && u["action"] == "cascade" && u["pk"] == b["pk"]), "{used:?}");
    assert_eq!(s.delete("/api/v3/flows/instances/gone/").await.status, 204);
    let r = s.get(&format!("/api/v3/flows/bindings/{}/", b["pk"].as_str().unwrap())).await;
    assert_eq!(r.status, 404);
});

both!(binding_rules_and_stage_flow_set, |s| {
    let f = s.create("/api/v3/flows/instances/", flow_body("bf")).await;
    let stage_id = crate::flows::insert_stage(&s, "st-1").await;
    let b = s.create("/api/v3/flows/bindings/", json!({"target": f["pk"], "stage": stage_id, "order": 5})).await;
    assert_eq!(b["evaluate_on_plan"], false);
    assert_eq!(b["re_evaluate_policies"], true);
    assert_eq!(b["invalid_response_action"], "retry");
    assert_eq!(b["stage_obj"]["pk"], stage_id);
    assert_eq!(b["stage_obj"]["flow_set"][0]["slug"], "bf");
    let r = s.post("/api/v3/flows/bindings/", json!({"target": f["pk"], "stage": stage_id, "order": 5})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"non_field_errors": ["The fields target, stage, order must make a unique set."]}));
    let r = s.post("/api/v3/flows/bindings/", json!({"target": f["pk"], "stage": stage_id, "order": 6, "re_evaluate_policies": false})).await;
    assert_eq!(r.body, json!({"non_field_errors": ["Either evaluation on plan or evaluation on run must be enabled"]}));
    // Merged with the stored values: evaluate_on_plan stored true makes the patch valid.
    let id = b["pk"].as_str().unwrap();
    assert_eq!(s.patch(&format!("/api/v3/flows/bindings/{id}/"), json!({"evaluate_on_plan": true})).await.status, 200);
    let r = s.patch(&format!("/api/v3/flows/bindings/{id}/"), json!({"re_evaluate_policies": false})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = s.post("/api/v3/flows/bindings/", json!({"target": "00000000-0000-0000-0000-000000000000", "stage": stage_id, "order": 1})).await;
    assert_eq!(r.body, json!({"target": ["Invalid pk \"00000000-0000-0000-0000-000000000000\" - object does not exist."]}));
    let r = s.post("/api/v3/flows/bindings/", json!({"target": "zz", "stage": stage_id, "order": "x"})).await;
    assert_eq!(r.body, json!({"target": ["\u{201c}zz\u{201d} is not a valid UUID."], "order": ["A valid integer is required."]}));
    let flow = s.get("/api/v3/flows/instances/bf/").await;
    assert_eq!(flow.body["stages"], json!([stage_id]));
});

both!(bindings_are_ordered_by_order_or_by_stage_name, |s| {
    let f = s.create("/api/v3/flows/instances/", flow_body("ord")).await;
    let b_stage = crate::flows::insert_stage(&s, "ord-b").await;
    let a_stage = crate::flows::insert_stage(&s, "ord-a").await;
    let b10 = s.create("/api/v3/flows/bindings/", json!({"target": f["pk"], "stage": b_stage, "order": 10})).await;
    let a20 = s.create("/api/v3/flows/bindings/", json!({"target": f["pk"], "stage": a_stage, "order": 20})).await;
    let b5 = s.create("/api/v3/flows/bindings/", json!({"target": f["pk"], "stage": b_stage, "order": 5})).await;
    let pks = |r: crate::harness::Resp| r.body["results"].as_array().unwrap().iter().map(|b| b["pk"].clone()).collect::<Vec<_>>();
    let url = "/api/v3/flows/bindings/?target=";
    let target = f["pk"].as_str().unwrap();
    assert_eq!(pks(s.get(&format!("{url}{target}")).await), vec![b5["pk"].clone(), b10["pk"].clone(), a20["pk"].clone()]);
    assert_eq!(pks(s.get(&format!("{url}{target}&ordering=stage__name,order")).await), vec![a20["pk"].clone(), b5["pk"].clone(), b10["pk"].clone()]);
    assert_eq!(pks(s.get(&format!("{url}{target}&ordering=-stage__name,-order")).await), vec![b10["pk"].clone(), b5["pk"].clone(), a20["pk"].clone()]);
});

/// Inserts a bare stage row straight into storage, for tests that need a stage before the
/// stage kinds' own endpoints exist.
pub async fn insert_stage(s: &std::sync::Arc<crate::harness::TestServer>, name: &str) -> String {
    let _ = s;
    let id = uuid::Uuid::new_v4().to_string();
    crate::harness::insert_row(
        s,
        "stages",
        vec![("uuid", id.clone().into()), ("kind", "deny".into()), ("name", name.into()), ("deny_message", "".into())],
    )
    .await;
    id
}
