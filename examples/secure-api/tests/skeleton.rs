//! The reference app's skeleton: health, headers, request ids, problem JSON, config errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use secure_api::app;
use secure_api::config::{AppConfig, ConfigError};
use serde_json::Value;
use tower::ServiceExt;

fn config(user: Option<&str>) -> Result<AppConfig, ConfigError> {
    AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, user)
}

async fn send(request: Request<Body>) -> (http::response::Parts, Value) {
    let (router, _) = app::build(&config(None).unwrap()).await.unwrap();
    let response = router.oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (parts, json)
}

#[tokio::test]
async fn health_answers_ok_with_headers_and_a_request_id() {
    let (parts, body) = send(Request::get("/health").body(Body::empty()).unwrap()).await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(body, serde_json::json!({"status": "ok"}));
    assert_eq!(parts.headers["x-content-type-options"], "nosniff");
    assert!(parts.headers.contains_key("strict-transport-security"));
    assert_eq!(parts.headers["x-request-id"].len(), 36);
}

#[tokio::test]
async fn a_client_request_id_is_propagated() {
    let (parts, _) = send(
        Request::get("/health")
            .header("x-request-id", "trace-123")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(parts.headers["x-request-id"], "trace-123");
}

#[tokio::test]
async fn unknown_route_is_a_problem_with_headers() {
    let (parts, body) = send(Request::get("/nope").body(Body::empty()).unwrap()).await;
    assert_eq!(parts.status, StatusCode::NOT_FOUND);
    assert_eq!(parts.headers["content-type"], "application/problem+json");
    assert_eq!(body["status"], 404);
    assert!(parts.headers.contains_key("content-security-policy"));
}

#[tokio::test]
async fn wrong_method_is_a_problem() {
    let (parts, body) = send(Request::delete("/health").body(Body::empty()).unwrap()).await;
    assert_eq!(parts.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(parts.headers["content-type"], "application/problem+json");
    assert_eq!(body["status"], 405);
    assert!(parts.headers.contains_key("allow"), "405 without Allow");
}

#[tokio::test]
async fn cross_site_unsafe_request_is_refused() {
    let (parts, body) = send(
        Request::post("/health")
            .header("sec-fetch-site", "cross-site")
            .header("origin", "https://evil.example")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(parts.status, StatusCode::FORBIDDEN);
    assert_eq!(body["status"], 403);
}

#[tokio::test]
async fn config_errors_are_clear() {
    let err = config(Some("[http]\ntrusted_proxys = []")).unwrap_err();
    assert!(err.to_string().contains("trusted_proxys"), "{err}");

    let err = config(Some("[http\n")).unwrap_err();
    assert!(err.to_string().contains("line 1"), "{err}");

    let bad_cidr = config(Some("[http]\ntrusted_proxies = [\"10.0.0.0/99\"]")).unwrap();
    let err = app::build(&bad_cidr).await.unwrap_err();
    assert!(err.to_string().contains("10.0.0.0/99"), "{err}");

    let bad_origin = config(Some("[http]\nallowed_origins = [\"evil.example\"]")).unwrap();
    assert!(app::build(&bad_origin).await.is_err());

    let short_secret =
        config(Some("[jwt]\nalgorithm = \"HS256\"\nsecret = \"too-short\"")).unwrap();
    let err = app::build(&short_secret).await.unwrap_err();
    assert!(err.to_string().contains("[jwt]"), "{err}");

    let cycle = config(Some(
        "[rbac.roles.a]\ninherits = [\"b\"]\n[rbac.roles.b]\ninherits = [\"a\"]",
    ))
    .unwrap();
    let err = app::build(&cycle).await.unwrap_err();
    assert!(err.to_string().contains("[rbac]"), "{err}");

    let missing_key = config(Some("[jwt]\nkey_file = \"/nonexistent/key.pem\"")).unwrap();
    let err = app::build(&missing_key).await.unwrap_err();
    assert!(err.to_string().contains("/nonexistent/key.pem"), "{err}");

    let err = AppConfig::from_env(|name| (name == "RAMPART_ADDR").then(|| "nowhere".to_owned()))
        .unwrap_err();
    assert!(err.to_string().contains("RAMPART_ADDR"), "{err}");

    let err = AppConfig::from_env(|name| {
        (name == "RAMPART_CONFIG").then(|| "/nonexistent/secure-api.toml".to_owned())
    })
    .unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/secure-api.toml"),
        "{err}"
    );
}
