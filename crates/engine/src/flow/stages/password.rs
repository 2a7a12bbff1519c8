//! Password: checks the pending user's password against the configured backends, with a
//! failed-attempt limit kept in the (database-backed) session, so it holds across processes.

use crate::error::EngineResult;
use crate::flow::challenge::{load_user, user_info};
use crate::flow::executor::Execution;
use crate::flow::plan::{PendingUser, PENDING_USER, SESSION_PASSWORD_TRIES};
use crate::flow::stage::{Outcome, StageView};
use crate::resources::common::t;
use async_trait::async_trait;
use domain::query::{Cond, Select};
use domain::value::{ColType, Row};
use serde_json::{json, Map, Value};

pub const INBUILT: &str = "authentik.core.auth.InbuiltBackend";
pub const TOKEN: &str = "authentik.core.auth.TokenBackend";

pub struct Password;

/// A hash of a random password, verified when no user matches so that unknown identifiers
/// take as long as known ones.
pub async fn dummy_verify(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let h = DUMMY.get_or_init(|| domain::password::hash(&domain::crypto::random_alnum(16)));
    let _ = crate::auth::verify_hash(password, h).await;
}

/// The inbuilt backend: an active user whose stored hash verifies (legacy hashes are
/// upgraded by `auth::verify_password`).
pub async fn check_inbuilt(ex: &Execution<'_>, user: &Row, password: &str) -> EngineResult<bool> {
    if !user.bool("is_active") {
        dummy_verify(password).await;
        return Ok(false);
    }
    crate::auth::verify_password(ex.services.store.as_ref(), user.int("id").unwrap_or(-1), password).await
}

/// The token backend: an unexpired app password of that user whose key is the password.
pub async fn check_token(ex: &Execution<'_>, user: &Row, password: &str) -> EngineResult<Option<String>> {
    let digest = ex.services.sealer.lookup_digest(password);
    let rows = ex
        .services
        .store
        .select(
            &Select::new("tokens")
                .col("identifier", ColType::Text)
                .col("expires", ColType::Int)
                .col("expiring", ColType::Bool)
                .filter(Cond::eq("key_digest", digest.as_str()))
                .filter(Cond::eq("intent", "app_password"))
                .filter(Cond::eq("user_id", user.int("id").unwrap_or(-1))),
        )
        .await?;
    let now = domain::time::now_micros();
    Ok(rows
        .into_iter()
        .find(|r| !(r.bool("expiring") && r.int("expires").map(|e| e < now).unwrap_or(false)))
        .filter(|_| user.bool("is_active"))
        .map(|r| t(&r, "identifier").to_string()))
}

/// Tries the stage's backends in order; on success returns (backend, auth method, args).
pub async fn authenticate(ex: &Execution<'_>, backends: &[String], user: &Row, password: &str) -> EngineResult<Option<(String, &'static str, Value)>> {
    for b in backends {
        match b.as_str() {
            INBUILT if check_inbuilt(ex, user, password).await? => return Ok(Some((INBUILT.into(), "password", json!({})))),
            TOKEN => {
                if let Some(ident) = check_token(ex, user, password).await? {
                    return Ok(Some((TOKEN.into(), "token", json!({"identifier": ident}))));
                }
            }
            _ => {}
        }
    }
    Ok(None)
}

pub fn backends_of(stage: &Row) -> Vec<String> {
    stage.text("backends").and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default()
}

#[async_trait]
impl StageView for Password {
    fn kind(&self) -> &'static str {
        "password"
    }
    fn interactive(&self, _stage: &Row) -> bool {
        true
    }
    async fn challenge(&self, ex: &mut Execution<'_>, _stage: &Row) -> EngineResult<Value> {
        let (name, avatar) = user_info(ex).await?;
        let mut c = json!({"component": "ak-stage-password", "pending_user": name, "pending_user_avatar": avatar});
        let recovery = ex
            .services
            .store
            .select(&Select::new("flows").col("slug", ColType::Text).filter(Cond::eq("designation", "recovery")).order_by("slug", false).limit_one())
            .await?;
        if let Some(r) = recovery.first() {
            c["recovery_url"] = json!(format!("{}/if/flow/{}/", ex.base_url, t(r, "slug")));
        }
        Ok(c)
    }
    async fn submit(&self, ex: &mut Execution<'_>, stage: &Row, answer: &Map<String, Value>) -> EngineResult<Outcome> {
        let Some(pending) = PendingUser::from_context(&ex.plan.context) else { return Ok(Outcome::Invalid(None)) };
        let limit = stage.int("failed_attempts_before_cancel").unwrap_or(5);
        // Passwords are not trimmed.
        let rejected = match answer.get("password") {
            None | Some(Value::Null) => Some(("This field is required.", "required")),
            Some(Value::String(s)) if s.is_empty() => Some(("This field may not be blank.", "blank")),
            Some(Value::String(_)) => None,
            Some(_) => Some(("Not a valid string.", "invalid")),
        };
        let mut result = None;
        if rejected.is_none() {
            let password = answer["password"].as_str().unwrap_or_default();
            if let PendingUser::Saved(id) = pending {
                if let Some(user) = load_user(ex, id).await? {
                    result = authenticate(ex, &backends_of(stage), &user, password).await?;
                }
            } else {
                dummy_verify(password).await;
            }
        }
        match result {
            Some((backend, method, args)) => {
                ex.session.remove(SESSION_PASSWORD_TRIES);
                ex.plan.context.insert("user_backend".into(), json!(backend));
                ex.plan.context.insert("auth_method".into(), json!(method));
                ex.plan.context.insert("auth_method_args".into(), args);
                if let PendingUser::Saved(id) = pending {
                    ex.plan.context.insert(PENDING_USER.into(), PendingUser::Saved(id).to_json());
                }
                Ok(Outcome::Ok)
            }
            None => {
                let tries = ex.session.get(SESSION_PASSWORD_TRIES).and_then(Value::as_i64).unwrap_or(0) + 1;
                if rejected.is_none() {
                    tracing::info!(stage = %t(stage, "name"), "login failed: invalid password");
                }
                if tries >= limit {
                    ex.session.remove(SESSION_PASSWORD_TRIES);
                    return Ok(Outcome::Invalid(None));
                }
                ex.session.set(SESSION_PASSWORD_TRIES, json!(tries));
                let (m, code) = rejected.unwrap_or(("Invalid password", "invalid"));
                Ok(Outcome::error("password", m, code))
            }
        }
    }
}
