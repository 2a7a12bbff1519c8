//! A fake OAuth 2 / OpenID Connect provider inside the test process (axum on 127.0.0.1:0), for
//! the provider shapes node `oidc-provider` cannot play (GitHub, Google v1, Microsoft Graph) and
//! for misbehaviour on demand.
//!
//! **Users.** [`FakeIdp::start`] takes a list of [`FakeUser`]s: one generic record each, mapped
//! into every shape (see [`profile`]). `/authorize` picks the user whose `login` (else `sub`, else
//! e-mail) equals the `login_hint` parameter, the first user without a hint, and answers
//! `error=access_denied` for a hint that names nobody. The code remembers that user; the access
//! token issued for the code decides which user every profile endpoint returns.
//!
//! **Client.** One confidential client with a random `client_id` / `client_secret` (public
//! fields). Any redirect URI is accepted at `/authorize`; `/token` insists on the same one.
//!
//! **Knobs.** Tests change the running fake with [`FakeIdp::set`], e.g.
//! `fake.set(|k| k.id_token = IdTokenFault::WrongNonce)`; [`FakeIdp::reset`] restores good
//! behaviour. [`FakeIdp::count`] and [`FakeIdp::requests`] tell which endpoints were called with
//! what (method, query, form, headers).
//!
//! **Keys.** The static test keys in `fixtures/` (see its README): key a signs and is the only
//! key in `/jwks`; key b signs the "other key" faults.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use url::Url;

const KEY_A_PEM: &str = include_str!("fixtures/fake_idp_key_a.pem");
const KEY_A_JWK: &str = include_str!("fixtures/fake_idp_key_a.jwk.json");
const KEY_B_PEM: &str = include_str!("fixtures/fake_idp_key_b.pem");
/// The `kid` of the published key (key a) and of the unpublished one (key b).
pub const GOOD_KID: &str = "fake-idp-key-a";
pub const OTHER_KID: &str = "fake-idp-key-b";

/// One person at the fake provider, shown in each provider's shape (see [`profile`]).
#[derive(Clone, Debug)]
pub struct FakeUser {
    /// Selected by `login_hint`. GitHub `login`, OIDC `preferred_username`.
    pub login: String,
    /// GitHub's numeric `id`; its decimal string is Google's `id`.
    pub id: u64,
    /// OIDC `sub` (ID token and `/userinfo`) and Microsoft Graph `id`.
    pub sub: String,
    /// The primary e-mail address, if any.
    pub email: Option<String>,
    pub email_verified: bool,
    /// Full name; Google's `given_name` / `family_name` are its first word and the rest.
    pub name: String,
    /// OIDC `nickname`; left out of `/userinfo` when `None`.
    pub nickname: Option<String>,
    /// GitHub: `false` makes `/user` answer `"email": null`, so the address is only in
    /// `/user/emails` (a private e-mail address).
    pub github_email_public: bool,
    /// Microsoft Graph `userPrincipalName`.
    pub azure_upn: String,
    /// Microsoft Graph: `true` makes `/v1.0/me` answer `"mail": null` with the address as the
    /// only entry of `otherMails` (a personal account).
    pub azure_mail_null: bool,
}

impl FakeUser {
    /// `login`, `id`, sub `sub-<login>`, verified e-mail `<login>@example.test`, name
    /// `<Login> Tester`, no nickname, public GitHub e-mail, UPN `<login>@tenant.example.test`.
    pub fn new(login: &str, id: u64) -> FakeUser {
        let mut chars = login.chars();
        let capitalised: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
        FakeUser {
            login: login.to_string(),
            id,
            sub: format!("sub-{login}"),
            email: Some(format!("{login}@example.test")),
            email_verified: true,
            name: format!("{capitalised} Tester"),
            nickname: None,
            github_email_public: true,
            azure_upn: format!("{login}@tenant.example.test"),
            azure_mail_null: false,
        }
    }
}

/// The fake's endpoints, for counters, recorded requests and URLs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Discovery,
    Jwks,
    Authorize,
    Token,
    /// GitHub `/user`.
    GithubUser,
    /// GitHub `/user/emails`.
    GithubEmails,
    /// Google `/oauth2/v1/userinfo`.
    GoogleUserinfo,
    /// Microsoft Graph `/v1.0/me`.
    GraphMe,
    /// OIDC `/userinfo`.
    OidcUserinfo,
}

impl Endpoint {
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Discovery => "/.well-known/openid-configuration",
            Endpoint::Jwks => "/jwks",
            Endpoint::Authorize => "/authorize",
            Endpoint::Token => "/token",
            Endpoint::GithubUser => "/user",
            Endpoint::GithubEmails => "/user/emails",
            Endpoint::GoogleUserinfo => "/oauth2/v1/userinfo",
            Endpoint::GraphMe => "/v1.0/me",
            Endpoint::OidcUserinfo => "/userinfo",
        }
    }
}

/// What goes wrong with the ID token of a successful token response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IdTokenFault {
    #[default]
    None,
    /// Signed with key b but labelled with the published key's `kid`.
    OtherKeySameKid,
    /// Signed with key b and labelled `OTHER_KID`, which `/jwks` does not list.
    OtherKeyUnknownKid,
    /// `"alg": "none"`, no signature.
    Unsigned,
    /// A `nonce` other than the one of the authorization request.
    WrongNonce,
    /// `aud` is another client.
    WrongAudience,
    /// `exp` an hour ago.
    Expired,
    /// `iss` is not the fake's issuer.
    WrongIssuer,
    /// No `id_token` in the response at all.
    Missing,
}

/// How the token endpoint misbehaves (before looking at the request).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TokenFault {
    #[default]
    None,
    /// GitHub's way: HTTP 200 with `{"error": "bad_verification_code", ...}`.
    ErrorIn200,
    /// HTTP 500.
    ServerError,
    /// HTTP 200 with an HTML body.
    NotJson,
}

/// How a profile endpoint misbehaves (after checking the access token).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProfileFault {
    #[default]
    None,
    /// HTTP 500.
    ServerError,
    /// HTTP 200 with an HTML body.
    NotJson,
}

/// Misbehaviour switches; `Default` is a well-behaved provider.
#[derive(Clone, Debug, Default)]
pub struct Knobs {
    pub id_token: IdTokenFault,
    pub token: TokenFault,
    /// For `/user`, `/oauth2/v1/userinfo`, `/v1.0/me` and `/userinfo`.
    pub profile: ProfileFault,
    /// For GitHub's `/user/emails` alone (its failure must only cost the e-mail address).
    pub emails: ProfileFault,
    /// `/authorize` redirects back with `error=<.0>` (and `error_description=<.1>` unless empty)
    /// instead of a code.
    pub authorize_error: Option<(String, String)>,
    /// Waits before answering the token endpoint / the profile endpoints (incl. `/user/emails`).
    pub token_delay: Duration,
    pub profile_delay: Duration,
}

/// One request as the fake received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub endpoint: Endpoint,
    pub method: String,
    pub query: Vec<(String, String)>,
    /// The `application/x-www-form-urlencoded` body, decoded (empty for other bodies).
    pub form: Vec<(String, String)>,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
}

impl Recorded {
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    pub fn form(&self, name: &str) -> Option<&str> {
        self.form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }
}

/// What an authorization code stands for until it is exchanged.
struct CodeGrant {
    user: usize,
    client_id: String,
    redirect_uri: String,
    scope: String,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

struct Shared {
    issuer: String,
    client_id: String,
    client_secret: String,
    users: Vec<FakeUser>,
    good_key: EncodingKey,
    other_key: EncodingKey,
    knobs: Mutex<Knobs>,
    codes: Mutex<HashMap<String, CodeGrant>>,
    /// Access token -> index into `users`.
    tokens: Mutex<HashMap<String, usize>>,
    requests: Mutex<Vec<Recorded>>,
}

/// Locks a mutex; a test that panicked while holding one has failed already, so its data is
/// still good enough for the others.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running fake provider; stops accepting connections when dropped.
pub struct FakeIdp {
    /// `http://127.0.0.1:<port>`: base URL and issuer.
    pub base: String,
    pub client_id: String,
    pub client_secret: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeIdp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeIdp {
    /// Starts the fake on the current tokio runtime. `users` must not be empty.
    pub async fn start(users: Vec<FakeUser>) -> FakeIdp {
        assert!(!users.is_empty(), "the fake provider needs at least one user");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the fake provider");
        let base = format!("http://{}", listener.local_addr().expect("local address"));
        let shared = Arc::new(Shared {
            issuer: base.clone(),
            client_id: format!("fake-client-{}", domain::crypto::random_hex(6)),
            client_secret: domain::crypto::random_hex(24),
            users,
            good_key: EncodingKey::from_rsa_pem(KEY_A_PEM.as_bytes()).expect("fixture key a"),
            other_key: EncodingKey::from_rsa_pem(KEY_B_PEM.as_bytes()).expect("fixture key b"),
            knobs: Mutex::new(Knobs::default()),
            codes: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            requests: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route(Endpoint::Discovery.path(), get(discovery))
            .route(Endpoint::Jwks.path(), get(jwks))
            .route(Endpoint::Authorize.path(), get(authorize))
            .route(Endpoint::Token.path(), post(token))
            .route(Endpoint::GithubUser.path(), get(github_user))
            .route(Endpoint::GithubEmails.path(), get(github_emails))
            .route(Endpoint::GoogleUserinfo.path(), get(google_userinfo))
            .route(Endpoint::GraphMe.path(), get(graph_me))
            .route(Endpoint::OidcUserinfo.path(), get(oidc_userinfo))
            .with_state(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeIdp { base, client_id: shared.client_id.clone(), client_secret: shared.client_secret.clone(), shared, server }
    }

    pub fn issuer(&self) -> &str {
        &self.base
    }

    pub fn url(&self, endpoint: Endpoint) -> String {
        format!("{}{}", self.base, endpoint.path())
    }

    pub fn well_known_url(&self) -> String {
        self.url(Endpoint::Discovery)
    }

    /// Changes the knobs of the running fake.
    pub fn set(&self, change: impl FnOnce(&mut Knobs)) {
        change(&mut lock(&self.shared.knobs));
    }

    /// Back to a well-behaved provider (counters and recorded requests stay).
    pub fn reset(&self) {
        *lock(&self.shared.knobs) = Knobs::default();
    }

    /// How many requests `endpoint` received.
    pub fn count(&self, endpoint: Endpoint) -> usize {
        lock(&self.shared.requests).iter().filter(|r| r.endpoint == endpoint).count()
    }

    /// The requests `endpoint` received, oldest first.
    pub fn requests(&self, endpoint: Endpoint) -> Vec<Recorded> {
        lock(&self.shared.requests).iter().filter(|r| r.endpoint == endpoint).cloned().collect()
    }

    /// The latest request to `endpoint`.
    pub fn last(&self, endpoint: Endpoint) -> Option<Recorded> {
        lock(&self.shared.requests).iter().rev().find(|r| r.endpoint == endpoint).cloned()
    }
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn pairs(raw: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw).into_owned().collect()
}

fn get_param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
}

/// Records the request and returns its query and form parameters.
fn record(s: &Shared, endpoint: Endpoint, method: &Method, headers: &HeaderMap, query: Option<String>, body: &[u8]) -> Recorded {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let rec = Recorded {
        endpoint,
        method: method.to_string(),
        query: pairs(query.unwrap_or_default().as_bytes()),
        form: if is_form { pairs(body) } else { Vec::new() },
        headers: headers.iter().map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect(),
    };
    lock(&s.requests).push(rec.clone());
    rec
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({"error": error, "error_description": description}))).into_response()
}

fn html(status: StatusCode) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], "<html><body>Oops, not JSON.</body></html>").into_response()
}

async fn discovery(State(s): State<Arc<Shared>>, method: Method, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    record(&s, Endpoint::Discovery, &method, &headers, q, &[]);
    let base = &s.issuer;
    Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}{}", Endpoint::Authorize.path()),
        "token_endpoint": format!("{base}{}", Endpoint::Token.path()),
        "userinfo_endpoint": format!("{base}{}", Endpoint::OidcUserinfo.path()),
        "jwks_uri": format!("{base}{}", Endpoint::Jwks.path()),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256", "plain"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "scopes_supported": ["openid", "email", "profile"],
        "claims_supported": ["sub", "email", "email_verified", "name", "preferred_username", "nickname"],
    }))
    .into_response()
}

async fn jwks(State(s): State<Arc<Shared>>, method: Method, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    record(&s, Endpoint::Jwks, &method, &headers, q, &[]);
    let key: Value = serde_json::from_str(KEY_A_JWK).expect("fixture JWK is JSON");
    Json(json!({"keys": [key]})).into_response()
}

/// Answers at once with a code (or the error a knob asks for), as if the user had logged in and
/// agreed.
async fn authorize(State(s): State<Arc<Shared>>, method: Method, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let rec = record(&s, Endpoint::Authorize, &method, &headers, q, &[]);
    let p = &rec.query;
    let Some(mut back) = get_param(p, "redirect_uri").and_then(|r| Url::parse(r).ok()) else {
        return (StatusCode::BAD_REQUEST, "missing or invalid redirect_uri").into_response();
    };
    if get_param(p, "client_id") != Some(s.client_id.as_str()) {
        return (StatusCode::BAD_REQUEST, "unknown client_id").into_response();
    }
    let state = get_param(p, "state");
    let knob_error = lock(&s.knobs).authorize_error.clone();
    let hint = get_param(p, "login_hint");
    let user = match hint {
        None => Some(0),
        Some(h) => s.users.iter().position(|u| u.login == h || u.sub == h || u.email.as_deref() == Some(h)),
    };
    {
        let mut q = back.query_pairs_mut();
        match (knob_error, user) {
            (Some((error, description)), _) => {
                q.append_pair("error", &error);
                if !description.is_empty() {
                    q.append_pair("error_description", &description);
                }
            }
            (None, None) => {
                q.append_pair("error", "access_denied");
                q.append_pair("error_description", "login_hint names no test user");
            }
            (None, Some(user)) => {
                let code = domain::crypto::random_hex(16);
                let grant = CodeGrant {
                    user,
                    client_id: s.client_id.clone(),
                    redirect_uri: get_param(p, "redirect_uri").unwrap_or_default().to_string(),
                    scope: get_param(p, "scope").unwrap_or_default().to_string(),
                    nonce: get_param(p, "nonce").map(str::to_string),
                    code_challenge: get_param(p, "code_challenge").map(str::to_string),
                    code_challenge_method: get_param(p, "code_challenge_method").map(str::to_string),
                };
                lock(&s.codes).insert(code.clone(), grant);
                q.append_pair("code", &code);
            }
        }
        if let Some(state) = state {
            q.append_pair("state", state);
        }
    }
    (StatusCode::FOUND, [(header::LOCATION, back.to_string())]).into_response()
}

/// The client credentials of a token request: form fields, else HTTP Basic.
fn client_credentials(form: &[(String, String)], headers: &HeaderMap) -> Option<(String, String)> {
    if let (Some(id), Some(secret)) = (get_param(form, "client_id"), get_param(form, "client_secret")) {
        return Some((id.to_string(), secret.to_string()));
    }
    let basic = headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(basic.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

async fn token(State(s): State<Arc<Shared>>, method: Method, headers: HeaderMap, RawQuery(q): RawQuery, body: Bytes) -> Response {
    let rec = record(&s, Endpoint::Token, &method, &headers, q, &body);
    let knobs = lock(&s.knobs).clone();
    tokio::time::sleep(knobs.token_delay).await;
    match knobs.token {
        TokenFault::None => {}
        TokenFault::ErrorIn200 => {
            return Json(json!({
                "error": "bad_verification_code",
                "error_description": "The code passed is incorrect or expired.",
                "error_uri": "https://docs.github.com/apps/troubleshooting-oauth-apps",
            }))
            .into_response()
        }
        TokenFault::ServerError => return (StatusCode::INTERNAL_SERVER_ERROR, "token endpoint failure").into_response(),
        TokenFault::NotJson => return html(StatusCode::OK),
    }
    let form = &rec.form;
    if get_param(form, "grant_type") != Some("authorization_code") {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "only authorization_code");
    }
    match client_credentials(form, &headers) {
        Some((id, secret)) if id == s.client_id && secret == s.client_secret => {}
        _ => return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client or wrong secret"),
    }
    // An authenticated client's attempt uses the code up, whatever follows (a careful server
    // does not let a code be tried twice); an unauthenticated one could not burn others' codes.
    let Some(grant) = get_param(form, "code").and_then(|c| lock(&s.codes).remove(c)) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown or already used code");
    };
    if grant.client_id != s.client_id {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "code issued to another client");
    }
    if get_param(form, "redirect_uri") != Some(grant.redirect_uri.as_str()) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "redirect_uri differs from the authorization request");
    }
    if let Err(why) = check_pkce(&grant, get_param(form, "code_verifier")) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", why);
    }
    let access_token = domain::crypto::random_hex(20);
    lock(&s.tokens).insert(access_token.clone(), grant.user);
    let mut answer = json!({"access_token": access_token, "token_type": "bearer", "expires_in": 3600, "scope": grant.scope});
    if grant.scope.split(' ').any(|sc| sc == "openid") && knobs.id_token != IdTokenFault::Missing {
        answer["id_token"] = Value::String(id_token(&s, &grant, knobs.id_token));
    }
    Json(answer).into_response()
}

fn check_pkce(grant: &CodeGrant, verifier: Option<&str>) -> Result<(), &'static str> {
    let Some(challenge) = grant.code_challenge.as_deref() else {
        return match verifier {
            None => Ok(()),
            Some(_) => Err("code_verifier sent, but the authorization request had no code_challenge"),
        };
    };
    let Some(verifier) = verifier else { return Err("code_verifier missing") };
    let computed = match grant.code_challenge_method.as_deref() {
        Some("S256") => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
        None | Some("plain") => verifier.to_string(),
        Some(_) => return Err("unsupported code_challenge_method"),
    };
    if computed == challenge {
        Ok(())
    } else {
        Err("code_verifier does not match the code_challenge")
    }
}

/// An RS256 ID token for the grant's user, spoiled as `fault` says.
fn id_token(s: &Shared, grant: &CodeGrant, fault: IdTokenFault) -> String {
    let user = &s.users[grant.user];
    let now = now();
    let mut claims = json!({
        "iss": s.issuer,
        "aud": grant.client_id,
        "sub": user.sub,
        "iat": now,
        "exp": now + 600,
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.name,
    });
    if let Some(nonce) = &grant.nonce {
        claims["nonce"] = json!(nonce);
    }
    match fault {
        IdTokenFault::WrongNonce => claims["nonce"] = json!("not-the-nonce-that-was-sent"),
        IdTokenFault::WrongAudience => claims["aud"] = json!("some-other-client"),
        IdTokenFault::Expired => {
            claims["iat"] = json!(now - 7200);
            claims["exp"] = json!(now - 3600);
        }
        IdTokenFault::WrongIssuer => claims["iss"] = json!(format!("{}/another-issuer", s.issuer)),
        _ => {}
    }
    let (key, kid) = match fault {
        IdTokenFault::OtherKeySameKid => (&s.other_key, GOOD_KID),
        IdTokenFault::OtherKeyUnknownKid => (&s.other_key, OTHER_KID),
        _ => (&s.good_key, GOOD_KID),
    };
    if fault == IdTokenFault::Unsigned {
        let header = json!({"alg": "none", "typ": "JWT", "kid": GOOD_KID});
        return format!("{}.{}.", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    }
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_string());
    jsonwebtoken::encode(&header, &claims, key).expect("sign a test ID token")
}

/// The user an access token stands for, from `Authorization: <Bearer|token> <t>` or
/// `?access_token=<t>` (GitHub, Google and the generic OAuth 2 client send both). A request whose
/// two tokens differ is refused.
fn user_for(s: &Shared, rec: &Recorded) -> Option<usize> {
    let from_header = rec.header("authorization").and_then(|h| {
        let (scheme, token) = h.split_once(' ')?;
        (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token")).then(|| token.trim().to_string())
    });
    let from_query = rec.query("access_token").map(str::to_string);
    let token = match (from_header, from_query) {
        (Some(h), Some(q)) if h != q => return None,
        (Some(t), _) | (None, Some(t)) => t,
        (None, None) => return None,
    };
    lock(&s.tokens).get(&token).copied()
}

/// The shared part of every profile endpoint: record, delay, authenticate, apply the fault knob.
async fn profile_request(
    s: &Shared,
    endpoint: Endpoint,
    method: &Method,
    headers: &HeaderMap,
    query: Option<String>,
    shape: fn(&FakeUser) -> Value,
) -> Response {
    let rec = record(s, endpoint, method, headers, query, &[]);
    let knobs = lock(&s.knobs).clone();
    tokio::time::sleep(knobs.profile_delay).await;
    let Some(user) = user_for(s, &rec) else {
        return (StatusCode::UNAUTHORIZED, Json(json!({"message": "Bad credentials"}))).into_response();
    };
    let fault = if endpoint == Endpoint::GithubEmails { knobs.emails } else { knobs.profile };
    match fault {
        ProfileFault::None => Json(shape(&s.users[user])).into_response(),
        ProfileFault::ServerError => (StatusCode::INTERNAL_SERVER_ERROR, "profile endpoint failure").into_response(),
        ProfileFault::NotJson => html(StatusCode::OK),
    }
}

async fn github_user(State(s): State<Arc<Shared>>, method: Method, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    profile_request(&s, Endpoint::GithubUser, &method, &headers, q, profile::github_user).await
}
async fn github_emails(State(s): State<Arc<Shared>>, method: Method, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    profile_request(&s, Endpoint::GithubEmails, &method, &headers, q, profile::github_emails).await
}
async fn google_userinfo(State(s): State<Arc<Shared>>, method: Method, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    profile_request(&s, Endpoint::GoogleUserinfo, &method, &headers, q, profile::google_v1).await
}
async fn graph_me(State(s): State<Arc<Shared>>, method: Method, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    profile_request(&s, Endpoint::GraphMe, &method, &headers, q, profile::graph_me).await
}
async fn oidc_userinfo(State(s): State<Arc<Shared>>, method: Method, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    profile_request(&s, Endpoint::OidcUserinfo, &method, &headers, q, profile::oidc_userinfo).await
}

/// How one [`FakeUser`] looks at each provider.
pub mod profile {
    use super::FakeUser;
    use serde_json::{json, Value};

    /// GitHub `GET /user`: numeric `id`, `login`, `name`, `email` (null when private).
    pub fn github_user(u: &FakeUser) -> Value {
        json!({
            "login": u.login,
            "id": u.id,
            "node_id": format!("U_fake{}", u.id),
            "type": "User",
            "site_admin": false,
            "name": u.name,
            "email": if u.github_email_public { json!(u.email) } else { Value::Null },
        })
    }

    /// GitHub `GET /user/emails`: a non-primary no-reply address first, then the primary one.
    pub fn github_emails(u: &FakeUser) -> Value {
        let mut list = vec![json!({
            "email": format!("{}+{}@users.noreply.github.com", u.id, u.login),
            "primary": false,
            "verified": true,
            "visibility": null,
        })];
        if let Some(email) = &u.email {
            list.push(json!({
                "email": email,
                "primary": true,
                "verified": u.email_verified,
                "visibility": if u.github_email_public { json!("public") } else { Value::Null },
            }));
        }
        Value::Array(list)
    }

    /// Google `GET /oauth2/v1/userinfo`: string `id`, `email`, `verified_email`, names.
    pub fn google_v1(u: &FakeUser) -> Value {
        let (given, family) = u.name.split_once(' ').unwrap_or((u.name.as_str(), ""));
        json!({
            "id": u.id.to_string(),
            "email": u.email,
            "verified_email": u.email_verified,
            "name": u.name,
            "given_name": given,
            "family_name": family,
            "picture": format!("https://lh3.example.test/a/{}", u.id),
        })
    }

    /// Microsoft Graph `GET /v1.0/me`.
    pub fn graph_me(u: &FakeUser) -> Value {
        let (mail, other) = match (&u.email, u.azure_mail_null) {
            (Some(e), false) => (json!(e), json!([])),
            (Some(e), true) => (Value::Null, json!([e])),
            (None, _) => (Value::Null, json!([])),
        };
        let (given, family) = u.name.split_once(' ').unwrap_or((u.name.as_str(), ""));
        json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
            "id": u.sub,
            "userPrincipalName": u.azure_upn,
            "displayName": u.name,
            "givenName": given,
            "surname": family,
            "mail": mail,
            "otherMails": other,
        })
    }

    /// OIDC `GET /userinfo`; `nickname` only when the user has one.
    pub fn oidc_userinfo(u: &FakeUser) -> Value {
        let mut v = json!({
            "sub": u.sub,
            "email": u.email,
            "email_verified": u.email_verified,
            "name": u.name,
            "preferred_username": u.login,
        });
        if let Some(nick) = &u.nickname {
            v["nickname"] = json!(nick);
        }
        v
    }
}
