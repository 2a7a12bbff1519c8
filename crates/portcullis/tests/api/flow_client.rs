//! A browser-like client for the flow executor: keeps the session cookie, follows the
//! executor's 302 continuations itself with GET (as browsers and `requests` do). Every JSON
//! answer of the executor is checked against the contract's challenge schemas, and every
//! answer with a `component` against its `*ChallengeResponseRequest` schema.

use serde_json::Value;

pub struct FlowClient {
    pub base: String,
    pub session: Option<String>,
    pub csrf: Option<String>,
    /// Send `X-authentik-CSRF` with the CSRF cookie's value on POSTs.
    pub send_csrf: bool,
    /// Extra headers on every request (e.g. `X-Forwarded-Proto`).
    pub headers: Vec<(String, String)>,
    /// The raw `Set-Cookie` headers of the most recent response.
    pub set_cookies: Vec<String>,
    /// Every `Set-Cookie` seen so far.
    pub all_set_cookies: Vec<String>,
    http: reqwest::Client,
}

pub struct Step {
    pub status: u16,
    pub body: Value,
    pub location: Option<String>,
    /// The raw body (HTML pages are not JSON).
    pub text: String,
}

impl FlowClient {
    pub fn new(base: &str) -> FlowClient {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        FlowClient {
            base: base.to_string(),
            session: None,
            csrf: None,
            send_csrf: false,
            headers: vec![],
            set_cookies: vec![],
            all_set_cookies: vec![],
            http,
        }
    }

    fn absorb_cookies(&mut self, r: &reqwest::Response) {
        self.set_cookies.clear();
        for c in r.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap_or_default();
            self.set_cookies.push(c.to_string());
            self.all_set_cookies.push(c.to_string());
            let (kv, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let v = (!v.is_empty()).then(|| v.to_string());
            match k {
                "authentik_session" => self.session = v,
                "authentik_csrf" => self.csrf = v,
                _ => {}
            }
        }
    }

    pub fn cookie_header(&self) -> String {
        let mut parts = vec![];
        if let Some(s) = &self.session {
            parts.push(format!("authentik_session={s}"));
        }
        if let Some(c) = &self.csrf {
            parts.push(format!("authentik_csrf={c}"));
        }
        parts.join("; ")
    }

    /// The `Set-Cookie` of the most recent response for cookie `name`.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.set_cookies.iter().find(|c| c.starts_with(&format!("{name}="))).cloned()
    }

    /// One raw request to a path (absolute path on the server).
    pub async fn raw(&mut self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Step {
        let is_post = method == reqwest::Method::POST;
        let mut rb = self.http.request(method, format!("{}{}", self.base, path)).header("Cookie", self.cookie_header());
        for (k, v) in &self.headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        if self.send_csrf && is_post {
            if let Some(c) = &self.csrf {
                rb = rb.header("X-authentik-CSRF", c.as_str());
            }
        }
        if let Some(b) = body {
            rb = rb.header("Content-Type", "application/json").body(serde_json::to_vec(b).unwrap());
        }
        let r = rb.send().await.expect("request");
        self.absorb_cookies(&r);
        let status = r.status().as_u16();
        let location = r.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_string);
        let text = r.text().await.unwrap_or_default();
        Step { status, body: serde_json::from_str(&text).unwrap_or(Value::Null), location, text }
    }

    pub fn executor_path(slug: &str, query: &str) -> String {
        if query.is_empty() {
            format!("/api/v3/flows/executor/{slug}/")
        } else {
            format!("/api/v3/flows/executor/{slug}/?query={}", engine::flow::query::escape(query))
        }
    }

    /// Requests an executor URL as given, following 302 continuations with GET; checks the
    /// final JSON against the contract.
    pub async fn exec_path(&mut self, path: &str, body: Option<Value>) -> Value {
        if let Some(b) = &body {
            if b.get("component").is_some() {
                crate::contract::assert_answer(b);
            }
        }
        let method = if body.is_some() { reqwest::Method::POST } else { reqwest::Method::GET };
        let mut step = self.raw(method, path, body.as_ref()).await;
        let mut hops = 0;
        while step.status == 302 {
            hops += 1;
            assert!(hops < 20, "redirect loop");
            let to = step.location.clone().unwrap();
            assert_eq!(to, path, "a continuation 302 goes back to the same executor URL");
            step = self.raw(reqwest::Method::GET, &to, None).await;
        }
        assert_eq!(step.status, 200, "executor answered {}: {}", step.status, step.body);
        crate::contract::assert_challenge(&step.body);
        step.body
    }

    /// GET or POST the executor, following 302 continuations with GET.
    pub async fn exec(&mut self, slug: &str, query: &str, body: Option<Value>) -> Value {
        self.exec_path(&Self::executor_path(slug, query), body).await
    }

    pub async fn get(&mut self, slug: &str, query: &str) -> Value {
        self.exec(slug, query, None).await
    }
    pub async fn post(&mut self, slug: &str, query: &str, body: Value) -> Value {
        self.exec(slug, query, Some(body)).await
    }
}
