//! The Portcullis server: configuration, first-start bootstrap, and serving.

pub mod blueprints;
pub mod bootstrap;
pub mod config;
pub mod server;

pub use config::Config;
pub use server::{start, Running};
