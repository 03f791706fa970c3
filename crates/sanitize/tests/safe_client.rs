//! `SafeClient` against a local HTTP server: it connects only to checked
//! addresses and re-checks every redirect hop.
#![cfg(feature = "reqwest")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rampart_core::{EventKind, MemorySink, Severity};
use rampart_sanitize::validate::{
    SafeClient, SafeClientError, StaticResolver, UrlError, UrlPolicy,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A one-line HTTP/1.1 server on 127.0.0.1: `/` answers 200 `ok`,
/// `/to?<url>` redirects to `<url>`, `/loop` redirects to itself. Counts the
/// requests it served.
async fn server() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 4096];
                let mut read = 0;
                while !buffer[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer[read..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => read += n,
                    }
                }
                let request = String::from_utf8_lossy(&buffer[..read]).into_owned();
                let target = request.split(' ').nth(1).unwrap_or("/").to_owned();
                let response = if let Some(location) = target.strip_prefix("/to?") {
                    format!(
                        "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                } else if target == "/loop" {
                    "HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
                } else {
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".to_owned()
                };
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    (addr, hits)
}

fn loopback() -> IpAddr {
    "127.0.0.1".parse().unwrap()
}

/// `svc.test` is the test server on 127.0.0.1, the one address the policy
/// lets through; `evil.test` resolves to 127.0.0.2, loopback like any other,
/// and `mixed.test` to one public and one private address.
fn client() -> SafeClient {
    let dns = StaticResolver::new()
        .with("svc.test", [loopback()])
        .with("evil.test", ["127.0.0.2".parse().unwrap()])
        .with(
            "mixed.test",
            [
                "93.184.215.14".parse().unwrap(),
                "10.0.0.7".parse().unwrap(),
            ],
        );
    let policy = UrlPolicy::new()
        .allow_schemes(["http", "https"])
        .insecure_allow_net("127.0.0.1/32".parse().unwrap());
    SafeClient::with_resolver(policy, dns).unwrap()
}

fn refused(result: Result<reqwest::Response, SafeClientError>) -> UrlError {
    match result {
        Err(SafeClientError::Refused(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_checked_name_connects_to_the_address_the_resolver_gave() {
    let (addr, hits) = server().await;
    let client = client();
    // `svc.test` exists only in the injected table: the connection can only
    // have gone to the address the checking resolver returned.
    let response = client
        .get(&format!("http://svc.test:{}/", addr.port()))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ok");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn internal_literals_and_names_are_refused_before_connecting() {
    let (addr, hits) = server().await;
    let client = client();
    let port = addr.port();
    let err = refused(client.get(&format!("http://127.0.0.2:{port}/")).await);
    assert!(matches!(err, UrlError::BlockedAddress { .. }), "{err}");
    let err = refused(client.get(&format!("http://0x7f.0.0.2:{port}/")).await);
    assert!(matches!(err, UrlError::BlockedAddress { .. }), "{err}");
    let err = refused(client.get(&format!("http://evil.test:{port}/")).await);
    assert!(matches!(err, UrlError::ResolvesToBlocked { .. }), "{err}");
    let err = refused(client.get(&format!("http://mixed.test:{port}/")).await);
    assert!(matches!(err, UrlError::ResolvesToBlocked { .. }), "{err}");
    let err = refused(client.get(&format!("http://localhost:{port}/")).await);
    assert!(matches!(err, UrlError::InternalName { .. }), "{err}");
    let err = refused(client.get("gopher://svc.test/").await);
    assert!(matches!(err, UrlError::SchemeNotAllowed { .. }), "{err}");
    // Requests built by hand are checked too.
    let request = reqwest::Request::new(
        reqwest::Method::GET,
        format!("http://169.254.169.254:{port}/").parse().unwrap(),
    );
    assert!(matches!(
        client.execute(request).await,
        Err(SafeClientError::Refused(_))
    ));
    // Nothing reached the server; the allowed request below is the first.
    client
        .get(&format!("http://svc.test:{port}/"))
        .await
        .unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn every_redirect_hop_is_checked() {
    let (addr, hits) = server().await;
    let client = client();
    let port = addr.port();
    let base = format!("http://svc.test:{port}");
    // An allowed hop is followed.
    let response = client.get(&format!("{base}/to?{base}/")).await.unwrap();
    assert_eq!(response.text().await.unwrap(), "ok");
    assert_eq!(hits.load(Ordering::SeqCst), 2);

    for (target, code) in [
        (
            "http://169.254.169.254/latest/meta-data/".to_owned(),
            "blocked_address",
        ),
        (
            format!("http://[::ffff:127.0.0.2]:{port}/"),
            "blocked_address",
        ),
        (format!("http://evil.test:{port}/"), "resolves_to_blocked"),
        (
            "http://metadata.google.internal/".to_owned(),
            "internal_name",
        ),
    ] {
        let err = refused(client.get(&format!("{base}/to?{target}")).await);
        assert_eq!(err.code(), code, "{target}: {err}");
    }
    // reqwest never follows a redirect out of http(s): the 302 comes back.
    let response = client
        .get(&format!("{base}/to?file:///etc/passwd"))
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    // Only the redirecting hops reached the server.
    assert_eq!(hits.load(Ordering::SeqCst), 7);

    let err = client.get(&format!("{base}/loop")).await.unwrap_err();
    assert!(matches!(err, SafeClientError::TooManyRedirects), "{err}");
}

#[tokio::test]
async fn refusals_are_reported_to_the_event_sink() {
    let (addr, _) = server().await;
    let sink = MemorySink::new();
    let client = client().event_sink(Arc::new(sink.clone()));
    let port = addr.port();
    let _ = client.get(&format!("http://169.254.169.254:{port}/")).await;
    let _ = client.get(&format!("http://evil.test:{port}/")).await;
    let _ = client.get("ftp://svc.test/").await;
    client
        .get(&format!("http://svc.test:{port}/"))
        .await
        .unwrap();
    let events = sink.events();
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(events.iter().all(|e| e.kind == EventKind::AttackDetected));
    assert_eq!(events[0].fields["code"], "blocked_address");
    assert_eq!(events[0].severity, Severity::Critical);
    assert_eq!(events[1].fields["code"], "resolves_to_blocked");
    assert_eq!(events[2].fields["code"], "scheme_not_allowed");
    assert_eq!(events[2].severity, Severity::Warning);
    assert!(events.iter().all(|e| e.fields["attack"] == "ssrf"));
}
