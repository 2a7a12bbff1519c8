//! Integration tests: a real server per test, over HTTP, on SQLite and on PostgreSQL.

#[macro_use]
pub mod harness;

mod contract;
mod conventions;
mod executor;
mod flow_client;
mod flow_fixtures;
mod flows;
mod stages_runtime;
mod users;
