//! `portcullis [serve]`: runs the identity server until SIGTERM or SIGINT.
//! `portcullis blueprint apply FILE... [--dry-run]`: applies blueprint files to the configured
//! database (exit status 1 when any file is invalid; every problem is printed).

use portcullis::Config;
use tracing_subscriber::EnvFilter;

fn usage() -> ! {
    eprintln!("usage: portcullis [serve]\n       portcullis blueprint apply FILE... [--dry-run]");
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let blueprint = match args.first().map(String::as_str) {
        None | Some("serve") => false,
        Some("blueprint") if args.get(1).map(String::as_str) == Some("apply") => true,
        Some("--help") | Some("-h") | Some(_) => usage(),
    };
    let cfg = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("portcullis: bad configuration: {e}");
            std::process::exit(2);
        }
    };
    if blueprint {
        let dry_run = args.iter().skip(2).any(|a| a == "--dry-run");
        let files: Vec<std::path::PathBuf> = args.iter().skip(2).filter(|a| *a != "--dry-run").map(Into::into).collect();
        if files.is_empty() {
            usage();
        }
        let (store, services) = match portcullis::server::open_services(&cfg).await {
            Ok(x) => x,
            Err(e) => {
                eprintln!("portcullis: {e}");
                std::process::exit(1);
            }
        };
        let ok = portcullis::blueprints::apply_files(&services, &files, dry_run).await;
        store.close().await;
        std::process::exit(if ok { 0 } else { 1 });
    }
    let filter = EnvFilter::try_from_env("PORTCULLIS_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    if cfg.log_json {
        tracing_subscriber::fmt().json().with_env_filter(filter).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    // Registered before serving: a SIGTERM that arrives as soon as the server answers must
    // still stop it gracefully rather than kill it.
    let shutdown = shutdown_signal();
    let running = match portcullis::start(cfg).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("portcullis: {e}");
            std::process::exit(1);
        }
    };
    shutdown.await;
    tracing::info!("shutting down: finishing in-flight requests");
    running.stop().await;
}

/// Registers the handlers now; the returned future completes on SIGTERM or SIGINT.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    #[cfg(unix)]
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    async move {
        #[cfg(unix)]
        {
            let term = async {
                match term.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let int = async {
                match int.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! { _ = term => {}, _ = int => {} }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
