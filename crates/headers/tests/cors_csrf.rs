//! CORS preflights and CSRF refusals through real axum routers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::routing::post;
use http::{Method, Request, StatusCode};
use rampart_core::{EventKind, MemorySink};
use rampart_headers::{CorsPolicy, CsrfLayer, CsrfPolicy, CsrfReason, CsrfRejection};
use std::sync::Arc;
use tower::ServiceExt;

fn cors_app() -> Router {
    Router::new()
        .route("/api/items", post(|| async { "created" }))
        .layer(
            CorsPolicy::new()
                .allow_origin("https://app.example.com")
                .allow_subdomains_of("https://*.tenant.example.net")
                .allow_credentials(true)
                .build()
                .unwrap(),
        )
}

fn preflight(origin: &str) -> Request<Body> {
    Request::builder()
        .method(Method::OPTIONS)
        .uri("/api/items")
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn preflight_from_an_allowed_origin_is_answered() {
    for origin in ["https://app.example.com", "https://acme.tenant.example.net"] {
        let response = cors_app().oneshot(preflight(origin)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["access-control-allow-origin"], origin);
        assert_eq!(
            response.headers()["access-control-allow-credentials"],
            "true"
        );
        assert!(
            response.headers()["access-control-allow-methods"]
                .to_str()
                .unwrap()
                .contains("POST")
        );
    }
}

#[tokio::test]
async fn preflight_from_another_origin_gets_no_grant() {
    for origin in [
        "https://evil.example",
        "https://app.example.com.evil.example",
        "http://app.example.com",
        "https://tenant.example.net",
        "null",
    ] {
        let response = cors_app().oneshot(preflight(origin)).await.unwrap();
        assert!(
            response
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "{origin} was granted"
        );
    }
}

fn csrf_app(sink: MemorySink) -> Router {
    Router::new()
        .route("/transfer", post(|| async { "moved" }))
        .layer(CsrfLayer::new(CsrfPolicy::new()).event_sink(Arc::new(sink)))
}

#[tokio::test]
async fn cross_site_post_is_refused_with_a_problem_and_an_event() {
    let sink = MemorySink::new();
    let response = csrf_app(sink.clone())
        .oneshot(
            Request::post("/transfer")
                .header("host", "bank.example.com")
                .header("sec-fetch-site", "cross-site")
                .header("origin", "https://evil.example")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(
        response
            .extensions()
            .get::<CsrfRejection>()
            .map(|r| r.reason),
        Some(CsrfReason::CrossSite)
    );
    let events = sink.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::CsrfRejected);
    assert_eq!(events[0].fields["path"], "/transfer");
}

#[tokio::test]
async fn same_origin_post_passes() {
    let sink = MemorySink::new();
    for headers in [
        vec![("sec-fetch-site", "same-origin")],
        vec![
            ("host", "bank.example.com"),
            ("origin", "https://bank.example.com"),
        ],
        vec![("host", "bank.example.com")],
    ] {
        let mut request = Request::post("/transfer");
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = csrf_app(sink.clone())
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(sink.count(EventKind::CsrfRejected), 0);
}

#[tokio::test]
async fn custom_response_replaces_the_problem_but_keeps_the_reason() {
    let app: Router = Router::new()
        .route("/transfer", post(|| async { "moved" }))
        .layer(
            CsrfLayer::new(CsrfPolicy::new())
                .event_sink(Arc::new(MemorySink::new()))
                .with_response(
                    |rejection: &CsrfRejection, problem: rampart_core::Problem| {
                        http::Response::builder()
                            .status(problem.status())
                            .body(Body::from(format!(
                                "refused: {}",
                                rejection.reason.as_str()
                            )))
                            .unwrap()
                    },
                ),
        );
    let response = app
        .oneshot(
            Request::post("/transfer")
                .header("sec-fetch-site", "same-site")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.extensions().get::<CsrfRejection>().is_some());
}

/// A stand-in for an authentication layer: no `Authorization`, `401`.
async fn require_token(
    request: Request<Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if request.headers().contains_key("authorization") {
        next.run(request).await
    } else {
        axum::response::IntoResponse::into_response(StatusCode::UNAUTHORIZED)
    }
}

fn cors() -> tower_http::cors::CorsLayer {
    CorsPolicy::new()
        .allow_origin("https://app.example.com")
        .allow_credentials(true)
        .build()
        .unwrap()
}

#[tokio::test]
async fn cors_outside_authentication_answers_preflights_and_labels_refusals() {
    let app = Router::new()
        .route("/api/items", post(|| async { "created" }))
        .layer(axum::middleware::from_fn(require_token))
        .layer(cors());
    let response = app
        .clone()
        .oneshot(preflight("https://app.example.com"))
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert!(
        response.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("content-type")
    );
    // The real request without a token is refused, and the front-end may read why.
    let response = app
        .oneshot(
            Request::post("/api/items")
                .header("origin", "https://app.example.com")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
}

#[tokio::test]
async fn cors_inside_authentication_leaves_preflights_unanswered() {
    // The mistake the crate docs warn about: the browser's preflight carries
    // no credentials, authentication refuses it, and the browser sees no CORS grant.
    let app = Router::new()
        .route("/api/items", post(|| async { "created" }))
        .layer(cors())
        .layer(axum::middleware::from_fn(require_token));
    let response = app
        .oneshot(preflight("https://app.example.com"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn csrf_trusts_exactly_the_origins_cors_allows() {
    let policy = CorsPolicy::new()
        .allow_origin("https://app.example.com")
        .allow_subdomains_of("https://*.tenant.example.net")
        .allow_credentials(true);
    let csrf = CsrfPolicy::builder()
        .trust_cors_origins(&policy)
        .build()
        .unwrap();
    let sink = MemorySink::new();
    let app = Router::new()
        .route("/api/items", post(|| async { "created" }))
        .layer(CsrfLayer::new(csrf).event_sink(Arc::new(sink.clone())))
        .layer(policy.build().unwrap());
    let post_from = |origin: &str| {
        Request::post("/api/items")
            .header("host", "api.example.com")
            .header("sec-fetch-site", "cross-site")
            .header("origin", origin)
            .body(Body::empty())
            .unwrap()
    };
    for origin in ["https://app.example.com", "https://acme.tenant.example.net"] {
        let response = app.clone().oneshot(post_from(origin)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{origin}");
        assert_eq!(response.headers()["access-control-allow-origin"], origin);
    }
    for origin in [
        "https://evil.example",
        "https://tenant.example.net",
        "http://app.example.com",
    ] {
        let response = app.clone().oneshot(post_from(origin)).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{origin}");
    }
    assert_eq!(sink.count(EventKind::CsrfRejected), 3);
}

#[tokio::test]
async fn methods_named_in_a_config_are_the_ones_preflights_allow() {
    let config: rampart_headers::CorsConfig = toml::from_str(
        "allowed_origins = [\"https://app.example.com\"]\nallowed_methods = [\"GET\", \"PURGE\"]",
    )
    .unwrap();
    let app = Router::new()
        .route("/api/items", post(|| async { "created" }))
        .layer(config.build().unwrap());
    let response = app
        .oneshot(preflight("https://app.example.com"))
        .await
        .unwrap();
    let methods = response.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap();
    assert!(methods.contains("PURGE"), "{methods}");
    assert!(!methods.contains("POST"), "{methods}");
}

#[tokio::test]
async fn listed_origins_methods_and_max_age_reach_the_preflight_answer() {
    let app = Router::new()
        .route("/api/items", post(|| async { "created" }))
        .layer(
            CorsPolicy::new()
                .allow_origins(["https://a.example.com", "https://b.example.com"])
                .allow_methods([Method::GET, Method::POST])
                .max_age(std::time::Duration::from_secs(60))
                .build()
                .unwrap(),
        );
    for origin in ["https://a.example.com", "https://b.example.com"] {
        let response = app.clone().oneshot(preflight(origin)).await.unwrap();
        let headers = response.headers();
        assert_eq!(headers["access-control-allow-origin"], origin);
        assert_eq!(headers["access-control-allow-methods"], "GET,POST");
        assert_eq!(headers["access-control-max-age"], "60");
    }
}

#[tokio::test]
async fn a_star_in_a_config_allows_any_origin_without_credentials() {
    let config: rampart_headers::CorsConfig = toml::from_str("allowed_origins = [\"*\"]").unwrap();
    let app = Router::new()
        .route("/api/items", post(|| async { "created" }))
        .layer(config.build().unwrap());
    let response = app
        .oneshot(preflight("https://anyone.example"))
        .await
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert!(
        response
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
}
