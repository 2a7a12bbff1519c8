//! User write: creates or updates the pending user from `prompt_data`, for an allow-list of
//! keys only (authentik assigns any model field; we do not let form data reach arbitrary
//! columns).

use crate::error::EngineResult;
use crate::flow::challenge::load_user;
use crate::flow::executor::Execution;
use crate::flow::plan::{PendingUser, PENDING_USER};
use crate::flow::stage::{Outcome, StageView};
use crate::resources::common::t;
use async_trait::async_trait;
use domain::query::{Cond, Write};
use domain::store::StoreError;
use domain::value::{Row, SqlValue};
use serde_json::{json, Map, Value};

pub struct UserWrite;

const FAILED: &str = "Failed to update user. Please try again later.";
const USER_TYPES: &[&str] = &["internal", "external", "service_account", "internal_service_account"];

/// Writes `value` at a dotted path inside `attrs`, creating objects on the way.
fn set_path(attrs: &mut Map<String, Value>, path: &[&str], value: Value) {
    if path.is_empty() {
        return;
    }
    if path.len() == 1 {
        attrs.insert(path[0].to_string(), value);
        return;
    }
    let entry = attrs.entry(path[0].to_string()).or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    if let Value::Object(m) = entry {
        set_path(m, &path[1..], value);
    }
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[async_trait]
impl StageView for UserWrite {
    fn kind(&self) -> &'static str {
        "user_write"
    }
    async fn run(&self, ex: &mut Execution<'_>, stage: &Row) -> EngineResult<Outcome> {
        let Some(Value::Object(data)) = ex.plan.context.get("prompt_data").cloned() else {
            return Ok(Outcome::Invalid(Some("No Pending data.".into())));
        };
        let mut pending = PendingUser::from_context(&ex.plan.context);
        if pending.is_none() {
            if let Some(a) = &ex.actor {
                pending = Some(PendingUser::Saved(a.user_id));
            }
        }
        let mode = t(stage, "user_creation_mode");
        let existing = match (&pending, mode) {
            (Some(PendingUser::Saved(id)), m) if m != "always_create" => load_user(ex, *id).await?,
            _ => None,
        };
        if existing.is_none() && mode == "never_create" {
            return Ok(Outcome::Invalid(Some("No user found and can't create new user.".into())));
        }
        let mut set: Vec<(String, SqlValue)> = vec![];
        let mut attrs: Map<String, Value> = existing
            .as_ref()
            .and_then(|u| u.text("attributes"))
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        let mut username = existing.as_ref().map(|u| t(u, "username").to_string()).unwrap_or_default();
        for (k, v) in &data {
            match k.as_str() {
                "component" | "groups" => {}
                "username" => username = as_text(v).trim().to_string(),
                "name" | "email" => set.push((k.clone(), as_text(v).into())),
                "password" => set.push(("password".into(), domain::password::hash(&as_text(v)).into())),
                "is_active" => set.push(("is_active".into(), v.as_bool().unwrap_or(true).into())),
                "path" => set.push(("path".into(), as_text(v).into())),
                "type" if v.as_str().is_some_and(|t| USER_TYPES.contains(&t) && t != "internal_service_account") => {
                    set.push(("type".into(), as_text(v).into()))
                }
                "attributes" => {
                    if let Value::Object(m) = v {
                        for (ak, av) in m {
                            attrs.insert(ak.clone(), av.clone());
                        }
                    }
                }
                key if key.starts_with("attributes.") || key.starts_with("attributes_") => {
                    let dotted = key.replace('_', ".");
                    let parts: Vec<&str> = dotted.split('.').skip(1).filter(|p| !p.is_empty()).collect();
                    set_path(&mut attrs, &parts, v.clone());
                }
                _ => {}
            }
        }
        if let Some(Value::Object(conn)) = ex.plan.context.get("goauthentik.io/sources/connection") {
            if let Some(name) = conn.get("source_name").and_then(Value::as_str) {
                let list = attrs.entry("goauthentik.io/user/sources").or_insert_with(|| json!([]));
                if let Value::Array(a) = list {
                    if !a.iter().any(|x| x == name) {
                        a.push(json!(name));
                    }
                }
            }
        }
        if username.is_empty() {
            return Ok(Outcome::Invalid(None));
        }
        set.push(("username".into(), username.clone().into()));
        set.push(("attributes".into(), Value::Object(attrs).to_string().into()));
        let group = stage.text("create_users_group").map(str::to_string);
        let mut tx = ex.services.store.begin().await?;
        let written: Result<i64, StoreError> = async {
            match &existing {
                Some(u) => {
                    let id = u.int("id").unwrap_or_default();
                    tx.write(&Write::Update { table: "users".into(), set: set.clone(), filter: Cond::eq("id", id) }).await?;
                    Ok(id)
                }
                None => {
                    let now = domain::time::now_micros();
                    let mut values = set.clone();
                    let path = ex
                        .plan
                        .context
                        .get("user_path")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .or_else(|| stage.text("user_path_template").filter(|s| !s.is_empty()).map(str::to_string))
                        .unwrap_or_else(|| "users".into());
                    let ty = match stage.text("user_type").unwrap_or("external") {
                        "internal_service_account" => "service_account",
                        other => other,
                    };
                    for (col, val) in [
                        ("uuid", SqlValue::Text(uuid::Uuid::new_v4().to_string())),
                        ("date_joined", now.into()),
                        ("is_active", (!stage.bool("create_users_as_inactive")).into()),
                        ("path", path.into()),
                        ("type", ty.into()),
                        ("name", "".into()),
                        ("email", "".into()),
                        ("password", domain::password::UNUSABLE.into()),
                    ] {
                        if !values.iter().any(|(c, _)| c == col) {
                            values.push((col.to_string(), val));
                        }
                    }
                    tx.insert_returning_id("users", &values).await
                }
            }
        }
        .await;
        let id = match written {
            Ok(id) => id,
            Err(StoreError::Unique(_)) | Err(StoreError::ForeignKey(_)) => return Ok(Outcome::Invalid(Some(FAILED.into()))),
            Err(e) => return Err(e.into()),
        };
        if let Some(g) = group {
            tx.write(&Write::Delete {
                table: "group_users".into(),
                filter: Cond::eq("group_uuid", g.as_str()).and(Cond::eq("user_id", id)),
            })
            .await?;
            tx.write(&Write::Insert {
                table: "group_users".into(),
                values: vec![("group_uuid".into(), g.into()), ("user_id".into(), id.into())],
            })
            .await?;
        }
        match tx.commit().await {
            Ok(()) => {}
            Err(StoreError::Unique(_)) => return Ok(Outcome::Invalid(Some(FAILED.into()))),
            Err(e) => return Err(e.into()),
        }
        if existing.is_none() {
            ex.plan.context.insert("user_backend".into(), json!(super::password::INBUILT));
        }
        ex.plan.context.insert(PENDING_USER.into(), PendingUser::Saved(id).to_json());
        tracing::info!(user = %username, created = existing.is_none(), "user written");
        Ok(Outcome::Ok)
    }
}
