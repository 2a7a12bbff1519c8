//! Integration tests: a real server per test, over HTTP, on SQLite and on PostgreSQL.

#[macro_use]
pub mod harness;

mod connections;
mod conventions;
mod flows;
mod invitations;
mod sources;
mod users;
