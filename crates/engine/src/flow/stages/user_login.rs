//! User login: attaches the pending user to the session under a new session id.

use crate::error::EngineResult;
use crate::flow::challenge::{load_user, user_info};
use crate::flow::executor::Execution;
use crate::flow::plan::{PendingUser, SESSION_PASSWORD_TRIES};
use crate::flow::stage::{Outcome, StageView};
use crate::resources::common::t;
use crate::session::Session;
use async_trait::async_trait;
use domain::query::{Cond, Write};
use domain::value::Row;
use serde_json::{json, Map, Value};

/// A logged-in browser-lifetime session still ends on the server after this long.
const BROWSER_SESSION_US: i64 = 14 * 24 * 3600 * 1_000_000;

pub struct UserLogin;

fn duration_us(stage: &Row, col: &str) -> i64 {
    stage.text(col).and_then(domain::duration::parse).unwrap_or(0)
}

async fn login(ex: &mut Execution<'_>, stage: &Row, remember: bool) -> EngineResult<Outcome> {
    let Some(PendingUser::Saved(id)) = PendingUser::from_context(&ex.plan.context) else {
        return Ok(Outcome::Invalid(None));
    };
    let Some(user) = load_user(ex, id).await? else { return Ok(Outcome::Invalid(None)) };
    if !user.bool("is_active") {
        return Ok(Outcome::Invalid(None));
    }
    // A session that belonged to someone else starts empty (but keeps this plan).
    if ex.session.user_id.is_some_and(|u| u != id) {
        ex.session.data = Map::new();
    }
    let mut lifetime = duration_us(stage, "session_duration");
    if remember {
        lifetime += duration_us(stage, "remember_me_offset");
    }
    let now = domain::time::now_micros();
    if lifetime > 0 {
        ex.session.max_age = Some(lifetime / 1_000_000);
        ex.session.expires = now + lifetime;
        ex.session.set(crate::session::PERSISTENT, json!(true));
    } else {
        ex.session.max_age = None;
        ex.session.expires = now + BROWSER_SESSION_US;
        ex.session.remove(crate::session::PERSISTENT);
    }
    ex.session.user_id = Some(id);
    ex.session.remove(SESSION_PASSWORD_TRIES);
    ex.session.rotate();
    ex.actor = Some(crate::ctx::Actor { user_id: id, username: t(&user, "username").to_string(), is_superuser: false });
    let mut tx = ex.services.store.begin().await?;
    tx.write(&Write::Update { table: "users".into(), set: vec![("last_login".into(), now.into())], filter: Cond::eq("id", id) }).await?;
    tx.commit().await?;
    if stage.bool("terminate_other_sessions") {
        let keep = domain::crypto::sha256_hex(&ex.session.id);
        Session::end_all_for_user(ex.services, id, Some(&keep)).await?;
    }
    let method = ex.plan.context.get("auth_method").and_then(|v| v.as_str()).unwrap_or("password").to_string();
    tracing::info!(user = %t(&user, "username"), %method, "login");
    Ok(Outcome::Ok)
}

#[async_trait]
impl StageView for UserLogin {
    fn kind(&self) -> &'static str {
        "user_login"
    }
    fn interactive(&self, stage: &Row) -> bool {
        duration_us(stage, "remember_me_offset") > 0
    }
    async fn challenge(&self, ex: &mut Execution<'_>, _stage: &Row) -> EngineResult<Value> {
        let (name, avatar) = user_info(ex).await?;
        Ok(json!({"component": "ak-stage-user-login", "pending_user": name, "pending_user_avatar": avatar}))
    }
    async fn submit(&self, ex: &mut Execution<'_>, stage: &Row, answer: &Map<String, Value>) -> EngineResult<Outcome> {
        let remember = match answer.get("remember_me") {
            None | Some(Value::Null) => return Ok(Outcome::error("remember_me", "This field is required.", "required")),
            Some(v) => match crate::resource::input::parse_bool(v) {
                Some(b) => b,
                None => return Ok(Outcome::error("remember_me", "Must be a valid boolean.", "invalid")),
            },
        };
        login(ex, stage, remember).await
    }
    async fn run(&self, ex: &mut Execution<'_>, stage: &Row) -> EngineResult<Outcome> {
        login(ex, stage, false).await
    }
}
