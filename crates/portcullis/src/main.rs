//! `portcullis [serve]`: runs the identity server until SIGTERM or SIGINT.

use portcullis::Config;
use tracing_subscriber::EnvFilter;

fn usage() -> ! {
    eprintln!("usage: portcullis [serve]");
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("serve") => {}
        Some("--help") | Some("-h") | Some(_) => usage(),
    }
    let cfg = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("portcullis: bad configuration: {e}");
            std::process::exit(2);
        }
    };
    let filter = EnvFilter::try_from_env("PORTCULLIS_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    if cfg.log_json {
        tracing_subscriber::fmt().json().with_env_filter(filter).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    let running = match portcullis::start(cfg).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("portcullis: {e}");
            std::process::exit(1);
        }
    };
    shutdown_signal().await;
    tracing::info!("shutting down: finishing in-flight requests");
    running.stop().await;
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
