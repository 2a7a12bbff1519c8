//! A browser-like client for the flow executor: keeps the session cookie, follows the
//! executor's 302 continuations itself with GET (as browsers and `requests` do).

use serde_json::Value;

pub struct FlowClient {
    pub base: String,
    pub session: Option<String>,
    pub csrf: Option<String>,
    http: reqwest::Client,
}

pub struct Step {
    pub status: u16,
    pub body: Value,
    pub location: Option<String>,
}

impl FlowClient {
    pub fn new(base: &str) -> FlowClient {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        FlowClient { base: base.to_string(), session: None, csrf: None, http }
    }

    fn absorb_cookies(&mut self, r: &reqwest::Response) {
        for c in r.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap_or_default();
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

    /// One raw request to a path (absolute path on the server).
    pub async fn raw(&mut self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Step {
        let mut rb = self.http.request(method, format!("{}{}", self.base, path)).header("Cookie", self.cookie_header());
        if let Some(b) = body {
            rb = rb.header("Content-Type", "application/json").body(serde_json::to_vec(b).unwrap());
        }
        let r = rb.send().await.expect("request");
        self.absorb_cookies(&r);
        let status = r.status().as_u16();
        let location = r.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_string);
        let text = r.text().await.unwrap_or_default();
        Step { status, body: serde_json::from_str(&text).unwrap_or(Value::Null), location }
    }

    /// GET or POST the executor, following 302 continuations with GET.
    pub async fn exec(&mut self, slug: &str, query: &str, body: Option<Value>) -> Value {
        let path = if query.is_empty() {
            format!("/api/v3/flows/executor/{slug}/")
        } else {
            format!("/api/v3/flows/executor/{slug}/?query={}", engine::flow::query::escape(query))
        };
        let method = if body.is_some() { reqwest::Method::POST } else { reqwest::Method::GET };
        let mut step = self.raw(method, &path, body.as_ref()).await;
        let mut hops = 0;
        while step.status == 302 {
            hops += 1;
            assert!(hops < 20, "redirect loop");
            let to = step.location.clone().unwrap();
            step = self.raw(reqwest::Method::GET, &to, None).await;
        }
        assert_eq!(step.status, 200, "executor answered {}: {}", step.status, step.body);
        step.body
    }

    pub async fn get(&mut self, slug: &str, query: &str) -> Value {
        self.exec(slug, query, None).await
    }
    pub async fn post(&mut self, slug: &str, query: &str, body: Value) -> Value {
        self.exec(slug, query, Some(body)).await
    }
}
