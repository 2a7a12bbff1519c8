//! Invitation: the flow continues only with a valid invitation (or when the stage allows
//! going on without one). A single-use invitation is claimed atomically by this session here,
//! so two racing flows cannot both use it, and deleted when the flow completes.

use crate::error::EngineResult;
use crate::flow::executor::Execution;
use crate::flow::stage::{Outcome, StageView};
use crate::resources::common::t;
use async_trait::async_trait;
use domain::query::{Cond, Select, Write};
use domain::value::{ColType, Row};
use serde_json::{json, Map, Value};

pub const INVALID: &str = "Invalid invite/invite not found";
const CLAIMED: &str = "portcullis/invitation_claimed";

pub struct Invitation;

fn token(ex: &Execution<'_>) -> Option<String> {
    let q = |k: &str| ex.query.get(k).and_then(|v| v.first()).cloned();
    q("itoken")
        .or_else(|| q("token"))
        .or_else(|| ex.plan.context.get("prompt_data").and_then(|p| p.get("token")).and_then(Value::as_str).map(str::to_string))
}

/// `fixed_data` merged into `prompt_data`: scalars from `fixed_data` win, objects merge, lists concatenate.
pub fn deep_merge(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (k, v) in from {
        match (into.get_mut(k), v) {
            (Some(Value::Object(a)), Value::Object(b)) => deep_merge(a, b),
            (Some(Value::Array(a)), Value::Array(b)) => a.extend(b.iter().cloned()),
            _ => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}

fn session_digest(ex: &Execution<'_>) -> String {
    ex.session.stored_digest.clone().unwrap_or_else(|| domain::crypto::sha256_hex(&ex.session.id))
}

async fn find(ex: &Execution<'_>, raw: &str) -> EngineResult<Option<Row>> {
    let Ok(id) = uuid::Uuid::parse_str(raw.trim()) else { return Ok(None) };
    let rows = ex
        .services
        .store
        .select(
            &Select::new("invitations")
                .col("uuid", ColType::Text)
                .col("expires", ColType::Int)
                .col("fixed_data", ColType::Text)
                .col("single_use", ColType::Bool)
                .col("flow", ColType::Text)
                .col("claimed_by", ColType::Text)
                .filter(Cond::eq("uuid", id.to_string())),
        )
        .await?;
    Ok(rows.into_iter().next())
}

#[async_trait]
impl StageView for Invitation {
    fn kind(&self) -> &'static str {
        "invitation"
    }
    async fn run(&self, ex: &mut Execution<'_>, stage: &Row) -> EngineResult<Outcome> {
        let otherwise = |stage: &Row| {
            if stage.bool("continue_flow_without_invitation") {
                Outcome::Ok
            } else {
                Outcome::Invalid(Some(INVALID.into()))
            }
        };
        let Some(raw) = token(ex) else { return Ok(otherwise(stage)) };
        let Some(inv) = find(ex, &raw).await? else { return Ok(otherwise(stage)) };
        let now = domain::time::now_micros();
        let expired = inv.int("expires").is_some_and(|e| e < now);
        let wrong_flow = inv.text("flow").is_some_and(|f| f != t(&ex.flow, "uuid"));
        if expired || wrong_flow {
            return Ok(otherwise(stage));
        }
        let uuid = t(&inv, "uuid").to_string();
        if inv.bool("single_use") {
            let me = session_digest(ex);
            let mut tx = ex.services.store.begin().await?;
            let claimed = tx
                .write(&Write::Update {
                    table: "invitations".into(),
                    set: vec![("claimed_by".into(), me.clone().into())],
                    filter: Cond::eq("uuid", uuid.as_str())
                        .and(Cond::Or(vec![Cond::IsNull("claimed_by".into()), Cond::eq("claimed_by", me.as_str())])),
                })
                .await?;
            tx.commit().await?;
            if claimed == 0 {
                return Ok(otherwise(stage));
            }
            ex.plan.context.insert(CLAIMED.into(), json!(uuid));
        }
        let fixed: Map<String, Value> = inv.text("fixed_data").and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
        let mut prompt = match ex.plan.context.remove("prompt_data") {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        deep_merge(&mut prompt, &fixed);
        ex.plan.context.insert("prompt_data".into(), Value::Object(prompt));
        ex.plan.context.insert("invitation_in_effect".into(), json!(true));
        ex.plan.context.insert("invitation".into(), json!(uuid));
        tracing::info!(invitation = %uuid, "invitation used");
        Ok(Outcome::Ok)
    }
}

/// At the end of a flow: delete the single-use invitation this flow claimed.
pub async fn consume_claimed(ex: &mut Execution<'_>) -> EngineResult<()> {
    let Some(Value::String(uuid)) = ex.plan.context.remove(CLAIMED) else { return Ok(()) };
    let mut tx = ex.services.store.begin().await?;
    tx.write(&Write::Delete { table: "invitations".into(), filter: Cond::eq("uuid", uuid.as_str()) }).await?;
    tx.commit().await?;
    Ok(())
}
