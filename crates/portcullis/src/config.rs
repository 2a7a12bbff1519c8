//! Configuration from the environment, read as authentik reads it (`AUTHENTIK_*`), plus
//! Portcullis's own `PORTCULLIS_*` variables.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use storage::DbConfig;

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub db: DbConfig,
    /// `None` on the embedded default: generated and kept in the data directory.
    pub secret_key: Option<String>,
    pub bootstrap_password: Option<String>,
    pub bootstrap_token: Option<String>,
    pub bootstrap_email: Option<String>,
    pub trust_proxy: bool,
    pub log_json: bool,
    /// Seed the default flows on first start (`PORTCULLIS_DEFAULT_FLOWS`, default true).
    pub seed_default_flows: bool,
    /// `PORTCULLIS_OIDC_DEFAULT_DISCOVERY` (default true): fetch the built-in OIDC discovery
    /// and JWKS URLs of the github/gitlab/google/azuread source types on save (best-effort).
    pub oidc_default_discovery: bool,
    /// `PORTCULLIS_OAUTH_TYPE_URLS`: a JSON object replacing provider types' built-in URLs, e.g.
    /// `{"google": {"authorization_url": "...", "access_token_url": "...", "profile_url": "..."}}`
    /// for an egress gateway or a mirror (and for tests, which talk to a local stand-in).
    pub oauth_type_urls: serde_json::Map<String, serde_json::Value>,
    /// Blueprints applied at start, in file-name order, each content once
    /// (`AUTHENTIK_BLUEPRINTS_DIR`, default `blueprints` beside the data directory).
    pub blueprints_dir: PathBuf,
}

impl Config {
    pub fn from_env() -> Result<Config, String> {
        Self::from_map(&std::env::vars().collect())
    }

    pub fn from_map(env: &HashMap<String, String>) -> Result<Config, String> {
        let get = |k: &str| env.get(k).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let listen_raw = get("AUTHENTIK_LISTEN__HTTP").unwrap_or_else(|| "0.0.0.0:9000".into());
        let listen: SocketAddr = listen_raw
            .parse()
            .map_err(|_| format!("AUTHENTIK_LISTEN__HTTP: \"{listen_raw}\" is not an address like 0.0.0.0:9000"))?;
        let data_dir = PathBuf::from(get("PORTCULLIS_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let db = match get("AUTHENTIK_POSTGRESQL__HOST") {
            Some(host) => {
                let port_raw = get("AUTHENTIK_POSTGRESQL__PORT").unwrap_or_else(|| "5432".into());
                let port: u16 = port_raw
                    .parse()
                    .map_err(|_| format!("AUTHENTIK_POSTGRESQL__PORT: \"{port_raw}\" is not a port number"))?;
                DbConfig::Postgres {
                    host,
                    port,
                    name: get("AUTHENTIK_POSTGRESQL__NAME").unwrap_or_else(|| "authentik".into()),
                    user: get("AUTHENTIK_POSTGRESQL__USER").unwrap_or_else(|| "authentik".into()),
                    password: env.get("AUTHENTIK_POSTGRESQL__PASSWORD").cloned().unwrap_or_default(),
                }
            }
            None => DbConfig::Sqlite { path: data_dir.join("portcullis.db") },
        };
        let flag_or = |k: &str, default: bool| -> Result<bool, String> {
            match get(k).map(|v| v.to_ascii_lowercase()) {
                None => Ok(default),
                Some(v) if ["true", "1", "yes"].contains(&v.as_str()) => Ok(true),
                Some(v) if ["false", "0", "no"].contains(&v.as_str()) => Ok(false),
                Some(v) => Err(format!("{k}: \"{v}\" is not true or false")),
            }
        };
        let blueprints_dir = match get("AUTHENTIK_BLUEPRINTS_DIR") {
            Some(d) => PathBuf::from(d),
            None => match data_dir.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.join("blueprints"),
                _ => PathBuf::from("blueprints"),
            },
        };
        let oauth_type_urls = match get("PORTCULLIS_OAUTH_TYPE_URLS") {
            None => serde_json::Map::new(),
            Some(raw) => match serde_json::from_str::<serde_json::Value>(&raw) {
                Ok(serde_json::Value::Object(m)) if m.values().all(|v| v.as_object().is_some_and(|o| o.values().all(|u| u.is_string()))) => m,
                _ => return Err("PORTCULLIS_OAUTH_TYPE_URLS: expected a JSON object like {\"google\": {\"profile_url\": \"https://...\"}}".into()),
            },
        };
        let log_format = get("AUTHENTIK_LOG_FORMAT").unwrap_or_else(|| "text".into());
        Ok(Config {
            listen,
            data_dir,
            db,
            secret_key: get("AUTHENTIK_SECRET_KEY"),
            bootstrap_password: get("AUTHENTIK_BOOTSTRAP_PASSWORD"),
            bootstrap_token: get("AUTHENTIK_BOOTSTRAP_TOKEN"),
            bootstrap_email: get("AUTHENTIK_BOOTSTRAP_EMAIL"),
            trust_proxy: flag_or("PORTCULLIS_TRUST_PROXY", false)?,
            oidc_default_discovery: flag_or("PORTCULLIS_OIDC_DEFAULT_DISCOVERY", true)?,
            oauth_type_urls,
            log_json: log_format == "json",
            seed_default_flows: flag_or("PORTCULLIS_DEFAULT_FLOWS", true)?,
            blueprints_dir,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }
    #[test]
    fn defaults_to_embedded_database_on_port_9000() {
        let c = Config::from_map(&env(&[])).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert!(matches!(c.db, DbConfig::Sqlite { .. }));
    }
    #[test]
    fn postgres_host_selects_postgres() {
        let c = Config::from_map(&env(&[("AUTHENTIK_POSTGRESQL__HOST", "db"), ("AUTHENTIK_POSTGRESQL__PORT", "6543")])).unwrap();
        assert!(matches!(c.db, DbConfig::Postgres { port: 6543, .. }));
    }
    #[test]
    fn malformed_variables_are_named() {
        let e = Config::from_map(&env(&[("AUTHENTIK_LISTEN__HTTP", "nope")])).unwrap_err();
        assert!(e.contains("AUTHENTIK_LISTEN__HTTP"));
        let e = Config::from_map(&env(&[("AUTHENTIK_POSTGRESQL__HOST", "db"), ("AUTHENTIK_POSTGRESQL__PORT", "x")])).unwrap_err();
        assert!(e.contains("AUTHENTIK_POSTGRESQL__PORT"));
    }
}
