//! Tests of the test providers themselves (idp.rs, fake_idp.rs), without a Portcullis server: an
//! authorization-code round trip by hand against each, and every knob of the fake.

use crate::fake_idp::{Endpoint, FakeIdp, FakeUser, IdTokenFault, ProfileFault, TokenFault};
use crate::idp::{walk_to_callback, OidcProvider};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};
use url::Url;

const REDIRECT: &str = "http://127.0.0.1:9/source/oauth/callback/test/";

/// A PKCE verifier and its S256 challenge.
fn pkce() -> (String, String) {
    let verifier = format!("v-{}", domain::crypto::random_hex(24));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

struct AuthRequest<'a> {
    client_id: &'a str,
    scope: &'a str,
    state: String,
    nonce: String,
    challenge: Option<(&'a str, &'a str)>,
    login_hint: Option<&'a str>,
}

impl<'a> AuthRequest<'a> {
    fn new(client_id: &'a str, scope: &'a str) -> Self {
        AuthRequest {
            client_id,
            scope,
            state: domain::crypto::random_hex(16),
            nonce: domain::crypto::random_hex(16),
            challenge: None,
            login_hint: None,
        }
    }

    fn url(&self, authorization_endpoint: &str) -> String {
        let mut url = Url::parse(authorization_endpoint).unwrap();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", self.client_id)
                .append_pair("redirect_uri", REDIRECT)
                .append_pair("response_type", "code")
                .append_pair("state", &self.state)
                .append_pair("scope", self.scope)
                .append_pair("nonce", &self.nonce);
            if let Some((challenge, method)) = self.challenge {
                q.append_pair("code_challenge", challenge).append_pair("code_challenge_method", method);
            }
            if let Some(hint) = self.login_hint {
                q.append_pair("login_hint", hint);
            }
        }
        url.to_string()
    }
}

/// One query parameter of a URL.
fn param(url: &str, name: &str) -> Option<String> {
    Url::parse(url).unwrap().query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Walks the login and returns the code, checking the state came back unchanged.
async fn code_for(authorize_url: &str, state: &str) -> String {
    let callback = walk_to_callback(authorize_url, REDIRECT).await;
    assert_eq!(param(&callback, "state").as_deref(), Some(state), "{callback}");
    param(&callback, "code").unwrap_or_else(|| panic!("no code in {callback}"))
}

/// POSTs the token request (client_secret_post) and returns status and body text.
async fn exchange(token_url: &str, client_id: &str, secret: &str, code: &str, verifier: Option<&str>) -> (u16, String) {
    let mut form = vec![
        ("client_id", client_id),
        ("client_secret", secret),
        ("redirect_uri", REDIRECT),
        ("code", code),
        ("grant_type", "authorization_code"),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    let resp = reqwest::Client::new().post(token_url).header("Accept", "application/json").form(&form).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

async fn get_json(url: &str) -> Value {
    let resp = reqwest::get(url).await.unwrap();
    assert_eq!(resp.status(), 200, "{url}");
    resp.json().await.unwrap()
}

/// Verifies an ID token as a relying party does: key by `kid` from the JWKS, RS256, issuer,
/// audience, expiry. Returns the claims or the reason it was refused.
fn verify_id_token(token: &str, jwks: &Value, issuer: &str, audience: &str) -> Result<Value, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| format!("header: {e}"))?;
    let kid = header.kid.ok_or("no kid")?;
    let set: JwkSet = serde_json::from_value(jwks.clone()).map_err(|e| format!("jwks: {e}"))?;
    let jwk = set.find(&kid).ok_or_else(|| format!("kid {kid} not in the JWKS"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("jwk: {e}"))?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation).map(|d| d.claims).map_err(|e| format!("{:?}", e.kind()))
}

fn accounts() -> Value {
    json!({
        "alice": {"sub": "alice-sub-1", "email": "alice@example.test", "email_verified": true,
                  "preferred_username": "alice", "name": "Alice Example"},
        "bob": {"sub": "bob-sub-2", "email": "bob@example.test", "email_verified": false,
                "preferred_username": "bob.b", "name": "Bob Example", "nickname": "bobby"},
    })
}

#[tokio::test]
async fn node_provider_round_trip() {
    let started = Instant::now();
    let idp = OidcProvider::start(REDIRECT, accounts());
    assert_eq!(idp.redirect_uri, REDIRECT);
    eprintln!("node oidc-provider ready after {:?}", started.elapsed());

    let discovery = get_json(&idp.well_known_url()).await;
    assert_eq!(discovery["issuer"], json!(idp.issuer));
    assert_eq!(discovery["authorization_endpoint"], json!(idp.authorization_url()));
    assert_eq!(discovery["token_endpoint"], json!(idp.token_url()));
    assert_eq!(discovery["userinfo_endpoint"], json!(idp.userinfo_url()));
    assert_eq!(discovery["jwks_uri"], json!(idp.jwks_url()));
    assert!(discovery["code_challenge_methods_supported"].as_array().unwrap().contains(&json!("S256")), "{discovery}");
    let jwks = get_json(&idp.jwks_url()).await;
    assert_eq!(jwks["keys"][0]["kty"], "RSA", "{jwks}");
    assert!(jwks["keys"][0]["kid"].is_string(), "{jwks}");

    let (verifier, challenge) = pkce();
    let mut req = AuthRequest::new(&idp.client_id, "openid email profile");
    req.challenge = Some((&challenge, "S256"));
    let code = code_for(&req.url(&idp.authorization_url()), &req.state).await;

    let (status, body) = exchange(&idp.token_url(), &idp.client_id, &idp.client_secret, &code, Some(&verifier)).await;
    assert_eq!(status, 200, "{body}");
    let tokens = json_of(&body);
    assert!(tokens["token_type"].as_str().unwrap().eq_ignore_ascii_case("bearer"), "{tokens}");
    let claims = verify_id_token(tokens["id_token"].as_str().unwrap(), &jwks, &idp.issuer, &idp.client_id).unwrap();
    assert_eq!(claims["nonce"], json!(req.nonce));
    assert_eq!(claims["sub"], "alice-sub-1");

    let access = tokens["access_token"].as_str().unwrap();
    let info: Value = reqwest::Client::new().get(idp.userinfo_url()).bearer_auth(access).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        info,
        json!({"sub": "alice-sub-1", "email": "alice@example.test", "email_verified": true,
               "name": "Alice Example", "preferred_username": "alice"}),
        "no nickname for an account without one"
    );
    // RFC 6750 allows one way of presenting the token; the generic OAuth 2 client's header plus
    // query is refused (why the OIDC source types send the header only).
    let both = reqwest::Client::new().get(format!("{}?access_token={access}", idp.userinfo_url())).bearer_auth(access).send().await.unwrap();
    assert_eq!(both.status(), 400);

    let (status, body) = exchange(&idp.token_url(), &idp.client_id, &idp.client_secret, &code, Some(&verifier)).await;
    assert_eq!((status, json_of(&body)["error"].clone()), (400, json!("invalid_grant")), "a code is good once: {body}");
    assert_eq!(idp.stderr(), "", "the provider reported errors");
}

#[tokio::test]
async fn node_provider_login_hint_and_pkce_mismatch() {
    let idp = OidcProvider::start(REDIRECT, accounts());

    let mut req = AuthRequest::new(&idp.client_id, "openid email profile");
    req.login_hint = Some("bob");
    let code = code_for(&req.url(&idp.authorization_url()), &req.state).await;
    let (status, body) = exchange(&idp.token_url(), &idp.client_id, &idp.client_secret, &code, None).await;
    assert_eq!(status, 200, "PKCE is optional: {body}");
    let access = json_of(&body)["access_token"].as_str().unwrap().to_string();
    let info: Value = reqwest::Client::new().get(idp.userinfo_url()).bearer_auth(&access).send().await.unwrap().json().await.unwrap();
    assert_eq!(info["sub"], "bob-sub-2");
    assert_eq!(info["nickname"], "bobby");
    assert_eq!(info["preferred_username"], "bob.b");
    assert_eq!(info["email_verified"], false);

    // Only the scopes asked for are released.
    let req = AuthRequest::new(&idp.client_id, "openid");
    let code = code_for(&req.url(&idp.authorization_url()), &req.state).await;
    let (_, body) = exchange(&idp.token_url(), &idp.client_id, &idp.client_secret, &code, None).await;
    let access = json_of(&body)["access_token"].as_str().unwrap().to_string();
    let info: Value = reqwest::Client::new().get(idp.userinfo_url()).bearer_auth(&access).send().await.unwrap().json().await.unwrap();
    assert_eq!(info, json!({"sub": "alice-sub-1"}));

    let (_, challenge) = pkce();
    let mut req = AuthRequest::new(&idp.client_id, "openid email");
    req.challenge = Some((&challenge, "S256"));
    let code = code_for(&req.url(&idp.authorization_url()), &req.state).await;
    let (status, body) = exchange(&idp.token_url(), &idp.client_id, &idp.client_secret, &code, Some("not-the-verifier-0123456789-0123456789-0123")).await;
    assert_eq!((status, json_of(&body)["error"].clone()), (400, json!("invalid_grant")), "{body}");

    // A hint naming nobody comes back as a provider-reported error.
    let mut req = AuthRequest::new(&idp.client_id, "openid");
    req.login_hint = Some("mallory");
    let callback = walk_to_callback(&req.url(&idp.authorization_url()), REDIRECT).await;
    assert_eq!(param(&callback, "error").as_deref(), Some("access_denied"), "{callback}");
    assert_eq!(param(&callback, "state").as_deref(), Some(req.state.as_str()));
    assert_eq!(param(&callback, "code"), None);
}

// ---- the fake ----

fn fake_users() -> Vec<FakeUser> {
    let alice = FakeUser::new("alice", 1001);
    let mut bob = FakeUser::new("bob", 1002);
    bob.github_email_public = false;
    bob.azure_mail_null = true;
    bob.nickname = Some("bobby".into());
    bob.email_verified = false;
    vec![alice, bob]
}

/// A code for `req` at the fake (one redirect).
async fn fake_code(fake: &FakeIdp, req: &AuthRequest<'_>) -> String {
    code_for(&req.url(&fake.url(Endpoint::Authorize)), &req.state).await
}

/// A fresh token response from the fake (scope `openid email profile`, S256 PKCE), as JSON.
async fn fake_tokens(fake: &FakeIdp, login_hint: Option<&str>) -> (Value, String) {
    let (verifier, challenge) = pkce();
    let mut req = AuthRequest::new(&fake.client_id, "openid email profile");
    req.challenge = Some((&challenge, "S256"));
    req.login_hint = login_hint;
    let code = fake_code(fake, &req).await;
    let (status, body) = exchange(&fake.url(Endpoint::Token), &fake.client_id, &fake.client_secret, &code, Some(&verifier)).await;
    assert_eq!(status, 200, "{body}");
    (json_of(&body), req.nonce)
}

async fn profile(fake: &FakeIdp, endpoint: Endpoint, token: &str) -> (u16, String) {
    let resp = reqwest::Client::new().get(fake.url(endpoint)).bearer_auth(token).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn fake_round_trip_and_counters() {
    let fake = FakeIdp::start(fake_users()).await;
    let discovery = get_json(&fake.well_known_url()).await;
    assert_eq!(discovery["issuer"], json!(fake.issuer()));
    assert_eq!(discovery["jwks_uri"], json!(fake.url(Endpoint::Jwks)));
    assert_eq!(discovery["token_endpoint"], json!(fake.url(Endpoint::Token)));
    let jwks = get_json(&fake.url(Endpoint::Jwks)).await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1, "only the good key is published");

    let (tokens, nonce) = fake_tokens(&fake, None).await;
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["expires_in"], 3600);
    let claims = verify_id_token(tokens["id_token"].as_str().unwrap(), &jwks, fake.issuer(), &fake.client_id).unwrap();
    assert_eq!((claims["sub"].clone(), claims["nonce"].clone()), (json!("sub-alice"), json!(nonce)));

    let rec = fake.last(Endpoint::Token).unwrap();
    assert_eq!(fake.requests(Endpoint::Token).len(), 1);
    assert_eq!(rec.method, "POST");
    assert_eq!(rec.form("grant_type"), Some("authorization_code"));
    assert_eq!(rec.header("Accept"), Some("application/json"));
    let auth = fake.last(Endpoint::Authorize).unwrap();
    assert_eq!(auth.query("code_challenge_method"), Some("S256"));

    let access = tokens["access_token"].as_str().unwrap();
    let (status, body) = profile(&fake, Endpoint::OidcUserinfo, access).await;
    assert_eq!(status, 200);
    assert_eq!(
        json_of(&body),
        json!({"sub": "sub-alice", "email": "alice@example.test", "email_verified": true, "name": "Alice Tester", "preferred_username": "alice"})
    );
    assert_eq!(profile(&fake, Endpoint::OidcUserinfo, "not-a-token").await.0, 401);

    // No openid scope: no ID token. A used code: invalid_grant.
    let req = AuthRequest::new(&fake.client_id, "read:user user:email");
    let code = fake_code(&fake, &req).await;
    let (status, body) = exchange(&fake.url(Endpoint::Token), &fake.client_id, &fake.client_secret, &code, None).await;
    assert_eq!(status, 200);
    assert!(json_of(&body).get("id_token").is_none(), "{body}");
    let (status, body) = exchange(&fake.url(Endpoint::Token), &fake.client_id, &fake.client_secret, &code, None).await;
    assert_eq!((status, json_of(&body)["error"].clone()), (400, json!("invalid_grant")));

    assert_eq!(fake.count(Endpoint::Discovery), 1);
    assert_eq!(fake.count(Endpoint::Jwks), 1);
    assert_eq!(fake.count(Endpoint::Authorize), 2);
    assert_eq!(fake.count(Endpoint::Token), 3);
    assert_eq!(fake.count(Endpoint::OidcUserinfo), 2);
    assert_eq!(fake.count(Endpoint::GithubUser), 0);
}

#[tokio::test]
async fn fake_token_endpoint_checks_client_code_redirect_and_pkce() {
    let fake = FakeIdp::start(fake_users()).await;
    let token_url = fake.url(Endpoint::Token);
    let error_of = |(status, body): (u16, String)| {
        let error = json_of(&body)["error"].as_str().map(str::to_string);
        (status, error.unwrap_or_else(|| panic!("no error in {status} {body}")))
    };

    // Wrong secret.
    let req = AuthRequest::new(&fake.client_id, "openid");
    let code = fake_code(&fake, &req).await;
    assert_eq!(error_of(exchange(&token_url, &fake.client_id, "wrong", &code, None).await), (401, "invalid_client".into()));
    // An unauthenticated attempt does not burn the code; an authenticated one does.
    assert_eq!(exchange(&token_url, &fake.client_id, &fake.client_secret, &code, None).await.0, 200);
    assert_eq!(error_of(exchange(&token_url, &fake.client_id, &fake.client_secret, &code, None).await), (400, "invalid_grant".into()));

    // Another redirect_uri than at /authorize.
    let req = AuthRequest::new(&fake.client_id, "openid");
    let code = fake_code(&fake, &req).await;
    let resp = reqwest::Client::new()
        .post(&token_url)
        .form(&[
            ("client_id", fake.client_id.as_str()),
            ("client_secret", fake.client_secret.as_str()),
            ("redirect_uri", "http://127.0.0.1:9/elsewhere/"),
            ("code", &code),
            ("grant_type", "authorization_code"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);

    // PKCE: a wrong verifier, a missing one, one without a challenge; plain method works.
    let (verifier, challenge) = pkce();
    for sent in [Some("wrong-verifier"), None] {
        let mut req = AuthRequest::new(&fake.client_id, "openid");
        req.challenge = Some((&challenge, "S256"));
        let code = fake_code(&fake, &req).await;
        assert_eq!(error_of(exchange(&token_url, &fake.client_id, &fake.client_secret, &code, sent).await), (400, "invalid_grant".into()));
    }
    let req = AuthRequest::new(&fake.client_id, "openid");
    let code = fake_code(&fake, &req).await;
    assert_eq!(
        error_of(exchange(&token_url, &fake.client_id, &fake.client_secret, &code, Some(&verifier)).await),
        (400, "invalid_grant".into())
    );
    let mut req = AuthRequest::new(&fake.client_id, "openid");
    req.challenge = Some((&verifier, "plain"));
    let code = fake_code(&fake, &req).await;
    assert_eq!(exchange(&token_url, &fake.client_id, &fake.client_secret, &code, Some(&verifier)).await.0, 200);

    // HTTP Basic client authentication (reddit, twitter) is accepted too.
    let req = AuthRequest::new(&fake.client_id, "openid");
    let code = fake_code(&fake, &req).await;
    let resp = reqwest::Client::new()
        .post(&token_url)
        .basic_auth(&fake.client_id, Some(&fake.client_secret))
        .form(&[("redirect_uri", REDIRECT), ("code", &code), ("grant_type", "authorization_code")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn fake_profile_shapes_follow_the_token_user() {
    let fake = FakeIdp::start(fake_users()).await;
    let (alice, _) = fake_tokens(&fake, None).await;
    let (bob, _) = fake_tokens(&fake, Some("bob")).await;
    let alice = alice["access_token"].as_str().unwrap();
    let bob = bob["access_token"].as_str().unwrap();

    // GitHub, with the token in header and query as the generic OAuth 2 client sends it.
    let both = |endpoint: Endpoint, token: &str| {
        let url = format!("{}?access_token={token}", fake.url(endpoint));
        let token = token.to_string();
        async move {
            let resp = reqwest::Client::new().get(url).header("Authorization", format!("bearer {token}")).send().await.unwrap();
            assert_eq!(resp.status(), 200);
            resp.json::<Value>().await.unwrap()
        }
    };
    let a = both(Endpoint::GithubUser, alice).await;
    assert_eq!((a["id"].clone(), a["login"].clone(), a["email"].clone()), (json!(1001), json!("alice"), json!("alice@example.test")));
    let b = both(Endpoint::GithubUser, bob).await;
    assert_eq!((b["id"].clone(), b["login"].clone(), b["email"].clone()), (json!(1002), json!("bob"), Value::Null));
    let emails = both(Endpoint::GithubEmails, bob).await;
    let primary: Vec<&Value> = emails.as_array().unwrap().iter().filter(|e| e["primary"] == json!(true)).collect();
    assert_eq!(primary.len(), 1);
    assert_eq!(primary[0]["email"], "bob@example.test");
    assert_eq!(emails[0]["primary"], false, "the primary address is not simply the first");
    // The query alone works as well; two different tokens do not.
    let q = reqwest::get(format!("{}?access_token={alice}", fake.url(Endpoint::GithubUser))).await.unwrap();
    assert_eq!(q.status(), 200);
    let mixed = reqwest::Client::new().get(format!("{}?access_token={alice}", fake.url(Endpoint::GithubUser))).bearer_auth(bob).send().await.unwrap();
    assert_eq!(mixed.status(), 401);

    let g = json_of(&profile(&fake, Endpoint::GoogleUserinfo, bob).await.1);
    assert_eq!(g["id"], "1002");
    assert_eq!(g["email"], "bob@example.test");
    assert_eq!(g["verified_email"], false);
    assert_eq!((g["given_name"].clone(), g["family_name"].clone()), (json!("Bob"), json!("Tester")));

    let m = json_of(&profile(&fake, Endpoint::GraphMe, alice).await.1);
    assert_eq!(m["id"], "sub-alice");
    assert_eq!(m["userPrincipalName"], "alice@tenant.example.test");
    assert_eq!(m["mail"], "alice@example.test");
    assert_eq!(m["displayName"], "Alice Tester");
    let m = json_of(&profile(&fake, Endpoint::GraphMe, bob).await.1);
    assert_eq!((m["mail"].clone(), m["otherMails"].clone()), (Value::Null, json!(["bob@example.test"])));

    let o = json_of(&profile(&fake, Endpoint::OidcUserinfo, bob).await.1);
    assert_eq!((o["sub"].clone(), o["nickname"].clone()), (json!("sub-bob"), json!("bobby")));

    // An unknown hint is refused at the provider, back at the client with the state.
    let mut req = AuthRequest::new(&fake.client_id, "openid");
    req.login_hint = Some("mallory");
    let callback = walk_to_callback(&req.url(&fake.url(Endpoint::Authorize)), REDIRECT).await;
    assert_eq!(param(&callback, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&callback, "state"), Some(req.state.clone()));
}

#[tokio::test]
async fn fake_id_token_faults() {
    let fake = FakeIdp::start(fake_users()).await;
    let jwks = get_json(&fake.url(Endpoint::Jwks)).await;
    let cases = [
        (IdTokenFault::OtherKeySameKid, "InvalidSignature"),
        (IdTokenFault::OtherKeyUnknownKid, "kid fake-idp-key-b not in the JWKS"),
        (IdTokenFault::Unsigned, "header:"),
        (IdTokenFault::WrongAudience, "InvalidAudience"),
        (IdTokenFault::Expired, "ExpiredSignature"),
        (IdTokenFault::WrongIssuer, "InvalidIssuer"),
    ];
    for (fault, expected) in cases {
        fake.set(|k| k.id_token = fault);
        let (tokens, _) = fake_tokens(&fake, None).await;
        let err = verify_id_token(tokens["id_token"].as_str().unwrap(), &jwks, fake.issuer(), &fake.client_id).unwrap_err();
        assert!(err.starts_with(expected), "{fault:?}: {err}");
    }
    fake.set(|k| k.id_token = IdTokenFault::WrongNonce);
    let (tokens, nonce) = fake_tokens(&fake, None).await;
    let claims = verify_id_token(tokens["id_token"].as_str().unwrap(), &jwks, fake.issuer(), &fake.client_id).unwrap();
    assert!(claims["nonce"].is_string() && claims["nonce"] != json!(nonce), "{claims}");

    fake.set(|k| k.id_token = IdTokenFault::Missing);
    let (tokens, _) = fake_tokens(&fake, None).await;
    assert!(tokens.get("id_token").is_none() && tokens["access_token"].is_string(), "{tokens}");

    fake.reset();
    let (tokens, _) = fake_tokens(&fake, None).await;
    verify_id_token(tokens["id_token"].as_str().unwrap(), &jwks, fake.issuer(), &fake.client_id).unwrap();
}

#[tokio::test]
async fn fake_token_profile_and_authorize_faults() {
    let fake = FakeIdp::start(fake_users()).await;
    let token_url = fake.url(Endpoint::Token);

    for (fault, status, check) in [
        (TokenFault::ErrorIn200, 200, Some("bad_verification_code")),
        (TokenFault::ServerError, 500, None),
        (TokenFault::NotJson, 200, None),
    ] {
        let req = AuthRequest::new(&fake.client_id, "openid");
        let code = fake_code(&fake, &req).await;
        fake.set(|k| k.token = fault);
        let (got, body) = exchange(&token_url, &fake.client_id, &fake.client_secret, &code, None).await;
        assert_eq!(got, status, "{fault:?}: {body}");
        match check {
            Some(error) => assert_eq!(json_of(&body)["error"], error),
            None => assert!(serde_json::from_str::<Value>(&body).is_err() || status == 500, "{fault:?}: {body}"),
        }
        fake.reset();
    }
    assert_eq!(fake.count(Endpoint::Token), 3);

    let (tokens, _) = fake_tokens(&fake, Some("bob")).await;
    let access = tokens["access_token"].as_str().unwrap();
    let profiles = [Endpoint::GithubUser, Endpoint::GoogleUserinfo, Endpoint::GraphMe, Endpoint::OidcUserinfo];
    fake.set(|k| k.profile = ProfileFault::ServerError);
    for e in profiles {
        assert_eq!(profile(&fake, e, access).await.0, 500, "{e:?}");
    }
    assert_eq!(profile(&fake, Endpoint::GithubEmails, access).await.0, 200, "emails have their own knob");
    fake.set(|k| k.profile = ProfileFault::NotJson);
    for e in profiles {
        let (status, body) = profile(&fake, e, access).await;
        assert!(status == 200 && serde_json::from_str::<Value>(&body).is_err(), "{e:?}: {body}");
    }
    fake.reset();
    fake.set(|k| k.emails = ProfileFault::ServerError);
    assert_eq!(profile(&fake, Endpoint::GithubEmails, access).await.0, 500);
    assert_eq!(profile(&fake, Endpoint::GithubUser, access).await.0, 200);
    fake.reset();

    // Delays: slow enough for a client's timeout to fire.
    fake.set(|k| k.profile_delay = Duration::from_millis(400));
    let quick = reqwest::Client::builder().timeout(Duration::from_millis(100)).build().unwrap();
    let err = quick.get(fake.url(Endpoint::OidcUserinfo)).bearer_auth(access).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    fake.set(|k| k.token_delay = Duration::from_millis(300));
    let req = AuthRequest::new(&fake.client_id, "openid");
    let code = fake_code(&fake, &req).await;
    let t0 = Instant::now();
    assert_eq!(exchange(&token_url, &fake.client_id, &fake.client_secret, &code, None).await.0, 200);
    assert!(t0.elapsed() >= Duration::from_millis(300));
    fake.reset();

    // A provider-reported error instead of a code.
    fake.set(|k| k.authorize_error = Some(("access_denied".into(), "The user said no".into())));
    let req = AuthRequest::new(&fake.client_id, "openid");
    let callback = walk_to_callback(&req.url(&fake.url(Endpoint::Authorize)), REDIRECT).await;
    assert_eq!(param(&callback, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&callback, "error_description").as_deref(), Some("The user said no"));
    assert_eq!(param(&callback, "state"), Some(req.state.clone()));
    assert_eq!(param(&callback, "code"), None);
}
