//! Integration tests: a real server per test, over HTTP, on SQLite and on PostgreSQL.

#[macro_use]
pub mod harness;

mod conventions;
mod flows;
mod prompts;
mod stage_kinds;
mod stages;
mod users;
