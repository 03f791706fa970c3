//! `cargo run -p session-app`: the demo on `RAMPART_ADDR` (127.0.0.1:8080),
//! sessions and security keys in Redis when `REDIS_URL` is set, in memory
//! otherwise. Security keys are bound to `SESSION_APP_RP_ID` (`localhost`)
//! and the pages' origin `SESSION_APP_ORIGIN` (`http://localhost:<port>`):
//! open the app at that origin, not at `127.0.0.1`, for WebAuthn to work.

use rampart_auth::session::RedisSessionStore;
use rampart_auth::webauthn::RedisWebAuthnStore;
use session_app::{Options, build};
use std::net::SocketAddr;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let addr: SocketAddr = std::env::var("RAMPART_ADDR")
        .unwrap_or_else(|_| "127.0.0.1:8080".into())
        .parse()
        .map_err(|e| format!("RAMPART_ADDR: {e}"))?;
    let mut options = Options::memory();
    // Local development is plain http; behind TLS set SESSION_APP_PLAIN_HTTP=0.
    options.insecure_plain_http = std::env::var("SESSION_APP_PLAIN_HTTP").as_deref() != Ok("0");
    options.rp_id = std::env::var("SESSION_APP_RP_ID").unwrap_or_else(|_| "localhost".into());
    options.rp_origin = std::env::var("SESSION_APP_ORIGIN")
        .unwrap_or_else(|_| format!("http://localhost:{}", addr.port()));
    let store = match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => {
            options.store = Arc::new(RedisSessionStore::connect(&url, "session-app").await?);
            options.webauthn_store =
                Arc::new(RedisWebAuthnStore::connect(&url, "session-app:webauthn").await?);
            "redis"
        }
        _ => "memory",
    };
    let options_origin = options.rp_origin.clone();
    let (router, _) = build(options)?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("session-app listening on http://{}", listener.local_addr()?);
    println!("security keys work at {}", options_origin);
    println!("sessions: {store}; demo users alice / alice-S3cure-demo!, bob / bob-S3cure-demo!");
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
