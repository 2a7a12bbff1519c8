//! authentik's page-number pagination (api-behaviour.md 1.5).

use crate::harness::TestServer;
use serde_json::{json, Value};

const USERS: &str = "/api/v3/core/users/";

/// Five users on their own path, so that `?path=pag` lists exactly them.
async fn five_users(s: &TestServer) {
    for i in 1..=5 {
        s.create(USERS, json!({"username": format!("p{i}"), "name": "", "path": "pag"})).await;
    }
}

pub fn usernames(body: &Value) -> Vec<String> {
    body["results"].as_array().expect("results").iter().map(|u| u["username"].as_str().unwrap().to_string()).collect()
}

/// `n` users written straight to the database (the API would take too long on PostgreSQL).
async fn many_users(s: &TestServer, n: usize) {
    use domain::query::Write;
    use domain::store::Store;
    let mut tx = s.store().begin().await.unwrap();
    for i in 0..n {
        tx.write(&Write::Insert {
            table: "users".into(),
            values: vec![
                ("uuid".into(), uuid::Uuid::new_v4().to_string().into()),
                ("username".into(), format!("bulk{i:04}").into()),
                ("name".into(), "".into()),
                ("date_joined".into(), 0i64.into()),
            ],
        })
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

both!(pages_of_two_over_five_objects_have_authentiks_pagination_object, |s| {
    five_users(&s).await;
    let page = |n: &'static str| {
        let s = s.clone();
        async move { s.get(&format!("{USERS}?path=pag&page_size=2&page={n}")).await }
    };
    let r = page("1").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body["pagination"],
        json!({"next": 2, "previous": 0, "count": 5, "current": 1, "total_pages": 3, "start_index": 1, "end_index": 2})
    );
    assert_eq!(usernames(&r.body), ["p1", "p2"]);
    let r = page("2").await;
    assert_eq!(
        r.body["pagination"],
        json!({"next": 3, "previous": 1, "count": 5, "current": 2, "total_pages": 3, "start_index": 3, "end_index": 4})
    );
    assert_eq!(usernames(&r.body), ["p3", "p4"]);
    let r = page("3").await;
    assert_eq!(
        r.body["pagination"],
        json!({"next": 0, "previous": 2, "count": 5, "current": 3, "total_pages": 3, "start_index": 5, "end_index": 5})
    );
    assert_eq!(usernames(&r.body), ["p5"]);
    // The body has exactly the two keys.
    assert_eq!(r.body.as_object().unwrap().keys().collect::<Vec<_>>(), ["pagination", "results"]);
});

both!(page_last_is_the_last_page, |s| {
    five_users(&s).await;
    let r = s.get(&format!("{USERS}?path=pag&page_size=2&page=last")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["pagination"]["current"], 3);
    assert_eq!(usernames(&r.body), ["p5"]);
});

both!(empty_list_still_has_one_empty_page, |s| {
    let r = s.get(&format!("{USERS}?path=nobody")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body,
        json!({"pagination": {"next": 0, "previous": 0, "count": 0, "current": 1, "total_pages": 1, "start_index": 0, "end_index": 0}, "results": []})
    );
    let r = s.get(&format!("{USERS}?path=nobody&page=last")).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = s.get(&format!("{USERS}?path=nobody&page=2")).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body, json!({"detail": "Invalid page."}));
});

both!(page_that_is_not_a_page_number_in_range_is_404_invalid_page, |s| {
    five_users(&s).await;
    for bad in ["4", "0", "-1", "abc", "1.0", "99999999999999999999999", "last2"] {
        let r = s.get(&format!("{USERS}?path=pag&page_size=2&page={bad}")).await;
        assert_eq!(r.status, 404, "page={bad}: {r:?}");
        assert_eq!(r.body, json!({"detail": "Invalid page."}), "page={bad}");
    }
});

both!(empty_page_parameter_means_page_one, |s| {
    five_users(&s).await;
    // DRF: `query_params.get("page") or 1`; Python's int() ignores surrounding spaces.
    let r = s.get(&format!("{USERS}?path=pag&page_size=2&page=")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["pagination"]["current"], 1);
    let r = s.get(&format!("{USERS}?path=pag&page_size=2&page=%202%20")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["pagination"]["current"], 2);
});

both!(default_page_size_is_100_and_invalid_page_sizes_silently_mean_100, |s| {
    many_users(&s, 120).await; // 121 users with akadmin
    for q in ["", "&page_size=0", "&page_size=-1", "&page_size=abc", "&page_size=1.5", "&page_size="] {
        let r = s.get(&format!("{USERS}?include_groups=false{q}")).await;
        assert_eq!(r.status, 200, "{q}: {r:?}");
        assert_eq!(r.body["results"].as_array().unwrap().len(), 100, "{q}");
        assert_eq!(r.body["pagination"]["total_pages"], 2, "{q}");
        assert_eq!(r.body["pagination"]["count"], 121, "{q}");
    }
});

both!(any_positive_page_size_is_honoured_however_large, |s| {
    many_users(&s, 120).await;
    for size in ["1000000", "9223372036854775807", "99999999999999999999999"] {
        let r = s.get(&format!("{USERS}?include_groups=false&page_size={size}")).await;
        assert_eq!(r.status, 200, "page_size={size}: {r:?}");
        assert_eq!(r.body["results"].as_array().unwrap().len(), 121, "page_size={size}");
        assert_eq!(
            r.body["pagination"],
            json!({"next": 0, "previous": 0, "count": 121, "current": 1, "total_pages": 1, "start_index": 1, "end_index": 121}),
            "page_size={size}"
        );
    }
    let r = s.get(&format!("{USERS}?include_groups=false&page_size=7&page=2")).await;
    assert_eq!(r.body["pagination"]["total_pages"], 18);
    assert_eq!(r.body["results"].as_array().unwrap().len(), 7);
    assert_eq!(r.body["pagination"]["start_index"], 8);
});
