//! `GET /flows/instances/<slug>/execute/`: plans the flow for the caller as pending user,
//! keeps the plan in the caller's session, and answers with the page that runs it
//! (api-behaviour.md 3.1.5, flows.md 3.9).

use super::executor::{build_plan, load_flow, requirement_fails, store_plan};
use super::plan::{PendingUser, PENDING_USER};
use crate::ctx::Ctx;
use crate::error::{EngineError, EngineResult};
use crate::resource::ops::authorize;
use crate::resource::{ActionHandler, Body, Reply, Resource};
use crate::session::Session;
use async_trait::async_trait;
use domain::errors::FieldErrors;
use domain::query::Cond;
use serde_json::{json, Map};

pub struct ExecuteLink;

#[async_trait]
impl ActionHandler for ExecuteLink {
    async fn run(&self, res: &Resource, ctx: &Ctx<'_>, lookup: Option<&str>, _b: Body) -> EngineResult<Reply> {
        authorize(res, ctx)?;
        let slug = lookup.unwrap_or_default();
        let flow = load_flow(ctx.services, Cond::eq("slug", slug)).await?.ok_or(EngineError::NotFound)?;
        let actor = ctx.actor.clone().ok_or(EngineError::NotFound)?;
        if requirement_fails(&flow, Some(&actor)) {
            return Err(FieldErrors::non_field("Flow not applicable to current user/request: Flow does not apply to current user.").into());
        }
        let mut context = Map::new();
        context.insert(PENDING_USER.into(), PendingUser::Saved(actor.user_id).to_json());
        let plan = build_plan(ctx.services, &flow, context).await?;
        // Only a browser session can use the plan; a token client just gets the link.
        if let Some(mut session) = Session::load(ctx.services, ctx.session.as_deref()).await? {
            store_plan(&mut session, &plan);
            session.save(ctx.services, None).await?;
        }
        Ok(Reply::Json(200, json!({"link": format!("{}/if/flow/{}/", ctx.base_url, slug)})))
    }
}
