//! Operating the server: health, readiness across a database outage, configuration errors,
//! graceful shutdown, first start, concurrent starts, migrations, secrets in logs, and
//! legacy password hashes.

use crate::harness::{self, Db, TestServer};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// ---- health ----

both!(liveness_and_readiness_answer_204_without_credentials, |s| {
    for p in ["/-/health/live/", "/-/health/ready/"] {
        let r = s.send(reqwest::Method::GET, p, None, Some("")).await;
        assert_eq!(r.status, 204, "{p}: {r:?}");
        assert_eq!(r.text, "");
    }
});

/// A TCP proxy in front of PostgreSQL that can cut every connection and refuse new ones.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Proxy {
    async fn start(target: (String, u16)) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let (cut, cut_rx) = tokio::sync::watch::channel(0u64);
        let up2 = up.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let mut cut_rx = cut_rx.clone();
                cut_rx.borrow_and_update();
                let target = target.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(target).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut_rx.changed() => {}
                    }
                });
            }
        });
        Proxy { port, up, cut }
    }
    /// Closes every open connection and refuses new ones.
    fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|g| *g += 1);
    }
    fn resume(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

async fn wait_for_status(client: &reqwest::Client, url: &str, want: u16, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let got = client.get(url).timeout(Duration::from_secs(20)).send().await.map(|r| r.status().as_u16());
        if got.as_ref().ok() == Some(&want) {
            return start.elapsed();
        }
        assert!(start.elapsed() < within, "{url} did not answer {want} within {within:?} (last: {got:?})");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn readiness_is_503_while_postgresql_is_unreachable_and_recovers_without_restart() {
    let name = harness::create_pg_database().await;
    let proxy = Proxy::start(harness::pg_host_port()).await;
    let dir = harness::temp_dir();
    let port = proxy.port.to_string();
    let cfg = harness::config(
        Db::Postgres,
        &dir,
        Some(&name),
        &[("AUTHENTIK_POSTGRESQL__HOST", "127.0.0.1"), ("AUTHENTIK_POSTGRESQL__PORT", &port)],
    );
    let running = portcullis::start(cfg).await.expect("starts through the proxy");
    let s = TestServer::new(format!("http://{}", running.addr), Db::Postgres);
    let ready = format!("{}/-/health/ready/", s.base);
    let outcome = tokio::spawn(async move {
        let c = s.client().clone();
        assert_eq!(c.get(&ready).send().await.unwrap().status(), 204);
        proxy.down();
        wait_for_status(&c, &ready, 503, Duration::from_secs(40)).await;
        // API requests meanwhile fail cleanly: 503 JSON, not a crash or a hang.
        let r = s.get("/api/v3/core/users/").await;
        assert_eq!(r.status, 503, "{r:?}");
        assert!(r.body["detail"].is_string(), "{r:?}");
        // Liveness does not depend on the database.
        assert_eq!(c.get(format!("{}/-/health/live/", s.base)).send().await.unwrap().status(), 204);
        proxy.resume();
        wait_for_status(&c, &ready, 204, Duration::from_secs(40)).await;
        let r = s.get("/api/v3/core/users/me/").await;
        assert_eq!(r.status, 200, "{r:?}");
    })
    .await;
    running.stop().await;
    harness::drop_pg_database(&name).await;
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

// ---- the real binary ----

/// The `portcullis` binary running with exactly the given environment.
struct Proc {
    child: Child,
    out: Arc<Mutex<String>>,
    err: Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

fn collect(r: impl std::io::Read + Send + 'static, into: Arc<Mutex<String>>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            let mut s = into.lock().unwrap();
            s.push_str(&line);
            s.push('\n');
        }
    })
}

impl Proc {
    fn spawn(env: &[(String, String)]) -> Proc {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_portcullis"));
        cmd.env_clear().env("NO_COLOR", "1").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("run the portcullis binary");
        let (out, err) = (Arc::new(Mutex::new(String::new())), Arc::new(Mutex::new(String::new())));
        let readers = vec![collect(child.stdout.take().unwrap(), out.clone()), collect(child.stderr.take().unwrap(), err.clone())];
        Proc { child, out, err, readers }
    }
    async fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                // The pipes are closed: the readers finish once they have read everything.
                for r in self.readers.drain(..) {
                    let _ = tokio::task::spawn_blocking(move || r.join()).await;
                }
                return st;
            }
            assert!(start.elapsed() < within, "portcullis did not exit within {within:?}; stderr: {}", self.stderr());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    fn stdout(&self) -> String {
        self.out.lock().unwrap().clone()
    }
    fn stderr(&self) -> String {
        self.err.lock().unwrap().clone()
    }
    /// Waits until stderr contains `needle` (the reader threads run behind the process).
    async fn wait_stderr(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let err = self.stderr();
            if err.contains(needle) {
                return err;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "{needle:?} never appeared on stderr: {err}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    fn terminate(&self) {
        let st = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status().unwrap();
        assert!(st.success());
    }
    /// Waits until the server answers on `base`, failing if the process exits first.
    async fn wait_ready(&mut self, base: &str) {
        let c = reqwest::Client::new();
        let start = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                panic!("portcullis exited with {st} before serving; stderr: {}", self.stderr());
            }
            if let Ok(r) = c.get(format!("{base}/-/health/ready/")).send().await {
                if r.status() == 204 {
                    return;
                }
            }
            assert!(start.elapsed() < Duration::from_secs(60), "portcullis did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    /// SIGTERM, then the exit status.
    async fn stop(&mut self) -> ExitStatus {
        self.terminate();
        self.wait_exit(Duration::from_secs(20)).await
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Environment for the binary on `db`, listening on `port`, without bootstrap credentials.
fn bin_env(db: Db, dir: &std::path::Path, pg_name: Option<&str>, port: u16) -> Vec<(String, String)> {
    let mut env = vec![
        ("AUTHENTIK_LISTEN__HTTP".to_string(), format!("127.0.0.1:{port}")),
        ("PORTCULLIS_DATA_DIR".to_string(), dir.display().to_string()),
    ];
    if db == Db::Postgres {
        let (h, p) = harness::pg_host_port();
        env.push(("AUTHENTIK_POSTGRESQL__HOST".into(), h));
        env.push(("AUTHENTIK_POSTGRESQL__PORT".into(), p.to_string()));
        env.push(("AUTHENTIK_POSTGRESQL__USER".into(), "postgres".into()));
        env.push(("AUTHENTIK_POSTGRESQL__NAME".into(), pg_name.unwrap().into()));
        env.push(("AUTHENTIK_SECRET_KEY".into(), "ops-test-secret".into()));
    }
    env
}

fn set(env: &mut Vec<(String, String)>, k: &str, v: &str) {
    env.retain(|(x, _)| x != k);
    env.push((k.to_string(), v.to_string()));
}

/// A fresh database (PostgreSQL) or directory (both) for a binary test, removed on drop.
struct Scratch {
    db: Db,
    dir: std::path::PathBuf,
    pg: Option<String>,
}
impl Scratch {
    async fn new(db: Db) -> Scratch {
        let pg = if db == Db::Postgres { Some(harness::create_pg_database().await) } else { None };
        Scratch { db, dir: harness::temp_dir(), pg }
    }
    fn env(&self, port: u16) -> Vec<(String, String)> {
        bin_env(self.db, &self.dir, self.pg.as_deref(), port)
    }
    fn db_config(&self) -> storage::DbConfig {
        let mut env: std::collections::HashMap<String, String> = self.env(1).into_iter().collect();
        env.remove("AUTHENTIK_LISTEN__HTTP");
        portcullis::Config::from_map(&env).unwrap().db
    }
    async fn cleanup(self) {
        if let Some(n) = &self.pg {
            harness::drop_pg_database(n).await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Asserts a failed start: non-zero exit and exactly one line on stderr, naming `needle`.
async fn fails_with_one_line(env: &[(String, String)], needle: &str) -> String {
    let mut p = Proc::spawn(env);
    let st = p.wait_exit(Duration::from_secs(60)).await;
    let err = p.stderr();
    assert!(!st.success(), "expected a failure, got {st}; stderr: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line on stderr, got: {err}");
    assert!(lines[0].starts_with("portcullis: "), "{err}");
    assert!(lines[0].contains(needle), "{needle:?} not in {err}");
    assert!(!format!("{err}{}", p.stdout()).contains("panicked"), "{err}");
    lines[0].to_string()
}

both_db!(malformed_listen_address_is_a_one_line_error, |db| {
    let sc = Scratch::new(db).await;
    let mut env = sc.env(1);
    set(&mut env, "AUTHENTIK_LISTEN__HTTP", "nope:port");
    let line = fails_with_one_line(&env, "AUTHENTIK_LISTEN__HTTP").await;
    assert!(line.contains("nope:port"), "{line}");
    sc.cleanup().await;
});

both_db!(listen_port_already_in_use_is_a_one_line_error, |db| {
    let sc = Scratch::new(db).await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let line = fails_with_one_line(&sc.env(port), &format!("127.0.0.1:{port}")).await;
    assert!(line.contains("cannot listen"), "{line}");
    drop(taken);
    sc.cleanup().await;
});

#[tokio::test]
async fn unwritable_data_directory_is_a_one_line_error_on_sqlite() {
    let sc = Scratch::new(Db::Sqlite).await;
    let file = sc.dir.join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let mut env = sc.env(free_port());
    set(&mut env, "PORTCULLIS_DATA_DIR", &file.join("data").display().to_string());
    let line = fails_with_one_line(&env, "data directory").await;
    assert!(line.contains(&file.display().to_string()), "{line}");
    sc.cleanup().await;
}

#[tokio::test]
async fn unreachable_postgresql_is_a_one_line_error() {
    let sc = Scratch::new(Db::Postgres).await;
    let mut env = sc.env(free_port());
    let dead = free_port().to_string();
    set(&mut env, "AUTHENTIK_POSTGRESQL__HOST", "127.0.0.1");
    set(&mut env, "AUTHENTIK_POSTGRESQL__PORT", &dead);
    let line = fails_with_one_line(&env, "PostgreSQL").await;
    assert!(line.contains(&format!("127.0.0.1:{dead}")), "{line}");
    sc.cleanup().await;
}

#[tokio::test]
async fn postgresql_without_secret_key_is_a_one_line_error() {
    let sc = Scratch::new(Db::Postgres).await;
    let mut env = sc.env(free_port());
    env.retain(|(k, _)| k != "AUTHENTIK_SECRET_KEY");
    fails_with_one_line(&env, "AUTHENTIK_SECRET_KEY").await;
    sc.cleanup().await;
}

both_db!(sigterm_stops_the_binary_gracefully_with_exit_0, |db| {
    let sc = Scratch::new(db).await;
    let port = free_port();
    let mut env = sc.env(port);
    set(&mut env, "AUTHENTIK_BOOTSTRAP_TOKEN", "sigterm-token");
    set(&mut env, "AUTHENTIK_BOOTSTRAP_PASSWORD", "sigterm-password");
    let mut p = Proc::spawn(&env);
    let base = format!("http://127.0.0.1:{port}");
    p.wait_ready(&base).await;
    let st = p.stop().await;
    assert_eq!(st.code(), Some(0), "stderr: {}", p.stderr());
    assert!(reqwest::Client::new().get(format!("{base}/-/health/live/")).send().await.is_err(), "no longer serving");
    sc.cleanup().await;
});

/// Reads `label` from the first-start banner on stderr.
fn banner_value(stderr: &str, label: &str) -> Option<String> {
    stderr.lines().find_map(|l| l.trim().strip_prefix(label)).map(|v| v.trim().to_string())
}

async fn me(base: &str, token: &str) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new().get(format!("{base}/api/v3/core/users/me/")).bearer_auth(token).send().await.unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(serde_json::Value::Null))
}

both_db!(first_start_prints_generated_credentials_once_and_they_work, |db| {
    let sc = Scratch::new(db).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut p = Proc::spawn(&sc.env(port));
    p.wait_ready(&base).await;
    let err = p.wait_stderr("API token:").await;
    let password = banner_value(&err, "password:").unwrap_or_else(|| panic!("no password in {err}"));
    let token = banner_value(&err, "API token:").unwrap_or_else(|| panic!("no token in {err}"));
    assert!(password.len() >= 16 && token.len() >= 32, "{err}");
    assert_eq!(err.matches(&token).count(), 1, "the token is shown once");
    let (st, body) = me(&base, &token).await;
    assert_eq!(st, 200);
    assert_eq!(body["user"]["username"], "akadmin");
    assert_eq!(body["user"]["is_superuser"], true);
    let admin_pk = body["user"]["pk"].as_i64().unwrap();
    assert_eq!(p.stop().await.code(), Some(0));

    // The password is the admin's.
    let store = storage::connect(&sc.db_config()).await.unwrap();
    assert!(engine::auth::verify_password(&store, admin_pk, &password).await.unwrap());
    assert!(!engine::auth::verify_password(&store, admin_pk, "not-it").await.unwrap());
    store.close().await;

    // Second start: nothing printed, same admin, same token.
    let mut p = Proc::spawn(&sc.env(port));
    p.wait_ready(&base).await;
    let (st, body) = me(&base, &token).await;
    assert_eq!(p.stop().await.code(), Some(0));
    // Stopped: everything it wrote has been read.
    let err = p.stderr();
    assert!(!err.contains(&token) && !err.contains(&password) && !err.contains("API token"), "{err}");
    assert_eq!(st, 200);
    assert_eq!(body["user"]["pk"], admin_pk);
    let store = storage::connect(&sc.db_config()).await.unwrap();
    assert_eq!(count_rows(&store, "users", "username", "akadmin").await, 1);
    store.close().await;
    sc.cleanup().await;
});

#[tokio::test]
async fn sqlite_without_secret_key_generates_a_private_key_file_and_reuses_it() {
    use std::os::unix::fs::PermissionsExt;
    let sc = Scratch::new(Db::Sqlite).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut env = sc.env(port);
    set(&mut env, "AUTHENTIK_BOOTSTRAP_TOKEN", "key-file-token");
    set(&mut env, "AUTHENTIK_BOOTSTRAP_PASSWORD", "key-file-password");
    let mut p = Proc::spawn(&env);
    p.wait_ready(&base).await;
    let path = sc.dir.join("secret_key");
    let key = std::fs::read_to_string(&path).expect("secret_key file");
    assert!(key.trim().len() >= 32);
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(me(&base, "key-file-token").await.0, 200);
    assert_eq!(p.stop().await.code(), Some(0));
    let mut p = Proc::spawn(&env);
    p.wait_ready(&base).await;
    assert_eq!(std::fs::read_to_string(&path).unwrap(), key, "the key is reused");
    // Token lookups use a digest keyed by the secret key: a new key would lose the token.
    assert_eq!(me(&base, "key-file-token").await.0, 200);
    assert_eq!(p.stop().await.code(), Some(0));
    sc.cleanup().await;
}

both_db!(secrets_are_never_logged_even_at_debug_level, |db| {
    let sc = Scratch::new(db).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut env = sc.env(port);
    set(&mut env, "PORTCULLIS_LOG", "debug");
    let mut p = Proc::spawn(&env);
    p.wait_ready(&base).await;
    let banner_err = p.wait_stderr("API token:").await;
    let password = banner_value(&banner_err, "password:").unwrap();
    let token = banner_value(&banner_err, "API token:").unwrap();
    let new_password = "N3w-Secret-Password-for-the-log-test";
    let c = reqwest::Client::new();
    let users = format!("{base}/api/v3/core/users/");
    assert_eq!(c.get(format!("{users}me/")).bearer_auth(&token).send().await.unwrap().status(), 200);
    assert_eq!(c.get(format!("{users}?search=a")).bearer_auth(&token).send().await.unwrap().status(), 200);
    let r = c.post(&users).bearer_auth(&token).json(&json!({"username": "logged", "name": "L"})).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let pk = r.json::<serde_json::Value>().await.unwrap()["pk"].as_i64().unwrap();
    let r = c.post(format!("{users}{pk}/set_password/")).bearer_auth(&token).json(&json!({"password": new_password})).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let r = c.post(&users).bearer_auth(&token).json(&json!({"username": "", "name": password})).send().await.unwrap();
    assert_eq!(r.status(), 400);
    // A wrong token that shares a prefix with the real one.
    let wrong = format!("{}x", &token[..token.len() - 1]);
    assert_eq!(c.get(&users).bearer_auth(&wrong).send().await.unwrap().status(), 403);
    assert_eq!(p.stop().await.code(), Some(0));
    let out = p.stdout();
    let err = p.stderr();
    assert!(out.contains("DEBUG") || out.contains("debug"), "debug logging is on: {out}");
    // The banner is the only place; remove it once and nothing may remain.
    let rest = err.replacen(&password, "", 1).replacen(&token, "", 1);
    for (what, secret) in [("password", password.as_str()), ("token", token.as_str()), ("new password", new_password), ("wrong token", wrong.as_str())] {
        assert!(!out.contains(secret), "the {what} was logged on stdout");
        assert!(!rest.contains(secret), "the {what} was logged on stderr");
    }
    sc.cleanup().await;
});

// ---- starting several times, several at once ----

async fn migration_rows(store: &storage::SqlStore) -> Vec<i64> {
    use domain::query::Select;
    use domain::store::Store;
    use domain::value::ColType;
    let rows = store.select(&Select::new("portcullis_migrations").col("version", ColType::Int).order_by("version", false)).await.unwrap();
    rows.iter().map(|r| r.int("version").unwrap()).collect()
}

async fn count_rows(store: &storage::SqlStore, table: &str, col: &str, v: &str) -> i64 {
    use domain::query::Cond;
    use domain::store::Store;
    store.count(table, &Cond::eq(col, v)).await.unwrap()
}

both_db!(two_processes_starting_together_on_a_fresh_database_both_come_up, |db| {
    let sc = Scratch::new(db).await;
    let cfg = || harness::config(db, &sc.dir, sc.pg.as_deref(), &[]);
    let (a, b) = tokio::join!(portcullis::start(cfg()), portcullis::start(cfg()));
    let (a, b) = (a.expect("first process starts"), b.expect("second process starts"));
    for r in [&a, &b] {
        let s = TestServer::new(format!("http://{}", r.addr), db);
        let me = s.get("/api/v3/core/users/me/").await;
        assert_eq!(me.status, 200, "{me:?}");
        assert_eq!(s.count("/api/v3/core/users/?username=akadmin").await, 1);
    }
    let versions = migration_rows(&a.store).await;
    assert_eq!(versions, (1..=versions.len() as i64).collect::<Vec<_>>(), "every migration applied exactly once");
    assert_eq!(count_rows(&a.store, "users", "username", "akadmin").await, 1);
    assert_eq!(count_rows(&a.store, "groups", "name", "authentik Admins").await, 1);
    assert_eq!(count_rows(&a.store, "tokens", "identifier", "authentik-bootstrap-token").await, 1);
    assert_eq!(count_rows(&a.store, "settings", "key", "installation_id").await, 1);
    a.stop().await;
    b.stop().await;
    sc.cleanup().await;
});

both_db!(migrations_are_idempotent_across_restarts, |db| {
    let sc = Scratch::new(db).await;
    let cfg = || harness::config(db, &sc.dir, sc.pg.as_deref(), &[]);
    let first = portcullis::start(cfg()).await.unwrap();
    let s = TestServer::new(format!("http://{}", first.addr), db);
    let u = s.create("/api/v3/core/users/", json!({"username": "survivor", "name": "S"})).await;
    let uid = s.get(&format!("/api/v3/core/users/{}/", u["pk"])).await.body["uid"].clone();
    let versions = migration_rows(&first.store).await;
    first.stop().await;
    for _ in 0..2 {
        let again = portcullis::start(cfg()).await.expect("restarts on the migrated database");
        let s = TestServer::new(format!("http://{}", again.addr), db);
        let r = s.get(&format!("/api/v3/core/users/{}/", u["pk"])).await;
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body["username"], "survivor");
        assert_eq!(r.body["uid"], uid, "the installation id is kept");
        assert_eq!(s.count("/api/v3/core/users/").await, 2);
        assert_eq!(migration_rows(&again.store).await, versions);
        again.stop().await;
    }
    sc.cleanup().await;
});

// ---- passwords ----

/// Django's `make_password("hunter2", "Gm4pTqXLs0aQ", "pbkdf2_sha256")` at 100000 iterations.
const DJANGO_HASH: &str = "pbkdf2_sha256$100000$Gm4pTqXLs0aQ$VMy1iwX/cmHG+MbzAVi3+QTgqObOVesMgobCwm8MuZA=";

async fn stored_password(s: &TestServer, pk: i64) -> String {
    use domain::query::{Cond, Select};
    use domain::store::Store;
    use domain::value::ColType;
    let rows = s.store().select(&Select::new("users").col("password", ColType::Text).filter(Cond::eq("id", pk))).await.unwrap();
    rows[0].text("password").unwrap().to_string()
}

both!(django_pbkdf2_hashes_verify_and_are_rehashed_with_argon2id, |s| {
    use domain::query::{Cond, Write};
    use domain::store::Store;
    let pk = s.create("/api/v3/core/users/", json!({"username": "legacy", "name": ""})).await["pk"].as_i64().unwrap();
    let store = s.store();
    // Users created through the API have an unusable password.
    assert!(!engine::auth::verify_password(store, pk, "").await.unwrap());
    assert!(!engine::auth::verify_password(store, pk, "!").await.unwrap());
    let mut tx = store.begin().await.unwrap();
    tx.write(&Write::Update { table: "users".into(), set: vec![("password".into(), DJANGO_HASH.into())], filter: Cond::eq("id", pk) })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(!engine::auth::verify_password(store, pk, "hunter3").await.unwrap());
    assert_eq!(stored_password(&s, pk).await, DJANGO_HASH, "a failed check changes nothing");
    assert!(engine::auth::verify_password(store, pk, "hunter2").await.unwrap());
    let rehashed = stored_password(&s, pk).await;
    assert!(rehashed.starts_with("$argon2id$"), "{rehashed}");
    assert!(engine::auth::verify_password(store, pk, "hunter2").await.unwrap());
    assert_eq!(stored_password(&s, pk).await, rehashed, "an Argon2id hash is not re-hashed again");
    assert!(!engine::auth::verify_password(store, pk, "hunter3").await.unwrap());
    // set_password writes Argon2id too.
    let r = s.post(&format!("/api/v3/core/users/{pk}/set_password/"), json!({"password": "n3w"})).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert!(engine::auth::verify_password(store, pk, "n3w").await.unwrap());
    assert!(!engine::auth::verify_password(store, pk, "hunter2").await.unwrap());
    assert!(!engine::auth::verify_password(store, 424242, "n3w").await.unwrap());
});
