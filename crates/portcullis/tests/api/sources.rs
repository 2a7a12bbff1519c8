//! OAuth sources, `/sources/all/`, OIDC discovery against a local server.

use crate::harness::{insert_row, TestServer};
use domain::value::SqlValue;
use serde_json::{json, Value};

const SECRET: &str = "consumer-secret-9f8e7d";

/// A non-superuser's API token, written straight into the `tokens` table.
pub async fn token_for(s: &TestServer, user_pk: i64) -> String {
    let key = format!("key-{}", domain::crypto::random_hex(16));
    let sealer = domain::crypto::Sealer::new("test-secret-key");
    insert_row(
        s,
        "tokens",
        vec![
            ("uuid", SqlValue::Text(uuid::Uuid::new_v4().to_string())),
            ("identifier", SqlValue::Text(format!("tok-{user_pk}-{}", domain::crypto::random_hex(4)))),
            ("key_digest", SqlValue::Text(sealer.lookup_digest(&key))),
            ("key_sealed", SqlValue::Text(sealer.seal(&key))),
            ("intent", SqlValue::Text("api".into())),
            ("user_id", SqlValue::Int(user_pk)),
            ("expiring", SqlValue::Bool(false)),
        ],
    )
    .await;
    key
}

/// A non-superuser and their token.
pub async fn plain_user(s: &TestServer, username: &str) -> (i64, String) {
    let u = s.create("/api/v3/core/users/", json!({"username": username, "name": username})).await;
    let pk = u["pk"].as_i64().unwrap();
    (pk, token_for(s, pk).await)
}

/// One text column of one row, as stored.
pub async fn raw_text(s: &TestServer, table: &str, col: &str, key_col: &str, key: SqlValue) -> Option<String> {
    use domain::store::Store;
    let store = s.store.as_ref().unwrap();
    let rows = store
        .select(
            &domain::query::Select::new(table)
                .col(col, domain::value::ColType::Text)
                .filter(domain::query::Cond::Eq(key_col.into(), key)),
        )
        .await
        .unwrap();
    rows.first().and_then(|r| r.text(col).map(str::to_string))
}

pub async fn count_rows(s: &TestServer, table: &str) -> i64 {
    use domain::store::Store;
    s.store.as_ref().unwrap().count(table, &domain::query::Cond::True).await.unwrap()
}

/// A source of a type with built-in URLs and no discovery.
pub fn discord(slug: &str) -> Value {
    json!({"name": format!("Source {slug}"), "slug": slug, "provider_type": "discord", "consumer_key": "key", "consumer_secret": SECRET})
}

pub async fn create_discord(s: &TestServer, slug: &str) -> Value {
    s.create("/api/v3/sources/oauth/", discord(slug)).await
}

fn oidc(slug: &str) -> Value {
    json!({"name": slug, "slug": slug, "provider_type": "openidconnect", "consumer_key": "k", "consumer_secret": SECRET,
           "authorization_url": "https://idp.example/auth", "access_token_url": "https://idp.example/token", "profile_url": "https://idp.example/me"})
}

async fn listed(s: &TestServer, path: &str, query: &str) -> Vec<String> {
    let r = s.get(&format!("{path}?{query}")).await;
    assert_eq!(r.status, 200, "{query}: {r:?}");
    slugs(&r)
}

fn slugs(r: &crate::harness::Resp) -> Vec<String> {
    r.body["results"].as_array().unwrap().iter().map(|o| o["slug"].as_str().unwrap().to_string()).collect()
}

/// A local OpenID provider: discovery documents and key sets on 127.0.0.1.
async fn local_idp() -> String {
    use axum::routing::get;
    use axum::Json;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let b = base.clone();
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || {
                let b = b.clone();
                async move {
                    Json(json!({
                        "issuer": b,
                        "authorization_endpoint": format!("{b}/authorize"),
                        "token_endpoint": format!("{b}/token"),
                        "userinfo_endpoint": format!("{b}/userinfo"),
                        "jwks_uri": format!("{b}/jwks"),
                    }))
                }
            }),
        )
        .route("/jwks", get(|| async { Json(json!({"keys": [{"kty": "RSA", "kid": "k1", "n": "abc", "e": "AQAB"}]})) }))
        .route("/other-jwks", get(|| async { Json(json!({"keys": [{"kid": "other"}]})) }))
        .route("/no-issuer", get(|| async { Json(json!({"authorization_endpoint": "x"})) }))
        .route("/not-json", get(|| async { "hello" }));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

const OAUTH_SOURCE_KEYS: [&str; 28] = [
    "pk", "name", "slug", "enabled", "authentication_flow", "enrollment_flow", "component", "verbose_name", "verbose_name_plural",
    "meta_model_name", "policy_engine_mode", "user_matching_mode", "managed", "user_path_template", "icon", "provider_type",
    "request_token_url", "authorization_url", "access_token_url", "profile_url", "consumer_key", "callback_url", "additional_scopes",
    "type", "oidc_well_known_url", "oidc_jwks_url", "oidc_jwks", "pk",
];

both!(oauth_source_create_applies_defaults_and_derived_fields, |s| {
    let o = create_discord(&s, "disc").await;
    let keys: Vec<&str> = o.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, OAUTH_SOURCE_KEYS[..27].to_vec(), "fields in contract order, no consumer_secret");
    assert_eq!(o["enabled"], true);
    assert_eq!(o["component"], "ak-source-oauth-form");
    assert_eq!(o["verbose_name"], "OAuth Source");
    assert_eq!(o["verbose_name_plural"], "OAuth Sources");
    assert_eq!(o["meta_model_name"], "authentik_sources_oauth.oauthsource");
    assert_eq!(o["policy_engine_mode"], "any");
    assert_eq!(o["user_matching_mode"], "identifier");
    assert_eq!(o["managed"], Value::Null);
    assert_eq!(o["user_path_template"], "goauthentik.io/sources/%(slug)s");
    assert_eq!(o["icon"], Value::Null);
    assert_eq!(o["request_token_url"], Value::Null);
    assert_eq!(o["authorization_url"], Value::Null);
    assert_eq!(o["additional_scopes"], "");
    assert_eq!(o["oidc_well_known_url"], "");
    assert_eq!(o["oidc_jwks_url"], "");
    assert_eq!(o["oidc_jwks"], json!({}));
    assert_eq!(o["callback_url"], format!("{}/source/oauth/callback/disc/", s.base));
    assert_eq!(
        o["type"],
        json!({"name": "discord", "verbose_name": "Discord", "urls_customizable": false, "request_token_url": null,
               "authorization_url": "https://discord.com/api/oauth2/authorize", "access_token_url": "https://discord.com/api/oauth2/token",
               "profile_url": "https://discord.com/api/users/@me", "oidc_well_known_url": null, "oidc_jwks_url": null})
    );
    let r = s.get("/api/v3/sources/oauth/disc/").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, o);
    let r = s.get("/api/v3/sources/oauth/").await;
    assert_eq!(r.body["results"][0], o);
    let r = s.patch("/api/v3/sources/oauth/disc/", json!({"enabled": false, "additional_scopes": "email"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["enabled"], false);
    assert_eq!(r.body["additional_scopes"], "email");
    assert_eq!(s.delete("/api/v3/sources/oauth/disc/").await.status, 204);
    assert_eq!(s.get("/api/v3/sources/oauth/disc/").await.status, 404);
    assert_eq!(s.delete("/api/v3/sources/oauth/disc/").await.status, 404);
});

both!(consumer_secret_is_write_only_and_sealed_at_rest, |s| {
    let o = create_discord(&s, "sealed").await;
    assert!(o.get("consumer_secret").is_none());
    let pk = SqlValue::Text(o["pk"].as_str().unwrap().into());
    let raw = raw_text(&s, "sources", "consumer_secret", "uuid", pk.clone()).await.unwrap();
    assert!(!raw.contains(SECRET), "stored in clear: {raw}");
    assert_eq!(domain::crypto::Sealer::new("test-secret-key").open(&raw).as_deref(), Some(SECRET));
    // PATCH without the secret keeps it; PUT needs it.
    let r = s.patch("/api/v3/sources/oauth/sealed/", json!({"name": "Renamed"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body.get("consumer_secret").is_none());
    assert_eq!(raw_text(&s, "sources", "consumer_secret", "uuid", pk.clone()).await.unwrap(), raw);
    let mut put = discord("sealed");
    put.as_object_mut().unwrap().remove("consumer_secret");
    let r = s.put("/api/v3/sources/oauth/sealed/", put).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"consumer_secret": ["This field is required."]}));
    let r = s.patch("/api/v3/sources/oauth/sealed/", json!({"consumer_secret": ""})).await;
    assert_eq!(r.body, json!({"consumer_secret": ["This field may not be blank."]}));
    let r = s.patch("/api/v3/sources/oauth/sealed/", json!({"consumer_secret": "rotated-secret"})).await;
    assert_eq!(r.status, 200);
    let raw2 = raw_text(&s, "sources", "consumer_secret", "uuid", pk).await.unwrap();
    assert!(!raw2.contains("rotated-secret"));
    assert_eq!(domain::crypto::Sealer::new("test-secret-key").open(&raw2).as_deref(), Some("rotated-secret"));
});

both!(oauth_source_bad_input_is_refused_and_nothing_written, |s| {
    create_discord(&s, "taken").await;
    let r = s.post("/api/v3/sources/oauth/", json!({})).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"name": ["This field is required."], "slug": ["This field is required."], "provider_type": ["This field is required."],
               "consumer_key": ["This field is required."], "consumer_secret": ["This field is required."]})
    );
    let cases: Vec<(Value, Value)> = vec![
        (json!({"slug": "taken"}), json!({"slug": ["source with this slug already exists."]})),
        (json!({"slug": "not a slug"}), json!({"slug": ["Enter a valid \"slug\" consisting of letters, numbers, underscores or hyphens."]})),
        (json!({"slug": "a".repeat(51)}), json!({"slug": ["Ensure this field has no more than 50 characters."]})),
        (json!({"provider_type": "myspace"}), json!({"provider_type": ["\"myspace\" is not a valid choice."]})),
        (json!({"enabled": "maybe"}), json!({"enabled": ["Must be a valid boolean."]})),
        (json!({"policy_engine_mode": "most"}), json!({"policy_engine_mode": ["\"most\" is not a valid choice."]})),
        (json!({"user_matching_mode": "guess"}), json!({"user_matching_mode": ["\"guess\" is not a valid choice."]})),
        (json!({"authentication_flow": "zz"}), json!({"authentication_flow": ["“zz” is not a valid UUID."]})),
        (
            json!({"enrollment_flow": "00000000-0000-0000-0000-000000000001"}),
            json!({"enrollment_flow": ["Invalid pk \"00000000-0000-0000-0000-000000000001\" - object does not exist."]}),
        ),
        (json!({"authorization_url": "x".repeat(256)}), json!({"authorization_url": ["Ensure this field has no more than 255 characters."]})),
        (json!({"profile_url": 5.5, "consumer_key": ""}), json!({"consumer_key": ["This field may not be blank."]})),
        (json!({"request_token_url": []}), json!({"request_token_url": ["Not a valid string."]})),
        (json!({"user_path_template": ""}), json!({"user_path_template": ["This field may not be blank."]})),
        (json!({"oidc_jwks": null}), json!({"oidc_jwks": ["This field may not be null."]})),
        (json!({"name": null}), json!({"name": ["This field may not be null."]})),
    ];
    for (patch, expected) in cases {
        let mut body = discord("fresh");
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = s.post("/api/v3/sources/oauth/", body).await;
        assert_eq!(r.status, 400, "{patch}: {r:?}");
        assert_eq!(r.body, expected, "{patch}");
    }
    assert_eq!(count_rows(&s, "sources").await, 1);
    let r = s.patch("/api/v3/sources/oauth/taken/", json!({"slug": "bad slug", "name": "changed"})).await;
    assert_eq!(r.status, 400);
    assert_eq!(s.get("/api/v3/sources/oauth/taken/").await.body["name"], "Source taken");
});

both!(openidconnect_without_urls_or_discovery_is_refused, |s| {
    let mut body = oidc("o1");
    for k in ["authorization_url", "access_token_url", "profile_url"] {
        body.as_object_mut().unwrap().remove(k);
    }
    let r = s.post("/api/v3/sources/oauth/", body.clone()).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"non_field_errors": ["authorization_url is required for provider OpenID Connect"]}));
    body["authorization_url"] = json!("https://idp.example/auth");
    let r = s.post("/api/v3/sources/oauth/", body.clone()).await;
    assert_eq!(r.body, json!({"non_field_errors": ["access_token_url is required for provider OpenID Connect"]}));
    body["provider_type"] = json!("okta");
    body["access_token_url"] = json!("");
    let r = s.post("/api/v3/sources/oauth/", body.clone()).await;
    assert_eq!(r.body, json!({"non_field_errors": ["profile_url is required for provider Okta"]}));
    // null and "" count as present.
    body["profile_url"] = Value::Null;
    let r = s.post("/api/v3/sources/oauth/", body).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["access_token_url"], "");
    assert_eq!(r.body["profile_url"], Value::Null);
    assert_eq!(count_rows(&s, "sources").await, 1);
});

both!(patch_without_provider_type_uses_the_stored_type, |s| {
    s.create("/api/v3/sources/oauth/", oidc("o2")).await;
    let r = s.patch("/api/v3/sources/oauth/o2/", json!({"name": "Renamed"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["name"], "Renamed");
    assert_eq!(r.body["provider_type"], "openidconnect");
    assert_eq!(r.body["type"]["verbose_name"], "OpenID Connect");
    // PUT (like create) needs the URLs in the request.
    let mut put = oidc("o2");
    put.as_object_mut().unwrap().remove("profile_url");
    let r = s.put("/api/v3/sources/oauth/o2/", put).await;
    assert_eq!(r.body, json!({"non_field_errors": ["profile_url is required for provider OpenID Connect"]}));
});

both!(oidc_discovery_against_a_local_server_fills_urls_and_jwks, |s| {
    let idp = local_idp().await;
    let body = json!({"name": "Local", "slug": "local", "provider_type": "openidconnect", "consumer_key": "k", "consumer_secret": SECRET,
                      "authorization_url": "https://admin.example/auth",
                      "oidc_well_known_url": format!("{idp}/.well-known/openid-configuration")});
    let o = s.create("/api/v3/sources/oauth/", body).await;
    assert_eq!(o["authorization_url"], "https://admin.example/auth", "an admin-set URL is kept");
    assert_eq!(o["access_token_url"], format!("{idp}/token"));
    assert_eq!(o["profile_url"], format!("{idp}/userinfo"));
    assert_eq!(o["oidc_jwks_url"], format!("{idp}/jwks"));
    assert_eq!(o["oidc_jwks"], json!({"keys": [{"kty": "RSA", "kid": "k1", "n": "abc", "e": "AQAB"}]}));
    // An explicit JWKS URL wins over the discovered one, and replaces the stored keys.
    let r = s.patch("/api/v3/sources/oauth/local/", json!({"oidc_jwks_url": format!("{idp}/other-jwks"), "oidc_jwks": {"mine": 1}})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["oidc_jwks"], json!({"keys": [{"kid": "other"}]}));
    let r = s.get("/api/v3/sources/oauth/?has_jwks=true").await;
    assert_eq!(slugs(&r), vec!["local"]);
});

both!(unreachable_or_invalid_well_known_url_is_a_field_error, |s| {
    let idp = local_idp().await;
    let mut body = oidc("bad");
    body["oidc_well_known_url"] = json!("http://127.0.0.1:1/.well-known/openid-configuration");
    let r = s.post("/api/v3/sources/oauth/", body.clone()).await;
    assert_eq!(r.status, 400, "{r:?}");
    let errs = r.body["oidc_well_known_url"].as_array().expect("field error");
    assert_eq!(r.body.as_object().unwrap().len(), 1);
    assert_eq!(errs.len(), 1);
    assert!(!errs[0].as_str().unwrap().is_empty());
    body["oidc_well_known_url"] = json!(format!("{idp}/no-issuer"));
    let r = s.post("/api/v3/sources/oauth/", body.clone()).await;
    assert_eq!(r.body, json!({"oidc_well_known_url": ["Invalid well-known configuration"]}));
    body["oidc_well_known_url"] = json!(format!("{idp}/not-json"));
    let r = s.post("/api/v3/sources/oauth/", body.clone()).await;
    assert_eq!(r.body, json!({"oidc_well_known_url": ["Invalid well-known configuration"]}));
    body["oidc_well_known_url"] = json!(format!("{idp}/missing"));
    let r = s.post("/api/v3/sources/oauth/", body.clone()).await;
    assert_eq!(r.body, json!({"oidc_well_known_url": [format!("404 Client Error: Not Found for url: {idp}/missing")]}));
    body["oidc_well_known_url"] = json!("");
    body["oidc_jwks_url"] = json!("http://127.0.0.1:1/jwks");
    let r = s.post("/api/v3/sources/oauth/", body.clone()).await;
    assert_eq!(r.status, 400);
    assert!(r.body["oidc_jwks_url"][0].as_str().is_some_and(|m| !m.is_empty()), "{r:?}");
    assert_eq!(count_rows(&s, "sources").await, 0);
});

both!(builtin_default_discovery_is_skipped_when_switched_off, |s| {
    // PORTCULLIS_OIDC_DEFAULT_DISCOVERY=false in tests: github saves without any network.
    let o = s
        .create(
            "/api/v3/sources/oauth/",
            json!({"name": "GH", "slug": "gh", "provider_type": "github", "consumer_key": "k", "consumer_secret": SECRET}),
        )
        .await;
    assert_eq!(o["oidc_jwks_url"], "");
    assert_eq!(o["oidc_jwks"], json!({}));
    assert_eq!(o["authorization_url"], Value::Null);
    assert_eq!(o["type"]["oidc_well_known_url"], "https://token.actions.githubusercontent.com/.well-known/openid-configuration");
});

fn t(name: &str, verbose: &str, custom: bool, urls: [Option<&str>; 5]) -> Value {
    json!({"name": name, "verbose_name": verbose, "urls_customizable": custom, "request_token_url": null,
           "authorization_url": urls[0], "access_token_url": urls[1], "profile_url": urls[2],
           "oidc_well_known_url": urls[3], "oidc_jwks_url": urls[4]})
}

fn source_types_table() -> Value {
    let none = [None; 5];
    json!([
        t("apple", "Apple", false, [Some("https://appleid.apple.com/auth/authorize"), Some("https://appleid.apple.com/auth/token"), Some(""), None, None]),
        t("openidconnect", "OpenID Connect", true, none),
        t("azuread", "Azure AD", true, [Some("https://login.microsoftonline.com/common/oauth2/v2.0/authorize"), Some("https://login.microsoftonline.com/common/oauth2/v2.0/token"), Some("https://graph.microsoft.com/v1.0/me"), Some("https://login.microsoftonline.com/common/.well-known/openid-configuration"), Some("https://login.microsoftonline.com/common/discovery/keys")]),
        t("discord", "Discord", false, [Some("https://discord.com/api/oauth2/authorize"), Some("https://discord.com/api/oauth2/token"), Some("https://discord.com/api/users/@me"), None, None]),
        t("facebook", "Facebook", false, [Some("https://www.facebook.com/v7.0/dialog/oauth"), Some("https://graph.facebook.com/v7.0/oauth/access_token"), Some("https://graph.facebook.com/v7.0/me?fields=id,name,email"), None, None]),
        t("github", "GitHub", true, [Some("https://github.com/login/oauth/authorize"), Some("https://github.com/login/oauth/access_token"), Some("https://api.github.com/user"), Some("https://token.actions.githubusercontent.com/.well-known/openid-configuration"), Some("https://token.actions.githubusercontent.com/.well-known/jwks")]),
        t("gitlab", "GitLab", true, [Some("https://gitlab.com/oauth/authorize"), Some("https://gitlab.com/oauth/token"), Some("https://gitlab.com/oauth/userinfo"), Some("https://gitlab.com/.well-known/openid-configuration"), Some("https://gitlab.com/oauth/discovery/keys")]),
        t("google", "Google", false, [Some("https://accounts.google.com/o/oauth2/auth"), Some("https://oauth2.googleapis.com/token"), Some("https://www.googleapis.com/oauth2/v1/userinfo"), Some("https://accounts.google.com/.well-known/openid-configuration"), Some("https://www.googleapis.com/oauth2/v3/certs")]),
        t("mailcow", "Mailcow", true, none),
        t("okta", "Okta", true, none),
        t("patreon", "Patreon", false, [Some("https://www.patreon.com/oauth2/authorize"), Some("https://www.patreon.com/api/oauth2/token"), Some("https://www.patreon.com/api/oauth2/api/current_user"), None, None]),
        t("reddit", "Reddit", false, [Some("https://www.reddit.com/api/v1/authorize"), Some("https://www.reddit.com/api/v1/access_token"), Some("https://oauth.reddit.com/api/v1/me"), None, None]),
        t("twitch", "Twitch", false, [Some("https://id.twitch.tv/oauth2/authorize"), Some("https://id.twitch.tv/oauth2/token"), Some("https://id.twitch.tv/oauth2/userinfo"), None, None]),
        t("twitter", "Twitter", false, [Some("https://twitter.com/i/oauth2/authorize"), Some("https://api.twitter.com/2/oauth2/token"), Some("https://api.twitter.com/2/users/me"), None, None]),
    ])
}

both!(source_types_is_the_exact_provider_table, |s| {
    let (_, tok) = plain_user(&s, "viewer").await;
    let r = s.send(reqwest::Method::GET, "/api/v3/sources/oauth/source_types/", None, Some(&tok)).await;
    assert_eq!(r.status, 200, "any authenticated user");
    assert_eq!(r.body, source_types_table());
    let r = s.get("/api/v3/sources/oauth/source_types/?name=gitlab").await;
    assert_eq!(r.body, json!([source_types_table()[6].clone()]));
    let r = s.get("/api/v3/sources/oauth/source_types/?name=myspace").await;
    assert_eq!(r.body, json!([]));
    let r = s.send(reqwest::Method::GET, "/api/v3/sources/oauth/source_types/", None, Some("")).await;
    assert_eq!(r.status, 403);
});

both!(unknown_stored_provider_type_reports_the_default_type, |s| {
    let o = create_discord(&s, "odd").await;
    use domain::store::Store;
    let store = s.store.as_ref().unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.write(&domain::query::Write::Update {
        table: "sources".into(),
        set: vec![("provider_type".into(), SqlValue::Text("myspace".into()))],
        filter: domain::query::Cond::eq("uuid", o["pk"].as_str().unwrap()),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let r = s.get("/api/v3/sources/oauth/odd/").await;
    assert_eq!(
        r.body["type"],
        json!({"name": "default", "verbose_name": "Default source type", "urls_customizable": false, "request_token_url": null,
               "authorization_url": null, "access_token_url": null, "profile_url": null, "oidc_well_known_url": null, "oidc_jwks_url": null})
    );
});

both!(sources_all_types_lists_the_fourteen_oauth_variants, |s| {
    let (_, tok) = plain_user(&s, "viewer").await;
    let r = s.send(reqwest::Method::GET, "/api/v3/sources/all/types/", None, Some(&tok)).await;
    assert_eq!(r.status, 200);
    let e = |name: &str, model: &str, d: &str| json!({"name": name, "description": d, "component": "ak-source-oauth-form", "model_name": model, "requires_enterprise": false});
    assert_eq!(
        r.body,
        json!([
            e("Apple OAuth Source", "appleoauthsource", "Social Login using Apple."),
            e("Azure AD OAuth Source", "azureadoauthsource", "Social Login using Azure AD."),
            e("Discord OAuth Source", "discordoauthsource", "Social Login using Discord."),
            e("Facebook OAuth Source", "facebookoauthsource", "Social Login using Facebook.com."),
            e("GitHub OAuth Source", "githuboauthsource", "Social Login using GitHub.com or a GitHub-Enterprise Instance."),
            e("GitLab OAuth Source", "gitlaboauthsource", "Social Login using GitLab.com or a GitLab Instance."),
            e("Google OAuth Source", "googleoauthsource", "Social Login using Google or Google Workspace (GSuite)."),
            e("Mailcow OAuth Source", "mailcowoauthsource", "Social Login using Mailcow."),
            e("Okta OAuth Source", "oktaoauthsource", "Social Login using Okta."),
            e("OpenID OAuth Source", "openidconnectoauthsource", "Login using a Generic OpenID-Connect compliant provider."),
            e("Patreon OAuth Source", "patreonoauthsource", "Social Login using Patreon."),
            e("Reddit OAuth Source", "redditoauthsource", "Social Login using reddit.com."),
            e("Twitch OAuth Source", "twitchoauthsource", "Social Login using Twitch."),
            e("Twitter OAuth Source", "twitteroauthsource", "Social Login using Twitter.com"),
        ])
    );
});

both!(oauth_source_filters_search_and_ordering, |s| {
    let flow = s.create("/api/v3/flows/instances/", crate::flows::flow_body("auth-flow")).await;
    let fpk = flow["pk"].as_str().unwrap().to_string();
    create_discord(&s, "c-disc").await;
    let mut b = discord("a-twitch");
    b["provider_type"] = json!("twitch");
    b["name"] = json!("Zeta");
    b["enabled"] = json!(false);
    b["authentication_flow"] = json!(fpk);
    b["enrollment_flow"] = json!(fpk);
    b["policy_engine_mode"] = json!("all");
    b["user_matching_mode"] = json!("email_link");
    b["request_token_url"] = json!("https://r.example/");
    b["authorization_url"] = json!("https://a.example/");
    b["access_token_url"] = json!("https://t.example/");
    b["profile_url"] = json!("https://p.example/");
    b["consumer_key"] = json!("special-key");
    b["additional_scopes"] = json!("email profile");
    b["oidc_jwks"] = json!({"keys": []});
    s.create("/api/v3/sources/oauth/", b).await;
    for q in [
        "name=Zeta", "slug=a-twitch", "enabled=false", "enabled=False", "policy_engine_mode=all", "user_matching_mode=email_link",
        "provider_type=twitch", "request_token_url=https://r.example/", "authorization_url=https://a.example/",
        "access_token_url=https://t.example/", "profile_url=https://p.example/", "consumer_key=special-key",
        "additional_scopes=email%20profile", "has_jwks=true", "search=zet", "search=TWITCH",
    ] {
        assert_eq!(listed(&s, "/api/v3/sources/oauth/", q).await, vec!["a-twitch"], "{q}");
    }
    assert_eq!(listed(&s, "/api/v3/sources/oauth/", &format!("authentication_flow={fpk}")).await, vec!["a-twitch"]);
    assert_eq!(listed(&s, "/api/v3/sources/oauth/", &format!("enrollment_flow={fpk}")).await, vec!["a-twitch"]);
    assert_eq!(listed(&s, "/api/v3/sources/oauth/", "has_jwks=false").await, vec!["c-disc"]);
    // Hand-written boolean filters ignore `1`/`0`; `name` is exact.
    assert_eq!(listed(&s, "/api/v3/sources/oauth/", "enabled=0").await.len(), 2);
    assert_eq!(listed(&s, "/api/v3/sources/oauth/", "name=zeta").await.len(), 0);
    // Default order name: "Source c-disc" < "Zeta".
    assert_eq!(listed(&s, "/api/v3/sources/oauth/", "").await, vec!["c-disc", "a-twitch"]);
    assert_eq!(listed(&s, "/api/v3/sources/oauth/", "ordering=slug").await, vec!["a-twitch", "c-disc"]);
    assert_eq!(listed(&s, "/api/v3/sources/oauth/", "ordering=-name").await, vec!["a-twitch", "c-disc"]);
    for name in [
        "pk", "name", "slug", "enabled", "authentication_flow", "enrollment_flow", "policy_engine_mode", "user_matching_mode", "managed",
        "user_path_template", "provider_type", "request_token_url", "authorization_url", "access_token_url", "profile_url", "consumer_key",
        "additional_scopes", "oidc_well_known_url", "oidc_jwks_url", "oidc_jwks", "callback_url", "type",
    ] {
        assert_eq!(listed(&s, "/api/v3/sources/oauth/", &format!("ordering=-{name}")).await.len(), 2, "{name}");
    }
    assert_eq!(listed(&s, "/api/v3/sources/oauth/", "ordering=-consumer_key").await, vec!["a-twitch", "c-disc"]);
    let r = s.get("/api/v3/sources/oauth/?authentication_flow=zz&policy_engine_mode=most").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"authentication_flow": ["“zz” is not a valid UUID."], "policy_engine_mode": ["Select a valid choice. most is not one of the available choices."]})
    );
    let r = s.get("/api/v3/sources/oauth/?enrollment_flow=00000000-0000-0000-0000-000000000001").await;
    assert_eq!(r.body, json!({"enrollment_flow": ["Select a valid choice. That choice is not one of the available choices."]}));
});

both!(sources_all_lists_every_kind_with_filters_search_and_ordering, |s| {
    create_discord(&s, "bbb").await;
    create_discord(&s, "aaa").await;
    use domain::store::Store;
    let store = s.store.as_ref().unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.write(&domain::query::Write::Update {
        table: "sources".into(),
        set: vec![("managed".into(), SqlValue::Text("goauthentik.io/sources/x".into()))],
        filter: domain::query::Cond::eq("slug", "bbb"),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let r = s.get("/api/v3/sources/all/").await;
    assert_eq!(r.status, 200);
    assert_eq!(slugs(&r), vec!["aaa", "bbb"]);
    let first = &r.body["results"][0];
    let keys: Vec<&str> = first.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, OAUTH_SOURCE_KEYS[..15].to_vec());
    assert_eq!(first["component"], "ak-source-oauth-form");
    assert_eq!(first["verbose_name"], "OAuth Source");
    assert_eq!(first["meta_model_name"], "authentik_sources_oauth.oauthsource");
    assert_eq!(listed(&s, "/api/v3/sources/all/", "slug=bbb").await, vec!["bbb"]);
    assert_eq!(listed(&s, "/api/v3/sources/all/", "name=Source%20aaa").await, vec!["aaa"]);
    assert_eq!(listed(&s, "/api/v3/sources/all/", "managed=goauthentik.io/sources/x").await, vec!["bbb"]);
    assert_eq!(listed(&s, "/api/v3/sources/all/", "search=bB").await, vec!["bbb"]);
    assert_eq!(listed(&s, "/api/v3/sources/all/", "search=source%20aaa").await, vec!["aaa"]);
    assert_eq!(listed(&s, "/api/v3/sources/all/", "ordering=-slug").await, vec!["bbb", "aaa"]);
    for name in ["pk", "name", "slug", "enabled", "authentication_flow", "enrollment_flow", "policy_engine_mode", "user_matching_mode", "managed", "user_path_template"] {
        assert_eq!(listed(&s, "/api/v3/sources/all/", &format!("ordering={name}")).await.len(), 2, "{name}");
    }
    assert_eq!(listed(&s, "/api/v3/sources/all/", "ordering=-managed").await, vec!["aaa", "bbb"], "descending puts nulls first");
    let r = s.get("/api/v3/sources/all/bbb/").await;
    assert_eq!(r.body["managed"], "goauthentik.io/sources/x");
    let r = s.post("/api/v3/sources/all/", discord("x")).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.body, json!({"detail": "Method \"POST\" not allowed."}));
    let r = s.patch("/api/v3/sources/all/aaa/", json!({"name": "x"})).await;
    assert_eq!(r.status, 405);
    assert_eq!(s.delete("/api/v3/sources/all/aaa/").await.status, 204);
    assert_eq!(s.get("/api/v3/sources/oauth/aaa/").await.status, 404);
    let (_, tok) = plain_user(&s, "nobody").await;
    let r = s.send(reqwest::Method::GET, "/api/v3/sources/all/", None, Some(&tok)).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body, json!({"detail": "You do not have permission to perform this action."}));
});

both!(deleting_a_source_removes_connections_source_stages_and_identification_links, |s| {
    let src = create_discord(&s, "del").await;
    let spk = src["pk"].as_str().unwrap().to_string();
    let u = s.create("/api/v3/core/users/", json!({"username": "linked", "name": ""})).await;
    let upk = u["pk"].as_i64().unwrap();
    let conn = s.create("/api/v3/sources/user_connections/oauth/", json!({"user": upk, "source": spk, "identifier": "remote-1"})).await;
    let ident = uuid::Uuid::new_v4().to_string();
    let stage = uuid::Uuid::new_v4().to_string();
    insert_row(&s, "stages", vec![("uuid", SqlValue::Text(ident.clone())), ("kind", SqlValue::Text("identification".into())), ("name", SqlValue::Text("ident".into()))]).await;
    insert_row(&s, "stages", vec![("uuid", SqlValue::Text(stage.clone())), ("kind", SqlValue::Text("source".into())), ("name", SqlValue::Text("src-stage".into())), ("source", SqlValue::Text(spk.clone()))]).await;
    insert_row(&s, "stage_sources", vec![("stage_uuid", SqlValue::Text(ident.clone())), ("source_uuid", SqlValue::Text(spk.clone()))]).await;
    let expected = json!([
        {"app": "authentik_stages_identification", "model_name": "identificationstage", "pk": ident, "name": "Stage ident", "action": "cascade_many"},
        {"app": "authentik_stages_source", "model_name": "sourcestage", "pk": stage, "name": "Stage src-stage", "action": "cascade"},
        {"app": "authentik_core", "model_name": "user", "pk": upk.to_string(), "name": "linked", "action": "cascade_many"},
        {"app": "authentik_core", "model_name": "usersourceconnection", "pk": conn["pk"].as_i64().unwrap().to_string(),
         "name": format!("User-source connection (user={upk}, source={spk})"), "action": "cascade"},
    ]);
    let r = s.get("/api/v3/sources/all/del/used_by/").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, expected);
    assert_eq!(s.get("/api/v3/sources/oauth/del/used_by/").await.body, expected);
    assert_eq!(s.delete("/api/v3/sources/all/del/").await.status, 204);
    assert_eq!(count_rows(&s, "source_connections").await, 0);
    assert_eq!(count_rows(&s, "stage_sources").await, 0);
    assert_eq!(raw_text(&s, "stages", "name", "uuid", SqlValue::Text(stage)).await, None, "source stage deleted");
    assert_eq!(raw_text(&s, "stages", "name", "uuid", SqlValue::Text(ident)).await.as_deref(), Some("ident"));
    assert_eq!(s.get(&format!("/api/v3/core/users/{upk}/")).await.status, 200);
});

both!(user_settings_lists_enabled_oauth_sources_by_name, |s| {
    let mut b = discord("zz-first");
    b["name"] = json!("Alpha");
    s.create("/api/v3/sources/oauth/", b).await;
    let mut b = discord("off");
    b["enabled"] = json!(false);
    s.create("/api/v3/sources/oauth/", b).await;
    let mut b = discord("gh");
    b["name"] = json!("Beta");
    b["provider_type"] = json!("reddit");
    s.create("/api/v3/sources/oauth/", b).await;
    let r = s.post("/api/v3/sources/all/gh/set_icon_url/", json!({"url": "https://cdn.example/gh.png"})).await;
    assert_eq!(r.status, 200);
    let (_, tok) = plain_user(&s, "someone").await;
    let r = s.send(reqwest::Method::GET, "/api/v3/sources/all/user_settings/", None, Some(&tok)).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        json!([
            {"object_uid": "zz-first", "component": "ak-user-settings-source-oauth", "title": "Alpha", "configure_url": "/source/oauth/login/zz-first/", "icon_url": "/static/authentik/sources/discord.svg"},
            {"object_uid": "gh", "component": "ak-user-settings-source-oauth", "title": "Beta", "configure_url": "/source/oauth/login/gh/", "icon_url": "https://cdn.example/gh.png"},
        ])
    );
});

fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----portcullis-test-boundary";
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

async fn upload(s: &TestServer, path: &str, parts: &[(&str, Option<&str>, &[u8])]) -> crate::harness::Resp {
    let (ct, body) = multipart(parts);
    s.raw(
        s.client()
            .post(format!("{}{}", s.base, path))
            .header("Authorization", format!("Bearer {}", s.token))
            .header("Content-Type", ct)
            .body(body),
    )
    .await
}

both!(source_icons_follow_their_own_url_rule, |s| {
    create_discord(&s, "ico").await;
    let icon = |s: std::sync::Arc<TestServer>| async move { s.get("/api/v3/sources/all/ico/").await.body["icon"].clone() };
    for (url, shown) in [
        ("https://cdn.example/i.svg", "https://cdn.example/i.svg"),
        ("fa://github", "fa://github"),
        ("/static/authentik/sources/github.svg", "/static/authentik/sources/github.svg"),
        ("http-not-a-url.png", "/media/public/http-not-a-url.png"),
    ] {
        let r = s.post("/api/v3/sources/all/ico/set_icon_url/", json!({"url": url})).await;
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body, json!({}));
        assert_eq!(icon(s.clone()).await, shown);
    }
    let r = s.post("/api/v3/sources/all/ico/set_icon_url/", json!({})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.text, "");
    let r = upload(&s, "/api/v3/sources/all/ico/set_icon/", &[("file", Some("logo.png"), b"PNG-bytes")]).await;
    assert_eq!(r.status, 200, "{r:?}");
    let shown = icon(s.clone()).await;
    let url = shown.as_str().unwrap();
    assert!(url.starts_with("/media/public/source-icons/") && url.ends_with("logo.png"), "{url}");
    assert_eq!(s.get("/api/v3/sources/oauth/ico/").await.body["icon"], shown);
    let r = s.raw(s.client().get(format!("{}{}", s.base, url))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text.as_bytes(), b"PNG-bytes");
    let r = upload(&s, "/api/v3/sources/all/ico/set_icon/", &[("other", None, b"x")]).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.text, "");
    let r = upload(&s, "/api/v3/sources/all/ico/set_icon/", &[("clear", None, b"true")]).await;
    assert_eq!(r.status, 200);
    assert_eq!(icon(s.clone()).await, Value::Null);
    let r = upload(&s, "/api/v3/sources/all/missing/set_icon/", &[("clear", None, b"true")]).await;
    assert_eq!(r.status, 404);
});
