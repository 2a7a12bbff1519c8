//! Filters, search and ordering on `/core/users/` (api-behaviour.md 1.6-1.8, 3.9.1).

use crate::harness::TestServer;
use crate::pagination::usernames;
use serde_json::{json, Value};

const USERS: &str = "/api/v3/core/users/";

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// akadmin plus three users that differ in every filterable way. Returns alice's body.
/// Created out of alphabetical order, so that the default order (username) differs from pk order.
async fn people(s: &TestServer) -> Value {
    s.create(USERS, json!({"username": "carol", "name": "carol", "path": "customers", "type": "service_account"})).await;
    let alice = s
        .create(
            USERS,
            json!({"username": "alice", "name": "Alice Smith", "email": "alice@example.com", "path": "staff/eng",
                   "attributes": {"team": "blue", "level": 3, "nested": {"x": "y"}}}),
        )
        .await;
    s.create(
        USERS,
        json!({"username": "bob", "name": "Bob", "email": "bob@example.org", "path": "staff", "type": "external",
               "is_active": false, "attributes": {"team": "red"}}),
    )
    .await;
    alice
}

async fn names(s: &TestServer, query: &str) -> Vec<String> {
    let r = s.get(&format!("{USERS}?{query}")).await;
    assert_eq!(r.status, 200, "?{query}: {r:?}");
    usernames(&r.body)
}

async fn bad(s: &TestServer, query: &str) -> Value {
    let r = s.get(&format!("{USERS}?{query}")).await;
    assert_eq!(r.status, 400, "?{query}: {r:?}");
    r.body
}

const ALL: [&str; 4] = ["akadmin", "alice", "bob", "carol"];

both!(text_filters_are_exact_and_case_sensitive, |s| {
    people(&s).await;
    assert_eq!(names(&s, "username=alice").await, ["alice"]);
    assert!(names(&s, "username=Alice").await.is_empty());
    assert!(names(&s, "username=ali").await.is_empty());
    assert_eq!(names(&s, &format!("name={}", enc("Alice Smith"))).await, ["alice"]);
    assert!(names(&s, "name=alice%20smith").await.is_empty());
    assert_eq!(names(&s, "email=bob%40example.org").await, ["bob"]);
    assert_eq!(names(&s, "path=staff").await, ["bob"]);
});

both!(empty_filter_values_and_unknown_parameters_are_ignored, |s| {
    people(&s).await;
    assert_eq!(names(&s, "username=&uuid=&type=&attributes=&groups_by_name=&is_active=").await, ALL);
    assert_eq!(names(&s, "bogus=1&also_unknown=&username__icontains=x").await, ALL);
});

both!(several_filters_combine_with_and, |s| {
    people(&s).await;
    assert_eq!(names(&s, "path_startswith=staff&type=external").await, ["bob"]);
    assert!(names(&s, "path=staff&type=internal").await.is_empty());
    assert_eq!(names(&s, "is_active=true&path_startswith=staff").await, ["alice"]);
});

both!(is_active_filter_accepts_only_true_false_their_capitalised_forms_and_2_3, |s| {
    people(&s).await;
    for v in ["true", "True", "2"] {
        assert_eq!(names(&s, &format!("is_active={v}")).await, ["akadmin", "alice", "carol"], "is_active={v}");
    }
    for v in ["false", "False", "3"] {
        assert_eq!(names(&s, &format!("is_active={v}")).await, ["bob"], "is_active={v}");
    }
    // Anything else means "no filter", never an error.
    for v in ["1", "0", "TRUE", "FALSE", "yes", "on", "x"] {
        assert_eq!(names(&s, &format!("is_active={v}")).await, ALL, "is_active={v}");
    }
});

both!(is_superuser_filter_uses_the_computed_status, |s| {
    people(&s).await;
    assert_eq!(names(&s, "is_superuser=true").await, ["akadmin"]);
    assert_eq!(names(&s, "is_superuser=False").await, ["alice", "bob", "carol"]);
    assert_eq!(names(&s, "is_superuser=1").await, ALL);
});

both!(uuid_filter_matches_one_user_and_rejects_malformed_uuids, |s| {
    let alice = people(&s).await;
    let uuid = alice["uuid"].as_str().unwrap();
    assert_eq!(names(&s, &format!("uuid={uuid}")).await, ["alice"]);
    assert_eq!(names(&s, &format!("uuid={}", uuid.to_uppercase())).await, ["alice"]);
    assert!(names(&s, &format!("uuid={}", uuid::Uuid::new_v4())).await.is_empty());
    assert_eq!(bad(&s, "uuid=zz").await, json!({"uuid": ["Enter a valid UUID."]}));
});

both!(type_filter_is_many_valued_or_and_rejects_unknown_choices, |s| {
    people(&s).await;
    assert_eq!(names(&s, "type=external&type=service_account").await, ["bob", "carol"]);
    assert_eq!(names(&s, "type=external&type=external").await, ["bob"]);
    assert_eq!(names(&s, "type=internal").await, ["akadmin", "alice"]);
    assert_eq!(
        bad(&s, "type=external&type=bogus").await,
        json!({"type": ["Select a valid choice. bogus is not one of the available choices."]})
    );
});

both!(several_invalid_filters_answer_one_body_with_a_key_each, |s| {
    assert_eq!(
        bad(&s, "uuid=zz&type=bogus&username=x").await,
        json!({"uuid": ["Enter a valid UUID."], "type": ["Select a valid choice. bogus is not one of the available choices."]})
    );
});

both!(attributes_filter_matches_json_paths_and_answers_bare_arrays_on_bad_json, |s| {
    people(&s).await;
    let q = |v: Value| format!("attributes={}", enc(&v.to_string()));
    assert_eq!(names(&s, &q(json!({"team": "blue"}))).await, ["alice"]);
    assert_eq!(names(&s, &q(json!({"level": 3}))).await, ["alice"]);
    assert_eq!(names(&s, &q(json!({"nested__x": "y"}))).await, ["alice"]);
    assert!(names(&s, &q(json!({"team": "blue", "level": 4}))).await.is_empty());
    assert!(names(&s, &q(json!({"team": "green"}))).await.is_empty());
    assert_eq!(names(&s, &q(json!({}))).await, ALL);
    assert_eq!(bad(&s, &format!("attributes={}", enc("{not json"))).await, json!(["filter: failed to parse JSON"]));
    assert_eq!(bad(&s, &q(json!([1, 2]))).await, json!(["filter: value must be key:value mapping"]));
    assert_eq!(bad(&s, &q(json!("team"))).await, json!(["filter: value must be key:value mapping"]));
    assert_eq!(bad(&s, "attributes=5").await, json!(["filter: value must be key:value mapping"]));
});

both!(path_startswith_is_a_case_sensitive_prefix, |s| {
    people(&s).await;
    assert_eq!(names(&s, "path_startswith=staff").await, ["alice", "bob"]);
    assert_eq!(names(&s, "path_startswith=staff%2F").await, ["alice"]);
    assert!(names(&s, "path_startswith=Staff").await.is_empty());
    assert!(names(&s, "path_startswith=st%25").await.is_empty());
    assert!(names(&s, "path_startswith=st_ff").await.is_empty());
});

both!(groups_by_name_and_pk_filter_members_and_reject_unknown_groups, |s| {
    people(&s).await;
    assert_eq!(names(&s, "groups_by_name=authentik%20Admins").await, ["akadmin"]);
    assert_eq!(
        bad(&s, "groups_by_name=nope").await,
        json!({"groups_by_name": ["Select a valid choice. nope is not one of the available choices."]})
    );
    let admin = s.get(&format!("{USERS}?username=akadmin")).await;
    let group = admin.body["results"][0]["groups"][0].as_str().unwrap().to_string();
    assert_eq!(names(&s, &format!("groups_by_pk={group}")).await, ["akadmin"]);
    assert_eq!(bad(&s, "groups_by_pk=zz").await, json!({"groups_by_pk": ["\u{201c}zz\u{201d} is not a valid UUID."]}));
});

both!(search_needs_every_term_in_some_field_case_insensitively, |s| {
    let alice = people(&s).await;
    assert_eq!(names(&s, "search=ALICE").await, ["alice"]);
    assert_eq!(names(&s, "search=example").await, ["alice", "bob"]);
    assert_eq!(names(&s, "search=example%20bob").await, ["bob"]);
    // alice matches "alice" but no field of hers contains "example.org".
    assert!(names(&s, "search=alice%20example.org").await.is_empty());
    // Commas split terms too.
    assert_eq!(names(&s, "search=smith,ALICE").await, ["alice"]);
    assert_eq!(names(&s, "search=smith%2C%20example.com").await, ["alice"]);
    assert_eq!(names(&s, "search=").await, ALL);
    // uuid and the boolean `is_active` are searched too.
    let uuid = alice["uuid"].as_str().unwrap();
    assert_eq!(names(&s, &format!("search={}", &uuid[..13])).await, ["alice"]);
    assert_eq!(names(&s, "search=false").await, ["bob"]);
    // LIKE wildcards are literal.
    assert!(names(&s, "search=a%25e").await.is_empty());
    assert!(names(&s, "search=b_b").await.is_empty());
});

both!(ordering_accepts_descending_and_several_names, |s| {
    people(&s).await;
    assert_eq!(names(&s, "ordering=-username").await, ["carol", "bob", "alice", "akadmin"]);
    assert_eq!(names(&s, "ordering=path,username").await, ["carol", "bob", "alice", "akadmin"]);
    assert_eq!(names(&s, "ordering=-is_active,-username").await, ["carol", "alice", "akadmin", "bob"]);
    assert_eq!(names(&s, "ordering=type,-username").await, ["bob", "alice", "akadmin", "carol"]);
    assert_eq!(names(&s, "ordering=pk").await, ["akadmin", "carol", "alice", "bob"]);
    assert_eq!(names(&s, "ordering=-pk").await, ["bob", "alice", "carol", "akadmin"]);
});

both!(ordering_drops_unknown_computed_and_to_many_names, |s| {
    people(&s).await;
    assert_eq!(names(&s, "ordering=bogus,-username").await, ["carol", "bob", "alice", "akadmin"]);
    // Nothing left: the default order, username.
    for o in ["bogus", "is_superuser", "-is_superuser", "groups", "ak_groups", "avatar", "uid", "groups_obj", ""] {
        let r = s.get(&format!("{USERS}?ordering={o}&type=internal&type=service_account")).await;
        assert_eq!(r.status, 200, "ordering={o}: {r:?}");
        assert_eq!(usernames(&r.body), ["akadmin", "alice", "carol"], "ordering={o}");
    }
    assert_eq!(names(&s, "ordering=is_superuser,-username").await, ["carol", "bob", "alice", "akadmin"]);
});

both!(ordering_puts_nulls_last_ascending_and_first_descending_like_postgresql, |s| {
    people(&s).await;
    let pk = |name: &'static str| {
        let s = s.clone();
        async move { s.get(&format!("{USERS}?username={name}")).await.body["results"][0]["pk"].as_i64().unwrap() }
    };
    let (alice, bob) = (pk("alice").await, pk("bob").await);
    assert_eq!(s.patch(&format!("{USERS}{alice}/"), json!({"last_login": "2024-01-01T00:00:00Z"})).await.status, 200);
    assert_eq!(s.patch(&format!("{USERS}{bob}/"), json!({"last_login": "2025-01-01T00:00:00Z"})).await.status, 200);
    // akadmin and carol have none; ties are broken by pk (akadmin first).
    assert_eq!(names(&s, "ordering=last_login").await, ["alice", "bob", "akadmin", "carol"]);
    assert_eq!(names(&s, "ordering=-last_login").await, ["akadmin", "carol", "bob", "alice"]);
});
