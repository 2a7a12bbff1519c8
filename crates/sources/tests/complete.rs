//! `begin` + `complete` against a local mock provider (token, userinfo, e-mails and JWKS
//! endpoints on 127.0.0.1), through the public API only.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use sources::{begin, complete, http_client, Attempt, Failure, Identity, SourceConfig};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

const RSA1: &str = include_str!("fixtures/rsa1.pem");
const RSA2: &str = include_str!("fixtures/rsa2.pem");
const JWKS: &str = include_str!("fixtures/jwks.json");
const JWKS_ROTATED: &str = include_str!("fixtures/jwks-rotated.json");

const SECRET: &str = "s3cret-client-value";
const CODE: &str = "the-auth-code";
const ACCESS_TOKEN: &str = "AT-very-secret";
const CALLBACK: &str = "http://ak.test/source/oauth/callback/test/";

/// One request the mock received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    form: Vec<(String, String)>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    fn form(&self, key: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    fn query(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The provider: a canned answer per path, and a log of what was asked.
#[derive(Default)]
struct Mock {
    answers: Mutex<HashMap<String, (u16, String)>>,
    seen: Mutex<Vec<Seen>>,
}

impl Mock {
    fn answer(&self, path: &str, status: u16, body: impl Into<String>) {
        self.answers
            .lock()
            .unwrap()
            .insert(path.to_string(), (status, body.into()));
    }
    fn json(&self, path: &str, body: Value) {
        self.answer(path, 200, body.to_string());
    }
    fn seen(&self, path: &str) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }
    fn seen_all(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn handle(State(mock): State<Arc<Mock>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = to_bytes(body, 1 << 20).await.unwrap_or_default();
    let parse = |s: &[u8]| {
        url::form_urlencoded::parse(s)
            .into_owned()
            .collect::<Vec<_>>()
    };
    let path = parts.uri.path().to_string();
    mock.seen.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        path: path.clone(),
        query: parse(parts.uri.query().unwrap_or_default().as_bytes()),
        headers: parts.headers.clone(),
        form: parse(&body),
    });
    match mock.answers.lock().unwrap().get(&path) {
        Some((status, body)) => {
            let content_type = if body.starts_with(['{', '[']) {
                "application/json"
            } else {
                "text/html"
            };
            (
                StatusCode::from_u16(*status).unwrap(),
                [("content-type", content_type)],
                Body::from(body.clone()),
            )
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Starts a mock provider; returns it and its base URL.
async fn provider() -> (Arc<Mock>, String) {
    let mock = Arc::new(Mock::default());
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(mock.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (mock, base)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn oidc_source(base: &str) -> SourceConfig {
    SourceConfig {
        slug: "test".into(),
        name: "Test".into(),
        provider_type: "openidconnect".into(),
        consumer_key: "ck".into(),
        consumer_secret: SECRET.into(),
        authorization_url: Some(format!("{base}/authorize")),
        access_token_url: Some(format!("{base}/token")),
        profile_url: Some(format!("{base}/userinfo")),
        oidc_well_known_url: format!("{base}/.well-known/openid-configuration"),
        oidc_jwks_url: format!("{base}/jwks"),
        oidc_jwks: serde_json::from_str(JWKS).unwrap(),
        ..Default::default()
    }
}

fn id_token(base: &str, nonce: &str, kid: &str, pem: &str, extra: Value) -> String {
    let mut claims = json!({"iss": base, "sub": "u-1", "aud": "ck", "exp": now() + 300, "iat": now(), "nonce": nonce});
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    encode(
        &header,
        &claims,
        &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn callback_params(attempt: &Attempt) -> Vec<(String, String)> {
    vec![
        ("code".into(), CODE.into()),
        ("state".into(), attempt.state.clone()),
    ]
}

/// A provider and an OIDC source whose token endpoint answers with a good ID token.
async fn oidc_login() -> (Arc<Mock>, String, SourceConfig, Attempt) {
    let (mock, base) = provider().await;
    let cfg = oidc_source(&base);
    let attempt = begin(&cfg, CALLBACK).unwrap().attempt;
    let nonce = attempt.nonce.clone().unwrap();
    mock.json(
        "/token",
        json!({"access_token": ACCESS_TOKEN, "token_type": "bearer", "id_token": id_token(&base, &nonce, "rsa-1", RSA1, json!({}))}),
    );
    mock.json("/userinfo", json!({"sub": "u-1", "preferred_username": "alice", "email": "alice@example.com", "name": "Alice"}));
    (mock, base, cfg, attempt)
}

async fn run(
    cfg: &SourceConfig,
    attempt: Option<&Attempt>,
    params: &[(String, String)],
) -> Result<Identity, Failure> {
    complete(&http_client(), cfg, CALLBACK, attempt, params).await
}

/// The reason of a failure; also checks that no secret leaked into its detail.
fn reason(r: Result<Identity, Failure>) -> String {
    let f = r.expect_err("expected a failure");
    for secret in [SECRET, CODE, ACCESS_TOKEN] {
        assert!(
            !f.detail.contains(secret),
            "detail leaks a secret: {}",
            f.detail
        );
    }
    assert!(!f.detail.is_empty());
    f.reason
}

#[tokio::test]
async fn oidc_login_succeeds() {
    let (mock, _base, cfg, attempt) = oidc_login().await;
    let id = run(&cfg, Some(&attempt), &callback_params(&attempt))
        .await
        .unwrap();
    assert_eq!(id.identifier, "u-1");
    assert_eq!(
        Value::Object(id.enroll_info),
        json!({"username": "alice", "email": "alice@example.com", "name": "Alice"})
    );
    assert_eq!(id.profile["preferred_username"], "alice");
    assert_eq!(id.access_token.as_deref(), Some(ACCESS_TOKEN));
    assert_eq!(id.refreshed_jwks, None);

    let token = &mock.seen("/token")[0];
    assert_eq!(token.method, "POST");
    assert_eq!(token.header("accept"), Some("application/json"));
    assert_eq!(
        token.header("authorization"),
        None,
        "openidconnect sends credentials in the body only"
    );
    assert_eq!(token.form("client_id"), Some("ck"));
    assert_eq!(token.form("client_secret"), Some(SECRET));
    assert_eq!(token.form("redirect_uri"), Some(CALLBACK));
    assert_eq!(token.form("code"), Some(CODE));
    assert_eq!(token.form("grant_type"), Some("authorization_code"));
    assert_eq!(
        token.form("code_verifier"),
        attempt.code_verifier.as_deref()
    );
    assert!(token
        .header("user-agent")
        .unwrap()
        .starts_with("portcullis/"));

    let userinfo = &mock.seen("/userinfo")[0];
    assert_eq!(userinfo.method, "GET");
    assert_eq!(
        userinfo.header("authorization"),
        Some(format!("bearer {ACCESS_TOKEN}").as_str())
    );
    assert!(
        userinfo.query.is_empty(),
        "header-only types send no access_token query"
    );
    assert!(mock.seen("/jwks").is_empty(), "the cached JWKS had the key");
}

#[tokio::test]
async fn state_checks_come_first() {
    let (mock, _base, cfg, attempt) = oidc_login().await;
    let state_failed = "State check failed.";
    assert_eq!(
        reason(run(&cfg, None, &callback_params(&attempt)).await),
        state_failed
    );
    assert_eq!(
        reason(run(&cfg, Some(&attempt), &[("code".into(), CODE.into())]).await),
        state_failed
    );
    let wrong = vec![
        ("code".into(), CODE.into()),
        ("state".into(), "x".repeat(32)),
    ];
    assert_eq!(
        reason(run(&cfg, Some(&attempt), &wrong).await),
        state_failed
    );
    let empty = vec![
        ("code".into(), CODE.into()),
        ("state".into(), String::new()),
    ];
    assert_eq!(
        reason(run(&cfg, Some(&attempt), &empty).await),
        state_failed
    );
    // A provider error with a wrong state shows the state failure, not the error.
    let err = vec![
        ("error".into(), "access_denied".into()),
        ("state".into(), "nope".into()),
    ];
    assert_eq!(reason(run(&cfg, Some(&attempt), &err).await), state_failed);
    assert!(
        mock.seen_all().is_empty(),
        "nothing is sent before the state is checked"
    );
}

#[tokio::test]
async fn provider_errors_without_a_code() {
    let (mock, _base, cfg, attempt) = oidc_login().await;
    let state = ("state".to_string(), attempt.state.clone());
    let with = |pairs: &[(&str, &str)]| {
        let mut p: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        p.push(state.clone());
        p
    };
    let a = Some(&attempt);
    assert_eq!(
        reason(run(&cfg, a, &with(&[("error", "access_denied")])).await),
        "access_denied"
    );
    assert_eq!(
        reason(
            run(
                &cfg,
                a,
                &with(&[
                    ("error", "access_denied"),
                    ("error_description", "The user said no")
                ])
            )
            .await
        ),
        "The user said no"
    );
    assert_eq!(
        reason(
            run(
                &cfg,
                a,
                &with(&[("error", "access_denied"), ("error_description", "")])
            )
            .await
        ),
        "access_denied"
    );
    assert_eq!(reason(run(&cfg, a, &with(&[])).await), "No token received.");
    assert_eq!(
        reason(run(&cfg, a, &with(&[("code", "")])).await),
        "No token received."
    );
    assert!(mock.seen_all().is_empty());
}

#[tokio::test]
async fn token_endpoint_failures() {
    let (mock, _base, cfg, attempt) = oidc_login().await;
    let params = callback_params(&attempt);
    let a = Some(&attempt);
    // GitHub style: HTTP 200 with an error.
    mock.json("/token", json!({"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}));
    assert_eq!(reason(run(&cfg, a, &params).await), "bad_verification_code");
    // Not JSON, not an object, an HTTP error (even with an OAuth error body).
    mock.answer("/token", 200, "<html>login</html>");
    assert_eq!(
        reason(run(&cfg, a, &params).await),
        "Could not retrieve token."
    );
    mock.json("/token", json!(["access_token"]));
    assert_eq!(
        reason(run(&cfg, a, &params).await),
        "Could not retrieve token."
    );
    mock.answer("/token", 500, "oops");
    assert_eq!(
        reason(run(&cfg, a, &params).await),
        "Could not retrieve token."
    );
    mock.answer("/token", 400, json!({"error": "invalid_grant"}).to_string());
    let f = run(&cfg, a, &params).await.unwrap_err();
    assert_eq!(f.reason, "Could not retrieve token.");
    assert!(f.detail.contains("invalid_grant"), "{}", f.detail);
    assert!(mock.seen("/userinfo").is_empty());
}

#[tokio::test]
async fn unreachable_token_endpoint() {
    // Bind and drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cfg = oidc_source(&format!("http://127.0.0.1:{port}"));
    cfg.oidc_jwks_url = String::new();
    let attempt = begin(&cfg, CALLBACK).unwrap().attempt;
    assert_eq!(
        reason(run(&cfg, Some(&attempt), &callback_params(&attempt)).await),
        "Could not retrieve token."
    );
}

#[tokio::test]
async fn missing_token_type_means_bearer_and_empty_access_token_is_none() {
    let (mock, base, mut cfg, attempt) = oidc_login().await;
    let nonce = attempt.nonce.clone().unwrap();
    mock.json("/token", json!({"access_token": ACCESS_TOKEN, "id_token": id_token(&base, &nonce, "rsa-1", RSA1, json!({}))}));
    let id = run(&cfg, Some(&attempt), &callback_params(&attempt))
        .await
        .unwrap();
    assert_eq!(
        mock.seen("/userinfo")[0].header("authorization"),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );
    assert_eq!(id.access_token.as_deref(), Some(ACCESS_TOKEN));

    // Plain OAuth 2 (no `openid`): no ID token needed; an empty access token is reported as None.
    cfg.additional_scopes = "*profile".into();
    let attempt = begin(&cfg, CALLBACK).unwrap().attempt;
    assert_eq!(attempt.nonce, None);
    mock.json(
        "/token",
        json!({"access_token": "", "token_type": "Bearer"}),
    );
    let id = run(&cfg, Some(&attempt), &callback_params(&attempt))
        .await
        .unwrap();
    assert_eq!(id.access_token, None);
    assert_eq!(id.identifier, "u-1");
}

#[tokio::test]
async fn profile_failures() {
    let (mock, _base, cfg, attempt) = oidc_login().await;
    let params = callback_params(&attempt);
    let a = Some(&attempt);
    mock.answer("/userinfo", 500, "{}");
    assert_eq!(
        reason(run(&cfg, a, &params).await),
        "Could not retrieve profile."
    );
    mock.answer("/userinfo", 200, "not json");
    assert_eq!(
        reason(run(&cfg, a, &params).await),
        "Could not retrieve profile."
    );
    mock.json("/userinfo", json!(["sub"]));
    assert_eq!(
        reason(run(&cfg, a, &params).await),
        "Could not retrieve profile."
    );
    // No identifier (and no sub to compare with the ID token's).
    mock.json("/userinfo", json!({"email": "a@x"}));
    assert_eq!(
        reason(run(&cfg, a, &params).await),
        "Could not determine id."
    );
    // A userinfo sub that is not the ID token's.
    mock.json("/userinfo", json!({"sub": "someone-else"}));
    assert_eq!(
        reason(run(&cfg, a, &params).await),
        "Could not verify ID token."
    );
}

#[tokio::test]
async fn id_token_failures() {
    let (mock, base, mut cfg, attempt) = oidc_login().await;
    let params = callback_params(&attempt);
    let a = Some(&attempt);
    let nonce = attempt.nonce.clone().unwrap();
    let token_with = |id_token: String| json!({"access_token": ACCESS_TOKEN, "token_type": "Bearer", "id_token": id_token});
    let failed = "Could not verify ID token.";

    mock.json(
        "/token",
        json!({"access_token": ACCESS_TOKEN, "token_type": "Bearer"}),
    );
    assert_eq!(reason(run(&cfg, a, &params).await), failed);
    mock.json(
        "/token",
        token_with(id_token(&base, "other-nonce", "rsa-1", RSA1, json!({}))),
    );
    let f = run(&cfg, a, &params).await.unwrap_err();
    assert_eq!(
        (f.reason.as_str(), f.detail.as_str()),
        (failed, "ID token nonce mismatch")
    );
    mock.json(
        "/token",
        token_with(id_token(
            &base,
            &nonce,
            "rsa-1",
            RSA1,
            json!({"aud": "other"}),
        )),
    );
    assert_eq!(reason(run(&cfg, a, &params).await), failed);
    mock.json(
        "/token",
        token_with(id_token(
            &base,
            &nonce,
            "rsa-1",
            RSA1,
            json!({"exp": now() - 3600}),
        )),
    );
    assert_eq!(reason(run(&cfg, a, &params).await), failed);
    mock.json(
        "/token",
        token_with(id_token(
            "http://evil.test",
            &nonce,
            "rsa-1",
            RSA1,
            json!({}),
        )),
    );
    assert!(run(&cfg, a, &params)
        .await
        .unwrap_err()
        .detail
        .contains("issuer"));
    // Signed by another key under a cached kid: no refetch, refused.
    mock.json(
        "/token",
        token_with(id_token(&base, &nonce, "rsa-1", RSA2, json!({}))),
    );
    let f = run(&cfg, a, &params).await.unwrap_err();
    assert_eq!(
        (f.reason.as_str(), f.detail.as_str()),
        (failed, "ID token signature invalid")
    );
    assert!(mock.seen("/jwks").is_empty());
    assert!(
        mock.seen("/userinfo").is_empty(),
        "the profile is not fetched after an ID token failure"
    );

    // Without a discovery URL the issuer is not checked.
    cfg.oidc_well_known_url = String::new();
    mock.json(
        "/token",
        token_with(id_token(
            "http://other.test",
            &nonce,
            "rsa-1",
            RSA1,
            json!({}),
        )),
    );
    assert!(run(&cfg, a, &params).await.is_ok());
}

#[tokio::test]
async fn unknown_kid_refetches_the_jwks() {
    let (mock, base, mut cfg, attempt) = oidc_login().await;
    let params = callback_params(&attempt);
    let nonce = attempt.nonce.clone().unwrap();
    let rotated: Value = serde_json::from_str(JWKS_ROTATED).unwrap();
    mock.json(
        "/token",
        json!({"access_token": ACCESS_TOKEN, "token_type": "Bearer", "id_token": id_token(&base, &nonce, "rsa-2", RSA2, json!({}))}),
    );
    mock.json("/jwks", rotated.clone());
    let id = run(&cfg, Some(&attempt), &params).await.unwrap();
    assert_eq!(id.refreshed_jwks, Some(rotated.clone()));
    assert_eq!(mock.seen("/jwks").len(), 1);

    // An empty cache is filled the same way.
    cfg.oidc_jwks = json!({});
    assert_eq!(
        run(&cfg, Some(&attempt), &params)
            .await
            .unwrap()
            .refreshed_jwks,
        Some(rotated)
    );

    // The fresh set does not have the key either; or it cannot be fetched; or there is no URL.
    let failed = "Could not verify ID token.";
    mock.json("/jwks", serde_json::from_str::<Value>(JWKS).unwrap());
    let f = run(&cfg, Some(&attempt), &params).await.unwrap_err();
    assert_eq!(f.reason, failed);
    assert!(f.detail.contains("after refreshing"), "{}", f.detail);
    mock.answer("/jwks", 503, "down");
    assert_eq!(reason(run(&cfg, Some(&attempt), &params).await), failed);
    mock.json("/jwks", json!({"not": "a jwks"}));
    assert_eq!(reason(run(&cfg, Some(&attempt), &params).await), failed);
    cfg.oidc_jwks_url = String::new();
    let before = mock.seen("/jwks").len();
    assert_eq!(reason(run(&cfg, Some(&attempt), &params).await), failed);
    assert_eq!(mock.seen("/jwks").len(), before);
}

fn github_source(base: &str) -> SourceConfig {
    SourceConfig {
        slug: "gh".into(),
        name: "GitHub".into(),
        provider_type: "github".into(),
        consumer_key: "ck".into(),
        consumer_secret: SECRET.into(),
        authorization_url: Some(format!("{base}/login/oauth/authorize")),
        access_token_url: Some(format!("{base}/login/oauth/access_token")),
        profile_url: Some(format!("{base}/user")),
        oidc_jwks: json!({}),
        ..Default::default()
    }
}

#[tokio::test]
async fn github_primary_email_fallback() {
    let (mock, base) = provider().await;
    let cfg = github_source(&base);
    let attempt = begin(&cfg, CALLBACK).unwrap().attempt;
    assert_eq!(attempt.nonce, None);
    let params = callback_params(&attempt);
    mock.json("/login/oauth/access_token", json!({"access_token": ACCESS_TOKEN, "token_type": "bearer", "scope": "read:user,user:email"}));
    mock.json(
        "/user",
        json!({"id": 583231, "login": "octocat", "email": null, "name": "The Octocat"}),
    );
    mock.json(
        "/user/emails",
        json!([
            {"email": "old@example.com", "primary": false, "verified": true},
            {"email": "octo@example.com", "primary": true, "verified": true}
        ]),
    );
    let id = run(&cfg, Some(&attempt), &params).await.unwrap();
    assert_eq!(id.identifier, "583231");
    assert_eq!(
        serde_json::to_string(&id.enroll_info).unwrap(),
        r#"{"username":"octocat","email":"octo@example.com","name":"The Octocat"}"#
    );
    assert_eq!(
        id.profile["email"],
        Value::Null,
        "the raw profile stays as the provider sent it"
    );
    // The generic client: header and query parameter, on both requests.
    for path in ["/user", "/user/emails"] {
        let seen = &mock.seen(path)[0];
        assert_eq!(
            seen.header("authorization"),
            Some(format!("bearer {ACCESS_TOKEN}").as_str()),
            "{path}"
        );
        assert_eq!(seen.query("access_token"), Some(ACCESS_TOKEN), "{path}");
    }

    // A public profile e-mail wins; no second request.
    mock.json(
        "/user",
        json!({"id": 583231, "login": "octocat", "email": "public@example.com"}),
    );
    let id = run(&cfg, Some(&attempt), &params).await.unwrap();
    assert_eq!(id.enroll_info["email"], "public@example.com");
    assert_eq!(mock.seen("/user/emails").len(), 1);

    // The e-mail list failing only means no e-mail.
    mock.json(
        "/user",
        json!({"id": 583231, "login": "octocat", "email": ""}),
    );
    mock.answer("/user/emails", 403, "{}");
    let id = run(&cfg, Some(&attempt), &params).await.unwrap();
    assert_eq!(id.enroll_info["email"], "");
    mock.json("/user", json!({"id": 583231, "login": "octocat"}));
    let id = run(&cfg, Some(&attempt), &params).await.unwrap();
    assert_eq!(
        Value::Object(id.enroll_info),
        json!({"username": "octocat"})
    );
}

#[tokio::test]
async fn mailcow_sends_the_token_in_the_query_only() {
    let (mock, base) = provider().await;
    let cfg = SourceConfig {
        provider_type: "mailcow".into(),
        consumer_key: "ck".into(),
        consumer_secret: SECRET.into(),
        authorization_url: Some(format!("{base}/oauth/authorize")),
        access_token_url: Some(format!("{base}/oauth/token")),
        profile_url: Some(format!("{base}/oauth/profile")),
        oidc_jwks: json!({}),
        ..Default::default()
    };
    let attempt = begin(&cfg, CALLBACK).unwrap().attempt;
    mock.json(
        "/oauth/token",
        json!({"access_token": ACCESS_TOKEN, "token_type": "Bearer"}),
    );
    mock.json(
        "/oauth/profile",
        json!({"id": "m@x", "full_name": "M", "email": "m@x"}),
    );
    let id = run(&cfg, Some(&attempt), &callback_params(&attempt))
        .await
        .unwrap();
    assert_eq!(id.identifier, "m@x");
    let seen = &mock.seen("/oauth/profile")[0];
    assert_eq!(seen.header("authorization"), None);
    assert_eq!(seen.query("access_token"), Some(ACCESS_TOKEN));
}

#[tokio::test]
async fn redirects_are_followed_only_a_few_times() {
    let (mock, base, cfg, attempt) = oidc_login().await;
    // A redirect loop on the profile URL ends as a profile failure.
    let looping =
        axum::Router::new().fallback(|| async { axum::response::Redirect::temporary("/again") });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let loop_base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, looping).await });
    let mut cfg = cfg;
    cfg.profile_url = Some(format!("{loop_base}/userinfo"));
    let f = run(&cfg, Some(&attempt), &callback_params(&attempt))
        .await
        .unwrap_err();
    assert_eq!(f.reason, "Could not retrieve profile.");
    assert!(f.detail.contains("redirect"), "{}", f.detail);
    let _ = (mock, base);
}
