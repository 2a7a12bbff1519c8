use serde_json::json;

both!(bootstrap_admin_is_a_superuser_reachable_with_its_token, |s| {
    let r = s.get("/api/v3/core/users/me/").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["user"]["username"], "akadmin");
    assert_eq!(r.body["user"]["is_superuser"], true);
});

both!(user_create_retrieve_patch_delete, |s| {
    let u = s.create("/api/v3/core/users/", json!({"username": "alice", "name": "Alice", "email": "alice@example.com"})).await;
    let pk = u["pk"].as_i64().unwrap();
    assert_eq!(u["is_active"], true);
    assert_eq!(u["path"], "users");
    assert_eq!(u["type"], "internal");
    let r = s.get(&format!("/api/v3/core/users/{pk}/")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["email"], "alice@example.com");
    let r = s.patch(&format!("/api/v3/core/users/{pk}/"), json!({"name": "Alice A."})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["name"], "Alice A.");
    assert_eq!(r.body["email"], "alice@example.com");
    assert_eq!(s.delete(&format!("/api/v3/core/users/{pk}/")).await.status, 204);
    let r = s.get(&format!("/api/v3/core/users/{pk}/")).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body, json!({"detail": "Not found."}));
});

both!(duplicate_username_is_refused_with_drf_message, |s| {
    s.create("/api/v3/core/users/", json!({"username": "dup", "name": ""})).await;
    let r = s.post("/api/v3/core/users/", json!({"username": "dup", "name": ""})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"username": ["This field must be unique."]}));
});

// Found by contract fuzzing: PostgreSQL text cannot hold NUL, and DRF rejects it on every
// string field (`ProhibitNullCharactersValidator`), so the answer is a 400, never a 500.
both!(null_characters_in_text_fields_are_rejected_with_drf_message, |s| {
    let r = s.post("/api/v3/core/users/", json!({"username": "a\u{0}b", "name": "x\u{0}"})).await;
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(
        r.body,
        json!({"username": ["Null characters are not allowed."], "name": ["Null characters are not allowed."]})
    );
    let r = s.get("/api/v3/core/users/?username=akadmin").await;
    assert_eq!(r.body["pagination"]["count"], 1, "{r:?}");
});

both!(null_characters_in_text_filters_are_rejected_with_django_message, |s| {
    for p in ["username", "name", "email", "path", "path_startswith", "groups_by_name"] {
        let r = s.get(&format!("/api/v3/core/users/?{p}=a%00b")).await;
        assert_eq!(r.status, 400, "{p}: {r:?}");
        assert_eq!(r.body, json!({p: ["Null characters are not allowed."]}), "{p}");
    }
    // search drops NUL characters (DRF's SearchFilter)
    let r = s.get("/api/v3/core/users/?search=akad%00min").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["pagination"]["count"], 1, "{r:?}");
});
