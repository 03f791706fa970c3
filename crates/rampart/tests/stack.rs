//! `SecurityStack`: each layer in its documented place, shown by which one
//! answers first, and every layer's refusals in one audit trail.
#![cfg(all(feature = "stack", feature = "axum"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::routing::{get, post};
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use rampart::auth::TokenRequest;
use rampart::stack::{SecurityStack, StackConfig, StackError};
use std::net::SocketAddr;
use tower::ServiceExt;

const BASE: &str = r#"
https_only = false
[jwt]
issuer = "https://auth.example.com"
audience = "api"
[rbac.roles.reader]
permissions = ["items:read"]
[rbac.roles.writer]
permissions = ["items:read", "items:write"]
"#;

fn stack(extra: &str) -> SecurityStack {
    let config = StackConfig::from_toml(&format!("{BASE}\n{extra}")).unwrap();
    SecurityStack::builder(config)
        .insecure_skip_revalidation()
        .build()
        .unwrap()
}

fn app(stack: &SecurityStack) -> Router {
    let protected = Router::new()
        .route(
            "/items",
            get(|| async { "[]" }).route_layer(stack.require("items:read").unwrap()),
        )
        .route(
            "/items",
            post(|body: String| async move { body })
                .route_layer(stack.require("items:write").unwrap()),
        )
        .layer(stack.protect());
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .merge(protected)
        .layer(stack.edge())
}

fn token(stack: &SecurityStack, subject: &str, roles: &[&str]) -> String {
    let request = TokenRequest::new(subject).roles(roles.iter().copied());
    stack
        .authority()
        .issuer()
        .issue_access(&request)
        .unwrap()
        .token
}

fn request(method: &str, uri: &str) -> http::request::Builder {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "api.example.com")
        .extension("203.0.113.7:40000".parse::<SocketAddr>().unwrap())
}

async fn send(app: &Router, request: Request<Body>) -> Response<Body> {
    app.clone().oneshot(request).await.unwrap()
}

async fn body(response: Response<Body>) -> String {
    String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap()
}

fn get_with(uri: &str, bearer: Option<&str>) -> Request<Body> {
    let mut builder = request("GET", uri);
    if let Some(token) = bearer {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder.body(Body::empty()).unwrap()
}

fn assert_hardened(response: &Response<Body>) {
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff", "{headers:?}");
    assert!(
        headers.contains_key("content-security-policy"),
        "{headers:?}"
    );
    assert!(headers.contains_key("x-request-id"), "{headers:?}");
}

#[tokio::test]
async fn a_protected_route_needs_a_token_and_the_permission() {
    let stack = stack("");
    let app = app(&stack);

    let anonymous = send(&app, get_with("/items", None)).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_hardened(&anonymous);
    assert_eq!(
        anonymous.headers()["content-type"],
        "application/problem+json"
    );

    let nobody = token(&stack, "mallory", &[]);
    let denied = send(&app, get_with("/items", Some(&nobody))).await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    assert_hardened(&denied);

    let reader = token(&stack, "alice", &["reader"]);
    let allowed = send(&app, get_with("/items", Some(&reader))).await;
    assert_eq!(allowed.status(), StatusCode::OK);
    assert_hardened(&allowed);
    assert_eq!(body(allowed).await, "[]");

    let public = send(&app, get_with("/health", None)).await;
    assert_eq!(public.status(), StatusCode::OK);
    assert_hardened(&public);
}

/// The address limit sits before authentication: a flood without tokens is
/// refused with `429` by the cheap check, not answered `401` one by one.
#[tokio::test]
async fn the_address_limit_answers_before_authentication() {
    let stack = stack("[ratelimit]\nip_per_minute = 2");
    let app = app(&stack);
    for _ in 0..2 {
        let response = send(&app, get_with("/items", None)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let limited = send(&app, get_with("/items", None)).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    assert_hardened(&limited);

    // Another address has its own count.
    let other = request("GET", "/health")
        .extension("198.51.100.9:1".parse::<SocketAddr>().unwrap())
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, other).await.status(), StatusCode::OK);
}

/// The user limit counts by subject, after authentication.
#[tokio::test]
async fn the_user_limit_counts_each_subject_apart() {
    let stack = stack("[ratelimit]\nuser_per_minute = 2");
    let app = app(&stack);
    let alice = token(&stack, "alice", &["reader"]);
    let bob = token(&stack, "bob", &["reader"]);
    for _ in 0..2 {
        assert_eq!(
            send(&app, get_with("/items", Some(&alice))).await.status(),
            StatusCode::OK
        );
    }
    let limited = send(&app, get_with("/items", Some(&alice))).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        send(&app, get_with("/items", Some(&bob))).await.status(),
        StatusCode::OK
    );
}

/// CSRF sits before authentication: a cross-site write is refused even with
/// a valid token, and before the token is looked at.
#[tokio::test]
async fn a_cross_site_write_is_refused_before_authentication() {
    let stack = stack("");
    let app = app(&stack);
    let writer = token(&stack, "alice", &["writer"]);
    let cross_site = |bearer: Option<&str>| {
        let mut builder = request("POST", "/items")
            .header("origin", "https://evil.example")
            .header("sec-fetch-site", "cross-site")
            .header("content-type", "application/json");
        if let Some(token) = bearer {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        builder.body(Body::from("{\"name\":\"x\"}")).unwrap()
    };
    for bearer in [Some(writer.as_str()), None] {
        let refused = send(&app, cross_site(bearer)).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert_hardened(&refused);
        let text = body(refused).await;
        assert!(
            text.contains("cross-site-request"),
            "not the CSRF refusal: {text}"
        );
    }
    let same_origin = request("POST", "/items")
        .header("authorization", format!("Bearer {writer}"))
        .header("content-type", "application/json")
        .body(Body::from("{\"name\":\"x\"}"))
        .unwrap();
    assert_eq!(send(&app, same_origin).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn injected_input_is_refused_on_protected_routes() {
    let stack = stack("");
    let app = app(&stack);
    let writer = token(&stack, "alice", &["writer"]);
    let post = |text: &str| {
        request("POST", "/items")
            .header("authorization", format!("Bearer {writer}"))
            .header("content-type", "application/json")
            .body(Body::from(serde_json::json!({ "name": text }).to_string()))
            .unwrap()
    };
    let refused = send(&app, post("x' UNION SELECT password FROM users--")).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_hardened(&refused);
    let clean = send(&app, post("O'Brien's garden chair")).await;
    assert_eq!(clean.status(), StatusCode::OK);
    assert!(body(clean).await.contains("O'Brien"));
}

/// HTTPS only is on by default; the scheme a trusted proxy reports counts,
/// the one a client writes itself does not.
#[tokio::test]
async fn plain_http_is_redirected_unless_a_trusted_proxy_saw_https() {
    let config = StackConfig::from_toml(&format!(
        "[proxies]\ntrusted_proxies = [\"10.0.0.0/8\"]\n{}",
        BASE.replace("https_only = false", "")
    ))
    .unwrap();
    assert!(config.https_only);
    let stack = SecurityStack::builder(config)
        .insecure_skip_revalidation()
        .build()
        .unwrap();
    let app = app(&stack);

    let plain = send(&app, get_with("/health?x=1", None)).await;
    assert_eq!(plain.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        plain.headers()["location"],
        "https://api.example.com/health?x=1"
    );
    assert_hardened(&plain);

    let claimed = request("GET", "/health")
        .header("x-forwarded-proto", "https")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(&app, claimed).await.status(),
        StatusCode::PERMANENT_REDIRECT
    );

    let proxied = request("GET", "/health")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-for", "203.0.113.7")
        .extension("10.1.2.3:5000".parse::<SocketAddr>().unwrap())
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, proxied).await.status(), StatusCode::OK);

    let unsafe_plain = request("POST", "/items").body(Body::empty()).unwrap();
    assert_eq!(
        send(&app, unsafe_plain).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn every_refusal_lands_in_one_verifiable_audit_trail() {
    let dir = std::env::temp_dir().join(format!(
        "rampart-stack-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("audit.jsonl");
    let stack = stack(&format!(
        "[audit]\npath = {:?}\n[audit.rules]\nenabled = false",
        path.display().to_string()
    ));
    let app = app(&stack);
    let reader = token(&stack, "alice", &["reader"]);
    let nobody = token(&stack, "mallory", &[]);
    assert_eq!(
        send(&app, get_with("/items", Some(&reader))).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        send(&app, get_with("/items", Some(&nobody))).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&app, get_with("/items", None)).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let trail = stack.audit().unwrap();
    trail.log().shutdown().unwrap();
    let report = trail.verify().unwrap();
    assert!(report.ok, "{report:?}");

    let records: Vec<serde_json::Value> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let text = serde_json::to_string(&records).unwrap();
    // The permission engine's denial, through the shared sink...
    assert!(text.contains("authz.denied"), "{text}");
    // ...and one record per request with its status and the principal that
    // the audit layer, outside authentication, could not have seen itself.
    assert!(text.contains("\"alice\""), "{text}");
    assert!(text.contains("\"mallory\""), "{text}");
    assert!(text.contains("401"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_configuration_is_an_error_naming_its_table() {
    let unknown = StackConfig::from_toml("[ratelimit]\nip_per_minut = 5").unwrap_err();
    assert!(matches!(unknown, StackError::Toml(_)), "{unknown}");
    assert!(unknown.to_string().contains("ip_per_minut"), "{unknown}");

    let build = |text: &str| {
        SecurityStack::builder(StackConfig::from_toml(&format!("{BASE}\n{text}")).unwrap())
            .build()
            .map(|_| ())
            .expect_err(text)
    };
    assert!(matches!(
        build("[ratelimit]\nip_per_minute = 0"),
        StackError::RateLimit(_)
    ));
    assert!(matches!(
        build("[cors]\nallowed_origins = [\"not an origin\"]"),
        StackError::Cors(_) | StackError::Csrf(_)
    ));
    assert!(matches!(
        build("[https]\ncanonical_host = \"https://x\""),
        StackError::Https(_)
    ));
    assert!(matches!(
        build("[proxies]\ntrusted_proxies = [\"10.0.0.0/33\"]"),
        StackError::Proxies(_)
    ));
    let stack = stack("");
    assert!(matches!(
        stack.require("not a permission!"),
        Err(StackError::Rbac(_))
    ));
}
