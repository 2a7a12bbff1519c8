//! Cross-cutting conventions (api-behaviour.md 1.1-1.4): routing, content types,
//! authentication and the two permission levels, shown on `/core/users/`.

use crate::harness::TestServer;
use reqwest::Method;
use serde_json::{json, Value};

const USERS: &str = "/api/v3/core/users/";
const NO_CREDENTIALS: &str = "Authentication credentials were not provided.";
const NO_PERMISSION: &str = "You do not have permission to perform this action.";

fn url(s: &TestServer, path: &str) -> String {
    format!("{}{}", s.base, path)
}

/// A request with the admin token and a raw body of the given content type.
async fn raw_body(s: &TestServer, method: Method, path: &str, content_type: &str, body: &'static str) -> crate::harness::Resp {
    s.raw(
        s.client()
            .request(method, url(s, path))
            .header("Authorization", format!("Bearer {}", s.token))
            .header("Content-Type", content_type)
            .body(body),
    )
    .await
}

async fn with_header(s: &TestServer, method: Method, path: &str, name: &str, value: &str) -> crate::harness::Resp {
    s.raw(s.client().request(method, url(s, path)).header(name, value)).await
}

// ---- routing ----

both!(paths_without_trailing_slash_are_json_404_for_every_method, |s| {
    for (m, p) in [(Method::GET, "/api/v3/core/users"), (Method::POST, "/api/v3/core/users"), (Method::GET, "/api/v3/core/users/1"), (Method::DELETE, "/api/v3/core/users/1")] {
        let r = s.send(m.clone(), p, Some(&json!({"username": "x", "name": "x"})), None).await;
        assert_eq!(r.status, 404, "{m} {p}: {r:?}");
        assert_eq!(r.body, json!({"detail": "Not found."}), "{m} {p}");
    }
    assert_eq!(s.count(USERS).await, 1, "nothing was created");
});

both!(unknown_paths_are_json_404, |s| {
    for (m, p) in [
        (Method::GET, "/api/v3/nope/"),
        (Method::POST, "/api/v3/nope/"),
        (Method::DELETE, "/api/v3/core/nope/"),
        (Method::GET, "/api/v3/core/users/1/nope/"),
        (Method::GET, "/api/v3/core/users/1/used_by/extra/"),
        (Method::GET, "/api/v3/core/users/abc/"),
        (Method::GET, "/api/v3/core/users/1.0/"),
        (Method::GET, "/api/v3/core/users/99999/"),
        (Method::GET, "/somewhere/else/"),
    ] {
        let r = s.send(m.clone(), p, None, None).await;
        assert_eq!(r.status, 404, "{m} {p}: {r:?}");
        assert_eq!(r.body, json!({"detail": "Not found."}), "{m} {p}");
        assert_eq!(r.headers["content-type"], "application/json", "{m} {p}");
    }
});

both!(method_a_route_does_not_support_is_405_with_the_method_named, |s| {
    for (m, p) in [
        (Method::PUT, USERS.to_string()),
        (Method::DELETE, USERS.to_string()),
        (Method::PATCH, USERS.to_string()),
        (Method::POST, "/api/v3/core/users/1/".to_string()),
        (Method::PUT, "/api/v3/core/users/me/".to_string()),
        (Method::POST, "/api/v3/core/users/1/used_by/".to_string()),
        (Method::GET, "/api/v3/core/users/1/set_password/".to_string()),
    ] {
        let r = s.send(m.clone(), &p, Some(&json!({})), None).await;
        assert_eq!(r.status, 405, "{m} {p}: {r:?}");
        assert_eq!(r.body, json!({"detail": format!("Method \"{m}\" not allowed.")}), "{m} {p}");
    }
});

both!(unsupported_method_without_credentials_is_403_before_405, |s| {
    let r = s.send(Method::PUT, USERS, Some(&json!({})), Some("")).await;
    assert_eq!(r.status, 403, "{r:?}");
    assert_eq!(r.body, json!({"detail": NO_CREDENTIALS}));
});

both!(head_behaves_like_get_without_a_body, |s| {
    let r = s.send(Method::HEAD, USERS, None, None).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.text, "");
    assert_eq!(r.headers["content-type"], "application/json");
    let r = s.send(Method::HEAD, "/api/v3/core/users/1/", None, None).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = s.send(Method::HEAD, "/api/v3/core/users/424242/", None, None).await;
    assert_eq!(r.status, 404, "{r:?}");
    let r = s.send(Method::HEAD, USERS, None, Some("")).await;
    assert_eq!(r.status, 403, "{r:?}");
});

both!(every_api_response_carries_a_fresh_32_hex_request_id, |s| {
    let mut seen = std::collections::HashSet::new();
    for (m, p, tok) in [(Method::GET, USERS, None), (Method::GET, "/api/v3/nope/", None), (Method::GET, USERS, Some("")), (Method::PUT, USERS, None)] {
        let r = s.send(m.clone(), p, None, tok).await;
        let id = r.headers.get("x-authentik-id").unwrap_or_else(|| panic!("{m} {p}: no X-authentik-id")).to_str().unwrap().to_string();
        assert_eq!(id.len(), 32, "{id}");
        assert!(id.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{id}");
        assert!(seen.insert(id), "request ids are fresh");
    }
});

// ---- content types ----

both!(non_json_content_type_is_415_and_writes_nothing, |s| {
    for ct in ["text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded"] {
        let r = raw_body(&s, Method::POST, USERS, ct, "username=x&name=x").await;
        assert_eq!(r.status, 415, "{ct}: {r:?}");
        assert_eq!(r.body, json!({"detail": format!("Unsupported media type \"{ct}\" in request.")}));
    }
    let r = raw_body(&s, Method::PATCH, "/api/v3/core/users/1/", "text/plain", "{\"name\": \"x\"}").await;
    assert_eq!(r.status, 415, "{r:?}");
    assert_eq!(r.body, json!({"detail": "Unsupported media type \"text/plain\" in request."}));
    // No content type at all.
    let r = s
        .raw(s.client().post(url(&s, USERS)).header("Authorization", format!("Bearer {}", s.token)).body("{\"username\": \"x\", \"name\": \"x\"}"))
        .await;
    assert_eq!(r.status, 415, "{r:?}");
    assert_eq!(r.body, json!({"detail": "Unsupported media type \"\" in request."}));
    assert_eq!(s.count(USERS).await, 1);
    assert_eq!(s.get("/api/v3/core/users/1/").await.body["name"], "authentik Default Admin");
});

both!(multipart_action_without_a_body_is_its_own_400_not_415, |s| {
    crate::sources::create_discord(&s, "ico").await;
    s.create("/api/v3/flows/instances/", crate::flows::flow_body("bg")).await;
    for path in ["/api/v3/sources/all/ico/set_icon/", "/api/v3/flows/instances/bg/set_background/"] {
        // No body and no content type: DRF parses no data, so the action reports that nothing was given.
        let r = s.raw(s.client().post(url(&s, path)).header("Authorization", format!("Bearer {}", s.token))).await;
        assert_eq!((r.status, r.text.as_str()), (400, ""), "{path}");
        // A body of another type is still refused.
        let r = raw_body(&s, Method::POST, path, "text/plain", "clear=true").await;
        assert_eq!(r.status, 415, "{path}: {r:?}");
        assert_eq!(r.body, json!({"detail": "Unsupported media type \"text/plain\" in request."}));
    }
    let r = s.raw(s.client().post(url(&s, "/api/v3/sources/all/missing/set_icon/")).header("Authorization", format!("Bearer {}", s.token))).await;
    assert_eq!(r.status, 404);
});

both!(malformed_json_is_400_json_parse_error, |s| {
    for body in ["{", "{\"username\": }", "nope", "{\"a\": 1,}"] {
        let r = raw_body(&s, Method::POST, USERS, "application/json", body).await;
        assert_eq!(r.status, 400, "{body}: {r:?}");
        let detail = r.body["detail"].as_str().unwrap_or_else(|| panic!("{body}: {r:?}"));
        assert!(detail.starts_with("JSON parse error - "), "{detail}");
        assert_eq!(r.body.as_object().unwrap().len(), 1);
    }
    assert_eq!(s.count(USERS).await, 1);
});

both!(json_body_that_is_not_an_object_gets_drf_non_field_errors, |s| {
    let cases: [(&str, Value); 6] = [
        ("null", json!({"non_field_errors": ["No data provided"]})),
        ("[]", json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})),
        ("\"x\"", json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]})),
        ("1", json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got int."]})),
        ("1.5", json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got float."]})),
        ("true", json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got bool."]})),
    ];
    for (body, want) in cases {
        let r = raw_body(&s, Method::POST, USERS, "application/json", body).await;
        assert_eq!(r.status, 400, "{body}: {r:?}");
        assert_eq!(r.body, want, "POST {body}");
        let r = raw_body(&s, Method::PUT, "/api/v3/core/users/1/", "application/json", body).await;
        assert_eq!(r.status, 400, "{body}: {r:?}");
        assert_eq!(r.body, want, "PUT {body}");
    }
    assert_eq!(s.count(USERS).await, 1);
});

both!(empty_body_with_json_content_type_counts_as_empty_object, |s| {
    let r = raw_body(&s, Method::POST, USERS, "application/json", "").await;
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(r.body, json!({"username": ["This field is required."], "name": ["This field is required."]}));
    let before = s.get("/api/v3/core/users/1/").await.body;
    let r = raw_body(&s, Method::PATCH, "/api/v3/core/users/1/", "application/json", "").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, before);
});

both!(accept_header_without_json_is_406, |s| {
    for accept in ["text/html", "text/html, application/xhtml+xml", "application/xml"] {
        let r = s
            .raw(s.client().get(url(&s, USERS)).header("Authorization", format!("Bearer {}", s.token)).header("Accept", accept))
            .await;
        assert_eq!(r.status, 406, "{accept}: {r:?}");
        assert_eq!(r.body, json!({"detail": "Could not satisfy the request Accept header."}));
    }
    for accept in ["application/json", "*/*", "text/html, application/json;q=0.9", "application/*"] {
        let r = s
            .raw(s.client().get(url(&s, USERS)).header("Authorization", format!("Bearer {}", s.token)).header("Accept", accept))
            .await;
        assert_eq!(r.status, 200, "{accept}: {r:?}");
    }
});

// ---- authentication ----

both!(missing_credentials_are_refused_with_403, |s| {
    let r = s.send(Method::GET, USERS, None, Some("")).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body, json!({"detail": NO_CREDENTIALS}));
    assert!(r.headers.get("www-authenticate").is_none());
});

both!(anonymous_requests_to_object_routes_and_actions_are_403_no_credentials, |s| {
    for (m, p) in [
        (Method::GET, "/api/v3/core/users/1/"),
        (Method::PATCH, "/api/v3/core/users/1/"),
        (Method::DELETE, "/api/v3/core/users/1/"),
        (Method::GET, "/api/v3/core/users/1/used_by/"),
        (Method::GET, "/api/v3/core/users/me/"),
        (Method::POST, "/api/v3/core/users/1/set_password/"),
        (Method::POST, USERS),
    ] {
        let r = s.send(m.clone(), p, Some(&json!({"name": "hacked", "password": "x"})), Some("")).await;
        assert_eq!(r.status, 403, "{m} {p}: {r:?}");
        assert_eq!(r.body, json!({"detail": NO_CREDENTIALS}), "{m} {p}");
    }
    assert_eq!(s.get("/api/v3/core/users/1/").await.body["name"], "authentik Default Admin");
});

both!(authorization_scheme_other_than_bearer_is_unsupported, |s| {
    for h in ["Basic x", "Basic YWthZG1pbjpwYXNz", "Token abc"] {
        let r = with_header(&s, Method::GET, USERS, "Authorization", h).await;
        assert_eq!(r.status, 403, "{h}: {r:?}");
        assert_eq!(r.body, json!({"detail": "Unsupported authentication type"}), "{h}");
    }
});

both!(authorization_header_without_credentials_is_anonymous, |s| {
    for h in ["Bearer", "Bearer   ", "abc", ""] {
        let r = with_header(&s, Method::GET, USERS, "Authorization", h).await;
        assert_eq!(r.status, 403, "{h:?}: {r:?}");
        assert_eq!(r.body, json!({"detail": NO_CREDENTIALS}), "{h:?}");
    }
});

both!(bearer_scheme_is_case_insensitive, |s| {
    let r = with_header(&s, Method::GET, USERS, "Authorization", &format!("bEaReR {}", s.token)).await;
    assert_eq!(r.status, 200, "{r:?}");
});

both!(unknown_token_is_refused, |s| {
    let r = s.send(Method::GET, USERS, None, Some("nope")).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body, json!({"detail": "Token invalid/expired"}));
});

both!(expired_token_is_refused_and_deleted, |s| {
    use domain::query::Cond;
    use domain::store::Store;
    let (pk, _) = s.user_with_db_token("exp").await;
    let past = domain::time::now_micros() - 1_000_000;
    let key = s.insert_token(pk, "exp-expired", Some(past)).await;
    let live = s.insert_token(pk, "exp-future", Some(past + 3_600_000_000)).await;
    let r = s.send(Method::GET, "/api/v3/core/users/me/", None, Some(&key)).await;
    assert_eq!(r.status, 403, "{r:?}");
    assert_eq!(r.body, json!({"detail": "Token invalid/expired"}));
    assert_eq!(s.store().count("tokens", &Cond::eq("identifier", "exp-expired")).await.unwrap(), 0);
    let r = s.send(Method::GET, "/api/v3/core/users/me/", None, Some(&live)).await;
    assert_eq!(r.status, 200, "{r:?}");
});

both!(tokens_with_other_intents_are_refused, |s| {
    let (pk, _) = s.user_with_db_token("intents").await;
    for intent in ["recovery", "verification", "app_password"] {
        let key = crate::harness::insert_token(s.store(), pk, &format!("intents-{intent}"), intent, None).await;
        let r = s.send(Method::GET, "/api/v3/core/users/me/", None, Some(&key)).await;
        assert_eq!(r.status, 403, "{intent}: {r:?}");
        assert_eq!(r.body, json!({"detail": "Token invalid/expired"}), "{intent}");
    }
});

both!(token_of_an_inactive_user_is_refused, |s| {
    let (pk, key) = s.user_with_db_token("sleepy").await;
    assert_eq!(s.send(Method::GET, "/api/v3/core/users/me/", None, Some(&key)).await.status, 200);
    assert_eq!(s.patch(&format!("{USERS}{pk}/"), json!({"is_active": false})).await.status, 200);
    let r = s.send(Method::GET, "/api/v3/core/users/me/", None, Some(&key)).await;
    assert_eq!(r.status, 403, "{r:?}");
    assert_eq!(r.body, json!({"detail": "Token invalid/expired"}));
});

// ---- permissions ----

both!(non_superuser_is_refused_every_users_route_but_me, |s| {
    let (pk, key) = s.user_with_db_token("plain").await;
    let other = s.create(USERS, json!({"username": "other", "name": "Other"})).await["pk"].as_i64().unwrap();
    let routes: Vec<(Method, String)> = vec![
        (Method::GET, USERS.to_string()),
        (Method::GET, format!("{USERS}?uuid=zz")),
        (Method::POST, USERS.to_string()),
        (Method::PUT, USERS.to_string()),
        (Method::GET, format!("{USERS}{pk}/")),
        (Method::GET, format!("{USERS}{other}/")),
        (Method::PUT, format!("{USERS}{pk}/")),
        (Method::PATCH, format!("{USERS}{pk}/")),
        (Method::PATCH, format!("{USERS}{other}/")),
        (Method::DELETE, format!("{USERS}{other}/")),
        (Method::GET, format!("{USERS}{other}/used_by/")),
        (Method::POST, format!("{USERS}{other}/set_password/")),
    ];
    for (m, p) in routes {
        let r = s.send(m.clone(), &p, Some(&json!({"username": "x", "name": "x", "password": "pw"})), Some(&key)).await;
        assert_eq!(r.status, 403, "{m} {p}: {r:?}");
        assert_eq!(r.body, json!({"detail": NO_PERMISSION}), "{m} {p}");
    }
    let r = s.send(Method::GET, "/api/v3/core/users/me/", None, Some(&key)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["user"]["username"], "plain");
    assert_eq!(r.body["user"]["is_superuser"], false);
    assert_eq!(r.body["user"]["system_permissions"], json!([]));
    // Nothing changed.
    assert_eq!(s.count(USERS).await, 3);
    assert_eq!(s.get(&format!("{USERS}{pk}/")).await.body["name"], "plain");
    assert_eq!(s.get(&format!("{USERS}{other}/")).await.body["name"], "Other");
});
