//! The user-source connection rows an OAuth login reads and writes (sources.md 7).

use crate::ctx::Services;
use crate::error::EngineResult;
use domain::query::{Cond, Select, Write};
use domain::store::StoreError;
use domain::value::ColType;
use serde_json::{json, Value};

/// The context key of the connection a source login carries (flows.md 4.4 reads it too).
pub const CONTEXT_KEY: &str = "goauthentik.io/sources/connection";

/// The connection as it travels in a plan's context: never the plain access token.
pub fn to_context(source_uuid: &str, source_name: &str, identifier: &str, sealed_token: Option<&str>) -> Value {
    json!({"source": source_uuid, "source_name": source_name, "identifier": identifier, "access_token": sealed_token})
}

/// The owner of the connection of this identity at this source.
pub async fn owner(services: &Services, source_uuid: &str, identifier: &str) -> EngineResult<Option<i64>> {
    let rows = services
        .store
        .select(
            &Select::new("source_connections")
                .col("user_id", ColType::Int)
                .filter(Cond::eq("source", source_uuid).and(Cond::eq("identifier", identifier))),
        )
        .await?;
    Ok(rows.first().and_then(|r| r.int("user_id")))
}

#[derive(Debug, PartialEq)]
pub enum Saved {
    Created,
    /// The user's existing connection for this identity; its access token was replaced.
    Updated,
    /// The identity is connected to another user.
    OwnedByOther,
    /// The user is already connected to this source with another identity.
    UserHasOther,
}

/// Connects `user_id` to the identity, or refreshes the access token of that connection.
pub async fn save(services: &Services, source_uuid: &str, identifier: &str, user_id: i64, sealed_token: Option<&str>) -> EngineResult<Saved> {
    let now = domain::time::now_micros();
    let token = match sealed_token {
        Some(s) => domain::value::SqlValue::Text(s.to_string()),
        None => domain::value::SqlValue::Null,
    };
    let mut tx = services.store.begin().await?;
    let same_identity = Cond::eq("source", source_uuid).and(Cond::eq("identifier", identifier));
    let rows = tx.select(&Select::new("source_connections").col("user_id", ColType::Int).filter(same_identity.clone())).await?;
    if let Some(r) = rows.first() {
        if r.int("user_id") != Some(user_id) {
            return Ok(Saved::OwnedByOther);
        }
        tx.write(&Write::Update {
            table: "source_connections".into(),
            set: vec![("access_token".into(), token), ("last_updated".into(), now.into())],
            filter: same_identity,
        })
        .await?;
        tx.commit().await?;
        return Ok(Saved::Updated);
    }
    if tx.count("source_connections", &Cond::eq("source", source_uuid).and(Cond::eq("user_id", user_id))).await? > 0 {
        return Ok(Saved::UserHasOther);
    }
    let insert = tx
        .write(&Write::Insert {
            table: "source_connections".into(),
            values: vec![
                ("kind".into(), "oauth".into()),
                ("user_id".into(), user_id.into()),
                ("source".into(), source_uuid.into()),
                ("identifier".into(), identifier.into()),
                ("access_token".into(), token),
                ("created".into(), now.into()),
                ("last_updated".into(), now.into()),
            ],
        })
        .await;
    match insert {
        Ok(_) => {}
        // A concurrent login of the same identity won the race.
        Err(StoreError::Unique(_)) => return Ok(Saved::OwnedByOther),
        Err(e) => return Err(e.into()),
    }
    match tx.commit().await {
        Ok(()) => Ok(Saved::Created),
        Err(StoreError::Unique(_)) => Ok(Saved::OwnedByOther),
        Err(e) => Err(e.into()),
    }
}
