//! Drives the reference app's router in-process.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use axum::Router;
use axum::body::Body;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use secure_api::app;
use secure_api::config::AppConfig;
use serde_json::Value;
use tower::ServiceExt;

pub struct TestApp {
    pub router: Router,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(None).await
    }

    pub async fn with_config(user: Option<&str>) -> Self {
        let config = AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, user).unwrap();
        let (router, _) = app::build(&config).await.unwrap();
        Self { router }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = match body {
            Some(json) => request
                .header("content-type", "application/json")
                .body(Body::from(json.to_string())),
            None => request.body(Body::empty()),
        }
        .unwrap();
        self.raw(request).await
    }

    pub async fn raw(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
        }
    }

    /// `POST /auth/refresh` with `token`.
    pub async fn refresh(&self, token: &str) -> Reply {
        let body = serde_json::json!({"refresh_token": token});
        self.send(Method::POST, "/auth/refresh", None, Some(body))
            .await
    }

    /// The status of `GET /api/me` with `access`: whether the token is honoured.
    pub async fn me(&self, access: &str) -> StatusCode {
        self.send(Method::GET, "/api/me", Some(access), None)
            .await
            .status
    }

    /// Logs in a demo user and answers the token pair.
    pub async fn login(&self, user: &str) -> (String, String) {
        let reply = self
            .send(
                Method::POST,
                "/auth/login",
                None,
                Some(serde_json::json!({"username": user, "password": format!("{user}-S3cure-demo!")})),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "login of {user}: {:?}",
            reply.body
        );
        (
            reply.body["access_token"].as_str().unwrap().to_owned(),
            reply.body["refresh_token"].as_str().unwrap().to_owned(),
        )
    }
}

/// `REDIS_URL`, or `None` after one line saying the test is skipped.
pub fn redis_url(test: &str) -> Option<String> {
    rampart_test_support::service_url("REDIS_URL", test)
}

impl TestApp {
    /// The app with its token store in Redis.
    pub async fn with_redis(url: String) -> Self {
        let mut config =
            AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, None).unwrap();
        config.redis_url = Some(url);
        let (router, facts) = app::build(&config).await.unwrap();
        assert!(
            facts
                .lines
                .iter()
                .any(|(name, value)| name == "token store" && value.starts_with("Redis")),
            "the app did not pick Redis"
        );
        Self { router }
    }
}

/// The events of the app's audit trail at `path`, once every queued record is written.
pub fn trail_events(built: &app::BuiltApp, path: &std::path::Path) -> Vec<Value> {
    built
        .state
        .audit
        .as_ref()
        .expect("the app audits")
        .log()
        .flush()
        .unwrap();
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap()["event"].clone())
        .filter(|event| !event.is_null())
        .collect()
}
