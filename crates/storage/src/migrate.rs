//! One migration history, written for each database. Applied at start, idempotently; on
//! PostgreSQL under an advisory lock so that processes starting together take turns.

use crate::sql_store::SqlStore;

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sqlite: include_str!("../migrations/sqlite/0001_initial.sql"),
        postgres: include_str!("../migrations/postgres/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "sessions",
        sqlite: include_str!("../migrations/sqlite/0002_sessions.sql"),
        postgres: include_str!("../migrations/postgres/0002_sessions.sql"),
    },
    Migration {
        version: 3,
        name: "flow_sso_only",
        sqlite: include_str!("../migrations/sqlite/0003_flow_sso_only.sql"),
        postgres: include_str!("../migrations/postgres/0003_flow_sso_only.sql"),
    },
];

const LOCK_ID: i64 = 0x706f_7274_6375; // "portcu"

const LEDGER: &str =
    "CREATE TABLE IF NOT EXISTS portcullis_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)";

pub async fn run(store: &SqlStore) -> Result<(), String> {
    let err = |e: sqlx::Error| format!("migration failed: {e}");
    match store {
        SqlStore::Sqlite(pool) => {
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(err)?;
            sqlx::raw_sql(LEDGER).execute(&mut *tx).await.map_err(err)?;
            let done: Vec<i64> = sqlx::query_scalar("SELECT version FROM portcullis_migrations")
                .fetch_all(&mut *tx)
                .await
                .map_err(err)?;
            for m in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
                sqlx::raw_sql(m.sqlite).execute(&mut *tx).await.map_err(err)?;
                sqlx::query("INSERT INTO portcullis_migrations (version, name) VALUES (?, ?)")
                    .bind(m.version)
                    .bind(m.name)
                    .execute(&mut *tx)
                    .await
                    .map_err(err)?;
            }
            tx.commit().await.map_err(err)
        }
        SqlStore::Postgres(pool) => {
            let mut tx = pool.begin().await.map_err(err)?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(LOCK_ID).execute(&mut *tx).await.map_err(err)?;
            sqlx::raw_sql(LEDGER).execute(&mut *tx).await.map_err(err)?;
            let done: Vec<i64> = sqlx::query_scalar("SELECT version FROM portcullis_migrations")
                .fetch_all(&mut *tx)
                .await
                .map_err(err)?;
            for m in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
                sqlx::raw_sql(m.postgres).execute(&mut *tx).await.map_err(err)?;
                sqlx::query("INSERT INTO portcullis_migrations (version, name) VALUES ($1, $2)")
                    .bind(m.version)
                    .bind(m.name)
                    .execute(&mut *tx)
                    .await
                    .map_err(err)?;
            }
            tx.commit().await.map_err(err)
        }
    }
}
