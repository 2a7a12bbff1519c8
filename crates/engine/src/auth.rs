//! Who is asking: bearer tokens (and, later, sessions), and superuser status through groups.

use crate::ctx::{Actor, Services};
use crate::error::{EngineResult, TOKEN_INVALID, UNSUPPORTED_AUTH};
use domain::query::{Cond, Select, Write};
use domain::value::ColType;
use std::collections::{HashMap, HashSet};

/// Outcome of reading the `Authorization` header.
pub enum Credentials {
    None,
    Valid(Actor),
    Rejected(&'static str),
}

pub async fn authenticate_bearer(services: &Services, header: Option<&str>) -> EngineResult<Credentials> {
    let Some(h) = header.map(str::trim) else { return Ok(Credentials::None) };
    let Some((scheme, key)) = h.split_once(' ') else { return Ok(Credentials::None) };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(Credentials::Rejected(UNSUPPORTED_AUTH));
    }
    let key = key.trim();
    if key.is_empty() {
        return Ok(Credentials::Rejected(TOKEN_INVALID));
    }
    let store = services.store.as_ref();
    let digest = services.sealer.lookup_digest(key);
    let now = domain::time::now_micros();
    let rows = store
        .select(
            &Select::new("tokens")
                .col("uuid", ColType::Text)
                .col("intent", ColType::Text)
                .col("user_id", ColType::Int)
                .col("expires", ColType::Int)
                .col("expiring", ColType::Bool)
                .filter(Cond::eq("key_digest", digest.as_str())),
        )
        .await?;
    let Some(tok) = rows.into_iter().next() else { return Ok(Credentials::Rejected(TOKEN_INVALID)) };
    let expired = tok.bool("expiring") && tok.int("expires").map(|e| e < now).unwrap_or(false);
    if expired {
        // authentik deletes expired tokens it meets during authentication.
        let mut tx = store.begin().await?;
        tx.write(&Write::Delete { table: "tokens".into(), filter: Cond::eq("uuid", tok.text("uuid").unwrap_or_default()) })
            .await?;
        tx.commit().await?;
        return Ok(Credentials::Rejected(TOKEN_INVALID));
    }
    if tok.text("intent") != Some("api") {
        return Ok(Credentials::Rejected(TOKEN_INVALID));
    }
    let user_id = tok.int("user_id").unwrap_or(-1);
    match load_actor(services, user_id).await? {
        Some(a) => Ok(Credentials::Valid(a)),
        None => Ok(Credentials::Rejected(TOKEN_INVALID)),
    }
}

/// The active user with that id, as an actor.
pub async fn load_actor(services: &Services, user_id: i64) -> EngineResult<Option<Actor>> {
    let rows = services
        .store
        .select(
            &Select::new("users")
                .col("id", ColType::Int)
                .col("username", ColType::Text)
                .col("is_active", ColType::Bool)
                .filter(Cond::eq("id", user_id)),
        )
        .await?;
    let Some(u) = rows.into_iter().next() else { return Ok(None) };
    if !u.bool("is_active") {
        return Ok(None);
    }
    let su = superuser_user_ids(services.store.as_ref(), Some(user_id)).await?;
    Ok(Some(Actor { user_id, username: u.text("username").unwrap_or_default().to_string(), is_superuser: su.contains(&user_id) }))
}

/// Groups whose members are superusers: groups with `is_superuser`, and their descendants.
pub async fn superuser_groups(store: &dyn domain::store::Store) -> EngineResult<Vec<String>> {
    let rows = store
        .select(
            &Select::new("groups")
                .col("uuid", ColType::Text)
                .col("parent", ColType::Text)
                .col("is_superuser", ColType::Bool),
        )
        .await?;
    let parent: HashMap<String, Option<String>> =
        rows.iter().map(|r| (r.text("uuid").unwrap_or_default().to_string(), r.text("parent").map(str::to_string))).collect();
    let direct: HashSet<String> =
        rows.iter().filter(|r| r.bool("is_superuser")).map(|r| r.text("uuid").unwrap_or_default().to_string()).collect();
    let mut out = vec![];
    for g in parent.keys() {
        // Walk up the ancestors; a seen-set stops at cycles.
        let mut cur = Some(g.clone());
        let mut seen = HashSet::new();
        while let Some(c) = cur {
            if !seen.insert(c.clone()) {
                break;
            }
            if direct.contains(&c) {
                out.push(g.clone());
                break;
            }
            cur = parent.get(&c).cloned().flatten();
        }
    }
    out.sort();
    Ok(out)
}

/// Condition on `users.id` matching superusers.
pub fn superuser_cond(groups: &[String]) -> Cond {
    Cond::InSelect(
        "id".into(),
        Box::new(
            Select::new("group_users")
                .col("user_id", ColType::Int)
                .filter(Cond::In("group_uuid".into(), groups.iter().map(|g| g.as_str().into()).collect())),
        ),
    )
}

/// Ids of superusers, restricted to one user when given.
pub async fn superuser_user_ids(store: &dyn domain::store::Store, only: Option<i64>) -> EngineResult<HashSet<i64>> {
    let groups = superuser_groups(store).await?;
    if groups.is_empty() {
        return Ok(HashSet::new());
    }
    let mut sel = Select::new("group_users")
        .col("user_id", ColType::Int)
        .filter(Cond::In("group_uuid".into(), groups.iter().map(|g| g.as_str().into()).collect()));
    if let Some(u) = only {
        sel = sel.filter(Cond::eq("user_id", u));
    }
    Ok(store.select(&sel).await?.iter().filter_map(|r| r.int("user_id")).collect())
}

/// Verifies a password against a stored hash on a blocking thread: a hash takes tens of
/// milliseconds of CPU, and doing it on the async workers would stall every other request's
/// I/O (the database protocol among them) meanwhile. At most one verification per CPU runs at
/// a time (each holds ~19 MiB); the others wait their turn instead of piling up threads.
pub async fn verify_hash(password: &str, stored: &str) -> domain::password::Verified {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let slots = SLOTS.get_or_init(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)));
    let Ok(_slot) = slots.acquire().await else { return domain::password::Verified::No };
    let (p, s) = (password.to_string(), stored.to_string());
    tokio::task::spawn_blocking(move || domain::password::verify(&p, &s)).await.unwrap_or(domain::password::Verified::No)
}

/// Checks a user's password. Django `pbkdf2_sha256$` hashes (from an authentik database)
/// verify too, and are replaced by an Argon2id hash of the same password on success, so the
/// next check is a plain Argon2id one. Unusable passwords and unknown users never match.
pub async fn verify_password(store: &dyn domain::store::Store, user_id: i64, password: &str) -> EngineResult<bool> {
    use domain::password::Verified;
    let rows = store.select(&Select::new("users").col("password", ColType::Text).filter(Cond::eq("id", user_id))).await?;
    let Some(stored) = rows.first().and_then(|r| r.text("password")).map(str::to_string) else { return Ok(false) };
    match verify_hash(password, &stored).await {
        Verified::No => Ok(false),
        Verified::Yes => Ok(true),
        Verified::YesNeedsRehash => {
            let pw = password.to_string();
            let new_hash = tokio::task::spawn_blocking(move || domain::password::hash(&pw))
                .await
                .map_err(|e| crate::error::EngineError::Internal(format!("password hash: {e}")))?;
            let mut tx = store.begin().await?;
            // Only replaces the hash that was verified (a concurrent password change wins).
            tx.write(&Write::Update {
                table: "users".into(),
                set: vec![("password".into(), new_hash.into())],
                filter: Cond::eq("id", user_id).and(Cond::eq("password", stored.as_str())),
            })
            .await?;
            tx.commit().await?;
            tracing::info!(user_id, "re-hashed a legacy password with Argon2id");
            Ok(true)
        }
    }
}
