//! The server over real TCP: stalled clients are cut off by the header read
//! timeout, connections beyond the limit wait, and `/health` answers again
//! once the stalled clients are gone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use secure_api::app;
use secure_api::config::AppConfig;
use secure_api::serve::{ServeLimits, serve};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// Starts `router` on an ephemeral port; dropping the sender stops it.
async fn start(router: Router, limits: ServeLimits) -> (SocketAddr, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve(listener, router, limits, async {
        let _ = stopped.await;
    }));
    (addr, stop)
}

fn limits(header_read_timeout: Duration, max_connections: usize) -> ServeLimits {
    ServeLimits {
        header_read_timeout,
        max_connections,
        shutdown_grace: Duration::from_secs(1),
    }
}

/// Sends one request on a fresh connection and answers the raw response.
async fn get_raw(addr: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

/// Reads until the server closes the connection; how long that took.
async fn time_until_closed(stream: &mut TcpStream) -> Duration {
    let started = tokio::time::Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return started.elapsed(),
            Ok(_) => {}
        }
    }
}

#[tokio::test]
async fn a_stalled_request_line_is_cut_off_and_health_still_answers() {
    let config = AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, None).unwrap();
    let (router, _) = app::build(&config).await.unwrap();
    let (addr, _stop) = start(router, limits(Duration::from_millis(300), 16)).await;

    let mut stalled = TcpStream::connect(addr).await.unwrap();
    stalled.write_all(b"GET /health HT").await.unwrap();
    let health = get_raw(addr, "/health").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains(r#"{"status":"ok"}"#), "{health}");

    let held = tokio::time::timeout(Duration::from_secs(10), time_until_closed(&mut stalled))
        .await
        .expect("the stalled connection was never closed");
    assert!(
        held >= Duration::from_millis(200),
        "closed too early: {held:?}"
    );
}

#[tokio::test]
async fn an_idle_connection_is_closed_too() {
    let router = Router::new().route("/", get(|| async { "ok" }));
    let (addr, _stop) = start(router, limits(Duration::from_millis(300), 16)).await;
    let mut idle = TcpStream::connect(addr).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), time_until_closed(&mut idle))
        .await
        .expect("an idle connection was never closed");
}

/// Two slots, both held by stalled clients: a third connection is not served
/// until the header timeout frees a slot, and then it is.
#[tokio::test]
async fn connections_beyond_the_limit_wait_for_a_slot() {
    let router = Router::new().route("/", get(|| async { "ok" }));
    let (addr, _stop) = start(router, limits(Duration::from_millis(800), 2)).await;
    let mut stalled = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET / HT").await.unwrap();
        stalled.push(s);
    }
    // The kernel completes the handshake (backlog), but nobody serves it yet.
    let mut third = TcpStream::connect(addr).await.unwrap();
    third
        .write_all(b"GET / HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let early = tokio::time::timeout(Duration::from_millis(300), third.read(&mut buf)).await;
    assert!(early.is_err(), "served beyond the connection limit");

    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(10), third.read_to_string(&mut response))
        .await
        .expect("the waiting connection was never served")
        .unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("ok"), "{response}");
}

#[tokio::test]
async fn handlers_see_the_peer_address() {
    let router = Router::new().route(
        "/peer",
        get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
    );
    let (addr, _stop) = start(router, limits(Duration::from_secs(5), 4)).await;
    let response = get_raw(addr, "/peer").await;
    assert!(response.ends_with("127.0.0.1"), "{response}");
}

#[tokio::test]
async fn shutdown_stops_accepting() {
    let router = Router::new().route("/", get(|| async { "ok" }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(
        listener,
        router,
        limits(Duration::from_secs(5), 4),
        async {
            let _ = stopped.await;
        },
    ));
    assert!(get_raw(addr, "/").await.ends_with("ok"));
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server did not stop")
        .unwrap()
        .unwrap();
    assert!(TcpStream::connect(addr).await.is_err(), "still accepting");
}
