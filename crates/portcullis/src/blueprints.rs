//! Applying blueprint files outside the API: the blueprints directory at start, and the
//! `portcullis blueprint apply FILE...` command.
//!
//! Each file of the directory is applied once per content: the import's own transaction first
//! inserts the `settings` row `blueprint_applied:<file name>:<sha256>`, so two processes
//! starting on one database apply it once (the second waits for the first's transaction and
//! then finds the row). A failed import keeps no row and is retried at the next start.

use domain::query::{Cond, Select};
use domain::value::ColType;
use engine::blueprint::import::{import_claimed, Outcome};
use engine::resources::Registry;
use engine::{Actor, Ctx, Services};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Blueprints run as the bootstrap admin (any superuser if it was renamed).
async fn system_ctx(services: &Services) -> Ctx<'_> {
    let sel = Select::new("users")
        .col("id", ColType::Int)
        .col("username", ColType::Text)
        .filter(Cond::eq("is_superuser", true))
        .order_by("id", false);
    let rows = services.store.select(&sel).await.unwrap_or_default();
    let admin = rows.iter().find(|r| r.text("username") == Some(crate::bootstrap::ADMIN_USERNAME)).or(rows.first());
    let actor = Actor {
        user_id: admin.and_then(|r| r.int("id")).unwrap_or(-1),
        username: admin.and_then(|r| r.text("username")).unwrap_or(crate::bootstrap::ADMIN_USERNAME).to_string(),
        is_superuser: true,
    };
    Ctx { services, actor: Some(actor), base_url: String::new(), query: Default::default(), session: None }
}

/// The `.yaml`/`.yml` files of `dir`, by file name.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else { return vec![] };
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml") | Some("yml")))
        .collect();
    files.sort_by_key(|p| p.file_name().map(|n| n.to_os_string()));
    files
}

/// Applies every new or changed blueprint of `dir`; results are logged.
pub async fn apply_dir(services: &Services, dir: &Path) {
    let files = files_in(dir);
    if files.is_empty() {
        return;
    }
    let ctx = system_ctx(services).await;
    let registry = Registry::build();
    for f in files {
        let name = f.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let data = match std::fs::read(&f) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(file = %f.display(), error = %e, "cannot read blueprint");
                continue;
            }
        };
        let hash = hex::encode(Sha256::digest(&data));
        let key = format!("blueprint_applied:{name}:{hash}");
        let now = domain::time::format_micros(domain::time::now_micros());
        match import_claimed(&ctx, &registry, &data, false, Some((&key, &now))).await {
            None => tracing::debug!(file = %name, "blueprint already applied"),
            Some(o) if o.success => tracing::info!(file = %name, "blueprint applied"),
            Some(o) => {
                for l in &o.logs {
                    tracing::warn!(file = %name, event = %l["event"].as_str().unwrap_or_default(), "blueprint problem");
                }
                tracing::warn!(file = %name, "blueprint not applied");
            }
        }
    }
}

/// `portcullis blueprint apply FILE... [--dry-run]`: prints every problem; true when all
/// files applied (or validated).
pub async fn apply_files(services: &Services, files: &[PathBuf], dry_run: bool) -> bool {
    let ctx = system_ctx(services).await;
    let registry = Registry::build();
    let mut ok = true;
    for f in files {
        let outcome = match std::fs::read(f) {
            Ok(data) => import_claimed(&ctx, &registry, &data, dry_run, None).await.unwrap_or(Outcome { logs: vec![], success: true }),
            Err(e) => Outcome { logs: vec![serde_json::json!({"event": format!("cannot read file: {e}")})], success: false },
        };
        for l in &outcome.logs {
            eprintln!("{}: {}", f.display(), l["event"].as_str().unwrap_or_default());
        }
        if outcome.success {
            println!("{}: {}", f.display(), if dry_run { "valid" } else { "applied" });
        } else {
            println!("{}: FAILED", f.display());
            ok = false;
        }
    }
    ok
}
