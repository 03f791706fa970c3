//! Serves [`minimal_axum::app`] on 127.0.0.1:3000 and prints a token to try.
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use minimal_axum::{POLICY, app};
use rampart::auth::{JwtConfig, TokenRequest};
use rampart::rbac::Authorizer;
use std::{sync::Arc, time::Duration};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let auth = JwtConfig {
        issuer: Some("minimal".into()),
        ..JwtConfig::default()
    }
    .build()?;
    let token = auth
        .issuer()
        .issue_access(&TokenRequest::new("ann").roles(["reader"]))?;
    println!(
        "curl -H 'authorization: Bearer {}' http://127.0.0.1:3000/items",
        token.token
    );
    let app = app(&auth, Authorizer::from_toml(POLICY)?)?;
    // Not axum::serve: it has no header timeout and no connection limit (slowloris).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    let slots = Arc::new(tokio::sync::Semaphore::new(1024));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10));
    loop {
        let slot = slots.clone().acquire_owned().await?;
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let connection =
            http.serve_connection(TokioIo::new(tcp), TowerToHyperService::new(app.clone()));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(slot);
        });
    }
}
