//! Blueprint import (api-behaviour.md 3.1.7, 3.2): `POST /flows/instances/import/`, YAML tags,
//! export -> import round trips, and bad files that must fail without writing anything.

use crate::harness::{Resp, TestServer};
use serde_json::{json, Value};

const IMPORT: &str = "/api/v3/flows/instances/import/";

/// The example export of api-behaviour.md 3.2.
pub const SPEC_EXAMPLE: &str = r#"context: {}
entries:
- attrs:
    authentication: none
    denied_action: message_continue
    designation: authentication
    layout: stacked
    name: My login
    policy_engine_mode: any
    title: Welcome!
  conditions: []
  identifiers:
    pk: 6a4c2a8b-2f4e-4a3c-9d7e-1b2c3d4e5f60
    slug: my-login
  model: authentik_flows.flow
  state: present
- attrs:
    case_insensitive_matching: true
    pretend_user_exists: true
    show_matched_user: true
    user_fields:
    - email
    - username
  conditions: []
  identifiers:
    name: my-identification
    pk: 0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0
  model: authentik_stages_identification.identificationstage
  state: present
- attrs:
    backends:
    - authentik.core.auth.InbuiltBackend
    failed_attempts_before_cancel: 5
  conditions: []
  identifiers:
    name: my-password
    pk: 1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d
  model: authentik_stages_password.passwordstage
  state: present
- attrs:
    invalid_response_action: retry
    policy_engine_mode: any
    re_evaluate_policies: true
  conditions: []
  identifiers:
    order: 10
    pk: 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d
    stage: 0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0
    target: 6a4c2a8b-2f4e-4a3c-9d7e-1b2c3d4e5f60
  model: authentik_flows.flowstagebinding
  state: present
- attrs:
    invalid_response_action: retry
    policy_engine_mode: any
    re_evaluate_policies: true
  conditions: []
  identifiers:
    order: 20
    pk: 8f7e6d5c-4b3a-4291-8a7b-6c5d4e3f2a1b
    stage: 1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d
    target: 6a4c2a8b-2f4e-4a3c-9d7e-1b2c3d4e5f60
  model: authentik_flows.flowstagebinding
  state: present
metadata:
  labels:
    blueprints.goauthentik.io/generated: 'true'
  name: authentik Export - 2024-04-16 17:42:00.123456+00:00
version: 1
"#;

fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----portcullis-blueprint-boundary";
    let mut body = Vec::new();
    for (name, filename, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(s: &TestServer, parts: &[(&str, Option<&str>, &[u8])]) -> Resp {
    let (ct, body) = multipart(parts);
    s.raw(s.client().post(format!("{}{IMPORT}", s.base)).header("Authorization", format!("Bearer {}", s.token)).header("Content-Type", ct).body(body))
        .await
}

/// Imports a file; returns the 200 body.
pub async fn import(s: &TestServer, yaml: &[u8]) -> Value {
    let r = upload(s, &[("file", Some("bp.yaml"), yaml)]).await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body
}

async fn import_ok(s: &TestServer, yaml: &str) {
    let b = import(s, yaml.as_bytes()).await;
    assert_eq!(b, json!({"logs": [], "success": true}));
}

/// The import failed, with a log naming `needles`, and nothing was written.
async fn import_fails(s: &TestServer, yaml: &[u8], needles: &[&str]) -> Vec<Value> {
    let before = snapshot(s).await;
    let b = import(s, yaml).await;
    assert_eq!(b["success"], false, "{b}");
    let logs = b["logs"].as_array().cloned().unwrap_or_default();
    assert!(!logs.is_empty());
    for l in &logs {
        for k in ["timestamp", "log_level", "logger", "event", "attributes"] {
            assert!(l.get(k).is_some(), "log event without {k}: {l}");
        }
    }
    let events: Vec<String> = logs.iter().map(|l| l["event"].as_str().unwrap_or_default().to_string()).collect();
    let all = events.join("\n");
    for n in needles {
        assert!(all.contains(n), "no log event contains {n:?}: {all}");
    }
    assert_eq!(snapshot(s).await, before, "a failed import must write nothing");
    logs
}

/// Everything a blueprint can touch, as the API shows it.
async fn snapshot(s: &TestServer) -> Value {
    let mut out = serde_json::Map::new();
    for p in [
        "/api/v3/flows/instances/",
        "/api/v3/stages/all/",
        "/api/v3/flows/bindings/",
        "/api/v3/stages/prompt/prompts/",
        "/api/v3/sources/all/",
        "/api/v3/stages/invitation/invitations/",
        "/api/v3/core/groups/",
    ] {
        let r = s.get(&format!("{p}?page_size=1000")).await;
        assert_eq!(r.status, 200, "{p}: {r:?}");
        out.insert(p.to_string(), r.body["results"].clone());
    }
    Value::Object(out)
}

async fn flow(s: &TestServer, slug: &str) -> Value {
    let r = s.get(&format!("/api/v3/flows/instances/{slug}/")).await;
    assert_eq!(r.status, 200, "{slug}: {r:?}");
    r.body
}

async fn bindings_of(s: &TestServer, flow_pk: &str) -> Vec<Value> {
    let r = s.get(&format!("/api/v3/flows/bindings/?target={flow_pk}&ordering=order")).await;
    assert_eq!(r.status, 200);
    r.body["results"].as_array().cloned().unwrap()
}

async fn export(s: &TestServer, slug: &str) -> String {
    let r = s.get(&format!("/api/v3/flows/instances/{slug}/export/")).await;
    assert_eq!(r.status, 200, "{r:?}");
    r.text
}

fn without_metadata_name(doc: &str) -> serde_yaml::Value {
    let mut v: serde_yaml::Value = serde_yaml::from_str(doc).unwrap();
    v["metadata"].as_mapping_mut().unwrap().remove("name");
    v
}

// ---------------------------------------------------------------- the endpoint

both!(import_without_file_part_is_400_with_empty_logs, |s| {
    let r = upload(&s, &[("clear", None, b"true")]).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"logs": [], "success": false}));
});

both!(import_needs_a_superuser, |s| {
    let (_, token) = s.user_with_token("plain").await;
    let (ct, body) = multipart(&[("file", Some("bp.yaml"), SPEC_EXAMPLE.as_bytes())]);
    let r = s.raw(s.client().post(format!("{}{IMPORT}", s.base)).header("Authorization", format!("Bearer {token}")).header("Content-Type", ct).body(body)).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body, json!({"detail": "You do not have permission to perform this action."}));
    assert_eq!(s.get("/api/v3/flows/instances/").await.body["pagination"]["count"], 0);
});

both!(import_of_the_spec_example_keeps_the_given_pks, |s| {
    import_ok(&s, SPEC_EXAMPLE).await;
    let f = flow(&s, "my-login").await;
    assert_eq!(f["pk"], "6a4c2a8b-2f4e-4a3c-9d7e-1b2c3d4e5f60");
    assert_eq!(f["name"], "My login");
    assert_eq!(f["title"], "Welcome!");
    assert_eq!(f["designation"], "authentication");
    assert_eq!(f["denied_action"], "message_continue");
    let id = s.get("/api/v3/stages/identification/0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0/").await;
    assert_eq!(id.status, 200);
    assert_eq!(id.body["name"], "my-identification");
    assert_eq!(id.body["user_fields"], json!(["email", "username"]));
    assert_eq!(id.body["pretend_user_exists"], true);
    let pw = s.get("/api/v3/stages/password/1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d/").await;
    assert_eq!(pw.body["failed_attempts_before_cancel"], 5);
    let b = bindings_of(&s, "6a4c2a8b-2f4e-4a3c-9d7e-1b2c3d4e5f60").await;
    let got: Vec<(Value, Value, Value)> = b.iter().map(|x| (x["pk"].clone(), x["stage"].clone(), x["order"].clone())).collect();
    assert_eq!(
        got,
        vec![
            (json!("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"), json!("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"), json!(10)),
            (json!("8f7e6d5c-4b3a-4291-8a7b-6c5d4e3f2a1b"), json!("1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d"), json!(20)),
        ]
    );
    // The export of the imported flow is the example itself, but for the export's name.
    assert_eq!(without_metadata_name(&export(&s, "my-login").await), without_metadata_name(SPEC_EXAMPLE));
});

both!(importing_the_same_blueprint_twice_changes_nothing_the_second_time, |s| {
    import_ok(&s, SPEC_EXAMPLE).await;
    let first = snapshot(&s).await;
    import_ok(&s, SPEC_EXAMPLE).await;
    assert_eq!(snapshot(&s).await, first);
});

both!(export_imported_into_an_empty_database_exports_the_same_document, |s| {
    // A flow built through the API, with a prompt stage (prompts are exported too).
    let f = s.create("/api/v3/flows/instances/", json!({"name": "Enroll", "slug": "enroll", "title": "Join", "designation": "enrollment"})).await;
    let p = s.create("/api/v3/stages/prompt/prompts/", json!({"name": "p-user", "field_key": "username", "label": "Username", "type": "username", "order": 1, "required": true})).await;
    let ps = s.create("/api/v3/stages/prompt/stages/", json!({"name": "enroll-prompt", "fields": [p["pk"]]})).await;
    let uw = s.create("/api/v3/stages/user_write/", json!({"name": "enroll-write", "user_creation_mode": "always_create"})).await;
    for (st, order) in [(&ps, 10), (&uw, 20)] {
        s.create("/api/v3/flows/bindings/", json!({"target": f["pk"], "stage": st["pk"], "order": order})).await;
    }
    let first = export(&s, "enroll").await;
    let db = s.db;
    // A second server on a fresh database (its own runtime: the harness future is not `Send`
    // across the test's task).
    let (first, again) = tokio::task::spawn_blocking(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        rt.block_on(crate::harness::run(db, move |s2| async move {
            import_ok(&s2, &first).await;
            tx.send((first, export(&s2, "enroll").await)).unwrap();
        }));
        rx.recv().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(without_metadata_name(&again), without_metadata_name(&first));
    assert!(again.contains("name: authentik Export"));
});

both!(import_over_existing_objects_with_other_pks_rewrites_later_references, |s| {
    // The stages already exist under other ids: they are found by name, updated, and the
    // bindings point at them.
    let id = s.create("/api/v3/stages/identification/", json!({"name": "my-identification", "user_fields": ["username"]})).await;
    let pw = s.create("/api/v3/stages/password/", json!({"name": "my-password", "backends": ["authentik.core.auth.InbuiltBackend"]})).await;
    import_ok(&s, SPEC_EXAMPLE).await;
    let got = s.get(&format!("/api/v3/stages/identification/{}/", id["pk"].as_str().unwrap())).await.body;
    assert_eq!(got["user_fields"], json!(["email", "username"]));
    assert_eq!(s.get("/api/v3/stages/identification/0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0/").await.status, 404);
    let b = bindings_of(&s, "6a4c2a8b-2f4e-4a3c-9d7e-1b2c3d4e5f60").await;
    assert_eq!(b.iter().map(|x| x["stage"].clone()).collect::<Vec<_>>(), vec![id["pk"].clone(), pw["pk"].clone()]);
});

both!(enrollment_flow_with_invitation_stage_imports_with_keyof_references, |s| {
    let yaml = r#"
version: 1
metadata: {name: enrollment}
entries:
- model: authentik_flows.flow
  id: flow
  identifiers: {slug: invite-enroll}
  attrs: {name: Invited enrollment, title: Welcome, designation: enrollment}
- model: authentik_stages_invitation.invitationstage
  id: inv-stage
  identifiers: {name: invite-only}
  attrs: {continue_flow_without_invitation: false}
- model: authentik_stages_user_write.userwritestage
  id: write
  identifiers: {name: invite-write}
  attrs: {user_creation_mode: always_create}
- model: authentik_flows.flowstagebinding
  identifiers: {target: !KeyOf flow, stage: !KeyOf inv-stage, order: 0}
- model: authentik_flows.flowstagebinding
  identifiers: {target: !KeyOf flow, stage: !KeyOf write, order: 10}
- model: authentik_stages_invitation.invitation
  identifiers: {name: welcome-invite}
  attrs: {flow: !KeyOf flow, single_use: true, fixed_data: {email: a@example.com}}
"#;
    import_ok(&s, yaml).await;
    let f = flow(&s, "invite-enroll").await;
    assert_eq!(f["designation"], "enrollment");
    let b = bindings_of(&s, f["pk"].as_str().unwrap()).await;
    assert_eq!(b.len(), 2);
    assert_eq!(b[0]["stage_obj"]["name"], "invite-only");
    assert_eq!(b[0]["stage_obj"]["meta_model_name"], "authentik_stages_invitation.invitationstage");
    assert_eq!(b[1]["stage_obj"]["name"], "invite-write");
    let inv = s.get("/api/v3/stages/invitation/invitations/?name=welcome-invite").await.body["results"][0].clone();
    assert_eq!(inv["flow"], f["pk"]);
    assert_eq!(inv["single_use"], true);
    assert_eq!(inv["fixed_data"], json!({"email": "a@example.com"}));
});

both!(source_stage_bound_to_a_flow_imports, |s| {
    let yaml = r#"
version: 1
entries:
- model: authentik_sources_oauth.oauthsource
  id: gh
  identifiers: {slug: github-bp}
  attrs: {name: GitHub, provider_type: github, consumer_key: key, consumer_secret: secret}
- model: authentik_flows.flow
  id: login
  identifiers: {slug: source-login}
  attrs: {name: Source login, title: Sign in, designation: authentication}
- model: authentik_stages_source.sourcestage
  id: st
  identifiers: {name: via-github}
  attrs: {source: !KeyOf gh, resume_timeout: hours=1}
- model: authentik_flows.flowstagebinding
  identifiers: {target: !KeyOf login, stage: !KeyOf st, order: 5}
"#;
    import_ok(&s, yaml).await;
    let src = s.get("/api/v3/sources/oauth/github-bp/").await;
    assert_eq!(src.status, 200, "{src:?}");
    assert_eq!(src.body["provider_type"], "github");
    let f = flow(&s, "source-login").await;
    let b = bindings_of(&s, f["pk"].as_str().unwrap()).await;
    assert_eq!(b.len(), 1);
    assert_eq!(b[0]["order"], 5);
    let st = s.get(&format!("/api/v3/stages/source/{}/", b[0]["stage"].as_str().unwrap())).await.body;
    assert_eq!(st["source"], src.body["pk"]);
    assert_eq!(st["resume_timeout"], "hours=1");
});

both!(entry_states_created_must_created_and_absent, |s| {
    s.create("/api/v3/core/groups/", json!({"name": "keep", "is_superuser": false})).await;
    s.create("/api/v3/core/groups/", json!({"name": "gone"})).await;
    let yaml = r#"
version: 1
entries:
- model: authentik_core.group
  state: created
  identifiers: {name: keep}
  attrs: {is_superuser: true}
- model: authentik_core.group
  state: absent
  identifiers: {name: gone}
- model: authentik_core.group
  state: absent
  identifiers: {name: never-existed}
"#;
    import_ok(&s, yaml).await;
    let groups = s.get("/api/v3/core/groups/").await.body["results"].clone();
    let names: Vec<&str> = groups.as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).filter(|n| *n != "authentik Admins").collect();
    assert_eq!(names, vec!["keep"]);
    let keep = groups.as_array().unwrap().iter().find(|g| g["name"] == "keep").unwrap();
    assert_eq!(keep["is_superuser"], false, "`created` never updates");
    import_fails(
        &s,
        b"version: 1\nentries:\n- model: authentik_core.group\n  state: must_created\n  identifiers: {name: keep}\n",
        &["Entry invalid: entry 0 (authentik_core.group)", "must_created", "Blueprint validation failed"],
    )
    .await;
});

both!(conditions_skip_entries_unless_all_are_truthy, |s| {
    let yaml = r#"
version: 1
entries:
- model: authentik_core.group
  conditions: [true, 1, "x"]
  identifiers: {name: made}
- model: authentik_core.group
  conditions: [true, false]
  identifiers: {name: skipped}
- model: authentik_core.group
  conditions: [""]
  identifiers: {name: skipped-too}
"#;
    import_ok(&s, yaml).await;
    let groups = s.get("/api/v3/core/groups/").await.body["results"].clone();
    let names: Vec<&str> = groups.as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).filter(|n| *n != "authentik Admins").collect();
    assert_eq!(names, vec!["made"]);
});

both!(blueprint_only_attributes_background_icon_token_key_and_password, |s| {
    let yaml = r#"
version: 1
entries:
- model: authentik_flows.flow
  identifiers: {slug: bg}
  attrs: {name: Bg, title: Bg, designation: authentication, background: "https://img.example/bg.png"}
- model: authentik_sources_oauth.oauthsource
  identifiers: {slug: ico}
  attrs: {name: Ico, provider_type: discord, consumer_key: k, consumer_secret: s, icon: "https://img.example/i.svg"}
- model: authentik_core.user
  id: u
  identifiers: {username: bp-user}
  attrs: {name: Bp User, password: "correct horse battery staple"}
- model: authentik_core.token
  identifiers: {identifier: bp-token}
  attrs: {user: !KeyOf u, intent: api, expiring: false, key: "bp-token-key-0123456789"}
"#;
    import_ok(&s, yaml).await;
    assert_eq!(flow(&s, "bg").await["background"], "https://img.example/bg.png");
    assert_eq!(s.get("/api/v3/sources/all/ico/").await.body["icon"], "https://img.example/i.svg");
    // The token's key authenticates as its user.
    let me = s.send(reqwest::Method::GET, "/api/v3/core/users/me/", None, Some("bp-token-key-0123456789")).await;
    assert_eq!(me.status, 200, "{me:?}");
    assert_eq!(me.body["user"]["username"], "bp-user");
    assert_eq!(s.get("/api/v3/core/tokens/bp-token/view_key/").await.body, json!({"key": "bp-token-key-0123456789"}));
    let stored = crate::sources::raw_text(&s, "users", "password", "username", "bp-user".into()).await.unwrap();
    assert!(matches!(domain::password::verify("correct horse battery staple", &stored), domain::password::Verified::Yes));
    // Wrong types are invalid entries.
    import_fails(&s, b"version: 1\nentries:\n- model: authentik_core.user\n  identifiers: {username: x}\n  attrs: {password: [1]}\n", &["field `password`: Not a valid string."]).await;
});

// ---------------------------------------------------------------- tags

async fn group_attributes(s: &TestServer, name: &str) -> Value {
    let r = s.get(&format!("/api/v3/core/groups/?name={name}")).await;
    assert_eq!(r.body["pagination"]["count"], 1, "{name}: {r:?}");
    r.body["results"][0]["attributes"].clone()
}

/// A blueprint creating group `g` with `attributes: {v: <value>}`.
fn attr_blueprint(context: &str, value: &str) -> String {
    format!("version: 1\ncontext: {context}\nentries:\n- model: authentik_core.group\n  identifiers: {{name: g}}\n  attrs:\n    attributes:\n      v: {value}\n")
}

async fn tag_value(s: &TestServer, context: &str, value: &str) -> Value {
    import_ok(s, &attr_blueprint(context, value)).await;
    group_attributes(s, "g").await["v"].clone()
}

both!(tag_keyof_is_the_pk_of_an_earlier_entry, |s| {
    let yaml = "version: 1\nentries:\n- model: authentik_core.group\n  id: parent\n  identifiers: {name: p}\n- model: authentik_core.group\n  identifiers: {name: c}\n  attrs: {parent: !KeyOf parent}\n";
    import_ok(&s, yaml).await;
    let p = s.get("/api/v3/core/groups/?name=p").await.body["results"][0]["pk"].clone();
    let c = s.get("/api/v3/core/groups/?name=c").await.body["results"][0].clone();
    assert_eq!(c["parent"], p);
});

both!(tag_keyof_cycles_and_unknown_ids_are_invalid_entries, |s| {
    let cycle = "version: 1\nentries:\n- model: authentik_core.group\n  id: a\n  identifiers: {name: a}\n  attrs: {parent: !KeyOf b}\n- model: authentik_core.group\n  id: b\n  identifiers: {name: b}\n  attrs: {parent: !KeyOf a}\n";
    import_fails(&s, cycle.as_bytes(), &["Entry invalid: entry 0 (authentik_core.group)", "KeyOf", "`b`"]).await;
    let unknown = "version: 1\nentries:\n- model: authentik_core.group\n  identifiers: {name: a}\n- model: authentik_core.group\n  identifiers: {name: b}\n  attrs: {parent: !KeyOf nope}\n";
    import_fails(&s, unknown.as_bytes(), &["Entry invalid: entry 1", "KeyOf", "`nope`"]).await;
});

both!(tag_find_is_the_pk_of_the_first_match_or_null, |s| {
    let f = s.create("/api/v3/flows/instances/", json!({"name": "F", "slug": "found", "title": "F", "designation": "authentication"})).await;
    assert_eq!(tag_value(&s, "{}", "!Find [authentik_flows.flow, [slug, found]]").await, f["pk"]);
    assert_eq!(tag_value(&s, "{}", "!Find [authentik_flows.flow, [slug, missing]]").await, Value::Null);
    import_fails(&s, attr_blueprint("{}", "!Find [authentik_nothing.model, [slug, x]]").as_bytes(), &["Entry invalid", "unknown model"]).await;
});

both!(tag_context_reads_the_blueprint_context_with_a_default, |s| {
    assert_eq!(tag_value(&s, "{greeting: hello}", "!Context greeting").await, "hello");
    assert_eq!(tag_value(&s, "{}", "!Context [missing, fallback]").await, "fallback");
    assert_eq!(tag_value(&s, "{}", "!Context missing").await, Value::Null);
});

both!(tag_env_reads_the_environment_with_a_default, |s| {
    assert_eq!(tag_value(&s, "{}", "!Env [PORTCULLIS_TEST_SURELY_UNSET_VARIABLE, dflt]").await, "dflt");
    assert_eq!(tag_value(&s, "{}", "!Env PATH").await, std::env::var("PATH").unwrap());
});

both!(tag_format_is_python_percent_formatting, |s| {
    assert_eq!(tag_value(&s, "{n: world}", "!Format ['hello %s, %d%%', !Context n, 42]").await, "hello world, 42%");
    import_fails(&s, attr_blueprint("{}", "!Format ['%s %s', one]").as_bytes(), &["Entry invalid", "not enough arguments"]).await;
});

both!(tag_if_selects_by_truthiness, |s| {
    assert_eq!(tag_value(&s, "{on: true}", "!If [!Context on, yes-branch, no-branch]").await, "yes-branch");
    assert_eq!(tag_value(&s, "{on: ''}", "!If [!Context on, yes-branch, no-branch]").await, "no-branch");
    assert_eq!(tag_value(&s, "{}", "!If [[1]]").await, true);
});

both!(tag_condition_combines_values, |s| {
    assert_eq!(tag_value(&s, "{}", "[!Condition [AND, true, 1], !Condition [OR, false, 0], !Condition [XOR, true, true], !Condition [NOR, false], !Condition [NAND, true, false], !Condition [XNOR, true, true]]").await, json!([true, false, false, true, true, true]));
    import_fails(&s, attr_blueprint("{}", "!Condition [MAYBE, true]").as_bytes(), &["Entry invalid", "MAYBE"]).await;
});

both!(tag_enumerate_index_and_value_iterate, |s| {
    assert_eq!(tag_value(&s, "{xs: [a, b]}", "!Enumerate [!Context xs, SEQ, !Format ['%s=%s', !Index 0, !Value 0]]").await, json!(["0=a", "1=b"]));
    assert_eq!(tag_value(&s, "{xs: {k: v}}", "!Enumerate [!Context xs, MAP, [!Value 0, !Index 0]]").await, json!({"v": "k"}));
    assert_eq!(
        tag_value(&s, "{}", "!Enumerate [[x, y], SEQ, !Enumerate [[1], SEQ, !Format ['%s%s', !Value 1, !Value 0]]]").await,
        json!([["x1"], ["y1"]])
    );
});

both!(tag_index_and_value_outside_enumerate_are_invalid, |s| {
    import_fails(&s, attr_blueprint("{}", "!Index 0").as_bytes(), &["Entry invalid", "only usable inside an Enumerate"]).await;
    import_fails(&s, attr_blueprint("{}", "!Value 0").as_bytes(), &["Entry invalid", "only usable inside an Enumerate"]).await;
});

both!(unknown_tag_is_an_invalid_entry, |s| {
    import_fails(&s, attr_blueprint("{}", "!Bogus x").as_bytes(), &["Entry invalid: entry 0 (authentik_core.group)", "unknown YAML tag !Bogus"]).await;
});

// ---------------------------------------------------------------- bad input

both!(invalid_entry_names_index_model_field_and_reason_and_writes_nothing, |s| {
    // The first entry is valid; the second fails: the flow must not exist afterwards.
    let yaml = r#"
version: 1
entries:
- model: authentik_flows.flow
  identifiers: {slug: half}
  attrs: {name: Half, title: Half, designation: authentication}
- model: authentik_stages_password.passwordstage
  identifiers: {name: pw}
  attrs: {backends: [authentik.core.auth.InbuiltBackend], failed_attempts_before_cancel: many}
"#;
    let logs = import_fails(
        &s,
        yaml.as_bytes(),
        &["Entry invalid: entry 1 (authentik_stages_password.passwordstage)", "field `failed_attempts_before_cancel`: A valid integer is required."],
    )
    .await;
    assert_eq!(logs.last().unwrap()["event"], "Blueprint validation failed");
    assert_eq!(logs[0]["attributes"]["entry"], 1);
    assert_eq!(logs[0]["attributes"]["model"], "authentik_stages_password.passwordstage");
    assert_eq!(logs[0]["attributes"]["errors"], json!({"failed_attempts_before_cancel": ["A valid integer is required."]}));
    assert_eq!(s.get("/api/v3/flows/instances/half/").await.status, 404);
});

both!(unknown_foreign_keys_are_invalid_entries, |s| {
    let yaml = "version: 1\nentries:\n- model: authentik_flows.flowstagebinding\n  identifiers: {target: 6a4c2a8b-2f4e-4a3c-9d7e-1b2c3d4e5f60, stage: 0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0, order: 1}\n";
    import_fails(&s, yaml.as_bytes(), &["Entry invalid: entry 0 (authentik_flows.flowstagebinding)", "field `stage`: Invalid pk \"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0\" - object does not exist.", "field `target`"]).await;
});

both!(base_and_unknown_models_are_refused, |s| {
    for m in ["authentik_flows.stage", "authentik_core.source", "authentik_nothing.thing"] {
        let yaml = format!("version: 1\nentries:\n- model: {m}\n  identifiers: {{name: x}}\n");
        import_fails(&s, yaml.as_bytes(), &[&format!("Entry invalid: entry 0 ({m})"), "cannot be imported"]).await;
    }
});

both!(bad_files_fail_with_one_clear_error, |s| {
    for (data, needle) in [
        (&b"\xff\xfe not utf8"[..], "not valid UTF-8"),
        (&b"version: 1\nentries: [unclosed"[..], "not valid YAML"),
        (&b"- a list\n- not a mapping\n"[..], "must be a YAML mapping"),
        (&b"version: 2\nentries: []\n"[..], "version must be 1"),
        (&b"entries: []\n"[..], "version must be 1"),
        (&b"version: 1\nentries:\n- identifiers: {name: x}\n"[..], "entry 0 has no model"),
    ] {
        let logs = import_fails(&s, data, &[needle]).await;
        assert_eq!(logs.len(), 1, "{logs:?}");
        assert_eq!(logs[0]["log_level"], "error");
    }
});

both!(a_file_larger_than_the_body_limit_is_refused, |s| {
    let mut big = b"version: 1\nentries: []\nmetadata:\n  name: x\n  filler: '".to_vec();
    big.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
    big.extend_from_slice(b"'\n");
    let r = upload(&s, &[("file", Some("big.yaml"), &big)]).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.body, json!({"detail": "Request body is too large."}));
});

both!(deeply_nested_yaml_is_refused, |s| {
    let depth = 10_000;
    let doc = format!("version: 1\nentries: []\nmetadata: {}{}\n", "[".repeat(depth), "]".repeat(depth));
    import_fails(&s, doc.as_bytes(), &["not valid YAML", "recursion limit"]).await;
});

both!(alias_bomb_is_refused, |s| {
    let mut doc = String::from("version: 1\nentries: []\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        doc.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    import_fails(&s, doc.as_bytes(), &["not valid YAML", "repetition limit"]).await;
});

// ---------------------------------------------------------------- blueprints directory and CLI

const GROUPS: &str = "version: 1\nentries:\n- model: authentik_core.group\n  identifiers: {name: bp-parent}\n";
const CHILD: &str = "version: 1\nentries:\n- model: authentik_core.group\n  identifiers: {name: bp-child}\n  attrs: {parent: !Find [authentik_core.group, [name, bp-parent]]}\n";
const BAD: &str = "version: 1\nentries:\n- model: authentik_core.group\n  identifiers: {name: bp-bad}\n- model: authentik_core.group\n  identifiers: {name: bp-bad-2}\n  attrs: {is_superuser: maybe}\n";

async fn group_names(s: &TestServer) -> Vec<String> {
    let r = s.get("/api/v3/core/groups/?ordering=name").await;
    assert_eq!(r.status, 200);
    r.body["results"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap().to_string()).filter(|n| n != "authentik Admins").collect()
}

async fn applied_rows(store: &storage::SqlStore) -> Vec<String> {
    use domain::store::Store;
    let rows = store.select(&domain::query::Select::new("settings").col("key", domain::value::ColType::Text)).await.unwrap();
    let mut keys: Vec<String> = rows.iter().filter_map(|r| r.text("key")).filter(|k| k.starts_with("blueprint_applied:")).map(str::to_string).collect();
    keys.sort();
    keys
}

async fn directory_case(db: crate::harness::Db) {
    use crate::harness::*;
    let data = temp_dir();
    let bp = temp_dir();
    let pg = if db == Db::Postgres { Some(create_pg_database().await) } else { None };
    std::fs::write(bp.join("10-parent.yaml"), GROUPS).unwrap();
    std::fs::write(bp.join("20-child.yml"), CHILD).unwrap();
    std::fs::write(bp.join("30-bad.yaml"), BAD).unwrap();
    std::fs::write(bp.join("notes.txt"), "not a blueprint").unwrap();
    let bps = bp.display().to_string();
    let extra = [("AUTHENTIK_BLUEPRINTS_DIR", bps.as_str())];
    let boot = || portcullis::start(config(db, &data, pg.as_deref(), &extra));

    // First start: files in name order (the child finds the parent); the bad file writes nothing.
    let r = boot().await.unwrap();
    let s = TestServer::new(format!("http://{}", r.addr), db);
    assert_eq!(group_names(&s).await, vec!["bp-child", "bp-parent"]);
    let parent = s.get("/api/v3/core/groups/?name=bp-parent").await.body["results"][0]["pk"].clone();
    assert_eq!(s.get("/api/v3/core/groups/?name=bp-child").await.body["results"][0]["parent"], parent);
    assert_eq!(applied_rows(&r.store).await.len(), 2);
    let child = s.get("/api/v3/core/groups/?name=bp-child").await.body["results"][0]["pk"].as_str().unwrap().to_string();
    assert_eq!(s.delete(&format!("/api/v3/core/groups/{child}/")).await.status, 204);
    r.stop().await;

    // Same contents: not applied again (the deleted child stays deleted).
    let r = boot().await.unwrap();
    let s = TestServer::new(format!("http://{}", r.addr), db);
    assert_eq!(group_names(&s).await, vec!["bp-parent"]);
    r.stop().await;

    // Changed contents: applied again.
    std::fs::write(bp.join("20-child.yml"), format!("{CHILD}# changed\n")).unwrap();
    let r = boot().await.unwrap();
    let s = TestServer::new(format!("http://{}", r.addr), db);
    assert_eq!(group_names(&s).await, vec!["bp-child", "bp-parent"]);
    assert_eq!(applied_rows(&r.store).await.len(), 3);
    r.stop().await;

    if let Some(n) = pg {
        drop_pg_database(&n).await;
    }
    let _ = std::fs::remove_dir_all(&data);
    let _ = std::fs::remove_dir_all(&bp);
}

mod blueprints_directory_is_applied_at_start_in_name_order_once_per_content {
    #[tokio::test]
    async fn sqlite() {
        super::directory_case(crate::harness::Db::Sqlite).await
    }
    #[tokio::test]
    async fn postgres() {
        super::directory_case(crate::harness::Db::Postgres).await
    }
}

async fn two_processes_case(db: crate::harness::Db) {
    use crate::harness::*;
    let data = temp_dir();
    let bp = temp_dir();
    let pg = if db == Db::Postgres { Some(create_pg_database().await) } else { None };
    std::fs::write(bp.join("10-parent.yaml"), GROUPS).unwrap();
    std::fs::write(bp.join("20-child.yaml"), CHILD).unwrap();
    let bps = bp.display().to_string();
    let extra = [("AUTHENTIK_BLUEPRINTS_DIR", bps.as_str())];
    // The first start creates the schema and the admin; then two servers start at once.
    let r0 = portcullis::start(config(db, &data, pg.as_deref(), &[("AUTHENTIK_BLUEPRINTS_DIR", "/nonexistent-portcullis-bp")])).await.unwrap();
    r0.stop().await;
    let (a, b) = tokio::join!(
        portcullis::start(config(db, &data, pg.as_deref(), &extra)),
        portcullis::start(config(db, &data, pg.as_deref(), &extra))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let keys = applied_rows(&a.store).await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    let s = TestServer::new(format!("http://{}", b.addr), db);
    assert_eq!(group_names(&s).await, vec!["bp-child", "bp-parent"]);
    a.stop().await;
    b.stop().await;
    if let Some(n) = pg {
        drop_pg_database(&n).await;
    }
    let _ = std::fs::remove_dir_all(&data);
    let _ = std::fs::remove_dir_all(&bp);
}

mod two_processes_starting_together_apply_each_blueprint_once {
    #[tokio::test]
    async fn sqlite() {
        super::two_processes_case(crate::harness::Db::Sqlite).await
    }
    #[tokio::test]
    async fn postgres() {
        super::two_processes_case(crate::harness::Db::Postgres).await
    }
}

async fn cli_case(db: crate::harness::Db) {
    use crate::harness::*;
    let data = temp_dir();
    let pg = if db == Db::Postgres { Some(create_pg_database().await) } else { None };
    let bad = data.join("bad.yaml");
    let good = data.join("good.yaml");
    std::fs::write(&bad, BAD).unwrap();
    std::fs::write(&good, GROUPS).unwrap();
    let run = |args: &[&std::path::Path], dry: bool| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_portcullis"));
        c.arg("blueprint").arg("apply").args(args);
        if dry {
            c.arg("--dry-run");
        }
        c.env_clear()
            .env("PORTCULLIS_DATA_DIR", &data)
            .env("AUTHENTIK_SECRET_KEY", "test-secret-key")
            .env("AUTHENTIK_BOOTSTRAP_TOKEN", TOKEN)
            .env("AUTHENTIK_BOOTSTRAP_PASSWORD", PASSWORD)
            .env("PORTCULLIS_DEFAULT_FLOWS", "false")
            .env("AUTHENTIK_BLUEPRINTS_DIR", data.join("none"));
        if let Some(n) = &pg {
            let (h, p) = pg_host_port();
            c.env("AUTHENTIK_POSTGRESQL__HOST", h).env("AUTHENTIK_POSTGRESQL__PORT", p.to_string()).env("AUTHENTIK_POSTGRESQL__USER", "postgres").env("AUTHENTIK_POSTGRESQL__NAME", n);
        }
        c.output().unwrap()
    };
    let out = tokio::task::block_in_place(|| run(&[&good, &bad], false));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yaml: Entry invalid: entry 1 (authentik_core.group): field `is_superuser`: Must be a valid boolean."), "{err}");
    assert!(err.contains("bad.yaml: Blueprint validation failed"), "{err}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("good.yaml: applied") && stdout.contains("bad.yaml: FAILED"), "{stdout}");
    let dry = tokio::task::block_in_place(|| run(&[&data.join("child.yaml")], true));
    assert_eq!(dry.status.code(), Some(1), "a missing file fails");
    std::fs::write(data.join("child.yaml"), CHILD).unwrap();
    let dry = tokio::task::block_in_place(|| run(&[&data.join("child.yaml")], true));
    assert_eq!(dry.status.code(), Some(0), "{}", String::from_utf8_lossy(&dry.stderr));
    assert!(String::from_utf8_lossy(&dry.stdout).contains("child.yaml: valid"));

    let r = portcullis::start(config(db, &data, pg.as_deref(), &[])).await.unwrap();
    let s = TestServer::new(format!("http://{}", r.addr), db);
    assert_eq!(group_names(&s).await, vec!["bp-parent"], "only the good file; the dry run wrote nothing");
    r.stop().await;
    if let Some(n) = pg {
        drop_pg_database(&n).await;
    }
    let _ = std::fs::remove_dir_all(&data);
}

mod blueprint_apply_command_prints_every_problem_and_fails {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::cli_case(crate::harness::Db::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::cli_case(crate::harness::Db::Postgres).await
    }
}

// ---------------------------------------------------------------- the default flows
const DEFAULT_SLUGS: [&str; 5] =
    ["default-authentication-flow", "default-invalidation-flow", "default-source-authentication", "default-source-enrollment", "default-enrollment-invitation"];

both_seeded!(default_flows_export_import_into_an_empty_server_exports_the_same_documents, |s| {
    let mut first = vec![];
    for slug in DEFAULT_SLUGS {
        first.push(export(&s, slug).await);
    }
    // The source flows keep the blueprint-only `sso_only` through the round trip.
    for (doc, sso) in first.iter().zip([false, false, true, true, false]) {
        assert_eq!(doc.contains("sso_only: true"), sso, "{doc}");
    }
    let db = s.db;
    let (first, again) = tokio::task::spawn_blocking(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        rt.block_on(crate::harness::run(db, move |s2| async move {
            assert_eq!(s2.count("/api/v3/flows/instances/").await, 0, "the second server starts without flows");
            let mut again = vec![];
            for doc in &first {
                import_ok(&s2, doc).await;
            }
            for slug in DEFAULT_SLUGS {
                again.push(export(&s2, slug).await);
            }
            tx.send((first, again)).unwrap();
        }));
        rx.recv().unwrap()
    })
    .await
    .unwrap();
    for (a, b) in first.iter().zip(&again) {
        assert_eq!(without_metadata_name(b), without_metadata_name(a));
    }
});

both!(embedded_default_blueprints_import_with_success_and_no_log_events, |s| {
    assert_eq!(s.count("/api/v3/flows/instances/").await, 0);
    for (name, yaml) in portcullis::bootstrap::DEFAULT_BLUEPRINTS {
        let b = import(&s, yaml.as_bytes()).await;
        assert_eq!(b, json!({"logs": [], "success": true}), "{name}");
    }
    let after = snapshot(&s).await;
    assert_eq!(after["/api/v3/flows/instances/"].as_array().unwrap().len(), 5);
    assert_eq!(after["/api/v3/stages/all/"].as_array().unwrap().len(), 12);
    assert_eq!(after["/api/v3/flows/bindings/"].as_array().unwrap().len(), 12);
    assert_eq!(after["/api/v3/stages/prompt/prompts/"].as_array().unwrap().len(), 6);
    // Applying them again matches every object by slug or name and changes nothing.
    for (name, yaml) in portcullis::bootstrap::DEFAULT_BLUEPRINTS {
        let b = import(&s, yaml.as_bytes()).await;
        assert_eq!(b, json!({"logs": [], "success": true}), "{name}");
    }
    assert_eq!(snapshot(&s).await, after);
});

both!(sso_only_must_be_a_boolean, |s| {
    import_fails(&s, b"version: 1\nentries:\n- model: authentik_flows.flow\n  identifiers: {slug: f}\n  attrs: {name: F, title: F, designation: authentication, sso_only: \"yes\"}\n", &["field `sso_only`: Must be a valid boolean."]).await;
});

both!(imported_default_flows_behave_like_seeded_ones_in_the_executor, |s| {
    use crate::flow_client::FlowClient;
    for (name, yaml) in portcullis::bootstrap::DEFAULT_BLUEPRINTS {
        assert_eq!(import(&s, yaml.as_bytes()).await, json!({"logs": [], "success": true}), "{name}");
    }
    let login = "default-authentication-flow";
    let mut c = FlowClient::new(&s.base);
    assert_eq!(c.get(login, "").await["component"], "ak-stage-identification");
    assert_eq!(c.post(login, "", json!({"uid_field": "akadmin"})).await["component"], "ak-stage-password");
    let wrong = c.post(login, "", json!({"password": "nope"})).await;
    assert_eq!(wrong["response_errors"]["password"][0]["string"], "Invalid password");
    let end = c.post(login, "", json!({"password": crate::harness::PASSWORD})).await;
    assert_eq!(end, json!({"type": "redirect", "component": "xak-flow-redirect", "to": "/"}));
    assert_eq!(c.raw(reqwest::Method::GET, "/api/v3/core/users/me/", None).await.body["user"]["username"], "akadmin");
    c.get("default-invalidation-flow", "").await;
    assert_eq!(c.raw(reqwest::Method::GET, "/api/v3/core/users/me/", None).await.status, 403);
    // The imported source flows keep `sso_only`: not a way to sign up.
    let denied = FlowClient::new(&s.base).get("default-source-enrollment", "").await;
    assert_eq!(denied["error_message"], "Flow does not apply to current user.");
});
