//! The router and its layer stack.

use crate::config::{AppConfig, ConfigError};
use crate::items::ItemStore;
use crate::problem;
use crate::routes::{api, auth};
use crate::state::AppState;
use crate::users::UserDirectory;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use rampart_auth::JwtRuntime;
use rampart_auth::axum::jwks_route;
use rampart_core::{ClientIpLayer, RequestIdLayer, TracingSink, TrustedProxies};
use rampart_headers::{CorsPolicy, CsrfLayer, CsrfPolicy, SecurityHeaders, SecurityHeadersLayer};
use rampart_rbac::{Authorizer, Policy, RequirePermission};
use serde_json::{Value, json};
use std::sync::Arc;

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

fn invalid(e: impl std::fmt::Display) -> ConfigError {
    ConfigError::Invalid(e.to_string())
}

/// Builds the app from its configuration.
///
/// The layers, outermost first: security headers (so every response has them,
/// rejections included), request id, client address, CORS, CSRF (refusing
/// cross-site unsafe requests before any authentication work), then on the
/// protected routes JWT authentication, and per route the permission check.
///
/// # Errors
/// A [`ConfigError`] for any configuration value that cannot be used, or a
/// store that cannot be reached.
pub async fn build(config: &AppConfig) -> Result<(Router, StartupFacts), ConfigError> {
    let mut facts = StartupFacts::default();
    facts.push("listening on", format!("http://{}", config.addr));
    facts.push(
        "config",
        config.source.as_deref().map_or_else(
            || "built-in defaults".to_owned(),
            |p| p.display().to_string(),
        ),
    );

    let sink = TracingSink::shared();
    let mut runtime = JwtRuntime::default().events(sink.clone());
    match &config.redis_url {
        Some(url) => {
            let client = redis::Client::open(url.as_str())
                .map_err(|e| invalid(format!("REDIS_URL: {e}")))?;
            let conn = redis::aio::ConnectionManager::new(client)
                .await
                .map_err(|e| invalid(format!("cannot connect to Redis at REDIS_URL: {e}")))?;
            runtime = runtime.store(Arc::new(rampart_auth::revocation::RedisStore::new(
                conn,
                "secure-api",
            )));
            facts.push("token store", "Redis (revocations, refresh families)");
        }
        None => facts.push("token store", "in memory (set REDIS_URL to share it)"),
    }
    // Every refresh looks the user up again (removed: refused; demoted: new roles).
    let users = Arc::new(UserDirectory::new(&config.users).map_err(invalid)?);
    runtime = runtime.revalidate(auth::revalidate_in(users.clone()));
    let jwt = config.jwt.to_jwt_config();
    let authority = jwt
        .build_with(runtime)
        .map_err(|e| invalid(format!("[jwt] {e}")))?;
    facts.push("issuer", config.jwt.issuer.clone());
    facts.push("audience", config.jwt.audience.clone());
    facts.push(
        "signing key",
        format!(
            "{} kid={}",
            config.jwt.algorithm,
            authority.signing_kid().unwrap_or_default()
        ),
    );

    let policy =
        Policy::from_config(config.rbac.clone()).map_err(|e| invalid(format!("[rbac] {e}")))?;
    let authz = Authorizer::builder()
        .policy(policy)
        .event_sink(sink.clone())
        .build()
        .map_err(|e| invalid(format!("[rbac] {e}")))?;
    let require = |permission: &str| {
        RequirePermission::try_new(authz.clone(), permission)
            .map(|guard| guard.event_sink(sink.clone()))
            .map_err(|e| invalid(format!("permission {permission}: {e}")))
    };

    facts.push(
        "users",
        format!("{} (passwords hashed with argon2id)", users.len()),
    );
    facts.push(
        "audit",
        "security events to tracing, target rampart::security",
    );

    let proxies = TrustedProxies::new(&config.http.trusted_proxies).map_err(invalid)?;
    facts.push(
        "trusted proxies",
        list_or(&config.http.trusted_proxies, "none (client = TCP peer)"),
    );
    let mut csrf = CsrfPolicy::new();
    for origin in &config.http.allowed_origins {
        csrf = csrf.trust_origin(origin).map_err(invalid)?;
    }
    let cors = CorsPolicy::new()
        .allow_origins(config.http.allowed_origins.iter().cloned())
        .build()
        .map_err(invalid)?;
    facts.push(
        "allowed origins",
        list_or(&config.http.allowed_origins, "none (same-origin only)"),
    );
    let headers = SecurityHeaders::api().build().map_err(invalid)?;

    let state = AppState {
        auth: authority.clone(),
        users,
        items: Arc::new(ItemStore::default()),
    };

    let protected = Router::new()
        .route("/auth/logout", post(auth::logout))
        .route("/api/me", get(auth::me))
        .route(
            "/api/items",
            get(api::list_items).route_layer(require("items:read")?),
        )
        .route(
            "/api/items",
            post(api::create_item).route_layer(require("items:write")?),
        )
        .route(
            "/api/items/{id}",
            delete(api::delete_item).route_layer(require("items:delete")?),
        )
        .route(
            "/api/tenants/{tenant}/reports",
            get(api::tenant_reports)
                .route_layer(require("reports:read")?.tenant_from_path("tenant")),
        )
        .layer(authority.layer());

    let router = Router::new()
        .route("/health", get(health))
        .route(
            "/.well-known/jwks.json",
            jwks_route(authority.keys().clone()),
        )
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", post(auth::refresh))
        .merge(protected)
        .fallback(problem::not_found)
        .method_not_allowed_fallback(problem::method_not_allowed)
        .with_state(state)
        .layer(CsrfLayer::new(csrf).with_sink(sink))
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
