use serde_json::json;

both!(missing_credentials_are_refused_with_403, |s| {
    let r = s.send(reqwest::Method::GET, "/api/v3/core/users/", None, Some("")).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body, json!({"detail": "Authentication credentials were not provided."}));
});

both!(unknown_token_is_refused, |s| {
    let r = s.send(reqwest::Method::GET, "/api/v3/core/users/", None, Some("nope")).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body, json!({"detail": "Token invalid/expired"}));
});
