//! Blueprints: flows (and any resource) as authentik's YAML documents.

pub mod export;
pub mod import;
pub mod tags;
pub mod yaml;
