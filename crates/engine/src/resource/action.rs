//! Actions beyond CRUD (`me`, `set_password`, `view_key`, `types`...). Each is a small handler
//! plus its OpenAPI operation; the router finds them through the resource.

use super::Resource;
use crate::ctx::Ctx;
use crate::error::EngineResult;
use async_trait::async_trait;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// A file part of a multipart body.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub filename: Option<String>,
    pub data: Vec<u8>,
}

pub enum Body {
    None,
    Json(Value),
    Multipart(Vec<Upload>),
}

pub enum Reply {
    Json(u16, Value),
    /// A status with no body (204, and authentik's body-less 400s).
    Empty(u16),
    Raw { status: u16, content_type: String, headers: Vec<(String, String)>, body: Vec<u8> },
}

#[async_trait]
pub trait ActionHandler: Send + Sync {
    /// `lookup` is the object segment for detail actions.
    async fn run(&self, res: &Resource, ctx: &Ctx<'_>, lookup: Option<&str>, body: Body) -> EngineResult<Reply>;
}

pub struct Action {
    pub name: &'static str,
    pub detail: bool,
    pub method: Method,
    /// Request bodies this action parses: JSON (default) or multipart.
    pub multipart: bool,
    pub handler: Box<dyn ActionHandler>,
    /// The OpenAPI operation (without `operationId`, which is derived).
    pub openapi: fn() -> Value,
}
