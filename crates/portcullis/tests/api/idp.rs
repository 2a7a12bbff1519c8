//! A real OpenID Connect provider for the source tests: node `oidc-provider` (tests/idp/server.mjs)
//! in a child process, plus [`walk_to_callback`], which plays the browser on the provider's side
//! of a login (its redirects and cookies) without a browser.
//!
//! The provider logs nobody in by hand: the authorization request's `login_hint` picks the account
//! (its key in `accounts`; default: the first), consent is granted for whatever was asked, and an
//! unknown hint comes back to the client as `error=access_denied`. See server.mjs for the details.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use url::Url;

/// How long node may take to print READY. It starts in well under a second alone, but the test
/// binary runs many processes at once on a small machine.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The folder of the node provider (package.json, server.mjs, node_modules).
pub fn idp_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/idp")
}

/// A running node `oidc-provider` with one confidential client; killed when dropped.
pub struct OidcProvider {
    /// `http://127.0.0.1:<port>`, also the `iss` of its ID tokens.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// The one redirect URI registered for the client.
    pub redirect_uri: String,
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl OidcProvider {
    /// Starts a provider whose client (random id and secret) may redirect to `redirect_uri` only.
    /// `accounts`: `{"alice": {"sub", "email", "email_verified", "preferred_username", "name",
    /// "nickname"?}, ...}`; the keys are the names `login_hint` selects by.
    pub fn start(redirect_uri: &str, accounts: Value) -> OidcProvider {
        let client_id = format!("portcullis-test-{}", domain::crypto::random_hex(6));
        let client_secret = domain::crypto::random_hex(24);
        let config = json!({
            "clients": [{"client_id": client_id, "client_secret": client_secret, "redirect_uris": [redirect_uri]}],
            "accounts": accounts,
        });
        ensure_node_modules();
        let stderr = Arc::new(Mutex::new(String::new()));
        let (child, issuer) = spawn_provider(&config, &stderr);
        OidcProvider { issuer, client_id, client_secret, redirect_uri: redirect_uri.to_string(), child, stderr }
    }

    pub fn well_known_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer)
    }

    /// oidc-provider's default routes, for configuring a source without discovery; the discovery
    /// document says the same.
    pub fn authorization_url(&self) -> String {
        format!("{}/auth", self.issuer)
    }
    pub fn token_url(&self) -> String {
        format!("{}/token", self.issuer)
    }
    pub fn userinfo_url(&self) -> String {
        format!("{}/me", self.issuer)
    }
    pub fn jwks_url(&self) -> String {
        format!("{}/jwks", self.issuer)
    }

    /// What the provider wrote on stderr so far (errors only), for failure messages.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns `node server.mjs <config>` and waits for its `READY <issuer>` line.
fn spawn_provider(config: &Value, stderr: &Arc<Mutex<String>>) -> (Child, String) {
    let mut child = Command::new("node")
        .arg("server.mjs")
        .arg(config.to_string())
        .current_dir(idp_dir())
        // Our end of stdin closes when this test process dies, even without Drop (killed on a
        // timeout); the provider then exits instead of lingering.
        .env("IDP_EXIT_ON_STDIN_CLOSE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `node` for the test OpenID provider ({e}); install Node.js >= 20.19"));

    // Both pipes are drained for the provider's whole life so that it never blocks on a full pipe.
    let mut err_pipe = child.stderr.take().expect("piped stderr");
    let sink = Arc::clone(stderr);
    let err_reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = err_pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut s) = sink.lock() {
                s.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        }
    });
    let out_pipe = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(out_pipe).lines();
        if let Some(Ok(first)) = lines.next() {
            let _ = tx.send(first);
        }
        for _ in lines {}
    });

    let started = Instant::now();
    let first = rx.recv_timeout(START_TIMEOUT);
    let issuer = first.as_deref().ok().and_then(|l| l.strip_prefix("READY ")).map(str::to_string);
    match issuer {
        Some(issuer) => (child, issuer),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            let _ = err_reader.join();
            let err = stderr.lock().map(|s| s.clone()).unwrap_or_default();
            panic!(
                "the test OpenID provider (node {}/server.mjs) did not become ready after {:?}; first stdout line: {:?}\n--- stderr ---\n{err}",
                idp_dir().display(),
                started.elapsed(),
                first.ok(),
            );
        }
    }
}

/// Installs the provider's npm packages if they are missing. scripts/test does this before the
/// tests; this lazy path is for `cargo nextest` run directly. nextest runs each test in its own
/// process, so an exclusive file lock (released by the kernel even if the holder dies) makes
/// sure only one of them runs `npm ci` while the others wait for it.
fn ensure_node_modules() {
    let dir = idp_dir();
    // npm writes this file last, so its presence means a complete install.
    let installed = || dir.join("node_modules/.package-lock.json").exists();
    if installed() {
        return;
    }
    let lock_path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("portcullis-test-idp-npm-ci.lock");
    let lock = std::fs::File::create(&lock_path).unwrap_or_else(|e| panic!("cannot create {}: {e}", lock_path.display()));
    lock.lock().unwrap_or_else(|e| panic!("cannot lock {}: {e}", lock_path.display()));
    if installed() {
        return;
    }
    let out = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `npm` to install the test OpenID provider in {} ({e}); install Node.js and npm", dir.display()));
    if !out.status.success() || !installed() {
        panic!(
            "`npm ci` in {} failed ({}):\n{}{}",
            dir.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The lock is released when `lock` is dropped.
}

/// The most redirects a provider-side login may take. oidc-provider takes five (authorize,
/// login interaction, resume, consent interaction, resume); the fake takes one.
const MAX_HOPS: usize = 10;

/// Follows the provider's redirects from `authorize_url`, with a cookie jar of its own, until a
/// `Location` starts with `callback_prefix`, and returns that absolute URL (with `code` and
/// `state`, or `error`) without requesting it: the caller does, with its own session.
/// Panics with the trail and the last response when the chain ends anywhere else.
pub async fn walk_to_callback(authorize_url: &str, callback_prefix: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("an HTTP client");
    let mut jar = CookieJar::default();
    let mut url = Url::parse(authorize_url).unwrap_or_else(|e| panic!("not an absolute URL: {authorize_url}: {e}"));
    let mut trail: Vec<String> = Vec::new();
    for _ in 0..MAX_HOPS {
        let mut req = client.get(url.clone());
        if let Some(cookies) = jar.header_for(&url) {
            req = req.header(COOKIE, cookies);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("GET {url} failed: {e}\ntrail:\n{}", trail.join("\n")));
        let status = resp.status();
        for set in resp.headers().get_all(SET_COOKIE) {
            if let Ok(set) = set.to_str() {
                jar.store(&url, set);
            }
        }
        let location = resp.headers().get(LOCATION).and_then(|l| l.to_str().ok()).map(str::to_string);
        let next = match (status.is_redirection(), location) {
            (true, Some(location)) => url.join(&location).unwrap_or_else(|e| panic!("bad Location {location:?} from {url}: {e}")),
            _ => {
                let body = resp.text().await.unwrap_or_default();
                panic!("the provider stopped at {url} with {status} before reaching {callback_prefix}\ntrail:\n{}\nbody:\n{body}", trail.join("\n"));
            }
        };
        if next.as_str().starts_with(callback_prefix) {
            return next.to_string();
        }
        trail.push(format!("{status} {url} -> {next}"));
        url = next;
    }
    panic!("no redirect to {callback_prefix} within {MAX_HOPS} hops\ntrail:\n{}", trail.join("\n"));
}

/// Just enough of RFC 6265 for the two test providers: cookies per origin and path, removed when
/// the server clears them (koa clears with an empty value and a 1970 expiry). Domain, Secure and
/// real expiry times are not needed for plain-HTTP providers on 127.0.0.1 within one login.
#[derive(Default)]
struct CookieJar {
    cookies: Vec<StoredCookie>,
}

struct StoredCookie {
    origin: String,
    path: String,
    name: String,
    value: String,
}

impl CookieJar {
    fn store(&mut self, from: &Url, set_cookie: &str) {
        let mut parts = set_cookie.split(';');
        let Some((name, value)) = parts.next().and_then(|nv| nv.split_once('=')) else { return };
        let (name, value) = (name.trim().to_string(), value.trim().to_string());
        let mut path = default_path(from.path());
        let mut cleared = value.is_empty();
        for attr in parts {
            let (k, v) = attr.split_once('=').unwrap_or((attr, ""));
            match k.trim().to_ascii_lowercase().as_str() {
                "path" if v.trim().starts_with('/') => path = v.trim().to_string(),
                "max-age" => cleared |= v.trim().parse::<i64>().map(|s| s <= 0).unwrap_or(false),
                "expires" => cleared |= v.contains("1970"),
                _ => {}
            }
        }
        let origin = from.origin().ascii_serialization();
        self.cookies.retain(|c| !(c.origin == origin && c.path == path && c.name == name));
        if !cleared {
            self.cookies.push(StoredCookie { origin, path, name, value });
        }
    }

    fn header_for(&self, url: &Url) -> Option<String> {
        let origin = url.origin().ascii_serialization();
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .filter(|c| c.origin == origin && path_matches(url.path(), &c.path))
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }
}

/// RFC 6265 5.1.4: the request path up to, not including, its last `/` (or `/`).
fn default_path(request_path: &str) -> String {
    match request_path.rfind('/') {
        Some(0) | None => "/".into(),
        Some(i) => request_path[..i].to_string(),
    }
}

fn path_matches(request_path: &str, cookie_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path) && (cookie_path.ends_with('/') || request_path[cookie_path.len()..].starts_with('/')))
}
