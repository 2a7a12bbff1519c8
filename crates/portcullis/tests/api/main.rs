//! Integration tests: a real server per test, over HTTP, on SQLite and on PostgreSQL.

#[macro_use]
pub mod harness;

mod bad_input;
mod blueprints;
mod connections;
mod contract;
mod conventions;
mod executor;
mod fake_idp;
mod flow_client;
mod flow_fixtures;
mod flows;
mod groups;
mod idp;
mod idp_selftest;
mod tokens;
mod openapi;
mod filtering;
mod operations;
mod pagination;
mod invitations;
mod source_fixtures;
mod source_login;
mod source_shapes;
mod source_stage_flow;
mod sources;
mod prompts;
mod stage_kinds;
mod stages;
mod stages_runtime;
mod users;
