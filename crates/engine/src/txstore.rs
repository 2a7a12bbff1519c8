//! A [`Store`] that runs every read and write on one open transaction.
//!
//! The generic validation (`check_references`, `check_unique`, hooks) reads through
//! `ctx.store()`. A caller that validates several writes inside one transaction (blueprint
//! import) must let those reads see its own uncommitted rows: on SQLite the transaction holds
//! the write lock, and a read on another pool connection sees only committed data. It builds a
//! [`Services`] whose store is a `TxStore` ([`Services::on_transaction`]) and a `Ctx` on it; every
//! existing call site keeps working unchanged.
//!
//! `begin()` on a `TxStore` joins the open transaction (its `commit` is a no-op), so code that
//! opens its own transaction writes into the caller's instead. Only the owner commits or rolls
//! back ([`TxStore::commit`], or drop for a rollback).

use crate::ctx::Services;
use async_trait::async_trait;
use domain::query::{Cond, Select, Write};
use domain::store::{Queries, Store, StoreError, StoreResult, Tx};
use domain::value::{Row, SqlValue};
use std::sync::Arc;
use tokio::sync::Mutex;

type Shared = Arc<Mutex<Option<Box<dyn Tx>>>>;

#[derive(Clone)]
pub struct TxStore {
    tx: Shared,
    backend: &'static str,
}

fn closed() -> StoreError {
    StoreError::Other("transaction already finished".into())
}

impl TxStore {
    pub async fn begin(store: &dyn Store) -> StoreResult<TxStore> {
        let tx = store.begin().await?;
        Ok(TxStore { tx: Arc::new(Mutex::new(Some(tx))), backend: store.backend() })
    }
    /// Commits the transaction.
    pub async fn commit(&self) -> StoreResult<()> {
        let tx = self.tx.lock().await.take().ok_or_else(closed)?;
        tx.commit().await
    }
    /// Rolls the transaction back.
    pub async fn rollback(&self) {
        drop(self.tx.lock().await.take());
    }
    /// A `Queries` handle for `write_in` and hooks; each call locks the transaction briefly,
    /// so reads through `ctx.store()` may interleave with it.
    pub fn queries(&self) -> Joined {
        Joined(self.tx.clone())
    }
}

/// A handle on the shared transaction; as a [`Tx`], its `commit` does nothing.
pub struct Joined(Shared);

#[async_trait]
impl Queries for Joined {
    async fn select(&mut self, q: &Select) -> StoreResult<Vec<Row>> {
        self.0.lock().await.as_mut().ok_or_else(closed)?.select(q).await
    }
    async fn count(&mut self, table: &str, filter: &Cond) -> StoreResult<i64> {
        self.0.lock().await.as_mut().ok_or_else(closed)?.count(table, filter).await
    }
    async fn write(&mut self, w: &Write) -> StoreResult<u64> {
        self.0.lock().await.as_mut().ok_or_else(closed)?.write(w).await
    }
    async fn insert_returning_id(&mut self, table: &str, values: &[(String, SqlValue)]) -> StoreResult<i64> {
        self.0.lock().await.as_mut().ok_or_else(closed)?.insert_returning_id(table, values).await
    }
}

#[async_trait]
impl Tx for Joined {
    async fn commit(self: Box<Self>) -> StoreResult<()> {
        Ok(())
    }
}

#[async_trait]
impl Store for TxStore {
    fn backend(&self) -> &'static str {
        self.backend
    }
    async fn begin(&self) -> StoreResult<Box<dyn Tx>> {
        Ok(Box::new(self.queries()))
    }
    async fn select(&self, q: &Select) -> StoreResult<Vec<Row>> {
        self.queries().select(q).await
    }
    async fn count(&self, table: &str, filter: &Cond) -> StoreResult<i64> {
        self.queries().count(table, filter).await
    }
    async fn ping(&self) -> bool {
        self.tx.lock().await.is_some()
    }
}

impl Services {
    /// The same services with every database access routed through `tx`.
    pub fn on_transaction(&self, tx: &TxStore) -> Services {
        Services {
            store: Arc::new(tx.clone()),
            sealer: self.sealer.clone(),
            installation_id: self.installation_id.clone(),
            media_dir: self.media_dir.clone(),
            oidc_default_discovery: self.oidc_default_discovery,
            oauth_type_urls: self.oauth_type_urls.clone(),
        }
    }
}
