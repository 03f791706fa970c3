//! The hyper-only stack over a real socket: 200, 401, 403 and 404 as its docs
//! say, each with the security headers and a request id.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper_only::{POLICY, app, serve};
use rampart::auth::{JwtAuthority, JwtConfig, TokenRequest};
use rampart::core::TrustedProxies;
use rampart::rbac::Authorizer;
use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};

fn authority() -> JwtAuthority {
    JwtConfig {
        issuer: Some("hyper-only".into()),
        ..JwtConfig::default()
    }
    .build()
    .unwrap()
}

fn token(auth: &JwtAuthority, subject: &str, role: &str) -> String {
    let request = TokenRequest::new(subject).roles([role]);
    auth.issuer().issue_access(&request).unwrap().token
}

/// Serves the app for `auth` on an ephemeral loopback port.
async fn start(auth: &JwtAuthority) -> SocketAddr {
    let app = app(
        auth,
        Authorizer::from_toml(POLICY).unwrap(),
        TrustedProxies::none(),
    )
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, app));
    addr
}

/// One request on a fresh connection, as a client outside the process would send it.
async fn send(addr: SocketAddr, request: Request<Empty<Bytes>>) -> (Response<()>, String) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(connection);
    let response = sender.send_request(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (
        Response::from_parts(parts, ()),
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

fn get(addr: SocketAddr, path: &str, token: Option<&str>) -> Request<Empty<Bytes>> {
    let mut request = Request::get(path).header("host", addr.to_string());
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.body(Empty::new()).unwrap()
}

fn assert_security_headers(response: &Response<()>) {
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers.contains_key("content-security-policy"));
    assert!(headers.contains_key("strict-transport-security"));
    assert!(headers.contains_key("x-request-id"));
}

fn problem(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap()
}

#[tokio::test]
async fn a_reader_gets_the_items_with_headers_and_the_peer_address() {
    let auth = authority();
    let addr = start(&auth).await;
    let token = token(&auth, "ann", "reader");
    let (response, body) = send(addr, get(addr, "/items", Some(&token))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_security_headers(&response);
    assert_eq!(body, "items of ann, asked from 127.0.0.1");
}

#[tokio::test]
async fn a_missing_or_bad_token_is_a_401_problem() {
    let auth = authority();
    let addr = start(&auth).await;

    let (anonymous, body) = send(addr, get(addr, "/items", None)).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        anonymous.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(problem(&body)["status"], 401);
    assert_security_headers(&anonymous);

    let (garbage, _) = send(addr, get(addr, "/items", Some("not-a-jwt"))).await;
    assert_eq!(garbage.status(), StatusCode::UNAUTHORIZED);

    // Well formed, but signed by another authority's key.
    let forged = token(&authority(), "ann", "reader");
    let (forged, body) = send(addr, get(addr, "/items", Some(&forged))).await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    assert!(
        forged.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    assert!(!body.contains("ann"), "the refusal must not echo the token");
    assert_security_headers(&forged);
}

#[tokio::test]
async fn a_caller_without_the_permission_is_a_403_problem() {
    let auth = authority();
    let addr = start(&auth).await;
    let token = token(&auth, "eve", "guest");
    let (response, body) = send(addr, get(addr, "/items", Some(&token))).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(problem(&body)["status"], 403);
    assert_security_headers(&response);
}

#[tokio::test]
async fn other_routes_are_404_and_other_methods_405_once_authenticated() {
    let auth = authority();
    let addr = start(&auth).await;
    let token = token(&auth, "ann", "reader");
    let (missing, _) = send(addr, get(addr, "/nothing", Some(&token))).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_security_headers(&missing);

    let delete = Request::delete("/items")
        .header("host", addr.to_string())
        .header("authorization", format!("Bearer {token}"))
        .body(Empty::new())
        .unwrap();
    let (refused, _) = send(addr, delete).await;
    assert_eq!(refused.status(), StatusCode::METHOD_NOT_ALLOWED);

    // Authentication comes first: an anonymous caller learns nothing of the routes.
    let (anonymous, _) = send(addr, get(addr, "/nothing", None)).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_request_id_is_echoed_or_made() {
    let auth = authority();
    let addr = start(&auth).await;
    let token = token(&auth, "ann", "reader");

    let id = "0190f5a4-7c1e-7b3a-9f0e-2d4c6b8a1e3f";
    let mut request = get(addr, "/items", Some(&token));
    request
        .headers_mut()
        .insert("x-request-id", id.parse().unwrap());
    let (echoed, _) = send(addr, request).await;
    assert_eq!(echoed.headers()["x-request-id"], id);

    // Refusals carry one too, so a client can quote it.
    let (made, _) = send(addr, get(addr, "/items", None)).await;
    let made = made.headers()["x-request-id"].to_str().unwrap();
    assert!(!made.is_empty());
    assert_ne!(made, id);
}
