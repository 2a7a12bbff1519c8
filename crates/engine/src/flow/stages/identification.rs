//! Identification: finds the user by the configured fields, optionally checking an inline
//! password; unknown identifiers continue with a placeholder when `pretend_user_exists`.

use super::password::{authenticate, backends_of, dummy_verify};
use crate::error::EngineResult;
use crate::flow::challenge::{redirect, USER_COLUMNS};
use crate::flow::executor::Execution;
use crate::flow::plan::{PendingUser, PENDING_USER};
use crate::flow::query::encode_map;
use crate::flow::stage::{Outcome, StageView};
use crate::resources::common::t;
use async_trait::async_trait;
use domain::query::{Cond, Select};
use domain::value::{ColType, Row, SqlValue};
use serde_json::{json, Map, Value};

pub struct Identification;

fn user_fields(stage: &Row) -> Vec<String> {
    stage.text("user_fields").and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default()
}

async fn flow_slug(ex: &Execution<'_>, uuid: Option<&str>) -> EngineResult<Option<String>> {
    let Some(u) = uuid else { return Ok(None) };
    let rows = ex.services.store.select(&Select::new("flows").col("slug", ColType::Text).filter(Cond::eq("uuid", u))).await?;
    Ok(rows.first().map(|r| t(r, "slug").to_string()))
}

/// The login buttons of the stage's enabled sources, ordered by name.
pub async fn source_buttons(ex: &Execution<'_>, stage_uuid: &str) -> EngineResult<Vec<Value>> {
    let links = Select::new("stage_sources").col("source_uuid", ColType::Text).filter(Cond::eq("stage_uuid", stage_uuid));
    let rows = ex
        .services
        .store
        .select(
            &Select::new("sources")
                .col("name", ColType::Text)
                .col("slug", ColType::Text)
                .col("icon", ColType::Text)
                .col("provider_type", ColType::Text)
                .filter(Cond::InSelect("uuid".into(), Box::new(links)))
                .filter(Cond::eq("enabled", true))
                .filter(Cond::eq("kind", "oauth"))
                .order_by("name", false),
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            json!({
                "name": t(r, "name"),
                "icon_url": crate::resources::sources::button_icon_url(r.text("icon"), t(r, "provider_type")),
                "challenge": redirect(&crate::source_login::login_path(t(r, "slug"))),
            })
        })
        .collect())
}

async fn find_user(ex: &Execution<'_>, stage: &Row, uid: &str) -> EngineResult<Option<Row>> {
    let ci = stage.bool("case_insensitive_matching");
    let mut alts = vec![];
    for f in user_fields(stage) {
        match f.as_str() {
            "username" | "email" => alts.push(if ci { Cond::EqCi(f.clone(), uid.to_string()) } else { Cond::eq(&f, uid) }),
            "upn" => alts.push(Cond::JsonPathEq("attributes".into(), vec!["upn".into()], json!(uid))),
            _ => {}
        }
    }
    if alts.is_empty() {
        return Ok(None);
    }
    let mut sel = Select::new("users").filter(Cond::Or(alts)).order_by("id", false).limit_one();
    for (c, ty) in USER_COLUMNS {
        sel = sel.col(c, *ty);
    }
    Ok(ex.services.store.select(&sel).await?.into_iter().next())
}

#[async_trait]
impl StageView for Identification {
    fn kind(&self) -> &'static str {
        "identification"
    }
    fn interactive(&self, _stage: &Row) -> bool {
        true
    }
    async fn challenge(&self, ex: &mut Execution<'_>, stage: &Row) -> EngineResult<Value> {
        let designation = t(&ex.flow, "designation").to_string();
        let mut c = json!({
            "component": "ak-stage-identification",
            "user_fields": user_fields(stage),
            "password_fields": stage.text("password_stage").is_some(),
            "flow_designation": designation,
            "primary_action": if designation == "authentication" { "Log in" } else { "Continue" },
            "sources": source_buttons(ex, t(stage, "uuid")).await?,
            "show_source_labels": stage.bool("show_source_labels"),
        });
        let carried = encode_map(&ex.query);
        for (key, col) in [("enroll_url", "enrollment_flow"), ("recovery_url", "recovery_flow"), ("passwordless_url", "passwordless_flow")] {
            if let Some(slug) = flow_slug(ex, stage.text(col)).await? {
                let url = if carried.is_empty() { format!("/if/flow/{slug}/") } else { format!("/if/flow/{slug}/?{carried}") };
                c[key] = json!(url);
            }
        }
        Ok(c)
    }
    async fn submit(&self, ex: &mut Execution<'_>, stage: &Row, answer: &Map<String, Value>) -> EngineResult<Outcome> {
        let uid = match answer.get("uid_field") {
            None | Some(Value::Null) => return Ok(Outcome::error("uid_field", "This field is required.", "required")),
            Some(Value::String(s)) if s.trim().is_empty() => return Ok(Outcome::error("uid_field", "This field may not be blank.", "blank")),
            Some(Value::String(s)) => s.trim().to_string(),
            Some(_) => return Ok(Outcome::error("uid_field", "Not a valid string.", "invalid")),
        };
        let password = answer.get("password").and_then(Value::as_str).map(str::to_string);
        let show_matched = stage.bool("show_matched_user");
        let password_stage = stage.text("password_stage").map(str::to_string);
        let fail = || Outcome::error("non_field_errors", "Failed to authenticate.", "invalid");
        if !show_matched {
            ex.plan.context.insert("pending_user_identifier".into(), json!(uid));
        }
        let Some(user) = find_user(ex, stage, &uid).await? else {
            // Match the known-user path's timing: it verifies a password only when one is asked
            // inline, so an unknown identifier costs one hash exactly then (and never otherwise,
            // which would make unknown identifiers measurably slower than known ones).
            if password_stage.is_some() {
                dummy_verify(password.as_deref().unwrap_or("")).await;
            }
            tracing::info!("identification failed: unknown identifier");
            ex.plan.context.insert(PENDING_USER.into(), PendingUser::Placeholder { identifier: uid }.to_json());
            return Ok(if stage.bool("pretend_user_exists") && password_stage.is_none() { Outcome::Ok } else { fail() });
        };
        let id = user.int("id").unwrap_or_default();
        if let Some(ps) = password_stage {
            let backends = match ex
                .services
                .store
                .select(&Select::new("stages").col("backends", ColType::Text).filter(Cond::Eq("uuid".into(), SqlValue::Text(ps))))
                .await?
                .first()
            {
                Some(r) => backends_of(r),
                None => vec![super::password::INBUILT.to_string()],
            };
            match authenticate(ex, &backends, &user, password.as_deref().unwrap_or("")).await? {
                Some((backend, method, args)) => {
                    ex.plan.context.insert("pending_user_authenticated".into(), json!(true));
                    ex.plan.context.insert("user_backend".into(), json!(backend));
                    ex.plan.context.insert("auth_method".into(), json!(method));
                    ex.plan.context.insert("auth_method_args".into(), args);
                }
                None => return Ok(fail()),
            }
        }
        ex.plan.context.insert(PENDING_USER.into(), PendingUser::Saved(id).to_json());
        Ok(Outcome::Ok)
    }
}
