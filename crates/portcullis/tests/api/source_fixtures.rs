//! What the source login tests share: OAuth sources made through the API, and a visitor that
//! walks the login like a browser (our cookies here, the provider's in `idp::walk_to_callback`).

use crate::flow_client::{FlowClient, Step};
use crate::harness::TestServer;
use serde_json::{json, Map, Value};

pub const FAILURE_REDIRECT: &str = "/flows/-/default/authentication/";

pub async fn flow_pk(s: &TestServer, slug: &str) -> String {
    let r = s.get(&format!("/api/v3/flows/instances/{slug}/")).await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["pk"].as_str().unwrap().to_string()
}

pub fn callback_url(s: &TestServer, slug: &str) -> String {
    format!("{}/source/oauth/callback/{slug}/", s.base)
}

/// Creates an OAuth source with the default source flows; `body` adds or overrides fields.
pub async fn source(s: &TestServer, slug: &str, body: Value) -> Value {
    let mut b = json!({
        "name": format!("Test {slug}"),
        "slug": slug,
        "authentication_flow": flow_pk(s, "default-source-authentication").await,
        "enrollment_flow": flow_pk(s, "default-source-enrollment").await,
    });
    for (k, v) in body.as_object().unwrap() {
        b[k] = v.clone();
    }
    s.create("/api/v3/sources/oauth/", b).await
}

/// The connections of a source, as the admin API lists them.
pub async fn connections(s: &TestServer, slug: &str) -> Vec<Value> {
    let r = s.get(&format!("/api/v3/sources/user_connections/oauth/?source__slug={slug}")).await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["results"].as_array().unwrap().clone()
}

/// The user with this username, as the admin API shows it.
pub async fn user_named(s: &TestServer, username: &str) -> Option<Value> {
    let r = s.get(&format!("/api/v3/core/users/?username={username}")).await;
    r.body["results"].as_array().and_then(|a| a.first().cloned())
}

pub async fn user_count(s: &TestServer) -> i64 {
    s.count("/api/v3/core/users/").await
}

pub struct Visitor {
    pub c: FlowClient,
    base: String,
}

impl Visitor {
    pub fn new(s: &TestServer) -> Visitor {
        Visitor { c: FlowClient::new(&s.base), base: s.base.clone() }
    }

    pub async fn get(&mut self, path: &str) -> Step {
        self.c.raw(reqwest::Method::GET, path, None).await
    }

    /// Opens the source's login page; returns where it sends the browser.
    pub async fn start(&mut self, slug: &str) -> String {
        let r = self.get(&format!("/source/oauth/login/{slug}/")).await;
        assert_eq!(r.status, 302, "login page answered {}: {}", r.status, r.text);
        r.location.expect("a Location")
    }

    /// Opens a callback URL as the provider sent it (absolute, on our server).
    pub async fn callback(&mut self, url: &str) -> Step {
        let path = url.strip_prefix(&self.base).unwrap_or_else(|| panic!("callback {url} is not on {}", self.base)).to_string();
        self.get(&path).await
    }

    /// Login page, provider (no person needed), callback: our callback's answer.
    pub async fn sign_in(&mut self, slug: &str) -> Step {
        let to = self.start(slug).await;
        let cb = crate::idp::walk_to_callback(&to, &format!("{}/source/oauth/callback/{slug}/", self.base)).await;
        self.callback(&cb).await
    }

    /// Runs the flow a callback sent the browser to, through the executor, answering prompts
    /// with their initial values (and `username` with `fallback_username` when it is empty).
    pub async fn finish_flow(&mut self, callback: &Step, fallback_username: &str) -> Value {
        let loc = callback.location.clone().unwrap_or_else(|| panic!("callback answered {}: {}", callback.status, callback.text));
        let slug = loc.strip_prefix("/if/flow/").and_then(|r| r.split('/').next()).unwrap_or_else(|| panic!("not a flow page: {loc}")).to_string();
        let mut ch = self.c.get(&slug, "").await;
        for _ in 0..5 {
            if ch["component"] != "ak-stage-prompt" {
                break;
            }
            let mut answer = Map::new();
            answer.insert("component".into(), json!("ak-stage-prompt"));
            for f in ch["fields"].as_array().unwrap() {
                let key = f["field_key"].as_str().unwrap();
                let mut v = f["initial_value"].as_str().unwrap_or("").to_string();
                if key == "username" && v.is_empty() {
                    v = fallback_username.to_string();
                }
                answer.insert(key.into(), json!(v));
            }
            ch = self.c.post(&slug, "", Value::Object(answer)).await;
        }
        ch
    }

    /// Who this browser is signed in as.
    pub async fn username(&mut self) -> Option<String> {
        let r = self.get("/api/v3/core/users/me/").await;
        (r.status == 200).then(|| r.body["user"]["username"].as_str().unwrap_or("").to_string())
    }

    /// Follows redirects from a step to the HTML page they end on; returns its text.
    pub async fn page_after(&mut self, step: &Step) -> String {
        let mut step = Step { status: step.status, body: step.body.clone(), location: step.location.clone(), text: step.text.clone() };
        for _ in 0..10 {
            if step.status != 302 && step.status != 303 {
                return step.text;
            }
            let to = step.location.clone().unwrap();
            step = self.get(&to).await;
        }
        panic!("too many redirects");
    }
}

/// The failure message a callback answer leads to.
pub async fn failure_message(v: &mut Visitor, r: &Step) -> String {
    assert_eq!(r.status, 302, "{}", r.text);
    assert_eq!(r.location.as_deref(), Some(FAILURE_REDIRECT));
    let page = v.page_after(r).await;
    let start = page.find("Authentication failed: ").unwrap_or_else(|| panic!("no failure message on the page: {page}"));
    let rest = &page[start..];
    rest[..rest.find('<').unwrap_or(rest.len())].to_string()
}
