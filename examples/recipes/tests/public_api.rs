//! The public API recipe: anonymous callers served, bad tokens refused,
//! every address limited (the real one, behind trusted proxies), listed
//! origins only, injected input refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::body::Body;
use axum::routing::get;
use axum::{Extension, Router};
use http::{Request, StatusCode};
use rampart::core::Principal;
use recipes::public_api::{PublicApi, public_api};
use support::{authority, send_from, text, token};

const CLIENT: [u8; 4] = [203, 0, 113, 7];
const PROXY: [u8; 4] = [10, 0, 0, 2];

fn app(auth: &rampart::auth::JwtAuthority, per_minute: u32) -> Router {
    let hello = |who: Option<Extension<Principal>>| async move {
        match who {
            Some(Extension(who)) => format!("hello {}", who.subject()),
            None => "hello stranger".to_owned(),
        }
    };
    let settings = PublicApi {
        trusted_proxies: vec!["10.0.0.0/8".into()],
        allowed_origins: vec!["https://partner.example.com".into()],
        requests_per_minute: per_minute,
    };
    public_api(
        Router::new().route("/v1/hello", get(hello)),
        auth,
        &settings,
    )
    .unwrap()
}

fn hello() -> http::request::Builder {
    Request::get("/v1/hello")
}

#[tokio::test]
async fn anonymous_callers_are_served_and_a_sent_token_must_be_valid() {
    let auth = authority();
    let app = app(&auth, 100);

    let anonymous = send_from(&app, CLIENT, hello().body(Body::empty()).unwrap()).await;
    assert_eq!(anonymous.status(), StatusCode::OK);
    assert_eq!(anonymous.headers()["x-content-type-options"], "nosniff");
    assert!(anonymous.headers().contains_key("x-request-id"));
    assert_eq!(text(anonymous).await, "hello stranger");

    let signed = hello()
        .header(
            "authorization",
            format!("Bearer {}", token(&auth, "ann", &[])),
        )
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        text(send_from(&app, CLIENT, signed).await).await,
        "hello ann"
    );

    let forged = hello()
        .header(
            "authorization",
            format!("Bearer {}", token(&authority(), "ann", &[])),
        )
        .body(Body::empty())
        .unwrap();
    let forged = send_from(&app, CLIENT, forged).await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    assert!(forged.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn over_the_limit_is_429_with_retry_after_per_real_client() {
    let auth = authority();
    let app = app(&auth, 2);
    for _ in 0..2 {
        let ok = send_from(&app, CLIENT, hello().body(Body::empty()).unwrap()).await;
        assert_eq!(ok.status(), StatusCode::OK);
    }
    let refused = send_from(&app, CLIENT, hello().body(Body::empty()).unwrap()).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "retry after {retry}s");
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(refused.headers()["x-content-type-options"], "nosniff");

    // Another client behind the trusted proxy has its own count...
    let via_proxy = || {
        hello()
            .header("x-forwarded-for", "198.51.100.20")
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        send_from(&app, PROXY, via_proxy()).await.status(),
        StatusCode::OK
    );
    // ...but a client cannot pick a fresh key by writing the header itself.
    let spoofed = hello()
        .header("x-forwarded-for", "198.51.100.99")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send_from(&app, CLIENT, spoofed).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn only_listed_origins_may_read_cross_origin() {
    let auth = authority();
    let app = app(&auth, 100);
    let preflight = |origin: &str| {
        Request::options("/v1/hello")
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .body(Body::empty())
            .unwrap()
    };
    let listed = send_from(&app, CLIENT, preflight("https://partner.example.com")).await;
    assert_eq!(
        listed.headers()["access-control-allow-origin"],
        "https://partner.example.com"
    );
    assert!(
        !listed
            .headers()
            .contains_key("access-control-allow-credentials")
    );
    let other = send_from(&app, CLIENT, preflight("https://evil.example")).await;
    assert!(!other.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn injected_input_is_a_400_problem_naming_the_parameter() {
    let auth = authority();
    let app = app(&auth, 100);
    let injected = Request::get("/v1/hello?q=1%27%20OR%20%271%27%3D%271")
        .body(Body::empty())
        .unwrap();
    let refused = send_from(&app, CLIENT, injected).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.headers().contains_key("x-request-id"));
    let body = text(refused).await;
    assert!(body.contains("\"q\""), "{body}");

    let plain = Request::get("/v1/hello?q=O%27Brien")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send_from(&app, CLIENT, plain).await.status(),
        StatusCode::OK
    );
}
