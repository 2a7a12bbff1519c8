//! Building the challenges every stage shares: `flow_info`, user info, access denied,
//! flow error, redirect.

use super::executor::Execution;
use super::plan::PendingUser;
use crate::error::EngineResult;
use crate::resources::common::t;
use crate::resources::flows::background_url;
use domain::query::{Cond, Select};
use domain::value::{ColType, Row};
use serde_json::{json, Value};

pub const DEFAULT_AVATAR: &str = "/static/dist/assets/images/user_default.png";

pub fn flow_info(flow: &Row, pending_name: &str) -> Value {
    let title = t(flow, "title").replace("%(app)s", "").replace("%(user)s", pending_name);
    json!({
        "title": title,
        "background": background_url(t(flow, "background")),
        "cancel_url": "/flows/-/cancel/",
        "layout": t(flow, "layout"),
    })
}

pub fn redirect(to: &str) -> Value {
    json!({"type": "redirect", "component": "xak-flow-redirect", "to": to})
}

pub const USER_COLUMNS: &[(&str, ColType)] = &[
    ("id", ColType::Int),
    ("username", ColType::Text),
    ("name", ColType::Text),
    ("email", ColType::Text),
    ("is_active", ColType::Bool),
    ("password", ColType::Text),
    ("attributes", ColType::Text),
    ("path", ColType::Text),
    ("type", ColType::Text),
];

pub async fn load_user(ex: &Execution<'_>, id: i64) -> EngineResult<Option<Row>> {
    let mut sel = Select::new("users").filter(Cond::eq("id", id));
    for (c, ty) in USER_COLUMNS {
        sel = sel.col(c, *ty);
    }
    Ok(ex.services.store.select(&sel).await?.into_iter().next())
}

/// `pending_user` and `pending_user_avatar` as user-info challenges show them.
pub async fn user_info(ex: &Execution<'_>) -> EngineResult<(String, String)> {
    if let Some(Value::String(ident)) = ex.plan.context.get("pending_user_identifier") {
        return Ok((ident.clone(), DEFAULT_AVATAR.to_string()));
    }
    match PendingUser::from_context(&ex.plan.context) {
        Some(PendingUser::Saved(id)) => match load_user(ex, id).await? {
            Some(u) => {
                let ctx = crate::Ctx { services: ex.services, actor: None, base_url: String::new(), query: Default::default(), session: None };
                let avatar = crate::resources::users::avatar(&ctx, &u);
                Ok((t(&u, "username").to_string(), avatar.as_str().unwrap_or(DEFAULT_AVATAR).to_string()))
            }
            None => Ok((String::new(), DEFAULT_AVATAR.to_string())),
        },
        Some(PendingUser::Placeholder { identifier }) => Ok((identifier, DEFAULT_AVATAR.to_string())),
        None => Ok((ex.actor.as_ref().map(|a| a.username.clone()).unwrap_or_default(), DEFAULT_AVATAR.to_string())),
    }
}
