//! Server-side sessions, kept in the database so that any process can serve any visitor.
//!
//! The cookie carries a random 256-bit id; the database keeps only its SHA-256, so a copy of
//! the database does not hand out live sessions.

use crate::ctx::Services;
use crate::error::EngineResult;
use domain::query::{Cond, Select, Write};
use domain::value::{ColType, SqlValue};
use serde_json::{Map, Value};

pub const COOKIE: &str = "authentik_session";
pub const CSRF_COOKIE: &str = "authentik_csrf";
pub const CSRF_HEADER: &str = "x-authentik-csrf";
/// Session key marking a session whose cookie carries `Max-Age` (user_login set a duration).
pub const PERSISTENT: &str = "portcullis/persistent_cookie";
/// How long an anonymous or browser-lifetime session lives on the server.
pub const DEFAULT_LIFETIME_US: i64 = 24 * 3600 * 1_000_000;

#[derive(Debug, Clone)]
pub struct Session {
    /// The cookie value (only known for sessions created or loaded in this request).
    pub id: String,
    pub user_id: Option<i64>,
    pub data: Map<String, Value>,
    pub csrf: String,
    pub expires: i64,
    /// `Max-Age` for the cookie; `None` means a browser-session cookie.
    pub max_age: Option<i64>,
    /// The row exists in the database under `stored_digest`.
    pub stored_digest: Option<String>,
    /// Something changed that must be written back (and the cookie re-sent).
    pub dirty: bool,
    /// Marked for deletion (logout flushes).
    pub flushed: bool,
}

fn digest(id: &str) -> String {
    domain::crypto::sha256_hex(id)
}

impl Session {
    pub fn fresh() -> Session {
        Session {
            id: domain::crypto::random_hex(32),
            user_id: None,
            data: Map::new(),
            csrf: domain::crypto::random_alnum(32),
            expires: domain::time::now_micros() + DEFAULT_LIFETIME_US,
            max_age: None,
            stored_digest: None,
            dirty: true,
            flushed: false,
        }
    }

    /// Loads the live session a cookie names.
    pub async fn load(services: &Services, cookie: Option<&str>) -> EngineResult<Option<Session>> {
        let Some(id) = cookie.filter(|c| c.len() == 64 && c.chars().all(|ch| ch.is_ascii_hexdigit())) else {
            return Ok(None);
        };
        let d = digest(id);
        let rows = services
            .store
            .select(
                &Select::new("sessions")
                    .col("user_id", ColType::Int)
                    .col("data", ColType::Text)
                    .col("csrf", ColType::Text)
                    .col("expires", ColType::Int)
                    .filter(Cond::eq("key_digest", d.as_str())),
            )
            .await?;
        let Some(r) = rows.into_iter().next() else { return Ok(None) };
        let expires = r.int("expires").unwrap_or(0);
        if expires < domain::time::now_micros() {
            Session::delete_digest(services, &d).await?;
            return Ok(None);
        }
        let data = match r.text("data").and_then(|t| serde_json::from_str::<Value>(t).ok()) {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        // A session with a chosen lifetime keeps a persistent cookie when it is re-sent.
        let max_age = (data.get(PERSISTENT) == Some(&Value::Bool(true))).then(|| (expires - domain::time::now_micros()).max(0) / 1_000_000);
        Ok(Some(Session {
            id: id.to_string(),
            user_id: r.int("user_id"),
            data,
            csrf: r.text("csrf").unwrap_or_default().to_string(),
            expires,
            max_age,
            stored_digest: Some(d),
            dirty: false,
            flushed: false,
        }))
    }

    async fn delete_digest(services: &Services, d: &str) -> EngineResult<()> {
        let mut tx = services.store.begin().await?;
        tx.write(&Write::Delete { table: "sessions".into(), filter: Cond::eq("key_digest", d) }).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A new id and CSRF token for the same data (login), so a fixated id becomes useless.
    pub fn rotate(&mut self) {
        self.id = domain::crypto::random_hex(32);
        self.csrf = domain::crypto::random_alnum(32);
        self.dirty = true;
    }

    /// Empties the session and gives it a new id (logout).
    pub fn flush(&mut self) {
        self.user_id = None;
        self.data = Map::new();
        self.max_age = None;
        self.expires = domain::time::now_micros() + DEFAULT_LIFETIME_US;
        self.rotate();
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.data.get(key)
    }

    /// Sets a key; setting the value it already has changes nothing (no write-back).
    pub fn set(&mut self, key: &str, v: Value) {
        if self.data.get(key) == Some(&v) {
            return;
        }
        self.data.insert(key.to_string(), v);
        self.dirty = true;
    }

    pub fn remove(&mut self, key: &str) {
        if self.data.remove(key).is_some() {
            self.dirty = true;
        }
    }

    /// Writes the session back: the old row goes when the id rotated.
    pub async fn save(&mut self, services: &Services, client_ip: Option<&str>) -> EngineResult<()> {
        if !self.dirty {
            return Ok(());
        }
        let d = digest(&self.id);
        let mut tx = services.store.begin().await?;
        if self.stored_digest.as_deref() == Some(d.as_str()) {
            // Same id: update the row in place (one statement instead of delete + insert).
            let updated = tx
                .write(&Write::Update {
                    table: "sessions".into(),
                    set: vec![
                        ("user_id".into(), self.user_id.map(SqlValue::Int).unwrap_or(SqlValue::Null)),
                        ("data".into(), Value::Object(self.data.clone()).to_string().into()),
                        ("csrf".into(), self.csrf.clone().into()),
                        ("expires".into(), self.expires.into()),
                        ("last_ip".into(), client_ip.map(|s| SqlValue::Text(s.to_string())).unwrap_or(SqlValue::Null)),
                    ],
                    filter: Cond::eq("key_digest", d.as_str()),
                })
                .await?;
            // Zero rows: the session was ended meanwhile (deactivation, another login's
            // terminate_other_sessions...). A logged-in session stays ended; an anonymous one
            // (e.g. removed as expired) is written afresh.
            if updated == 1 || self.user_id.is_some() {
                tx.commit().await?;
                self.dirty = false;
                return Ok(());
            }
        } else if let Some(old) = &self.stored_digest {
            tx.write(&Write::Delete { table: "sessions".into(), filter: Cond::eq("key_digest", old.as_str()) }).await?;
        }
        tx.write(&Write::Insert {
            table: "sessions".into(),
            values: vec![
                ("key_digest".into(), d.clone().into()),
                ("user_id".into(), self.user_id.map(SqlValue::Int).unwrap_or(SqlValue::Null)),
                ("data".into(), Value::Object(self.data.clone()).to_string().into()),
                ("csrf".into(), self.csrf.clone().into()),
                ("created".into(), domain::time::now_micros().into()),
                ("expires".into(), self.expires.into()),
                ("last_ip".into(), client_ip.map(|s| SqlValue::Text(s.to_string())).unwrap_or(SqlValue::Null)),
            ],
        })
        .await?;
        tx.commit().await?;
        self.stored_digest = Some(d);
        self.dirty = false;
        Ok(())
    }

    /// Ends every session of a user except `keep` (a digest), e.g. on deactivation.
    pub async fn end_all_for_user(services: &Services, user_id: i64, keep: Option<&str>) -> EngineResult<()> {
        let mut filter = Cond::eq("user_id", user_id);
        if let Some(k) = keep {
            filter = filter.and(Cond::Ne("key_digest".into(), k.into()));
        }
        let mut tx = services.store.begin().await?;
        tx.write(&Write::Delete { table: "sessions".into(), filter }).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie_value<'h>(header: Option<&'h str>, name: &str) -> Option<&'h str> {
    header?.split(';').map(str::trim).find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k.trim() == name).then(|| v.trim())
    })
}

/// `Set-Cookie` values for a session: the HttpOnly session cookie and the script-readable CSRF
/// cookie. `secure` when the request came over TLS.
pub fn set_cookies(s: &Session, secure: bool) -> Vec<String> {
    let sec = if secure { "; Secure" } else { "" };
    if s.flushed {
        return vec![
            format!("{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{sec}"),
            format!("{CSRF_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax{sec}"),
        ];
    }
    let age = s.max_age.map(|a| format!("; Max-Age={a}")).unwrap_or_default();
    vec![
        format!("{COOKIE}={}; Path=/; HttpOnly; SameSite=Lax{sec}{age}", s.id),
        format!("{CSRF_COOKIE}={}; Path=/; SameSite=Lax{sec}{age}", s.csrf),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn finds_cookie_by_name() {
        assert_eq!(cookie_value(Some("a=1; authentik_session=abc ; b=2"), COOKIE), Some("abc"));
        assert_eq!(cookie_value(Some("a=1"), COOKIE), None);
        assert_eq!(cookie_value(None, COOKIE), None);
    }
    #[test]
    fn session_cookie_is_httponly_lax_and_secure_over_tls() {
        let s = Session::fresh();
        let c = set_cookies(&s, true);
        assert!(c[0].contains("HttpOnly") && c[0].contains("SameSite=Lax") && c[0].contains("Secure"));
        assert!(!c[1].contains("HttpOnly"));
        assert!(!set_cookies(&s, false)[0].contains("Secure"));
    }
}
