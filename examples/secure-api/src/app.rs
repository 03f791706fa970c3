//! The router and its layer stack.

use crate::config::{AppConfig, ConfigError};
use crate::problem;
use axum::routing::get;
use axum::{Json, Router};
use rampart_core::{ClientIpLayer, RequestIdLayer, TrustedProxies};
use rampart_headers::{CorsPolicy, CsrfLayer, CsrfPolicy, SecurityHeaders, SecurityHeadersLayer};
use serde_json::{Value, json};

/// The facts printed at start-up, one line each.
#[derive(Debug, Clone, Default)]
pub struct StartupFacts {
    /// `name: value` lines.
    pub lines: Vec<(String, String)>,
}

impl StartupFacts {
    fn push(&mut self, name: &str, value: impl Into<String>) {
        self.lines.push((name.to_owned(), value.into()));
    }
}

/// Builds the app from its configuration.
///
/// The layers, outermost first: security headers (so every response has them,
/// rejections included), request id, client address, CORS, CSRF (refusing
/// cross-site unsafe requests before any authentication work).
///
/// # Errors
/// A [`ConfigError`] for any configuration value that cannot be used.
pub fn build(config: &AppConfig) -> Result<(Router, StartupFacts), ConfigError> {
    let invalid = |e: &dyn std::fmt::Display| ConfigError::Invalid(e.to_string());
    let mut facts = StartupFacts::default();
    facts.push("listening on", format!("http://{}", config.addr));
    facts.push(
        "config",
        config.source.as_deref().map_or_else(
            || "built-in defaults".to_owned(),
            |p| p.display().to_string(),
        ),
    );

    let proxies = TrustedProxies::new(&config.http.trusted_proxies).map_err(|e| invalid(&e))?;
    facts.push(
        "trusted proxies",
        list_or(&config.http.trusted_proxies, "none (client = TCP peer)"),
    );

    let mut csrf = CsrfPolicy::new();
    for origin in &config.http.allowed_origins {
        csrf = csrf.trust_origin(origin).map_err(|e| invalid(&e))?;
    }
    let cors = CorsPolicy::new()
        .allow_origins(config.http.allowed_origins.iter().cloned())
        .build()
        .map_err(|e| invalid(&e))?;
    facts.push(
        "allowed origins",
        list_or(&config.http.allowed_origins, "none (same-origin only)"),
    );

    let headers = SecurityHeaders::api().build().map_err(|e| invalid(&e))?;

    let router = Router::new()
        .route("/health", get(health))
        .fallback(problem::not_found)
        .method_not_allowed_fallback(problem::method_not_allowed)
        .layer(CsrfLayer::new(csrf))
        .layer(cors)
        .layer(ClientIpLayer::new(proxies))
        .layer(RequestIdLayer::new())
        .layer(SecurityHeadersLayer::new(headers));
    Ok((router, facts))
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

fn list_or(items: &[String], empty: &str) -> String {
    if items.is_empty() {
        empty.to_owned()
    } else {
        items.join(", ")
    }
}
