//! Provider shapes and misbehaviour, against the in-process fake provider: GitHub (private
//! e-mail), Microsoft Entra ID / Azure AD (Graph profile, ID token), Google (v1 userinfo, no
//! username), and every ID token, token and profile failure.

use crate::fake_idp::{Endpoint, FakeIdp, FakeUser, IdTokenFault, ProfileFault, TokenFault};
use crate::harness::{run_with, Db, TestServer};
use crate::source_fixtures::*;
use serde_json::{json, Value};

fn credentials(fake: &FakeIdp) -> Value {
    json!({"consumer_key": fake.client_id, "consumer_secret": fake.client_secret})
}

fn merged(a: Value, b: Value) -> Value {
    let mut a = a;
    for (k, v) in b.as_object().unwrap() {
        a[k] = v.clone();
    }
    a
}

async fn github_source(s: &TestServer, fake: &FakeIdp) {
    let urls = json!({"provider_type": "github", "authorization_url": fake.url(Endpoint::Authorize), "access_token_url": fake.url(Endpoint::Token), "profile_url": fake.url(Endpoint::GithubUser)});
    source(s, "gh", merged(urls, credentials(fake))).await;
}

async fn oidc_source(s: &TestServer, fake: &FakeIdp) {
    source(s, "fake", merged(json!({"provider_type": "openidconnect", "oidc_well_known_url": fake.well_known_url()}), credentials(fake))).await;
}

both_seeded!(github_enrolls_with_the_primary_email_of_a_private_profile, |s| {
    let mut octo = FakeUser::new("octocat", 583231);
    octo.github_email_public = false;
    let fake = FakeIdp::start(vec![octo]).await;
    github_source(&s, &fake).await;
    let mut v = Visitor::new(&s);
    let r = v.sign_in("gh").await;
    assert_eq!(r.location.as_deref(), Some("/if/flow/default-source-enrollment/"), "{}", r.text);
    let end = v.finish_flow(&r, "unused").await;
    assert_eq!(end["to"], "/if/user/", "{end}");
    assert_eq!(v.username().await.as_deref(), Some("octocat"));
    let u = user_named(&s, "octocat").await.unwrap();
    assert_eq!(u["email"], "octocat@example.test", "taken from /user/emails");
    assert_eq!(u["name"], "Octocat Tester");
    assert_eq!(connections(&s, "gh").await[0]["identifier"], "583231");
    // What the provider saw: PKCE S256 and no nonce (not OpenID Connect); the secret in the
    // form body with the verifier; the token in the header and the query (GitHub's client).
    let auth = fake.last(Endpoint::Authorize).unwrap();
    assert_eq!(auth.query("code_challenge_method"), Some("S256"));
    assert_eq!(auth.query("nonce"), None);
    assert_eq!(auth.query("scope"), Some("read:user user:email"));
    let tok = fake.last(Endpoint::Token).unwrap();
    assert_eq!(tok.form("client_secret"), Some(fake.client_secret.as_str()));
    assert!(tok.form("code_verifier").is_some_and(|c| c.len() >= 43));
    assert_eq!(tok.header("accept"), Some("application/json"));
    let prof = fake.last(Endpoint::GithubUser).unwrap();
    assert!(prof.header("authorization").is_some_and(|h| h.to_ascii_lowercase().starts_with("bearer ")));
    assert!(prof.query("access_token").is_some());
    assert_eq!(fake.count(Endpoint::GithubEmails), 1);
});

both_seeded!(a_failing_github_email_lookup_only_costs_the_address, |s| {
    let mut octo = FakeUser::new("octocat", 583231);
    octo.github_email_public = false;
    let fake = FakeIdp::start(vec![octo]).await;
    fake.set(|k| k.emails = ProfileFault::ServerError);
    github_source(&s, &fake).await;
    let mut v = Visitor::new(&s);
    let r = v.sign_in("gh").await;
    v.finish_flow(&r, "unused").await;
    assert_eq!(user_named(&s, "octocat").await.unwrap()["email"], "");
});

both_seeded!(azure_ad_maps_the_graph_profile_and_verifies_the_id_token, |s| {
    let mut adele = FakeUser::new("adele", 7);
    adele.azure_mail_null = true;
    let fake = FakeIdp::start(vec![adele]).await;
    let body = json!({"provider_type": "azuread", "authorization_url": fake.url(Endpoint::Authorize), "access_token_url": fake.url(Endpoint::Token),
                      "profile_url": fake.url(Endpoint::GraphMe), "oidc_well_known_url": fake.well_known_url()});
    source(&s, "entra", merged(body, credentials(&fake))).await;
    let mut v = Visitor::new(&s);
    let r = v.sign_in("entra").await;
    assert_eq!(r.location.as_deref(), Some("/if/flow/default-source-enrollment/"), "{}", r.text);
    v.finish_flow(&r, "unused").await;
    assert_eq!(v.username().await.as_deref(), Some("adele@tenant.example.test"));
    let u = user_named(&s, "adele@tenant.example.test").await.unwrap();
    assert_eq!(u["email"], "adele@example.test", "first of otherMails");
    assert_eq!(u["name"], "Adele Tester");
    assert_eq!(connections(&s, "entra").await[0]["identifier"], "sub-adele");
    let auth = fake.last(Endpoint::Authorize).unwrap();
    assert!(auth.query("nonce").is_some_and(|n| n.len() >= 32));
    assert_eq!(auth.query("scope"), Some("https://graph.microsoft.com/User.Read openid"));
    let prof = fake.last(Endpoint::GraphMe).unwrap();
    assert_eq!(prof.query("access_token"), None, "header only");
});

async fn google_case(db: Db) {
    let fake = FakeIdp::start(vec![FakeUser::new("gwen", 1001)]).await;
    let urls = json!({"google": {"authorization_url": fake.url(Endpoint::Authorize), "access_token_url": fake.url(Endpoint::Token), "profile_url": fake.url(Endpoint::GoogleUserinfo)}}).to_string();
    run_with(db, &[("PORTCULLIS_DEFAULT_FLOWS", "true"), ("PORTCULLIS_OAUTH_TYPE_URLS", &urls)], move |s| async move {
        // Google's URLs are not customizable: the source's own are ignored.
        source(&s, "google", merged(json!({"provider_type": "google", "authorization_url": "http://127.0.0.1:9/ignored"}), credentials(&fake))).await;
        let mut v = Visitor::new(&s);
        let r = v.sign_in("google").await;
        assert_eq!(r.location.as_deref(), Some("/if/flow/default-source-enrollment/"), "{}", r.text);
        // Google gives no username: the enrollment prompt asks for one.
        let end = v.finish_flow(&r, "gwen.chosen").await;
        assert_eq!(end["to"], "/if/user/", "{end}");
        let u = user_named(&s, "gwen.chosen").await.unwrap();
        assert_eq!(u["email"], "gwen@example.test");
        assert_eq!(u["name"], "Gwen Tester");
        assert_eq!(connections(&s, "google").await[0]["identifier"], "1001");
        let auth = fake.last(Endpoint::Authorize).unwrap();
        assert_eq!(auth.query("scope"), Some("email profile"));
        assert_eq!(auth.query("nonce"), None);
    })
    .await
}

mod google_enrolls_with_the_v1_profile {
    use crate::harness::Db;
    #[tokio::test]
    async fn sqlite() {
        super::google_case(Db::Sqlite).await
    }
    #[tokio::test]
    async fn postgres() {
        super::google_case(Db::Postgres).await
    }
}

both_seeded!(every_bad_id_token_is_refused, |s| {
    let fake = FakeIdp::start(vec![FakeUser::new("mallory", 66)]).await;
    oidc_source(&s, &fake).await;
    let users_before = user_count(&s).await;
    for fault in [
        IdTokenFault::WrongNonce,
        IdTokenFault::OtherKeySameKid,
        IdTokenFault::OtherKeyUnknownKid,
        IdTokenFault::Unsigned,
        IdTokenFault::WrongAudience,
        IdTokenFault::Expired,
        IdTokenFault::WrongIssuer,
        IdTokenFault::Missing,
    ] {
        fake.set(|k| k.id_token = fault);
        let jwks_before = fake.count(Endpoint::Jwks);
        let mut v = Visitor::new(&s);
        let r = v.sign_in("fake").await;
        assert_eq!(failure_message(&mut v, &r).await, "Authentication failed: Could not verify ID token.", "{fault:?}");
        assert_eq!(v.username().await, None, "{fault:?}");
        if fault == IdTokenFault::OtherKeyUnknownKid {
            assert_eq!(fake.count(Endpoint::Jwks), jwks_before + 1, "an unknown kid makes the keys be fetched again");
        }
    }
    assert_eq!(user_count(&s).await, users_before);
    assert!(connections(&s, "fake").await.is_empty());
    // The same provider, well-behaved: the login goes through.
    fake.reset();
    let mut v = Visitor::new(&s);
    let r = v.sign_in("fake").await;
    assert_eq!(r.location.as_deref(), Some("/if/flow/default-source-enrollment/"), "{}", r.text);
});

/// One way to make the fake misbehave.
type KnobChange = Box<dyn Fn(&mut crate::fake_idp::Knobs) + Send + Sync>;

both_seeded!(token_and_profile_failures_end_in_messages, |s| {
    let fake = FakeIdp::start(vec![FakeUser::new("octocat", 1)]).await;
    github_source(&s, &fake).await;
    let cases: Vec<(KnobChange, &str)> = vec![
        (Box::new(|k| k.token = TokenFault::ErrorIn200), "Authentication failed: bad_verification_code"),
        (Box::new(|k| k.token = TokenFault::ServerError), "Authentication failed: Could not retrieve token."),
        (Box::new(|k| k.token = TokenFault::NotJson), "Authentication failed: Could not retrieve token."),
        (Box::new(|k| k.profile = ProfileFault::ServerError), "Authentication failed: Could not retrieve profile."),
        (Box::new(|k| k.profile = ProfileFault::NotJson), "Authentication failed: Could not retrieve profile."),
        (Box::new(|k| k.authorize_error = Some(("access_denied".into(), String::new()))), "Authentication failed: access_denied"),
        (
            Box::new(|k| k.authorize_error = Some(("access_denied".into(), "The user said no".into()))),
            "Authentication failed: The user said no",
        ),
    ];
    for (knob, expected) in cases {
        fake.reset();
        fake.set(|k| knob(k));
        let mut v = Visitor::new(&s);
        let r = v.sign_in("gh").await;
        assert_eq!(failure_message(&mut v, &r).await, expected);
    }
    assert!(connections(&s, "gh").await.is_empty());
});

both_seeded!(gitlab_verifies_the_id_token_and_maps_the_userinfo, |s| {
    let fake = FakeIdp::start(vec![FakeUser::new("tanuki", 42)]).await;
    let body = json!({"provider_type": "gitlab", "authorization_url": fake.url(Endpoint::Authorize), "access_token_url": fake.url(Endpoint::Token),
                      "profile_url": fake.url(Endpoint::OidcUserinfo), "oidc_well_known_url": fake.well_known_url()});
    source(&s, "gl", merged(body, credentials(&fake))).await;
    let mut v = Visitor::new(&s);
    let r = v.sign_in("gl").await;
    assert_eq!(r.location.as_deref(), Some("/if/flow/default-source-enrollment/"), "{}", r.text);
    v.finish_flow(&r, "unused").await;
    assert_eq!(v.username().await.as_deref(), Some("tanuki"));
    assert_eq!(user_named(&s, "tanuki").await.unwrap()["email"], "tanuki@example.test");
    assert_eq!(connections(&s, "gl").await[0]["identifier"], "sub-tanuki");
    let auth = fake.last(Endpoint::Authorize).unwrap();
    assert_eq!(auth.query("scope"), Some("email openid profile read_user"));
    assert!(auth.query("nonce").is_some());
    // GitLab's client sends the token twice, as authentik's does.
    assert!(fake.last(Endpoint::OidcUserinfo).unwrap().query("access_token").is_some());
    // A bad ID token is refused for GitLab too.
    fake.set(|k| k.id_token = IdTokenFault::WrongNonce);
    let mut v2 = Visitor::new(&s);
    let r = v2.sign_in("gl").await;
    assert_eq!(failure_message(&mut v2, &r).await, "Authentication failed: Could not verify ID token.");
});

both_seeded!(plain_oauth2_without_openid_needs_no_id_token, |s| {
    let fake = FakeIdp::start(vec![FakeUser::new("plain", 5)]).await;
    // A generic source whose scopes replace the OpenID ones is plain OAuth 2: no nonce, no ID
    // token; the identity comes from the userinfo endpoint alone.
    fake.set(|k| k.id_token = IdTokenFault::Missing);
    let body = json!({"provider_type": "openidconnect", "authorization_url": fake.url(Endpoint::Authorize), "access_token_url": fake.url(Endpoint::Token),
                      "profile_url": fake.url(Endpoint::OidcUserinfo), "additional_scopes": "*profile email"});
    source(&s, "plain", merged(body, credentials(&fake))).await;
    let mut v = Visitor::new(&s);
    let r = v.sign_in("plain").await;
    assert_eq!(r.location.as_deref(), Some("/if/flow/default-source-enrollment/"), "{}", r.text);
    v.finish_flow(&r, "unused").await;
    assert_eq!(v.username().await.as_deref(), Some("plain"));
    let auth = fake.last(Endpoint::Authorize).unwrap();
    assert_eq!(auth.query("scope"), Some("email profile"));
    assert_eq!(auth.query("nonce"), None);
    assert_eq!(auth.query("code_challenge_method"), Some("S256"));
});
