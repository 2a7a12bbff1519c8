//! The Portcullis engine. `resource` is the generic layer: a resource is described once
//! (fields, lookup, filters, search, ordering, relations) and every operation is derived from
//! the description. `resources` holds the descriptions themselves.

pub mod auth;
pub mod blueprint;
pub mod ctx;
pub mod error;
pub mod flow;
pub mod media;
pub mod messages;
pub mod resource;
pub mod resources;
pub mod session;
pub mod source_login;
pub mod txstore;

pub use ctx::{Actor, Ctx, Services};
pub use error::EngineError;
