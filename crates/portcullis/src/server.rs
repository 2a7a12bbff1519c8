//! Starting and stopping the server.

use crate::config::Config;
use api::AppState;
use domain::crypto::Sealer;
use engine::resources::Registry;
use engine::Services;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use storage::{DbConfig, SqlStore};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct Running {
    pub addr: SocketAddr,
    pub store: SqlStore,
    shutdown: Option<oneshot::Sender<()>>,
    handle: JoinHandle<()>,
}

impl Running {
    /// Stops accepting connections, lets in-flight requests finish, then closes the database.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.handle).await;
        self.store.close().await;
    }
}

fn secret_key(cfg: &Config) -> Result<String, String> {
    if let Some(k) = &cfg.secret_key {
        return Ok(k.clone());
    }
    if !matches!(cfg.db, DbConfig::Sqlite { .. }) {
        return Err("AUTHENTIK_SECRET_KEY must be set when using PostgreSQL (every process must share it)".into());
    }
    let path = cfg.data_dir.join("secret_key");
    match std::fs::read_to_string(&path) {
        Ok(k) if !k.trim().is_empty() => Ok(k.trim().to_string()),
        _ => {
            let k = domain::crypto::random_alnum(50);
            write_private(&path, &k).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            tracing::info!(path = %path.display(), "generated a secret key");
            Ok(k)
        }
    }
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(content.as_bytes())
}

fn prepare_data_dir(cfg: &Config) -> Result<(), String> {
    let d = &cfg.data_dir;
    std::fs::create_dir_all(d).map_err(|e| format!("cannot use data directory {}: {e}", d.display()))?;
    // Creating a directory that exists succeeds even when it is not writable: probe it.
    let probe = d.join(".write-probe");
    std::fs::write(&probe, b"").map_err(|e| format!("cannot write to data directory {}: {e}", d.display()))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// The data directory and the secret key.
fn prepare(cfg: &Config) -> Result<String, String> {
    if matches!(cfg.db, DbConfig::Sqlite { .. }) || cfg.secret_key.is_none() {
        prepare_data_dir(cfg)?;
    }
    secret_key(cfg)
}

/// Connects (migrating), bootstraps on first start, and builds the shared services.
async fn open(cfg: &Config, key: &str) -> Result<(SqlStore, Arc<Services>), String> {
    let store = storage::connect(&cfg.db).await?;
    let sealer = Sealer::new(key);
    let err = |e: domain::store::StoreError| format!("first-start setup failed: {e}");
    let installation_id = crate::bootstrap::setting_or_init(&store, "installation_id", || uuid::Uuid::new_v4().simple().to_string())
        .await
        .map_err(err)?;
    let services = Arc::new(Services {
        store: Arc::new(store.clone()),
        sealer,
        installation_id,
        media_dir: cfg.data_dir.join("media"),
        oidc_default_discovery: cfg.oidc_default_discovery,
        oauth_type_urls: cfg.oauth_type_urls.clone(),
    });
    if let Some(generated) = crate::bootstrap::run(&services, cfg).await.map_err(err)? {
        if generated.password.is_some() || generated.token.is_some() {
            // Shown once, so the operator can sign in; never logged again.
            eprintln!(
                "\n  Portcullis first start: created user {}.\n  password:  {}\n  API token: {}\n  (set AUTHENTIK_BOOTSTRAP_PASSWORD / AUTHENTIK_BOOTSTRAP_TOKEN to choose them)\n",
                crate::bootstrap::ADMIN_USERNAME,
                generated.password.as_deref().unwrap_or("(from AUTHENTIK_BOOTSTRAP_PASSWORD)"),
                generated.token.as_deref().unwrap_or("(from AUTHENTIK_BOOTSTRAP_TOKEN)"),
            );
        } else {
            tracing::info!(user = crate::bootstrap::ADMIN_USERNAME, "bootstrapped the admin user from the environment");
        }
    }
    Ok((store, services))
}

/// Opens the configured database without serving (the `blueprint apply` command).
pub async fn open_services(cfg: &Config) -> Result<(SqlStore, Arc<Services>), String> {
    let key = prepare(cfg)?;
    open(cfg, &key).await
}

pub async fn start(cfg: Config) -> Result<Running, String> {
    let key = prepare(&cfg)?;
    // Bind first: a taken port fails the start before the database is touched (and before a
    // first start prints credentials that nobody could then use).
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", cfg.listen))?;
    let (store, services) = open(&cfg, &key).await?;
    crate::blueprints::apply_dir(&services, &cfg.blueprints_dir).await;
    let web_state = Arc::new(web::WebState { services: services.clone(), trust_proxy: cfg.trust_proxy });
    let state = Arc::new(AppState { services, registry: Registry::build(), trust_proxy: cfg.trust_proxy });
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (tx, rx) = oneshot::channel::<()>();
    let app = api::router(state).merge(web::router(web_state));
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
    });
    tracing::info!(%addr, backend = store_backend(&cfg.db), "portcullis is listening");
    Ok(Running { addr, store, shutdown: Some(tx), handle })
}

fn store_backend(db: &DbConfig) -> &'static str {
    match db {
        DbConfig::Sqlite { .. } => "sqlite",
        DbConfig::Postgres { .. } => "postgresql",
    }
}
