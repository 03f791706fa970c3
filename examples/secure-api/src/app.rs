//! The router and its layer stack.

use crate::config::{AppConfig, ConfigError};
use crate::items::ItemStore;
use crate::problem;
use crate::routes::{admin, api, auth, sessions};
use crate::state::AppState;
use crate::timeout::{self, RequestTimeouts};
use crate::users::UserDirectory;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router, middleware};
use rampart_auth::axum::jwks_route;
use rampart_auth::password::HashParams;
use rampart_auth::revocation::SharedRevocationStore;
use rampart_auth::{JwtRuntime, MemoryStore, RevocationResponder};
use rampart_core::redis::{RedisConfig, RedisConnection};
use rampart_core::{ClientIpLayer, RequestIdLayer, TracingSink, TrustedProxies};
use rampart_headers::{
    CorsPolicy, CsrfLayer, CsrfPolicy, HttpsOnly, HttpsOnlyLayer, SecurityHeaders,
    SecurityHeadersLayer,
};
use rampart_ratelimit::{LoginThrottle, RateLimitLayer, RateLimiter};
use rampart_rbac::RequirePermission;
use rampart_sanitize::{InputGuard, InputGuardLayer};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

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

/// The app's parts: what [`build`] returns, and the shared state tests look into.
#[derive(Clone)]
pub struct BuiltApp {
    /// The router with its layer stack.
    pub router: Router,
    /// The start-up lines.
    pub facts: StartupFacts,
    /// The state the handlers share (users, items, the password limiter).
    pub state: AppState,
}

/// Builds the app from its configuration.
///
/// The layers, outermost first: security headers (so every response has them,
/// rejections included), request id, request and body time limits, client
/// address, CORS, CSRF (refusing cross-site unsafe requests before any
/// authentication work), then on the protected routes JWT authentication, and
/// per route the permission check.
///
/// # Errors
/// A [`ConfigError`] for any configuration value that cannot be used, or a
/// store that cannot be reached.
pub async fn build(config: &AppConfig) -> Result<(Router, StartupFacts), ConfigError> {
    assemble(config).await.map(|app| (app.router, app.facts))
}

/// [`build`], keeping the shared state.
///
/// # Errors
/// As [`build`].
pub async fn assemble(config: &AppConfig) -> Result<BuiltApp, ConfigError> {
    config.server.validate()?;
    let mut facts = StartupFacts::default();
    facts.push("listening on", format!("http://{}", config.addr));
    facts.push(
        "config",
        config.source.as_deref().map_or_else(
            || "built-in defaults".to_owned(),
            |p| p.display().to_string(),
        ),
    );

    // One connection for every Redis store: a single node or a cluster,
    // as REDIS_URL says (one URL, or comma-separated node URLs).
    let redis = match &config.redis_url {
        Some(url) => {
            let target = RedisConfig::parse(url).map_err(|e| invalid(format!("REDIS_URL: {e}")))?;
            let conn = target
                .connect()
                .await
                .map_err(|e| invalid(format!("cannot connect to Redis at REDIS_URL: {e}")))?;
            facts.push("redis", format!("{}: {}", conn.mode(), target.target()));
            Some(conn)
        }
        None => None,
    };

    // The token store first: the threat rules lock accounts in it.
    let mut runtime = JwtRuntime::default();
    let revocations: SharedRevocationStore = match &redis {
        Some(conn) => {
            let store = Arc::new(rampart_auth::revocation::RedisStore::new(
                conn.clone(),
                "secure-api",
            ));
            runtime = runtime.store(store.clone());
            store
        }
        None => {
            let store = Arc::new(MemoryStore::default());
            runtime = runtime.store(store.clone());
            store
        }
    };
    let throttle_slot = crate::audit::ThrottleSlot::default();
    let trail = match &config.audit {
        Some(audit) => {
            let accounts = RevocationResponder::new(revocations, max_token_lifetime(config))
                .map_err(|e| invalid(format!("[jwt] {e}")))?;
            let trail = audit
                .open_with(|rules| {
                    crate::audit::responses(
                        rules,
                        throttle_slot.clone(),
                        accounts,
                        Duration::from_secs(config.ratelimit.login_lockout_secs),
                        // Redis's client needs tokio: run responses on it.
                        config
                            .redis_url
                            .is_some()
                            .then(tokio::runtime::Handle::current),
                    )
                })
                .map_err(|e| invalid(format!("[audit] {e}")))?;
            facts.push(
                "audit",
                format!(
                    "hash-chained JSONL at {} (checkpoints signed, public key in {}.pub){}",
                    audit.path.display(),
                    audit.path.display(),
                    crate::audit::table_fact(&trail),
                ),
            );
            facts.push(
                "threat rules",
                if audit.rules.enabled {
                    "on: brute force blocks the address for 1 h / locks the account ([audit.rules])"
                } else {
                    "off ([audit.rules] enabled = false)"
                },
            );
            Some(trail)
        }
        None => {
            facts.push(
                "audit",
                "security events to tracing only, target rampart::security",
            );
            None
        }
    };
    let sink: rampart_core::SharedSink = match &trail {
        Some(trail) => Arc::new(crate::audit::AuditedSink(trail.log().clone())),
        None => TracingSink::shared(),
    };
    runtime = runtime.event_sink(sink.clone());
    match &config.redis_url {
        Some(_) => facts.push("token store", "Redis (revocations, refresh families)"),
        None => facts.push("token store", "in memory (set REDIS_URL to share it)"),
    }
    // Every refresh looks the user up again (removed: refused; demoted: new roles).
    let users = Arc::new(
        UserDirectory::new(&config.users, &HashParams::default(), &config.passwords)
            .map_err(invalid)?,
    );
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

    let limits = rate_limits(config, &sink, redis.as_ref())?;
    throttle_slot.set(limits.login.clone());
    facts.push(
        "rate limits",
        format!(
            "{} per minute per address, {} per minute per user, sign-in locked after {} failures in {} s for {} s ({})",
            config.ratelimit.ip_per_minute,
            config.ratelimit.user_per_minute,
            config.ratelimit.login_max_failures,
            config.ratelimit.login_window_secs,
            config.ratelimit.login_lockout_secs,
            if config.redis_url.is_some() { "counted in Redis" } else { "counted in memory" },
        ),
    );

    let (authz, bindings_fact) = crate::rbac::build(config, sink.clone(), redis.as_ref())?;
    facts.push("role bindings and grants", bindings_fact);
    let require = |permission: &str| {
        RequirePermission::try_new(authz.clone(), permission)
            .map(|guard| guard.event_sink(sink.clone()))
            .map_err(|e| invalid(format!("permission {permission}: {e}")))
    };

    facts.push(
        "users",
        format!("{} (passwords hashed with argon2id)", users.len()),
    );
    let limiter = users.verifier().limiter();
    facts.push(
        "password checks",
        format!(
            "{} at once, {} queued, then 503",
            limiter.max_concurrent(),
            limiter.max_queued()
        ),
    );
    let odd = users.users_unlike_decoy();
    if !odd.is_empty() {
        tracing::warn!(
            target: "secure_api",
            users = ?odd,
            "these users' password hashes use other argon2 parameters than most: \
             response times tell them apart from unknown names; rehash them"
        );
    }
    let timeouts = RequestTimeouts {
        body: Duration::from_secs(config.server.request_body_timeout_secs),
        request: Duration::from_secs(config.server.request_timeout_secs),
    };
    facts.push(
        "limits",
        format!(
            "headers {} s, body {} s, request {} s, {} connections",
            config.server.header_read_timeout_secs,
            config.server.request_body_timeout_secs,
            config.server.request_timeout_secs,
            config.server.max_connections
        ),
    );

    let proxies = TrustedProxies::new(&config.http.trusted_proxies).map_err(invalid)?;
    facts.push(
        "trusted proxies",
        list_or(&config.http.trusted_proxies, "none (client = TCP peer)"),
    );
    let cors = CorsPolicy::new().allow_origins(config.http.allowed_origins.iter().cloned());
    let csrf = CsrfPolicy::builder()
        .trust_cors_origins(&cors)
        .insecure_plain_http(config.http.insecure_plain_http)
        .build()
        .map_err(invalid)?;
    facts.push(
        "csrf origin scheme",
        if config.http.insecure_plain_http {
            "http (plain HTTP: set [http] insecure_plain_http = false behind TLS)"
        } else {
            "https"
        },
    );
    let cors = cors.build().map_err(invalid)?;
    facts.push(
        "allowed origins",
        list_or(&config.http.allowed_origins, "none (same-origin only)"),
    );
    let headers = SecurityHeaders::api().build().map_err(invalid)?;
    // HSTS protects only a browser that has seen it: the first plain-HTTP
    // request is redirected (or refused, if it would change state) here.
    let https_only = config
        .http
        .https_only()
        .then(|| {
            HttpsOnly::new()
                .trusted_proxies(proxies.clone())
                .exempt_path("/health")
        })
        .map(HttpsOnlyLayer::new);
    facts.push(
        "https only",
        if https_only.is_some() {
            "on: plain HTTP redirected (GET, HEAD) or refused, /health excepted"
        } else {
            "off (plain HTTP accepted: development only)"
        },
    );

    let (mfa, mfa_fact) = crate::mfa::build(config, sink.clone(), redis.as_ref())?;
    facts.push("second factor", mfa_fact);
    let (profiles, profile_fact) = crate::profile::build(config, sink.clone())?;
    facts.push("profile fields", profile_fact);

    let state = AppState {
        auth: authority.clone(),
        users,
        items: Arc::new(ItemStore::default()),
        authz: authz.clone(),
        login_throttle: limits.login.clone(),
        mfa,
        profiles: Arc::new(profiles),
        audit: trail.clone(),
        events: sink.clone(),
    };

    // Refuses injected input on the routes that take user text, reporting
    // to the same trail; the permission check runs inside it.
    let guard = InputGuardLayer::new(
        InputGuard::builder()
            .event_sink(sink.clone())
            .build()
            .map_err(|e| invalid(format!("input guard: {e}")))?,
    );
    facts.push("input guard", "blocks SQL injection, XSS, traversal, command, header and NoSQL injection on /api/items (POST) and /api/search");

    let protected = Router::new()
        .route("/auth/logout", post(auth::logout))
        .route("/auth/logout/all", post(sessions::logout_all))
        .route("/auth/sessions", get(sessions::list))
        .route("/auth/sessions/{id}", delete(sessions::end))
        .route("/auth/password", post(crate::routes::password::change))
        .route("/auth/mfa/enroll", post(crate::mfa::enroll))
        .route("/auth/mfa/confirm", post(crate::mfa::confirm))
        .route("/api/me", get(auth::me))
        .route(
            "/api/profile",
            get(crate::profile::get).put(crate::profile::put),
        )
        .route(
            "/api/items",
            get(api::list_items).route_layer(require("items:read")?),
        )
        .route(
            "/api/items",
            post(api::create_item)
                .route_layer(require("items:write")?)
                .route_layer(guard.clone()),
        )
        .route(
            "/api/search",
            get(api::search_items)
                .route_layer(require("items:read")?)
                .route_layer(guard),
        )
        .route(
            "/api/items/{id}",
            // The id names the instance, so a grant on one item counts.
            delete(api::delete_item).route_layer(require("items:delete")?.id_from_path("id")),
        )
        .route(
            "/api/tenants/{tenant}/reports",
            get(api::tenant_reports)
                .route_layer(require("reports:read")?.tenant_from_path("tenant")),
        )
        .route(
            "/admin/audit/verify",
            get(crate::audit::verify).route_layer(require("admin:audit")?),
        )
        .route(
            "/admin/users/{subject}/roles/{role}",
            put(admin::roles::bind)
                .delete(admin::roles::unbind)
                .route_layer(require("admin:users")?),
        )
        .route(
            "/admin/users/{subject}/grants",
            post(admin::grants::give).route_layer(require("admin:users")?),
        )
        .route(
            "/admin/users/{subject}/grants/{kind}/{id}",
            delete(admin::grants::revoke).route_layer(require("admin:users")?),
        )
        // Per user: after authentication, which names the subject.
        .layer(RateLimitLayer::new(limits.by_user))
        // Hands the authenticated principal to the audit layer outside.
        .layer(rampart_audit::CapturePrincipalLayer)
        .layer(authority.layer());

    let router = Router::new()
        .route("/health", get(health))
        .route(
            "/.well-known/jwks.json",
            jwks_route(authority.keys().clone()),
        )
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", post(auth::refresh))
        .route(
            crate::routes::password::EXPIRED_CHANGE_ROUTE,
            post(crate::routes::password::change_expired),
        )
        .merge(protected)
        .fallback(problem::not_found)
        .method_not_allowed_fallback(problem::method_not_allowed)
        .with_state(state.clone())
        .layer(CsrfLayer::new(csrf).event_sink(sink))
        // Per address: before any token or password work; inside CORS so that
        // a browser can read the 429, and preflights (answered by CORS) cost nothing.
        .layer(RateLimitLayer::new(limits.by_ip))
        .layer(cors)
        .layer(middleware::from_fn_with_state(timeouts, timeout::limit))
        .layer(tower::util::option_layer(https_only))
        // One event per request, with the outcome of every layer inside it.
        .layer(tower::util::option_layer(
            trail.as_ref().map(crate::audit::layer),
        ))
        .layer(ClientIpLayer::new(proxies))
        .layer(RequestIdLayer::new())
        .layer(SecurityHeadersLayer::new(headers));
    Ok(BuiltApp {
        router,
        facts,
        state,
    })
}

/// The app's limiters: per address, per user, and the login throttle.
struct Limits {
    by_ip: RateLimiter,
    by_user: RateLimiter,
    login: LoginThrottle,
}

/// Counted in memory, or in Redis when `REDIS_URL` is set, so that several
/// instances count once; a Redis outage refuses (fail closed, `503`).
fn rate_limits(
    config: &AppConfig,
    sink: &rampart_core::SharedSink,
    redis: Option<&RedisConnection>,
) -> Result<Limits, ConfigError> {
    let rl = &config.ratelimit;
    rl.validate()
        .map_err(|e| invalid(format!("[ratelimit] {e}")))?;
    let mut by_ip = RateLimiter::builder()
        .limit(rl.ip_limit())
        .event_sink(sink.clone());
    let mut by_user = RateLimiter::builder()
        .limit(rl.user_limit())
        .event_sink(sink.clone());
    let mut login = rl.login_throttle().event_sink(sink.clone());
    if let Some(conn) = redis {
        let store = rampart_ratelimit::RedisStore::new(conn.clone(), "secure-api:ratelimit");
        by_ip = by_ip.redis(store.clone());
        by_user = by_user.redis(store.clone());
        login = login.redis(store);
    }
    let built = |e: rampart_ratelimit::ConfigError| invalid(format!("[ratelimit] {e}"));
    Ok(Limits {
        by_ip: by_ip.build().map_err(built)?,
        by_user: by_user.build().map_err(built)?,
        login: login.build().map_err(built)?,
    })
}

/// The longest any token the store vouches for can live: a lock must
/// outlast every token issued before its end.
fn max_token_lifetime(config: &AppConfig) -> Duration {
    let jwt = &config.jwt;
    Duration::from_secs(
        jwt.access_ttl_secs
            .max(jwt.refresh_ttl_secs)
            .max(jwt.refresh_family_lifetime_secs)
            .max(1)
            .saturating_add(jwt.leeway_secs),
    )
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
