//! Serving the router over TCP with the limits `axum::serve` does not set.
//!
//! `axum::serve` has no header read timeout and no connection limit: a client
//! that opens a socket and sends half a request line holds it forever, and
//! some thousands of such clients (slowloris) leave nothing for anyone else,
//! `/health` included. Here each connection is served by hyper's HTTP/1
//! builder with a header read timeout (which also closes idle keep-alive
//! connections), and a semaphore bounds how many connections are served at
//! once: beyond it the accept loop stops accepting, so further clients wait
//! in the kernel's listen backlog until a slot frees, which the timeout
//! guarantees happens.
//!
//! Per-request time limits (body, whole request) are middleware:
//! [`crate::timeout`].

use crate::config::ServerConfig;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::Layer;

/// The connection-level limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// Time a client has to send a request line and headers, from the moment
    /// the server waits for them (new or idle keep-alive connection).
    pub header_read_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// How long shutdown waits for open connections to finish.
    pub shutdown_grace: Duration,
}

impl From<&ServerConfig> for ServeLimits {
    fn from(config: &ServerConfig) -> Self {
        Self {
            header_read_timeout: Duration::from_secs(config.header_read_timeout_secs),
            max_connections: config.max_connections,
            shutdown_grace: Duration::from_secs(config.request_timeout_secs),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then stops
/// accepting and gives open connections up to `limits.shutdown_grace` to
/// finish their requests.
///
/// Each request carries [`ConnectInfo<SocketAddr>`] with the TCP peer, as
/// with `into_make_service_with_connect_info::<SocketAddr>()`, so the client
/// IP layer sees the peer address.
///
/// # Errors
/// Only when the connection limit's semaphore is closed, which this function
/// never does; accept errors (such as running out of file descriptors) are
/// logged and retried after a pause instead of ending the server.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(target: "secure_api", %error, "accept failed; pausing");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = axum::Extension(ConnectInfo(peer)).layer(router.clone());
        let connection = graceful
            .watch(http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                // Timeouts and resets by the client: routine, not an app error.
                tracing::debug!(target: "secure_api", %error, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(target: "secure_api", "shutdown grace elapsed; closing open connections");
    }
    Ok(())
}
