//! Storage: the domain's [`domain::store::Store`] on SQLite (the embedded default) and on
//! PostgreSQL, with one migration history written for each.

mod dialect;
mod migrate;
mod sql_store;

pub use sql_store::{connect, DbConfig, SqlStore};
