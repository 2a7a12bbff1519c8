//! `/stages/all/`, stage names across kinds, and `flow_set` on stage writes.

use crate::flows::flow_body;
use crate::stage_kinds::{insert_source, names};
use serde_json::{json, Value};

/// One stage of every kind, named after it; returns (kind path, pk) pairs.
async fn one_of_each(s: &std::sync::Arc<crate::harness::TestServer>) -> Vec<(String, String)> {
    let pr = s.create("/api/v3/stages/prompt/prompts/", json!({"name": "p", "field_key": "k", "label": "l", "type": "text"})).await;
    let src = insert_source(s, "oauth", "gh").await;
    let bodies = [
        ("/api/v3/stages/identification/", json!({"name": "identification", "user_fields": ["username"]})),
        ("/api/v3/stages/password/", json!({"name": "password", "backends": []})),
        ("/api/v3/stages/prompt/stages/", json!({"name": "prompt", "fields": [pr["pk"]]})),
        ("/api/v3/stages/user_login/", json!({"name": "user_login"})),
        ("/api/v3/stages/user_logout/", json!({"name": "user_logout"})),
        ("/api/v3/stages/user_write/", json!({"name": "user_write"})),
        ("/api/v3/stages/deny/", json!({"name": "deny"})),
        ("/api/v3/stages/invitation/stages/", json!({"name": "invitation"})),
        ("/api/v3/stages/source/", json!({"name": "source", "source": src})),
    ];
    let mut out = vec![];
    for (p, b) in bodies {
        let st = s.create(p, b).await;
        out.push((p.to_string(), st["pk"].as_str().unwrap().to_string()));
    }
    out
}

both!(stages_all_lists_every_kind_with_its_own_metadata, |s| {
    one_of_each(&s).await;
    let r = s.get("/api/v3/stages/all/").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["pagination"]["count"], 9);
    let got: Vec<(String, String, String, String, String)> = r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            assert_eq!(o.as_object().unwrap().len(), 7, "{o}");
            let f = |k: &str| o[k].as_str().unwrap().to_string();
            (f("name"), f("component"), f("verbose_name"), f("verbose_name_plural"), f("meta_model_name"))
        })
        .collect();
    let want = [
        ("deny", "ak-stage-deny-form", "Deny Stage", "authentik_stages_deny.denystage"),
        ("identification", "ak-stage-identification-form", "Identification Stage", "authentik_stages_identification.identificationstage"),
        ("invitation", "ak-stage-invitation-form", "Invitation Stage", "authentik_stages_invitation.invitationstage"),
        ("password", "ak-stage-password-form", "Password Stage", "authentik_stages_password.passwordstage"),
        ("prompt", "ak-stage-prompt-form", "Prompt Stage", "authentik_stages_prompt.promptstage"),
        ("source", "ak-stage-source-form", "Source Stage", "authentik_stages_source.sourcestage"),
        ("user_login", "ak-stage-user-login-form", "User Login Stage", "authentik_stages_user_login.userloginstage"),
        ("user_logout", "ak-stage-user-logout-form", "User Logout Stage", "authentik_stages_user_logout.userlogoutstage"),
        ("user_write", "ak-stage-user-write-form", "User Write Stage", "authentik_stages_user_write.userwritestage"),
    ];
    let want: Vec<(String, String, String, String, String)> =
        want.iter().map(|(n, c, v, m)| (n.to_string(), c.to_string(), v.to_string(), format!("{v}s"), m.to_string())).collect();
    assert_eq!(got, want);
    assert_eq!(names(&s.get("/api/v3/stages/all/?name=deny").await), vec!["deny"]);
    assert_eq!(names(&s.get("/api/v3/stages/all/?search=USER_LO").await), vec!["user_login", "user_logout"]);
    assert_eq!(names(&s.get("/api/v3/stages/all/?ordering=-name&page_size=2").await), vec!["user_write", "user_logout"]);
});

both!(stages_all_retrieves_and_deletes_any_kind_but_never_writes, |s| {
    let stages = one_of_each(&s).await;
    for (path, pk) in &stages {
        let r = s.get(&format!("/api/v3/stages/all/{pk}/")).await;
        assert_eq!(r.status, 200, "{path}");
        let own = s.get(&format!("{path}{pk}/")).await;
        for k in ["pk", "name", "component", "verbose_name", "verbose_name_plural", "meta_model_name", "flow_set"] {
            assert_eq!(r.body[k], own.body[k], "{path} {k}");
        }
        let used = s.get(&format!("/api/v3/stages/all/{pk}/used_by/")).await;
        assert_eq!(used.status, 200);
    }
    let r = s.post("/api/v3/stages/all/", json!({"name": "x"})).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.body, json!({"detail": "Method \"POST\" not allowed."}));
    let (_, pk) = &stages[0];
    let r = s.put(&format!("/api/v3/stages/all/{pk}/"), json!({"name": "x"})).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.body, json!({"detail": "Method \"PUT\" not allowed."}));
    assert_eq!(s.patch(&format!("/api/v3/stages/all/{pk}/"), json!({"name": "x"})).await.status, 405);
    for (path, pk) in &stages {
        assert_eq!(s.delete(&format!("/api/v3/stages/all/{pk}/")).await.status, 204, "{path}");
        assert_eq!(s.get(&format!("{path}{pk}/")).await.status, 404, "{path}");
    }
    assert_eq!(s.get("/api/v3/stages/all/").await.body["pagination"]["count"], 0);
});

both!(stages_all_types_lists_the_nine_kinds_exactly, |s| {
    let r = s.get("/api/v3/stages/all/types/").await;
    assert_eq!(r.status, 200);
    let t = |name: &str, component: &str, model: &str, enterprise: bool, description: &str| {
        json!({"name": name, "description": description, "component": component, "model_name": model, "requires_enterprise": enterprise})
    };
    assert_eq!(
        r.body,
        json!([
            t("Deny Stage", "ak-stage-deny-form", "denystage", false, "Cancels the current flow."),
            t("Identification Stage", "ak-stage-identification-form", "identificationstage", false, "Allows the user to identify themselves for authentication."),
            t("Invitation Stage", "ak-stage-invitation-form", "invitationstage", false, "Simplify enrollment; allow users to use a single\n    link to create their user with pre-defined parameters."),
            t("Password Stage", "ak-stage-password-form", "passwordstage", false, "Prompts the user for their password, and validates it against the configured backends."),
            t("Prompt Stage", "ak-stage-prompt-form", "promptstage", false, "Define arbitrary prompts for the user."),
            t("Source Stage", "ak-stage-source-form", "sourcestage", true, "Suspend the current flow execution and send the user to a source,\n    after which this flow execution is resumed."),
            t("User Login Stage", "ak-stage-user-login-form", "userloginstage", false, "Attaches the currently pending user to the current session."),
            t("User Logout Stage", "ak-stage-user-logout-form", "userlogoutstage", false, "Resets the users current session."),
            t("User Write Stage", "ak-stage-user-write-form", "userwritestage", false, "Writes currently pending data into the pending user, or if no user exists,\n    creates a new user with the data."),
        ])
    );
});

both!(user_settings_lists_password_stages_with_a_configure_flow, |s| {
    let f = s.create("/api/v3/flows/instances/", flow_body("pw-change")).await;
    let b = s.create("/api/v3/stages/password/", json!({"name": "b-pw", "backends": [], "configure_flow": f["pk"]})).await;
    let a = s.create("/api/v3/stages/password/", json!({"name": "a-pw", "backends": [], "configure_flow": f["pk"]})).await;
    s.create("/api/v3/stages/password/", json!({"name": "no-flow", "backends": []})).await;
    let r = s.get("/api/v3/stages/all/user_settings/").await;
    assert_eq!(r.status, 200);
    let item = |st: &Value| {
        let pk = st["pk"].as_str().unwrap();
        json!({"object_uid": pk, "component": "ak-user-settings-password", "title": "Password Stage", "configure_url": format!("/flows/-/configure/{pk}/")})
    };
    assert_eq!(r.body, json!([item(&a), item(&b)]));
});

both!(stage_names_are_unique_across_kinds, |s| {
    s.create("/api/v3/stages/deny/", json!({"name": "same"})).await;
    for (p, mut b) in [
        ("/api/v3/stages/deny/", json!({})),
        ("/api/v3/stages/user_logout/", json!({})),
        ("/api/v3/stages/password/", json!({"backends": []})),
        ("/api/v3/stages/identification/", json!({"user_fields": ["email"]})),
        ("/api/v3/stages/invitation/stages/", json!({})),
    ] {
        b["name"] = json!("same");
        let r = s.post(p, b).await;
        assert_eq!(r.status, 400, "{p}");
        assert_eq!(r.body, json!({"name": ["stage with this name already exists."]}), "{p}");
    }
    // Renaming onto a taken name is refused too; keeping one's own name is fine.
    let other = s.create("/api/v3/stages/user_login/", json!({"name": "other"})).await;
    let obj = format!("/api/v3/stages/user_login/{}/", other["pk"].as_str().unwrap());
    assert_eq!(s.patch(&obj, json!({"name": "same"})).await.body, json!({"name": ["stage with this name already exists."]}));
    assert_eq!(s.put(&obj, json!({"name": "other"})).await.status, 200);
    assert_eq!(s.get("/api/v3/stages/all/").await.body["pagination"]["count"], 2);
});

// ---------------------------------------------------------------- flow_set

async fn bindings_of(s: &std::sync::Arc<crate::harness::TestServer>, flow_pk: &str) -> Vec<(String, i64)> {
    let r = s.get(&format!("/api/v3/flows/bindings/?target={flow_pk}")).await;
    r.body["results"].as_array().unwrap().iter().map(|b| (b["stage"].as_str().unwrap().to_string(), b["order"].as_i64().unwrap())).collect()
}

both!(flow_set_binds_a_new_stage_after_the_last_binding_of_an_existing_flow, |s| {
    let f = s.create("/api/v3/flows/instances/", flow_body("login")).await;
    let fp = f["pk"].as_str().unwrap();
    let first = s.create("/api/v3/stages/deny/", json!({"name": "first"})).await;
    s.create("/api/v3/flows/bindings/", json!({"target": fp, "stage": first["pk"], "order": 25})).await;
    // Other keys of an entry naming an existing flow are ignored (even invalid ones).
    let st = s.create("/api/v3/stages/user_logout/", json!({"name": "bye", "flow_set": [{"slug": "login", "title": "", "designation": "nope"}]})).await;
    assert_eq!(st["flow_set"].as_array().unwrap().len(), 1);
    assert_eq!(st["flow_set"][0]["slug"], "login");
    assert_eq!(st["flow_set"][0]["pk"], fp);
    assert_eq!(st["flow_set"][0]["title"], "Welcome");
    assert_eq!(bindings_of(&s, fp).await, vec![(first["pk"].as_str().unwrap().to_string(), 25), (st["pk"].as_str().unwrap().to_string(), 35)]);
    let b = s.get(&format!("/api/v3/flows/bindings/?stage={}", st["pk"].as_str().unwrap())).await.body["results"][0].clone();
    assert_eq!((b["evaluate_on_plan"].clone(), b["re_evaluate_policies"].clone(), b["policy_engine_mode"].clone(), b["invalid_response_action"].clone()), (json!(false), json!(true), json!("any"), json!("retry")));
    // A flow without bindings gets order 10; the flow is unchanged.
    s.create("/api/v3/flows/instances/", flow_body("empty")).await;
    let st2 = s.create("/api/v3/stages/deny/", json!({"name": "d2", "flow_set": [{"slug": "empty"}, {"slug": "empty"}]})).await;
    let empty = s.get("/api/v3/flows/instances/empty/").await.body;
    assert_eq!(bindings_of(&s, empty["pk"].as_str().unwrap()).await, vec![(st2["pk"].as_str().unwrap().to_string(), 10)]);
    assert_eq!(empty["title"], "Welcome");
    // `[]` binds nothing.
    let st3 = s.create("/api/v3/stages/deny/", json!({"name": "d3", "flow_set": []})).await;
    assert_eq!(st3["flow_set"], json!([]));
});

both!(flow_set_creates_a_missing_flow_validated_as_a_flow_create, |s| {
    let st = s
        .create(
            "/api/v3/stages/password/",
            json!({"name": "pw", "backends": [], "flow_set": [{"name": "New", "slug": "new-flow", "title": "T", "designation": "enrollment", "layout": "sidebar_left"}]}),
        )
        .await;
    assert_eq!(st["flow_set"][0]["slug"], "new-flow");
    let f = s.get("/api/v3/flows/instances/new-flow/").await;
    assert_eq!(f.status, 200);
    assert_eq!(f.body["designation"], "enrollment");
    assert_eq!(f.body["layout"], "sidebar_left");
    assert_eq!(f.body["policy_engine_mode"], "any");
    assert_eq!(f.body["authentication"], "none");
    assert_eq!(f.body["stages"], json!([st["pk"]]));
    assert_eq!(bindings_of(&s, f.body["pk"].as_str().unwrap()).await, vec![(st["pk"].as_str().unwrap().to_string(), 10)]);
});

both!(nested_entries_with_a_nul_character_are_400_not_500, |s| {
    // The naming key is looked up before validation; a NUL there must not reach the database.
    let r = s.post("/api/v3/stages/deny/", json!({"name": "d", "flow_set": [{"slug": "a\0b", "name": "n", "title": "t", "designation": "enrollment"}]})).await;
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(r.body["flow_set"][0]["slug"][0], "Null characters are not allowed.");
    let prompt = json!({"name": "p", "field_key": "k", "label": "l", "type": "text", "promptstage_set": [{"name": "s\0x"}]});
    let r = s.post("/api/v3/stages/prompt/prompts/", prompt).await;
    assert_eq!((r.status, r.body), (400, json!({"promptstage_set": [{"name": ["Null characters are not allowed."]}]})));
    assert_eq!(s.get("/api/v3/stages/all/").await.body["pagination"]["count"], 0);
    assert_eq!(s.get("/api/v3/stages/prompt/prompts/").await.body["pagination"]["count"], 0);
});

both!(flow_set_errors_are_aligned_with_the_items_and_nothing_is_written, |s| {
    s.create("/api/v3/flows/instances/", flow_body("exists")).await;
    let p = "/api/v3/stages/deny/";
    let r = s
        .post(
            p,
            json!({"name": "d", "flow_set": [
                {"slug": "exists"},
                {"name": "n"},
                {"name": "ok", "slug": "brand-new", "title": "t", "designation": "authentication"},
                "text",
                {"name": "x", "slug": "bad slug!", "title": "t", "designation": "bogus", "compatibility_mode": "x"},
                null
            ]}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"flow_set": [
            {},
            {"slug": ["This field is required."], "title": ["This field is required."], "designation": ["This field is required."]},
            {},
            {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]},
            {"slug": ["Enter a valid \"slug\" consisting of letters, numbers, underscores or hyphens."], "designation": ["\"bogus\" is not a valid choice."], "compatibility_mode": ["Must be a valid boolean."]},
            ["This field may not be null."]
        ]})
    );
    // Neither the stage nor the valid new flow nor any binding was written.
    assert_eq!(s.get("/api/v3/stages/all/").await.body["pagination"]["count"], 0);
    assert_eq!(s.get("/api/v3/flows/instances/brand-new/").await.status, 404);
    assert_eq!(s.get("/api/v3/flows/instances/").await.body["pagination"]["count"], 1);
    assert_eq!(s.get("/api/v3/flows/bindings/").await.body["pagination"]["count"], 0);
    // Not a list.
    let r = s.post(p, json!({"name": "d", "flow_set": {"slug": "exists"}})).await;
    assert_eq!(r.body, json!({"flow_set": {"non_field_errors": ["Expected a list of items but got type \"dict\"."]}}));
    let r = s.post(p, json!({"name": "d", "flow_set": "exists"})).await;
    assert_eq!(r.body, json!({"flow_set": {"non_field_errors": ["Expected a list of items but got type \"str\"."]}}));
    let r = s.post(p, json!({"name": "d", "flow_set": null})).await;
    assert_eq!(r.body, json!({"flow_set": ["This field may not be null."]}));
    // Field errors of the stage itself come first.
    let r = s.post(p, json!({"name": "", "flow_set": [{"name": "n"}]})).await;
    assert_eq!(r.body, json!({"name": ["This field may not be blank."]}));
    // A kind's cross-field rule is not reached while flow_set is invalid.
    let r = s.post("/api/v3/stages/identification/", json!({"name": "i", "flow_set": [1]})).await;
    assert_eq!(r.body, json!({"flow_set": [{"non_field_errors": ["Invalid data. Expected a dictionary, but got int."]}]}));
    assert_eq!(s.get("/api/v3/stages/all/").await.body["pagination"]["count"], 0);
    assert_eq!(s.get("/api/v3/flows/instances/").await.body["pagination"]["count"], 1);
});

both!(flow_set_on_update_binds_only_flows_not_yet_bound, |s| {
    let a = s.create("/api/v3/flows/instances/", flow_body("fa")).await;
    let st = s.create("/api/v3/stages/deny/", json!({"name": "d", "flow_set": [{"slug": "fa"}]})).await;
    let obj = format!("/api/v3/stages/deny/{}/", st["pk"].as_str().unwrap());
    let pk = st["pk"].as_str().unwrap().to_string();
    // PATCH listing the bound flow again plus a new one: only the new one is bound.
    let r = s.patch(&obj, json!({"flow_set": [{"slug": "fa"}, {"name": "B", "slug": "fb", "title": "B", "designation": "recovery"}]})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let slugs: Vec<&str> = r.body["flow_set"].as_array().unwrap().iter().map(|f| f["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs.len(), 2);
    assert!(slugs.contains(&"fa") && slugs.contains(&"fb"));
    assert_eq!(bindings_of(&s, a["pk"].as_str().unwrap()).await, vec![(pk.clone(), 10)]);
    // PUT with an empty list removes nothing.
    let r = s.put(&obj, json!({"name": "d", "flow_set": []})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["flow_set"].as_array().unwrap().len(), 2);
    // A PATCH without flow_set leaves the bindings alone; an invalid one changes nothing.
    let r = s.patch(&obj, json!({"deny_message": "m", "flow_set": [{"slug": "fc"}]})).await;
    assert_eq!(r.body, json!({"flow_set": [{"name": ["This field is required."], "title": ["This field is required."], "designation": ["This field is required."]}]}));
    assert_eq!(s.get(&obj).await.body["deny_message"], "");
    assert_eq!(s.get("/api/v3/flows/instances/fc/").await.status, 404);
    assert_eq!(s.get("/api/v3/flows/bindings/").await.body["pagination"]["count"], 2);
});

both!(flow_set_entry_with_a_taken_slug_of_a_new_flow_is_created_once, |s| {
    let st = s
        .create(
            "/api/v3/stages/deny/",
            json!({"name": "d", "flow_set": [
                {"name": "N", "slug": "twice", "title": "t", "designation": "authentication"},
                {"name": "N2", "slug": "twice", "title": "t2", "designation": "enrollment"}
            ]}),
        )
        .await;
    assert_eq!(st["flow_set"].as_array().unwrap().len(), 1);
    let f = s.get("/api/v3/flows/instances/twice/").await.body;
    assert_eq!(f["name"], "N");
    assert_eq!(s.get("/api/v3/flows/instances/").await.body["pagination"]["count"], 1);
});
