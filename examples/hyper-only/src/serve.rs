//! The accept loop: what only the server can enforce, and the TCP peer for
//! the client address layer.

use crate::App;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// A client has this long to send its request headers, idle keep-alive
/// connections included, so slow senders cannot hold connections (slowloris).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections served at once; the rest wait in the listen backlog rather
/// than each costing a task and its buffers.
const MAX_CONNECTIONS: usize = 1024;

/// Serves `app` on `listener` until the listener fails for good.
///
/// Each request gets its connection's peer as a `SocketAddr` extension,
/// which is where `ClientIpLayer` looks for it outside axum.
///
/// # Errors
/// Never in practice: the connection semaphore is never closed. A failed
/// `accept` (a client that reset, a full file table) skips that connection.
pub async fn serve(listener: TcpListener, app: App<Incoming>) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    loop {
        let slot = slots
            .clone()
            .acquire_owned()
            .await
            .map_err(std::io::Error::other)?;
        let Ok((tcp, peer)) = listener.accept().await else {
            continue;
        };
        let service = app
            .clone()
            .map_request(move |mut request: http::Request<Incoming>| {
                request.extensions_mut().insert::<SocketAddr>(peer);
                request
            });
        let connection =
            http.serve_connection(TokioIo::new(tcp), TowerToHyperService::new(service));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(slot);
        });
    }
}
