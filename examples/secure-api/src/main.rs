//! Runs the reference app: `cargo run -p secure-api`.

use secure_api::serve::{self, ServeLimits};
use secure_api::{app, config::AppConfig};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let config = match AppConfig::from_env(|name| std::env::var(name).ok()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("secure-api: {error}");
            return ExitCode::FAILURE;
        }
    };
    let app::BuiltApp {
        router,
        facts,
        state,
    } = match app::assemble(&config).await {
        Ok(built) => built,
        Err(error) => {
            eprintln!("secure-api: {error}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(config.addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("secure-api: cannot listen on {}: {error}", config.addr);
            return ExitCode::FAILURE;
        }
    };
    for (name, value) in &facts.lines {
        println!("secure-api {name}: {value}");
    }
    let served = serve::serve(listener, router, ServeLimits::from(&config.server), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    // Drain the audit queue and seal the trail with a last signed checkpoint.
    if let Some(trail) = &state.audit
        && let Err(error) = trail.log().shutdown()
    {
        eprintln!("secure-api: the audit trail did not close cleanly: {error}");
    }
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("secure-api: server error: {error}");
            ExitCode::FAILURE
        }
    }
}
