//! A load client for full logins through the flow executor: each login uses a fresh session
//! and runs the default authentication flow over HTTP exactly as a browser's fetch would:
//!   1. GET  executor            -> identification challenge (new session cookie)
//!   2. POST identification      -> 302 to the same URL
//!   3. GET  (follow)            -> password challenge
//!   4. POST password            -> 302
//!   5. GET  (follow)            -> user_login runs, new session id -> xak-flow-redirect
//!
//! Prints logins per second and p50/p99 latency of each step.
//!
//! cargo run --release -p portcullis --example login_load -- <base url> <username> <password> [clients] [seconds] [warmup seconds]

use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

const STEPS: [&str; 5] = ["get_identification", "post_identification", "get_password", "post_password", "get_login"];

fn session_cookie(h: &HeaderMap, current: &mut String) {
    for c in h.get_all(SET_COOKIE) {
        if let Some(v) = c.to_str().ok().and_then(|c| c.strip_prefix("authentik_session=")) {
            *current = v.split(';').next().unwrap_or("").to_string();
        }
    }
}

fn send(rb: reqwest::RequestBuilder, cookie: &str) -> reqwest::RequestBuilder {
    if cookie.is_empty() {
        rb
    } else {
        rb.header(COOKIE, format!("authentik_session={cookie}"))
    }
}

async fn login(client: &reqwest::Client, base: &str, user: &str, password: &str, times: &mut [Duration; 5]) -> Result<(), String> {
    let url = format!("{base}/api/v3/flows/executor/default-authentication-flow/?query=next%3D%252F");
    let mut cookie = String::new();
    let steps: [(bool, Option<serde_json::Value>, &str); 5] = [
        (false, None, "ak-stage-identification"),
        (true, Some(serde_json::json!({"component": "ak-stage-identification", "uid_field": user})), ""),
        (false, None, "ak-stage-password"),
        (true, Some(serde_json::json!({"component": "ak-stage-password", "password": password})), ""),
        (false, None, "xak-flow-redirect"),
    ];
    for (i, (post, body, expect)) in steps.into_iter().enumerate() {
        let t = Instant::now();
        let rb = if post { client.post(&url).json(body.as_ref().unwrap()) } else { client.get(&url) };
        let r = send(rb, &cookie).send().await.map_err(|e| e.to_string())?;
        session_cookie(r.headers(), &mut cookie);
        let status = r.status().as_u16();
        let location = r.headers().get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_string);
        let text = r.text().await.map_err(|e| e.to_string())?;
        times[i] = t.elapsed();
        if post {
            if status != 302 || location.is_none() {
                return Err(format!("step {} answered {status}: {text}", STEPS[i]));
            }
        } else if status != 200 || !text.contains(&format!("\"component\":\"{expect}\"")) {
            return Err(format!("step {} answered {status}: {text}", STEPS[i]));
        }
    }
    Ok(())
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 4 {
        eprintln!("usage: login_load <base url> <username> <password> [clients=16] [seconds=30] [warmup=3]");
        std::process::exit(2);
    }
    let (base, user, password) = (a[1].clone(), a[2].clone(), a[3].clone());
    let clients: usize = a.get(4).and_then(|v| v.parse().ok()).unwrap_or(16);
    let seconds: u64 = a.get(5).and_then(|v| v.parse().ok()).unwrap_or(30);
    let warmup: u64 = a.get(6).and_then(|v| v.parse().ok()).unwrap_or(3);
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).pool_max_idle_per_host(clients).build().unwrap();
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(warmup);
    let end = measure_from + Duration::from_secs(seconds);
    let samples: Arc<Mutex<Vec<[Duration; 5]>>> = Arc::new(Mutex::new(vec![]));
    let failures = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut tasks = vec![];
    for _ in 0..clients {
        let (client, base, user, password, samples, failures) = (client.clone(), base.clone(), user.clone(), password.clone(), samples.clone(), failures.clone());
        tasks.push(tokio::spawn(async move {
            let mut mine = vec![];
            loop {
                let t0 = Instant::now();
                if t0 >= end {
                    break;
                }
                let mut times = [Duration::ZERO; 5];
                match login(&client, &base, &user, &password, &mut times).await {
                    Ok(()) if t0 >= measure_from && Instant::now() <= end => mine.push(times),
                    Ok(()) => {}
                    Err(e) => {
                        if failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 3 {
                            eprintln!("login failed: {e}");
                        }
                    }
                }
            }
            samples.lock().await.extend(mine);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let samples = samples.lock().await;
    let n = samples.len();
    println!(
        "logins clients={clients} seconds={seconds} completed={n} failed={} logins_per_second={:.1}",
        failures.load(std::sync::atomic::Ordering::Relaxed),
        n as f64 / seconds as f64
    );
    for (i, name) in STEPS.iter().enumerate() {
        let mut v: Vec<Duration> = samples.iter().map(|s| s[i]).collect();
        v.sort();
        println!("step {name:<20} p50_ms={:.1} p99_ms={:.1}", pct(&v, 0.50), pct(&v, 0.99));
    }
    let mut total: Vec<Duration> = samples.iter().map(|s| s.iter().sum()).collect();
    total.sort();
    println!("step {:<20} p50_ms={:.1} p99_ms={:.1}", "whole_login", pct(&total, 0.50), pct(&total, 0.99));
}
