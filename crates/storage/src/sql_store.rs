//! The one SQL implementation of the Store, on either SQLite or PostgreSQL.

use crate::dialect::{self, Dialect, Rendered};
use async_trait::async_trait;
use domain::query::{Cond, Select, Write};
use domain::store::{Queries, Store, StoreError, StoreResult, Tx};
use domain::value::{ColType, Row, SqlValue};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum DbConfig {
    Sqlite { path: PathBuf },
    Postgres { host: String, port: u16, name: String, user: String, password: String },
}

#[derive(Clone)]
pub enum SqlStore {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Opens the database and brings its schema up to date.
pub async fn connect(cfg: &DbConfig) -> Result<SqlStore, String> {
    let store = match cfg {
        DbConfig::Sqlite { path } => {
            let opts = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await
                .map_err(|e| format!("cannot open SQLite database {}: {e}", path.display()))?;
            SqlStore::Sqlite(pool)
        }
        DbConfig::Postgres { host, port, name, user, password } => {
            let mut opts = PgConnectOptions::new().host(host).port(*port).database(name).username(user);
            if !password.is_empty() {
                opts = opts.password(password);
            }
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .min_connections(0)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(opts)
                .await
                .map_err(|e| format!("cannot connect to PostgreSQL at {host}:{port}/{name}: {e}"))?;
            SqlStore::Postgres(pool)
        }
    };
    crate::migrate::run(&store).await?;
    Ok(store)
}

pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.to_string()).unwrap_or_default();
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => StoreError::Unique(db.message().to_string()),
                sqlx::error::ErrorKind::ForeignKeyViolation => StoreError::ForeignKey(db.message().to_string()),
                _ if code == "40001" || code == "40P01" || code == "5" || code == "517" || code == "6" => {
                    StoreError::Conflict
                }
                _ => StoreError::Other(e.to_string()),
            }
        }
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Tls(_) => {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Other(e.to_string()),
    }
}

macro_rules! bind_all {
    ($q:expr, $params:expr) => {{
        let mut q = $q;
        for p in $params {
            q = match p {
                SqlValue::Null => q.bind(None::<String>),
                SqlValue::Bool(b) => q.bind(*b),
                SqlValue::Int(i) => q.bind(*i),
                SqlValue::Text(s) => q.bind(s.clone()),
            };
        }
        q
    }};
}

fn decode_sqlite(row: &sqlx::sqlite::SqliteRow, i: usize, ty: ColType) -> Result<SqlValue, sqlx::Error> {
    use sqlx::Row as _;
    Ok(match ty {
        ColType::Bool => row.try_get::<Option<bool>, _>(i)?.into(),
        ColType::Int => row.try_get::<Option<i64>, _>(i)?.into(),
        ColType::Text => row.try_get::<Option<String>, _>(i)?.into(),
    })
}

fn decode_pg(row: &sqlx::postgres::PgRow, i: usize, ty: ColType) -> Result<SqlValue, sqlx::Error> {
    use sqlx::Row as _;
    Ok(match ty {
        ColType::Bool => row.try_get::<Option<bool>, _>(i)?.into(),
        ColType::Int => row.try_get::<Option<i64>, _>(i)?.into(),
        ColType::Text => row.try_get::<Option<String>, _>(i)?.into(),
    })
}

/// Either a pool or an open transaction, of either backend: the queries are the same.
enum Exec<'a> {
    SqlitePool(&'a SqlitePool),
    PgPool(&'a PgPool),
    SqliteTx(&'a mut Transaction<'static, Sqlite>),
    PgTx(&'a mut Transaction<'static, Postgres>),
}

impl Exec<'_> {
    fn dialect(&self) -> Dialect {
        match self {
            Exec::SqlitePool(_) | Exec::SqliteTx(_) => Dialect::Sqlite,
            _ => Dialect::Postgres,
        }
    }

    async fn select(self, s: &Select) -> StoreResult<Vec<Row>> {
        let r = dialect::select(self.dialect(), s);
        let columns = Arc::new(s.columns.iter().map(|(c, _)| c.clone()).collect::<Vec<_>>());
        let types: Vec<ColType> = s.columns.iter().map(|(_, t)| *t).collect();
        macro_rules! run {
            ($exec:expr, $decode:ident) => {{
                let rows = bind_all!(sqlx::query(&r.sql), &r.params).fetch_all($exec).await.map_err(map_err)?;
                rows.iter()
                    .map(|row| {
                        let values = types
                            .iter()
                            .enumerate()
                            .map(|(i, t)| $decode(row, i, *t))
                            .collect::<Result<Vec<_>, _>>()
                            .map_err(map_err)?;
                        Ok(Row { columns: columns.clone(), values })
                    })
                    .collect()
            }};
        }
        match self {
            Exec::SqlitePool(p) => run!(p, decode_sqlite),
            Exec::SqliteTx(t) => run!(&mut **t, decode_sqlite),
            Exec::PgPool(p) => run!(p, decode_pg),
            Exec::PgTx(t) => run!(&mut **t, decode_pg),
        }
    }

    async fn scalar_i64(self, r: Rendered) -> StoreResult<i64> {
        macro_rules! run {
            ($exec:expr) => {
                bind_all!(sqlx::query_scalar::<_, i64>(&r.sql), &r.params)
                    .fetch_one($exec)
                    .await
                    .map_err(map_err)
            };
        }
        match self {
            Exec::SqlitePool(p) => run!(p),
            Exec::SqliteTx(t) => run!(&mut **t),
            Exec::PgPool(p) => run!(p),
            Exec::PgTx(t) => run!(&mut **t),
        }
    }

    async fn execute(self, r: Rendered) -> StoreResult<u64> {
        macro_rules! run {
            ($exec:expr) => {
                bind_all!(sqlx::query(&r.sql), &r.params)
                    .execute($exec)
                    .await
                    .map(|x| x.rows_affected())
                    .map_err(map_err)
            };
        }
        match self {
            Exec::SqlitePool(p) => run!(p),
            Exec::SqliteTx(t) => run!(&mut **t),
            Exec::PgPool(p) => run!(p),
            Exec::PgTx(t) => run!(&mut **t),
        }
    }
}

impl SqlStore {
    fn exec(&self) -> Exec<'_> {
        match self {
            SqlStore::Sqlite(p) => Exec::SqlitePool(p),
            SqlStore::Postgres(p) => Exec::PgPool(p),
        }
    }
    fn dialect(&self) -> Dialect {
        match self {
            SqlStore::Sqlite(_) => Dialect::Sqlite,
            SqlStore::Postgres(_) => Dialect::Postgres,
        }
    }
    pub async fn close(&self) {
        match self {
            SqlStore::Sqlite(p) => p.close().await,
            SqlStore::Postgres(p) => p.close().await,
        }
    }
}

enum SqlTx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl SqlTx {
    fn exec(&mut self) -> Exec<'_> {
        match self {
            SqlTx::Sqlite(t) => Exec::SqliteTx(t),
            SqlTx::Postgres(t) => Exec::PgTx(t),
        }
    }
}

#[async_trait]
impl Queries for SqlTx {
    async fn select(&mut self, q: &Select) -> StoreResult<Vec<Row>> {
        self.exec().select(q).await
    }
    async fn count(&mut self, table: &str, filter: &Cond) -> StoreResult<i64> {
        let d = self.exec().dialect();
        self.exec().scalar_i64(dialect::count(d, table, filter)).await
    }
    async fn write(&mut self, w: &Write) -> StoreResult<u64> {
        let d = self.exec().dialect();
        self.exec().execute(dialect::write(d, w, false)).await
    }
    async fn insert_returning_id(&mut self, table: &str, values: &[(String, SqlValue)]) -> StoreResult<i64> {
        let d = self.exec().dialect();
        let w = Write::Insert { table: table.to_string(), values: values.to_vec() };
        self.exec().scalar_i64(dialect::write(d, &w, true)).await
    }
}

#[async_trait]
impl Tx for SqlTx {
    async fn commit(self: Box<Self>) -> StoreResult<()> {
        match *self {
            SqlTx::Sqlite(t) => t.commit().await.map_err(map_err),
            SqlTx::Postgres(t) => t.commit().await.map_err(map_err),
        }
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        match self {
            SqlStore::Sqlite(_) => "sqlite",
            SqlStore::Postgres(_) => "postgresql",
        }
    }
    async fn begin(&self) -> StoreResult<Box<dyn Tx>> {
        Ok(match self {
            // IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout
            // instead of failing when a reader upgrades.
            SqlStore::Sqlite(p) => Box::new(SqlTx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?)),
            SqlStore::Postgres(p) => Box::new(SqlTx::Postgres(p.begin().await.map_err(map_err)?)),
        })
    }
    async fn select(&self, q: &Select) -> StoreResult<Vec<Row>> {
        self.exec().select(q).await
    }
    async fn count(&self, table: &str, filter: &Cond) -> StoreResult<i64> {
        self.exec().scalar_i64(dialect::count(self.dialect(), table, filter)).await
    }
    async fn ping(&self) -> bool {
        self.exec().scalar_i64(Rendered { sql: "SELECT CAST(1 AS BIGINT)".into(), params: vec![] }).await.is_ok()
    }
}
