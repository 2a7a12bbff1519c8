//! Outgoing HTTP to providers: the shared client and bounded JSON bodies.

use serde_json::Value;
use std::time::Duration;

/// Provider answers (tokens, profiles, key sets) are small; a larger body is refused rather
/// than buffered.
const MAX_BODY: usize = 1024 * 1024;
const MAX_REDIRECTS: usize = 3;

pub(crate) fn client() -> reqwest::Client {
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if !matches!(attempt.url().scheme(), "http" | "https") {
            attempt.error("redirect to a non-http(s) URL")
        } else {
            attempt.follow()
        }
    });
    reqwest::Client::builder()
        .user_agent(concat!("portcullis/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .redirect(policy)
        .build()
        // Fails only when the TLS backend cannot start, a broken build rather than a runtime
        // condition.
        .expect("the HTTP client (TLS backend) could not be initialised")
}

/// Why a response did not yield JSON. The texts go to logs: they never quote the body.
#[derive(Debug)]
pub(crate) enum BodyError {
    Network(String),
    TooLarge,
    NotJson(String),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::Network(e) => write!(f, "reading the body failed: {e}"),
            BodyError::TooLarge => write!(f, "body larger than {MAX_BODY} bytes"),
            BodyError::NotJson(e) => write!(f, "body is not JSON: {e}"),
        }
    }
}

/// Reads at most [`MAX_BODY`] bytes and parses them as JSON.
pub(crate) async fn json_body(mut resp: reqwest::Response) -> Result<Value, BodyError> {
    if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| BodyError::Network(describe(e)))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| BodyError::NotJson(e.to_string()))
}

/// A reqwest error for logs, without the URL's query string (which can carry an access token,
/// e.g. the `?access_token=` of the generic profile request), with its underlying causes.
pub(crate) fn describe(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_redirect() {
        "redirect refused"
    } else if e.is_builder() {
        "invalid request"
    } else {
        "request failed"
    };
    let url = e.url().map(|u| {
        let mut shown = u.clone();
        shown.set_query(None);
        shown.to_string()
    });
    let e = e.without_url();
    let mut detail = format!("{kind}: {e}");
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        detail.push_str(&format!(": {c}"));
        cause = c.source();
    }
    if let Some(url) = url {
        detail.push_str(&format!(" ({url})"));
    }
    detail
}
