//! The baseline of `scripts/load.sh`: the same hyper server loop as the
//! reference app, answering `GET /api/items` with a fixed JSON list and no
//! middleware at all, so the load script's ratio is the cost of the stack.
//!
//! `bare_server [address]` (default `127.0.0.1:8081`).

use axum::{Router, routing::get};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8081".to_owned());
    let app = Router::new().route(
        "/api/items",
        get(|| async { axum::Json(serde_json::json!({ "items": [] })) }),
    );
    let listener = tokio::net::TcpListener::bind(&address).await?;
    println!("bare_server listening on: http://{address}");
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10));
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let connection =
            http.serve_connection(TokioIo::new(tcp), TowerToHyperService::new(app.clone()));
        tokio::spawn(connection);
    }
}
