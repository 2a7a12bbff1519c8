//! The flow engine: planning, the executor protocol, and the stage views.
//!
//! The executor knows the [`stage::StageView`] trait, not the kinds; `stages::views()` is the
//! registry of implemented kinds.

pub mod builtin;
pub mod challenge;
pub mod executor;
pub mod link;
pub mod plan;
pub mod query;
pub mod stage;
pub mod stages;
pub mod suspend;

pub use executor::{execute, ExecRequest, ExecResponse};
