//! `/stages/prompt/prompts/`: prompts, `promptstage_set` and `preview`.

use crate::flows::flow_body;
use crate::stage_kinds::names;
use serde_json::{json, Value};

const P: &str = "/api/v3/stages/prompt/prompts/";

fn body(name: &str, key: &str, ty: &str) -> Value {
    json!({"name": name, "field_key": key, "label": format!("Label {name}"), "type": ty})
}

both!(prompt_create_applies_defaults_and_lifecycle, |s| {
    let p = s.create(P, body("username", "username", "username")).await;
    let keys: Vec<&String> = p.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        vec!["pk", "name", "field_key", "label", "type", "required", "placeholder", "initial_value", "order", "promptstage_set", "sub_text", "placeholder_expression", "initial_value_expression"]
    );
    assert_eq!(p["required"], true);
    assert_eq!(p["placeholder"], "");
    assert_eq!(p["initial_value"], "");
    assert_eq!(p["order"], 0);
    assert_eq!(p["promptstage_set"], json!([]));
    assert_eq!(p["sub_text"], "");
    assert_eq!(p["placeholder_expression"], false);
    assert_eq!(p["initial_value_expression"], false);
    let obj = format!("{P}{}/", p["pk"].as_str().unwrap());
    assert_eq!(s.get(&obj).await.body, p);
    let put = json!({"name": "u2", "field_key": "attributes.u", "label": "U", "type": "text_area", "required": false, "placeholder": "hint", "initial_value": "init", "order": 5, "sub_text": "help", "placeholder_expression": true, "initial_value_expression": true});
    let r = s.put(&obj, put.clone()).await;
    assert_eq!(r.status, 200, "{r:?}");
    for (k, v) in put.as_object().unwrap() {
        assert_eq!(&r.body[k], v, "{k}");
    }
    let r = s.patch(&obj, json!({"placeholder": ""})).await;
    assert_eq!(r.body["placeholder"], "");
    assert_eq!(r.body["label"], "U");
    assert_eq!(s.put(&obj, json!({"name": "u2"})).await.body, json!({"field_key": ["This field is required."], "label": ["This field is required."], "type": ["This field is required."]}));
    assert_eq!(s.delete(&obj).await.status, 204);
    assert_eq!(s.get(&obj).await.status, 404);
});

both!(prompt_validation_messages, |s| {
    s.create(P, body("taken", "k", "text")).await;
    assert_eq!(s.post(P, body("taken", "k2", "text")).await.body, json!({"name": ["Prompt with this name already exists."]}));
    assert_eq!(
        s.post(P, json!({})).await.body,
        json!({"name": ["This field is required."], "field_key": ["This field is required."], "label": ["This field is required."], "type": ["This field is required."]})
    );
    assert_eq!(
        s.post(P, json!({"name": "", "field_key": "", "label": 3, "type": "radio", "required": "x", "order": "y", "placeholder": null, "sub_text": []})).await.body,
        json!({
            "name": ["This field may not be blank."],
            "field_key": ["This field may not be blank."],
            "type": ["\"radio\" is not a valid choice."],
            "required": ["Must be a valid boolean."],
            "order": ["A valid integer is required."],
            "placeholder": ["This field may not be null."],
            "sub_text": ["Not a valid string."]
        })
    );
    let r = s.post(P, json!({"name": "n", "field_key": "k", "label": "l", "type": "text", "promptstage_set": "x"})).await;
    assert_eq!(r.body, json!({"promptstage_set": {"non_field_errors": ["Expected a list of items but got type \"str\"."]}}));
    assert_eq!(s.get(P).await.body["pagination"]["count"], 1);
});

both!(prompt_filters_search_and_ordering, |s| {
    s.create(P, json!({"name": "b", "field_key": "zeta", "label": "Email", "type": "email", "placeholder": "you@example.com"})).await;
    s.create(P, json!({"name": "a", "field_key": "alpha", "label": "Name", "type": "text"})).await;
    assert_eq!(names(&s.get(P).await), vec!["a", "b"]);
    assert_eq!(names(&s.get(&format!("{P}?ordering=-field_key")).await), vec!["b", "a"]);
    assert_eq!(names(&s.get(&format!("{P}?ordering=name")).await), vec!["a", "b"]);
    assert_eq!(names(&s.get(&format!("{P}?ordering=-type")).await), vec!["a", "b"]);
    assert_eq!(names(&s.get(&format!("{P}?field_key=zeta")).await), vec!["b"]);
    assert_eq!(names(&s.get(&format!("{P}?label=Name")).await), vec!["a"]);
    assert_eq!(names(&s.get(&format!("{P}?name=b")).await), vec!["b"]);
    assert_eq!(names(&s.get(&format!("{P}?placeholder=you@example.com")).await), vec!["b"]);
    assert_eq!(names(&s.get(&format!("{P}?type=text")).await), vec!["a"]);
    assert_eq!(s.get(&format!("{P}?type=bogus")).await.body, json!({"type": ["Select a valid choice. bogus is not one of the available choices."]}));
    assert_eq!(names(&s.get(&format!("{P}?search=EXAMPLE")).await), vec!["b"]);
    assert_eq!(names(&s.get(&format!("{P}?search=alp")).await), vec!["a"]);
    assert_eq!(names(&s.get(&format!("{P}?search=email")).await), vec!["b"]);
});

both!(prompt_promptstage_set_reads_and_used_by, |s| {
    let p = s.create(P, body("p", "k", "text")).await;
    let pk = p["pk"].as_str().unwrap();
    let st = s.create("/api/v3/stages/prompt/stages/", json!({"name": "ps", "fields": [pk], "flow_set": [{"slug": "enroll", "name": "E", "title": "E", "designation": "enrollment"}]})).await;
    let r = s.get(&format!("{P}{pk}/")).await;
    let set = r.body["promptstage_set"].as_array().unwrap();
    assert_eq!(set.len(), 1);
    assert_eq!(set[0]["pk"], st["pk"]);
    assert_eq!(set[0]["name"], "ps");
    assert_eq!(set[0]["component"], "ak-stage-prompt-form");
    assert_eq!(set[0]["meta_model_name"], "authentik_stages_prompt.promptstage");
    assert_eq!(set[0]["flow_set"][0]["slug"], "enroll");
    assert_eq!(set[0].as_object().unwrap().len(), 7);
    let used = s.get(&format!("{P}{pk}/used_by/")).await;
    assert_eq!(used.body, json!([{"app": "authentik_stages_prompt", "model_name": "promptstage", "pk": st["pk"], "name": "Stage ps", "action": "cascade_many"}]));
});

both!(prompt_promptstage_set_links_existing_and_creates_missing_stages, |s| {
    let other = s.create(P, body("other", "o", "text")).await;
    let existing = s.create("/api/v3/stages/prompt/stages/", json!({"name": "existing", "fields": [other["pk"]]})).await;
    s.create("/api/v3/flows/instances/", flow_body("enroll")).await;
    let p = s
        .create(P, json!({"name": "p", "field_key": "k", "label": "l", "type": "text", "promptstage_set": [{"name": "existing", "flow_set": [{"slug": "ignored"}]}, {"name": "fresh", "flow_set": [{"slug": "enroll"}]}]}))
        .await;
    let pk = p["pk"].as_str().unwrap();
    let set: Vec<&str> = p["promptstage_set"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap()).collect();
    assert_eq!(set, vec!["existing", "fresh"]);
    let ex = s.get(&format!("/api/v3/stages/prompt/stages/{}/", existing["pk"].as_str().unwrap())).await.body;
    let mut want = vec![other["pk"].as_str().unwrap().to_string(), pk.to_string()];
    want.sort();
    assert_eq!(ex["fields"], json!(want));
    // The existing stage's entry keys are ignored: it was not bound anywhere.
    assert_eq!(ex["flow_set"], json!([]));
    let fresh = s.get("/api/v3/stages/prompt/stages/?name=fresh").await.body["results"][0].clone();
    assert_eq!(fresh["fields"], json!([pk]));
    assert_eq!(fresh["validation_policies"], json!([]));
    assert_eq!(fresh["flow_set"][0]["slug"], "enroll");
    // Update: listing a stage again adds nothing; links are never removed.
    let r = s.patch(&format!("{P}{pk}/"), json!({"promptstage_set": [{"name": "fresh"}]})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["promptstage_set"].as_array().unwrap().len(), 2);
    let r = s.put(&format!("{P}{pk}/"), json!({"name": "p", "field_key": "k", "label": "l", "type": "text", "promptstage_set": []})).await;
    assert_eq!(r.body["promptstage_set"].as_array().unwrap().len(), 2);
});

both!(prompt_promptstage_set_errors_are_aligned_and_nothing_is_written, |s| {
    s.create("/api/v3/stages/deny/", json!({"name": "a-deny"})).await;
    let r = s
        .post(P, json!({"name": "p", "field_key": "k", "label": "l", "type": "text", "promptstage_set": [
            {"name": "ok-new"},
            {"name": "a-deny"},
            {},
            5,
            {"name": "with-flow", "flow_set": [{"slug": "nf"}]}
        ]}))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"promptstage_set": [
            {},
            {"name": ["This field must be unique."]},
            {"name": ["This field is required."]},
            {"non_field_errors": ["Invalid data. Expected a dictionary, but got int."]},
            {"flow_set": [{"name": ["This field is required."], "title": ["This field is required."], "designation": ["This field is required."]}]}
        ]})
    );
    assert_eq!(s.get(P).await.body["pagination"]["count"], 0);
    assert_eq!(s.get("/api/v3/stages/all/").await.body["pagination"]["count"], 1);
});

both!(prompt_preview_renders_without_saving, |s| {
    let pv = format!("{P}preview/");
    let r = s.post(&pv, json!({"field_key": "email", "label": "Email", "type": "email", "placeholder": "you@x", "initial_value": "a@b", "order": 3, "sub_text": "s", "required": false, "name": "ignored", "promptstage_set": "ignored"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body,
        json!({"type": "native", "component": "ak-stage-prompt", "fields": [
            {"field_key": "email", "label": "Email", "type": "email", "required": false, "placeholder": "you@x", "initial_value": "a@b", "order": 3, "sub_text": "s", "choices": null}
        ]})
    );
    // Choice fields: the placeholder is the (single) choice; the initial value must be one.
    let r = s.post(&pv, json!({"field_key": "c", "label": "C", "type": "dropdown", "placeholder": "red", "initial_value": "blue"})).await;
    assert_eq!(
        r.body["fields"][0],
        json!({"field_key": "c", "label": "C", "type": "dropdown", "required": true, "placeholder": "", "initial_value": "red", "order": 0, "sub_text": "", "choices": ["red"]})
    );
    let r = s.post(&pv, json!({"field_key": "c", "label": "C", "type": "radio-button-group", "placeholder": "red", "initial_value": "red"})).await;
    assert_eq!(r.body["fields"][0]["initial_value"], "red");
    // Validation as for a create (name not needed).
    let r = s.post(&pv, json!({"label": "", "type": "nope"})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"field_key": ["This field is required."], "label": ["This field may not be blank."], "type": ["\"nope\" is not a valid choice."]}));
    // Expressions are not evaluated by Portcullis.
    for flag in ["placeholder_expression", "initial_value_expression"] {
        let mut b = json!({"field_key": "k", "label": "l", "type": "text", "placeholder": "return 1"});
        b[flag] = json!(true);
        let r = s.post(&pv, b).await;
        assert_eq!(r.status, 400);
        assert_eq!(
            r.body,
            json!({"non_field_errors": ["Expressions are not supported by Portcullis: placeholder_expression and initial_value_expression must be false to preview a prompt."]})
        );
    }
    assert_eq!(s.get(P).await.body["pagination"]["count"], 0);
    let r = s.send(reqwest::Method::POST, &pv, Some(&json!({"field_key": "k", "label": "l", "type": "text"})), Some("")).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body, json!({"detail": "Authentication credentials were not provided."}));
});
