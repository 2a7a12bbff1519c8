//! A load client for federated logins through an OpenID Connect source (`bench`), against a
//! running server and the local test provider (crates/portcullis/tests/idp/server.mjs). Each
//! round trip is a new browser (one cookie jar for both sites, discarded afterwards):
//!   1. GET  /source/oauth/login/bench/            -> 302 to the provider (attempt in our session)
//!   2. the provider's redirect chain, `login_hint=user<K>` appended to choose the account
//!      (authorize, login interaction, resume, consent interaction, resume) -> Location = our callback
//!   3. GET  /source/oauth/callback/bench/?code..  -> 302 to /if/flow/default-source-<enrollment|authentication>/
//!      (its `Server-Timing: provider;dur=.., app;dur=..` is recorded)
//!   4. the flow it points to, through /api/v3/flows/executor/<slug>/: GET; on a prompt, POST the
//!      fields' initial values (the username the provider gave); follow 302s; until xak-flow-redirect.
//!
//! The HTML page /if/flow/<slug>/ itself (static) is not requested.
//!
//! Scenarios, in this order, for [clients] concurrent clients and then for 1 client (each with
//! an unmeasured warm-up during which every login is also checked with /api/v3/core/users/me/):
//!   first     every login is an account that never signed in here (enrollment flow)
//!   returning accounts enrolled by the `first` runs (authentication flow)
//! Prints round trips per second, p50/p99 per phase, Server-Timing, and CPU per round trip of the
//! server, the provider (node), every PostgreSQL process and this client, from /proc/<pid>/stat,
//! counted over the measured window only.
//!
//! cargo run --release -p portcullis --example source_login -- <base url> <provider issuer>
//!     <client id> <client secret> <accounts> <server pid> <provider pid> [clients=4] [seconds=10] [warmup=2]
//! Needs AUTHENTIK_BOOTSTRAP_TOKEN (an API token) in the environment to create the source.

use reqwest::header::{HeaderMap, AUTHORIZATION, COOKIE, LOCATION, SET_COOKIE};
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use url::Url;

const SLUG: &str = "bench";
/// oidc-provider takes five redirects; a few more leave room without looping forever.
const MAX_PROVIDER_HOPS: usize = 10;
/// Executor requests one flow may take (enrollment: GET, POST, GET).
const MAX_FLOW_REQUESTS: usize = 10;
/// Linux reports CPU time in clock ticks of 1/100 s (USER_HZ).
const MS_PER_TICK: f64 = 10.0;

type Res<T> = Result<T, String>;

#[derive(Clone, Copy, PartialEq)]
enum Scenario {
    First,
    Returning,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::First => "first",
            Scenario::Returning => "returning",
        }
    }
    fn flow(self) -> &'static str {
        match self {
            Scenario::First => "default-source-enrollment",
            Scenario::Returning => "default-source-authentication",
        }
    }
}

/// What one round trip took.
#[derive(Default, Clone)]
struct Sample {
    login: Duration,
    provider_walk: Duration,
    callback: Duration,
    flow: Duration,
    whole: Duration,
    /// From the callback's Server-Timing header, in ms.
    app_ms: f64,
    provider_ms: f64,
    our_requests: u32,
    provider_requests: u32,
}

/// One browser's cookies, per origin and path: enough of RFC 6265 for two plain-HTTP sites on
/// 127.0.0.1 within one login (the provider scopes its interaction cookies by path and clears
/// them with an empty value and a 1970 expiry).
#[derive(Default)]
struct Jar(Vec<(String, String, String, String)>); // origin, path, name, value

impl Jar {
    fn store(&mut self, from: &Url, headers: &HeaderMap) {
        for set in headers.get_all(SET_COOKIE) {
            let Ok(set) = set.to_str() else { continue };
            let mut parts = set.split(';');
            let Some((name, value)) = parts.next().and_then(|nv| nv.split_once('=')) else { continue };
            let (name, value) = (name.trim().to_string(), value.trim().to_string());
            let mut path = match from.path().rfind('/') {
                Some(0) | None => "/".to_string(),
                Some(i) => from.path()[..i].to_string(),
            };
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
            self.0.retain(|(o, p, n, _)| !(*o == origin && *p == path && *n == name));
            if !cleared {
                self.0.push((origin, path, name, value));
            }
        }
    }

    fn header_for(&self, url: &Url) -> Option<String> {
        let origin = url.origin().ascii_serialization();
        let path = url.path();
        let pairs: Vec<String> = self
            .0
            .iter()
            .filter(|(o, p, _, _)| {
                *o == origin && (path == p || (path.starts_with(p.as_str()) && (p.ends_with('/') || path[p.len()..].starts_with('/'))))
            })
            .map(|(_, _, n, v)| format!("{n}={v}"))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }
}

struct Answer {
    status: u16,
    location: Option<String>,
    headers: HeaderMap,
    text: String,
}

/// One request as a browser's fetch would make it: cookies from the jar, redirects not followed.
async fn request(http: &reqwest::Client, jar: &mut Jar, url: &Url, body: Option<&Value>) -> Res<Answer> {
    let mut rb = match body {
        Some(b) => http.post(url.clone()).json(b),
        None => http.get(url.clone()),
    };
    if let Some(c) = jar.header_for(url) {
        rb = rb.header(COOKIE, c);
    }
    let r = rb.send().await.map_err(|e| format!("{url}: {e}"))?;
    jar.store(url, r.headers());
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let location = headers.get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    let text = r.text().await.map_err(|e| format!("{url}: reading the body: {e}"))?;
    Ok(Answer { status, location, headers, text })
}

fn redirect_target(a: &Answer, from: &Url, what: &str) -> Res<Url> {
    match (a.status, &a.location) {
        (301..=303 | 307 | 308, Some(l)) => from.join(l).map_err(|e| format!("{what}: bad Location {l:?}: {e}")),
        _ => Err(format!("{what}: expected a redirect, got {} {}", a.status, a.text.chars().take(300).collect::<String>())),
    }
}

/// `provider;dur=1.2, app;dur=0.3` -> (provider, app) in ms.
fn server_timing(h: &HeaderMap) -> Res<(f64, f64)> {
    let v = h.get("server-timing").and_then(|v| v.to_str().ok()).ok_or("the callback answered without Server-Timing")?;
    let mut provider = None;
    let mut app = None;
    for metric in v.split(',') {
        let mut parts = metric.trim().split(';');
        let name = parts.next().unwrap_or("").trim();
        let dur = parts.find_map(|p| p.trim().strip_prefix("dur=")).and_then(|d| d.parse::<f64>().ok());
        match name {
            "provider" => provider = dur,
            "app" => app = dur,
            _ => {}
        }
    }
    match (provider, app) {
        (Some(p), Some(a)) => Ok((p, a)),
        _ => Err(format!("unreadable Server-Timing {v:?}")),
    }
}

struct Target {
    base: Url,
    callback_prefix: String,
}

/// One complete source login of account `user<k>`, as a new browser.
async fn round_trip(http: &reqwest::Client, t: &Target, k: usize, scenario: Scenario, verify: bool) -> Res<Sample> {
    let mut jar = Jar::default();
    let mut s = Sample::default();
    let t0 = Instant::now();

    // 1. Our login page: a new attempt in a new session.
    let login_url = t.base.join(&format!("/source/oauth/login/{SLUG}/")).map_err(|e| e.to_string())?;
    let a = request(http, &mut jar, &login_url, None).await?;
    let mut url = redirect_target(&a, &login_url, "login page")?;
    url.query_pairs_mut().append_pair("login_hint", &format!("user{k}"));
    s.our_requests += 1;
    s.login = t0.elapsed();

    // 2. The provider's side, until it sends the browser back to our callback.
    let t1 = Instant::now();
    let mut callback = None;
    for _ in 0..MAX_PROVIDER_HOPS {
        let a = request(http, &mut jar, &url, None).await?;
        s.provider_requests += 1;
        let next = redirect_target(&a, &url, "provider")?;
        if next.as_str().starts_with(&t.callback_prefix) {
            callback = Some(next);
            break;
        }
        url = next;
    }
    let callback = callback.ok_or_else(|| format!("the provider did not send back to {} within {MAX_PROVIDER_HOPS} hops", t.callback_prefix))?;
    s.provider_walk = t1.elapsed();

    // 3. Our callback.
    let t2 = Instant::now();
    let a = request(http, &mut jar, &callback, None).await?;
    s.callback = t2.elapsed();
    s.our_requests += 1;
    let expected = format!("/if/flow/{}/", scenario.flow());
    if a.status != 302 || a.location.as_deref() != Some(expected.as_str()) {
        return Err(format!("callback answered {} to {:?}, expected 302 to {expected}: {}", a.status, a.location, a.text.chars().take(300).collect::<String>()));
    }
    (s.provider_ms, s.app_ms) = server_timing(&a.headers)?;

    // 4. The flow it points to, through the executor.
    let t3 = Instant::now();
    let exec = t.base.join(&format!("/api/v3/flows/executor/{}/", scenario.flow())).map_err(|e| e.to_string())?;
    let mut body: Option<Value> = None;
    let mut done = false;
    for _ in 0..MAX_FLOW_REQUESTS {
        let a = request(http, &mut jar, &exec, body.as_ref()).await?;
        s.our_requests += 1;
        if a.status == 302 {
            // The executor's continuation: GET the same URL.
            body = None;
            continue;
        }
        if a.status != 200 {
            return Err(format!("executor answered {}: {}", a.status, a.text.chars().take(300).collect::<String>()));
        }
        let ch: Value = serde_json::from_str(&a.text).map_err(|e| format!("executor answered non-JSON ({e})"))?;
        match ch["component"].as_str() {
            Some("xak-flow-redirect") => {
                done = true;
                break;
            }
            Some("ak-stage-prompt") => body = Some(prompt_answer(&ch, k)?),
            _ => return Err(format!("unexpected challenge in {}: {ch}", scenario.flow())),
        }
    }
    if !done {
        return Err(format!("{} did not end within {MAX_FLOW_REQUESTS} requests", scenario.flow()));
    }
    s.flow = t3.elapsed();
    s.whole = t0.elapsed();

    if verify {
        let me = t.base.join("/api/v3/core/users/me/").map_err(|e| e.to_string())?;
        let a = request(http, &mut jar, &me, None).await?;
        let v: Value = serde_json::from_str(&a.text).unwrap_or(Value::Null);
        if a.status != 200 || v["user"]["username"] != json!(format!("user{k}")) {
            return Err(format!("after the flow, users/me answered {}: {}", a.status, a.text.chars().take(300).collect::<String>()));
        }
    }
    Ok(s)
}

/// The prompt's fields with their initial values; the username must be the provider's.
fn prompt_answer(ch: &Value, k: usize) -> Res<Value> {
    let mut answer = Map::new();
    answer.insert("component".into(), json!("ak-stage-prompt"));
    for f in ch["fields"].as_array().ok_or("a prompt without fields")? {
        let key = f["field_key"].as_str().ok_or("a prompt field without field_key")?;
        let v = f["initial_value"].as_str().unwrap_or("");
        if key == "username" && v != format!("user{k}") {
            return Err(format!("the enrollment prompt offered username {v:?} for user{k}"));
        }
        answer.insert(key.into(), json!(v));
    }
    Ok(Value::Object(answer))
}

/// User + system CPU ticks of a process (None once it is gone).
fn ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let f: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// Every `postgres` process on the machine (other users' backends included).
fn postgres_ticks() -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0 };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres"))
        .filter_map(ticks)
        .sum()
}

fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find_map(|l| l.strip_prefix(field)?.trim().strip_suffix("kB")?.trim().parse().ok())
}

#[derive(Clone, Copy, Default)]
struct Cpu {
    server: u64,
    provider: u64,
    postgres: u64,
    client: u64,
}

fn cpu_now(server: u32, provider: u32) -> Cpu {
    Cpu {
        server: ticks(server).unwrap_or(0),
        provider: ticks(provider).unwrap_or(0),
        postgres: postgres_ticks(),
        client: ticks(std::process::id()).unwrap_or(0),
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Shared by the scenarios: which accounts are still new, which are enrolled.
struct Accounts {
    total: usize,
    next_new: AtomicUsize,
    enrolled: Mutex<Vec<usize>>,
    next_returning: AtomicUsize,
}

impl Accounts {
    fn pick(&self, scenario: Scenario) -> Option<usize> {
        match scenario {
            Scenario::First => {
                let k = self.next_new.fetch_add(1, Ordering::Relaxed);
                (k < self.total).then_some(k)
            }
            Scenario::Returning => {
                let enrolled = self.enrolled.lock().ok()?;
                (!enrolled.is_empty()).then(|| enrolled[self.next_returning.fetch_add(1, Ordering::Relaxed) % enrolled.len()])
            }
        }
    }
}

struct Run {
    http: reqwest::Client,
    target: Arc<Target>,
    accounts: Arc<Accounts>,
    server_pid: u32,
    provider_pid: u32,
    /// Round trips started, measured or not: to divide whole-run database counters by.
    attempts: Arc<AtomicU64>,
}

async fn scenario(run: &Run, scenario: Scenario, clients: usize, seconds: u64, warmup: u64) {
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(warmup);
    let end = measure_from + Duration::from_secs(seconds);
    let failures = Arc::new(AtomicU64::new(0));
    let exhausted = Arc::new(AtomicU64::new(0));
    let mut tasks = vec![];
    for _ in 0..clients {
        let (http, target, accounts, failures, exhausted, attempts) =
            (run.http.clone(), run.target.clone(), run.accounts.clone(), failures.clone(), exhausted.clone(), run.attempts.clone());
        tasks.push(tokio::spawn(async move {
            let mut mine = vec![];
            while Instant::now() < end {
                let Some(k) = accounts.pick(scenario) else {
                    exhausted.fetch_add(1, Ordering::Relaxed);
                    break;
                };
                // Warm-up logins are not measured, so they can afford the check that the
                // browser really is signed in as user<k>.
                let verify = Instant::now() < measure_from;
                attempts.fetch_add(1, Ordering::Relaxed);
                match round_trip(&http, &target, k, scenario, verify).await {
                    Ok(s) => {
                        if scenario == Scenario::First {
                            if let Ok(mut e) = accounts.enrolled.lock() {
                                e.push(k);
                            }
                        }
                        let finished = Instant::now();
                        if finished >= measure_from && finished <= end {
                            mine.push(s);
                        }
                    }
                    Err(e) => {
                        if failures.fetch_add(1, Ordering::Relaxed) < 3 {
                            eprintln!("{} round trip of user{k} failed: {e}", scenario.name());
                        }
                    }
                }
            }
            mine
        }));
    }
    // CPU is counted over the measured window only; round trips are counted when they finish
    // inside it, so in steady state the work of the ones cut by its edges evens out.
    tokio::time::sleep_until(measure_from.into()).await;
    let c0 = cpu_now(run.server_pid, run.provider_pid);
    tokio::time::sleep_until(end.into()).await;
    let c1 = cpu_now(run.server_pid, run.provider_pid);
    let mut samples: Vec<Sample> = vec![];
    for t in tasks {
        match t.await {
            Ok(mine) => samples.extend(mine),
            Err(e) => eprintln!("a client task died: {e}"),
        }
    }

    let n = samples.len();
    println!(
        "source_login scenario={} clients={clients} seconds={seconds} completed={n} failed={} round_trips_per_second={:.1}",
        scenario.name(),
        failures.load(Ordering::Relaxed),
        n as f64 / seconds as f64
    );
    if exhausted.load(Ordering::Relaxed) > 0 {
        println!("WARNING: ran out of new accounts ({}); the figures above cover fewer seconds than stated", run.accounts.total);
    }
    if let Some(s) = samples.first() {
        println!("requests_per_round_trip ours={} provider={}", s.our_requests, s.provider_requests);
    }
    type Phase = (&'static str, fn(&Sample) -> f64);
    let phases: [Phase; 7] = [
        ("login_redirect", |s| ms(s.login)),
        ("provider_walk", |s| ms(s.provider_walk)),
        ("callback", |s| ms(s.callback)),
        ("callback_app", |s| s.app_ms),
        ("callback_provider", |s| s.provider_ms),
        ("flow", |s| ms(s.flow)),
        ("whole_round_trip", |s| ms(s.whole)),
    ];
    for (name, f) in phases {
        let mut v: Vec<f64> = samples.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        println!("phase {name:<18} p50_ms={:.2} p99_ms={:.2}", pct(&v, 0.50), pct(&v, 0.99));
    }
    let per = |a: u64, b: u64| (b.saturating_sub(a)) as f64 * MS_PER_TICK / (n.max(1) as f64);
    println!(
        "cpu_ms_per_round_trip server={:.2} provider_node={:.2} postgres_all={:.2} load_client={:.2}",
        per(c0.server, c1.server),
        per(c0.provider, c1.provider),
        per(c0.postgres, c1.postgres),
        per(c0.client, c1.client)
    );
    println!(
        "rss_mib server_peak={:.1} server_now={:.1} provider_peak={:.1}",
        status_kib(run.server_pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0,
        status_kib(run.server_pid, "VmRSS:").unwrap_or(0) as f64 / 1024.0,
        status_kib(run.provider_pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0
    );
}

/// The API calls of the setup, with the bootstrap token.
async fn api(http: &reqwest::Client, token: &str, base: &Url, path: &str, body: Option<Value>) -> Res<Value> {
    let url = base.join(path).map_err(|e| e.to_string())?;
    let rb = match &body {
        Some(b) => http.post(url.clone()).json(b),
        None => http.get(url.clone()),
    };
    let r = rb.header(AUTHORIZATION, format!("Bearer {token}")).send().await.map_err(|e| format!("{url}: {e}"))?;
    let status = r.status();
    let text = r.text().await.map_err(|e| format!("{url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{url} answered {status}: {text}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("{url} answered non-JSON: {e}"))
}

async fn setup(http: &reqwest::Client, base: &Url, issuer: &str, client_id: &str, client_secret: &str) -> Res<()> {
    let token = std::env::var("AUTHENTIK_BOOTSTRAP_TOKEN").map_err(|_| "AUTHENTIK_BOOTSTRAP_TOKEN is not set")?;
    let mut pks = vec![];
    for slug in ["default-source-authentication", "default-source-enrollment"] {
        let f = api(http, &token, base, &format!("/api/v3/flows/instances/{slug}/"), None).await?;
        pks.push(f["pk"].as_str().ok_or_else(|| format!("flow {slug} has no pk: {f}"))?.to_string());
    }
    api(
        http,
        &token,
        base,
        "/api/v3/sources/oauth/",
        Some(json!({
            "name": "Bench",
            "slug": SLUG,
            "provider_type": "openidconnect",
            "consumer_key": client_id,
            "consumer_secret": client_secret,
            "oidc_well_known_url": format!("{issuer}/.well-known/openid-configuration"),
            "authentication_flow": pks[0],
            "enrollment_flow": pks[1],
        })),
    )
    .await?;
    Ok(())
}

/// How many connections the source has, as the admin API counts them.
async fn connection_count(http: &reqwest::Client, base: &Url) -> Res<u64> {
    let token = std::env::var("AUTHENTIK_BOOTSTRAP_TOKEN").map_err(|_| "AUTHENTIK_BOOTSTRAP_TOKEN is not set")?;
    let v = api(http, &token, base, &format!("/api/v3/sources/user_connections/oauth/?source__slug={SLUG}&page_size=1"), None).await?;
    v["pagination"]["count"].as_u64().ok_or_else(|| format!("no pagination count: {v}"))
}

#[tokio::main]
async fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 8 {
        eprintln!("usage: source_login <base url> <provider issuer> <client id> <client secret> <accounts> <server pid> <provider pid> [clients=4] [seconds=10] [warmup=2]");
        std::process::exit(2);
    }
    let parse = |i: usize, what: &str| -> u64 {
        a[i].parse().unwrap_or_else(|_| {
            eprintln!("{what} must be a number: {}", a[i]);
            std::process::exit(2)
        })
    };
    let base = Url::parse(&a[1]).unwrap_or_else(|e| {
        eprintln!("bad base url {}: {e}", a[1]);
        std::process::exit(2)
    });
    let (issuer, client_id, client_secret) = (a[2].trim_end_matches('/').to_string(), a[3].clone(), a[4].clone());
    let total = parse(5, "accounts") as usize;
    let (server_pid, provider_pid) = (parse(6, "server pid") as u32, parse(7, "provider pid") as u32);
    let clients: usize = a.get(8).and_then(|v| v.parse().ok()).unwrap_or(4);
    let seconds: u64 = a.get(9).and_then(|v| v.parse().ok()).unwrap_or(10);
    let warmup: u64 = a.get(10).and_then(|v| v.parse().ok()).unwrap_or(2);

    let http = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(clients.max(1) * 2)
        .timeout(Duration::from_secs(30))
        .build()
    {
        Ok(h) => h,
        Err(e) => {
            eprintln!("no HTTP client: {e}");
            std::process::exit(1)
        }
    };
    if let Err(e) = setup(&http, &base, &issuer, &client_id, &client_secret).await {
        eprintln!("setup failed: {e}");
        std::process::exit(1);
    }
    let callback_prefix = format!("{}/source/oauth/callback/{SLUG}/", base.as_str().trim_end_matches('/'));
    let run = Run {
        http: http.clone(),
        target: Arc::new(Target { base: base.clone(), callback_prefix }),
        accounts: Arc::new(Accounts { total, next_new: AtomicUsize::new(0), enrolled: Mutex::new(vec![]), next_returning: AtomicUsize::new(0) }),
        server_pid,
        provider_pid,
        attempts: Arc::new(AtomicU64::new(0)),
    };
    let mut levels = vec![clients];
    if clients != 1 {
        levels.push(1);
    }
    for c in levels {
        scenario(&run, Scenario::First, c, seconds, warmup).await;
        scenario(&run, Scenario::Returning, c, seconds, warmup).await;
    }
    println!("total_round_trips={} (warm-ups and failures included)", run.attempts.load(Ordering::Relaxed));
    // Every successful first login made exactly one connection; the returning ones made none.
    let enrolled = run.accounts.enrolled.lock().map(|e| e.len()).unwrap_or(0) as u64;
    match connection_count(&http, &base).await {
        Ok(n) if n == enrolled => println!("check connections={n} = successful first logins"),
        Ok(n) => {
            println!("CHECK FAILED: the source has {n} connections after {enrolled} successful first logins");
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("could not count connections: {e}");
            std::process::exit(1);
        }
    }
}
