//! Starts a real Portcullis server on a random local port for one test, on a fresh SQLite
//! file or a fresh PostgreSQL database (created here, dropped afterwards), and talks to it
//! over HTTP.

use portcullis::{Config, Running};
use reqwest::Method;
use serde_json::Value;
use sqlx::Connection;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

pub const TOKEN: &str = "test-bootstrap-token-0123456789";
pub const PASSWORD: &str = "test-bootstrap-password";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct TestServer {
    pub base: String,
    pub db: Db,
    pub token: String,
    /// The server's own store, for arranging what the API cannot (yet) create.
    pub store: Option<storage::SqlStore>,
    client: reqwest::Client,
}

pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl std::fmt::Debug for Resp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.text)
    }
}

fn pg_admin_url() -> String {
    std::env::var("PORTCULLIS_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub fn pg_host_port() -> (String, u16) {
    let url = pg_admin_url();
    let hostport = url.split('@').nth(1).and_then(|r| r.split('/').next()).unwrap_or("127.0.0.1:5432");
    let (h, p) = hostport.split_once(':').unwrap_or((hostport, "5432"));
    (h.to_string(), p.parse().unwrap_or(5432))
}

/// A fresh, uniquely named PostgreSQL database; dropped by [`drop_pg_database`].
pub async fn create_pg_database() -> String {
    let name = format!("pc_t_{}", domain::crypto::random_hex(8));
    let mut c = sqlx::PgConnection::connect(&pg_admin_url()).await.expect("PostgreSQL must be reachable for the PostgreSQL suite");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut c).await.expect("create test database");
    name
}

pub async fn drop_pg_database(name: &str) {
    if let Ok(mut c) = sqlx::PgConnection::connect(&pg_admin_url()).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c).await;
    }
}

pub fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("portcullis-test-{}", domain::crypto::random_hex(8)));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The configuration of a test server; `extra` overrides environment variables.
pub fn config(db: Db, data_dir: &std::path::Path, pg_name: Option<&str>, extra: &[(&str, &str)]) -> Config {
    let mut env: HashMap<String, String> = HashMap::new();
    env.insert("AUTHENTIK_LISTEN__HTTP".into(), "127.0.0.1:0".into());
    env.insert("PORTCULLIS_DATA_DIR".into(), data_dir.display().to_string());
    env.insert("AUTHENTIK_BOOTSTRAP_TOKEN".into(), TOKEN.into());
    env.insert("AUTHENTIK_BOOTSTRAP_PASSWORD".into(), PASSWORD.into());
    env.insert("AUTHENTIK_SECRET_KEY".into(), "test-secret-key".into());
    // Resource tests start from an empty system; flow tests ask for the default flows.
    env.insert("PORTCULLIS_DEFAULT_FLOWS".into(), "false".into());
    // Tests never reach the internet: no built-in OIDC discovery for OAuth source types.
    env.insert("PORTCULLIS_OIDC_DEFAULT_DISCOVERY".into(), "false".into());
    // Never the shared `blueprints` directory beside the temporary data directory.
    env.insert("AUTHENTIK_BLUEPRINTS_DIR".into(), data_dir.join("blueprints").display().to_string());
    if db == Db::Postgres {
        let (h, p) = pg_host_port();
        env.insert("AUTHENTIK_POSTGRESQL__HOST".into(), h);
        env.insert("AUTHENTIK_POSTGRESQL__PORT".into(), p.to_string());
        env.insert("AUTHENTIK_POSTGRESQL__USER".into(), "postgres".into());
        env.insert("AUTHENTIK_POSTGRESQL__NAME".into(), pg_name.unwrap_or("test").into());
    }
    for (k, v) in extra {
        env.insert(k.to_string(), v.to_string());
    }
    Config::from_map(&env).expect("valid test config")
}

/// Runs `body` against a fresh server on `db`, then tears everything down, also on failure.
pub async fn run<F, Fut>(db: Db, body: F)
where
    F: FnOnce(Arc<TestServer>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    run_with(db, &[], body).await
}

/// As [`run`], with extra environment for the server (e.g. `PORTCULLIS_DEFAULT_FLOWS=true`).
pub async fn run_with<F, Fut>(db: Db, extra: &[(&str, &str)], body: F)
where
    F: FnOnce(Arc<TestServer>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let dir = temp_dir();
    let pg = if db == Db::Postgres { Some(create_pg_database().await) } else { None };
    let running: Running = portcullis::start(config(db, &dir, pg.as_deref(), extra)).await.expect("server starts");
    let mut srv = TestServer::new(format!("http://{}", running.addr), db);
    srv.store = Some(running.store.clone());
    let srv = Arc::new(srv);
    let outcome = tokio::spawn(body(srv)).await;
    running.stop().await;
    if let Some(name) = pg {
        drop_pg_database(&name).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = outcome {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
        panic!("test task failed: {e}");
    }
}

/// Declares a test that runs against a server with the default flows seeded, on both databases.
#[macro_export]
macro_rules! both_seeded {
    ($name:ident, |$s:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use $crate::harness::*;
            async fn case($s: std::sync::Arc<TestServer>) $body
            #[tokio::test]
            async fn sqlite() {
                run_with(Db::Sqlite, &[("PORTCULLIS_DEFAULT_FLOWS", "true")], case).await
            }
            #[tokio::test]
            async fn postgres() {
                run_with(Db::Postgres, &[("PORTCULLIS_DEFAULT_FLOWS", "true")], case).await
            }
        }
    };
}

/// Declares a test that runs once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! both {
    ($name:ident, |$s:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use $crate::harness::*;
            async fn case($s: std::sync::Arc<TestServer>) $body
            #[tokio::test]
            async fn sqlite() {
                run(Db::Sqlite, case).await
            }
            #[tokio::test]
            async fn postgres() {
                run(Db::Postgres, case).await
            }
        }
    };
}

impl TestServer {
    pub fn new(base: String, db: Db) -> TestServer {
        TestServer { base, db, token: TOKEN.into(), client: reqwest::Client::new(), store: None }
    }

    /// A request with the admin token (or `token` when given; `Some("")` sends none).
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>, token: Option<&str>) -> Resp {
        let mut rb = self.client.request(method, format!("{}{}", self.base, path));
        let tok = token.unwrap_or(&self.token);
        if !tok.is_empty() {
            rb = rb.header("Authorization", format!("Bearer {tok}"));
        }
        if let Some(b) = body {
            rb = rb.header("Content-Type", "application/json").body(serde_json::to_vec(b).unwrap());
        }
        let r = rb.send().await.expect("request sent");
        Self::read(r).await
    }

    pub async fn raw(&self, rb: reqwest::RequestBuilder) -> Resp {
        Self::read(rb.send().await.expect("request sent")).await
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    async fn read(r: reqwest::Response) -> Resp {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, headers, body, text }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, path, None, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(Method::POST, path, Some(&body), None).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.send(Method::PUT, path, Some(&body), None).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.send(Method::PATCH, path, Some(&body), None).await
    }
    pub async fn delete(&self, path: &str) -> Resp {
        self.send(Method::DELETE, path, None, None).await
    }

    /// Creates an object and returns its body, failing the test unless it answers 201.
    pub async fn create(&self, path: &str, body: Value) -> Value {
        let r = self.post(path, body).await;
        assert_eq!(r.status, 201, "create {path}: {r:?}");
        r.body
    }

    /// Creates a non-superuser with an API token and returns (user pk, token key).
    pub async fn user_with_token(&self, username: &str) -> (i64, String) {
        let u = self.create("/api/v3/core/users/", serde_json::json!({"username": username, "name": username})).await;
        let pk = u["pk"].as_i64().unwrap();
        let ident = format!("{username}-token");
        self.create(
            "/api/v3/core/tokens/",
            serde_json::json!({"identifier": ident, "user": pk, "intent": "api", "expiring": false}),
        )
        .await;
        let key = self.get(&format!("/api/v3/core/tokens/{ident}/view_key/")).await;
        assert_eq!(key.status, 200, "{key:?}");
        (pk, key.body["key"].as_str().unwrap().to_string())
    }

    /// The server's store (set for servers started by [`run`]).
    pub fn store(&self) -> &storage::SqlStore {
        self.store.as_ref().expect("a test server started by harness::run")
    }

    /// Gives a user an API token by writing it to the database (as the tokens resource would)
    /// and returns its key.
    pub async fn insert_token(&self, user_id: i64, identifier: &str, expires: Option<i64>) -> String {
        insert_token(self.store(), user_id, identifier, "api", expires).await
    }

    /// Creates a non-superuser through the API and gives it an API token through the database;
    /// returns (user pk, token key).
    pub async fn user_with_db_token(&self, username: &str) -> (i64, String) {
        let u = self.create("/api/v3/core/users/", serde_json::json!({"username": username, "name": username})).await;
        let pk = u["pk"].as_i64().unwrap();
        let key = self.insert_token(pk, &format!("{username}-token"), None).await;
        (pk, key)
    }

    /// `pagination.count` of a list request, failing the test unless it answers 200.
    pub async fn count(&self, path: &str) -> i64 {
        let r = self.get(path).await;
        assert_eq!(r.status, 200, "list {path}: {r:?}");
        r.body["pagination"]["count"].as_i64().unwrap()
    }
}

/// Writes a token row as the tokens resource stores it: a keyed digest to find it by, and the
/// key sealed under the test secret key. `expires` (microseconds) makes it expiring.
pub async fn insert_token(store: &storage::SqlStore, user_id: i64, identifier: &str, intent: &str, expires: Option<i64>) -> String {
    use domain::query::Write;
    use domain::store::Store;
    use domain::value::SqlValue;
    let key = domain::crypto::random_alnum(60);
    let sealer = domain::crypto::Sealer::new("test-secret-key");
    let mut tx = store.begin().await.unwrap();
    tx.write(&Write::Insert {
        table: "tokens".into(),
        values: vec![
            ("uuid".into(), uuid::Uuid::new_v4().to_string().into()),
            ("identifier".into(), identifier.into()),
            ("key_digest".into(), sealer.lookup_digest(&key).into()),
            ("key_sealed".into(), sealer.seal(&key).into()),
            ("intent".into(), intent.into()),
            ("user_id".into(), SqlValue::Int(user_id)),
            ("description".into(), "".into()),
            ("expires".into(), expires.map(SqlValue::Int).unwrap_or(SqlValue::Null)),
            ("expiring".into(), expires.is_some().into()),
        ],
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    key
}

/// Declares a test that manages its own servers (or binaries), once per database: the body
/// gets the [`Db`] to use.
#[macro_export]
macro_rules! both_db {
    ($name:ident, |$db:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use $crate::harness::*;
            async fn case($db: Db) $body
            #[tokio::test]
            async fn sqlite() {
                case(Db::Sqlite).await
            }
            #[tokio::test]
            async fn postgres() {
                case(Db::Postgres).await
            }
        }
    };
}

/// Inserts a row directly through the server's storage.
pub async fn insert_row(s: &TestServer, table: &str, values: Vec<(&str, domain::value::SqlValue)>) {
    use domain::store::Store;
    let store = s.store.as_ref().expect("in-process server");
    let mut tx = store.begin().await.unwrap();
    tx.write(&domain::query::Write::Insert {
        table: table.into(),
        values: values.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// Deletes rows directly through the server's storage (rows of resources served elsewhere).
pub async fn delete_rows(s: &TestServer, table: &str, column: &str, value: &str) {
    use domain::store::Store;
    let store = s.store.as_ref().expect("in-process server");
    let mut tx = store.begin().await.unwrap();
    tx.write(&domain::query::Write::Delete { table: table.into(), filter: domain::query::Cond::eq(column, value) }).await.unwrap();
    tx.commit().await.unwrap();
}
