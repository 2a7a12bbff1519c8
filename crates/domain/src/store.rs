//! The storage interface. The engine talks to this; SQLite and PostgreSQL implement it.

use crate::query::{Cond, Select, Write};
use crate::value::{Row, SqlValue};
use async_trait::async_trait;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint was violated; carries the constraint or column description.
    #[error("unique constraint violated: {0}")]
    Unique(String),
    /// A foreign key constraint was violated.
    #[error("foreign key constraint violated: {0}")]
    ForeignKey(String),
    /// Two transactions conflicted (serialization failure, busy database); retrying may work.
    #[error("conflicting concurrent transaction")]
    Conflict,
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Other(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Reads and writes inside one transaction (or, on [`Store`], each in its own).
#[async_trait]
pub trait Queries: Send {
    async fn select(&mut self, q: &Select) -> StoreResult<Vec<Row>>;
    async fn count(&mut self, table: &str, filter: &Cond) -> StoreResult<i64>;
    /// Runs a write and returns the number of affected rows.
    async fn write(&mut self, w: &Write) -> StoreResult<u64>;
    /// Inserts a row and returns the generated integer primary key `id`.
    async fn insert_returning_id(&mut self, table: &str, values: &[(String, SqlValue)]) -> StoreResult<i64>;
}

/// A transaction: queries, then commit. Dropping it without commit rolls back.
#[async_trait]
pub trait Tx: Queries {
    async fn commit(self: Box<Self>) -> StoreResult<()>;
}

#[async_trait]
pub trait Store: Send + Sync {
    /// `sqlite` or `postgresql`.
    fn backend(&self) -> &'static str;
    async fn begin(&self) -> StoreResult<Box<dyn Tx>>;
    /// A read outside an explicit transaction.
    async fn select(&self, q: &Select) -> StoreResult<Vec<Row>>;
    async fn count(&self, table: &str, filter: &Cond) -> StoreResult<i64>;
    /// True when the database answers.
    async fn ping(&self) -> bool;
}
