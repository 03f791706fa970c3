//! [`SecurityStack`]: the recommended stack, assembled in the right order from
//! one configuration, with every layer's events in one audit trail.
//!
//! # The order, outermost first, and what breaks if it changes
//!
//! | layer | why here |
//! |---|---|
//! | security headers | every response gets them, the refusals of every layer below included; moved inward, a `401` or `429` would leave without CSP, HSTS or `nosniff` |
//! | request id | every event below carries the id; moved inward, the audit record and the layers' events could not be joined |
//! | client address | resolved once, through the trusted proxies only, for the audit record, the limits and HTTPS only; moved inward, those read the peer address or nothing |
//! | audit | sees the final status of everything inside it, refusals included; moved inward, a request refused outside it leaves no record |
//! | HTTPS only | a plain-HTTP request is redirected or refused before any credential in it is looked at |
//! | CORS | answers preflights before they cost a limit, and lets a browser read the `429` below |
//! | per-address limit | the cheapest refusal, before any token or password work; moved inward, a flood costs signature checks |
//! | CSRF | refuses a cross-site unsafe request before authentication does anything on its behalf |
//! | *(public routes end here: [`edge`](SecurityStack::edge))* | |
//! | JWT authentication | inserts the `Principal`; everything inside may trust it |
//! | principal hand-over | gives the audit layer outside the subject it could not see |
//! | per-user limit | counts by subject, which only exists after authentication; moved outward, it counts every anonymous caller as one |
//! | input guard | refuses injected input before a handler parses it; outside authentication it would spend scanning work on anonymous floods |
//! | *(protected routes end here: [`protect`](SecurityStack::protect))* | |
//! | permission, per route | [`require`](SecurityStack::require): needs the `Principal`, so always inside `protect` |
//!
//! Every layer reports to the same sink: the audit trail when one is
//! configured (so refusals of every layer are in the tamper-evident chain),
//! else `tracing`.

mod config;
mod error;
mod layers;

pub use config::StackConfig;
pub use error::StackError;
pub use layers::{
    AuditStage, CorsStage, CsrfStage, EdgeLayer, EdgeService, HttpsStage, IpLimitStage,
    ProtectLayer, ProtectService,
};

use rampart_audit::AuditTrail;
use rampart_auth::{JwtAuthority, JwtRuntime, Revalidate};
use rampart_core::{
    ClientIpLayer, RequestIdLayer, SharedClock, SharedSink, SystemClock, TracingSink,
    TrustedProxies,
};
use rampart_headers::{CsrfLayer, HttpsOnlyLayer, SecurityHeadersLayer};
use rampart_ratelimit::{RateLimitLayer, RateLimiter};
use rampart_rbac::{Authorizer, Policy, RequirePermission};
use rampart_sanitize::InputGuardLayer;
use std::sync::Arc;

/// The recommended stack, built from a [`StackConfig`] (`rampart.toml`).
///
/// Wrap every route in [`edge`](Self::edge), the routes that need a signed-in
/// caller in [`protect`](Self::protect), and each protected route in its
/// permission ([`require`](Self::require)). The [module docs](self) give the
/// order and the reason for each place.
///
/// ```
/// use axum::{Router, routing::get};
/// use rampart::stack::{SecurityStack, StackConfig};
///
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let config = StackConfig::from_toml(r#"
///     https_only = false          # local development
///     [jwt]
///     issuer = "https://auth.example.com"
///     audience = "api"
///     [rbac.roles.reader]
///     permissions = ["items:read"]
/// "#)?;
/// let stack = SecurityStack::builder(config).insecure_skip_revalidation().build()?;
///
/// let protected = Router::new()
///     .route("/items", get(|| async { "[]" }).route_layer(stack.require("items:read")?))
///     .layer(stack.protect());
/// let app: Router = Router::new()
///     .route("/health", get(|| async { "ok" }))
///     .merge(protected)
///     .layer(stack.edge());
/// # drop(app);
/// # Ok(())
/// # }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async { run().unwrap() });
/// ```
#[derive(Clone)]
pub struct SecurityStack {
    edge: EdgeLayer,
    protect: ProtectLayer,
    authority: JwtAuthority,
    authorizer: Authorizer,
    sink: SharedSink,
    trail: Option<AuditTrail>,
}

impl std::fmt::Debug for SecurityStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecurityStack")
            .field("edge", &self.edge)
            .field("audit", &self.trail.is_some())
            .finish_non_exhaustive()
    }
}

impl SecurityStack {
    /// Starts from `config`; the builder adds what a file cannot name (a
    /// clock, Redis, the refresh re-check).
    pub fn builder(config: StackConfig) -> SecurityStackBuilder {
        SecurityStackBuilder {
            config,
            clock: SystemClock::shared(),
            revalidate: None,
            #[cfg(feature = "redis")]
            redis: None,
        }
    }

    /// The layer for every route (see the [module docs](self)).
    pub fn edge(&self) -> EdgeLayer {
        self.edge.clone()
    }

    /// The layer for routes that need a signed-in caller.
    pub fn protect(&self) -> ProtectLayer {
        self.protect.clone()
    }

    /// The permission check for one route, reporting to the stack's sink.
    ///
    /// # Errors
    /// [`StackError::Rbac`] for a malformed permission.
    pub fn require(&self, permission: &str) -> Result<RequirePermission, StackError> {
        RequirePermission::try_new(self.authorizer.clone(), permission)
            .map(|guard| guard.event_sink(self.sink.clone()))
            .map_err(|e| StackError::Rbac(e.to_string()))
    }

    /// Issues and refreshes tokens, and serves the JWKS.
    pub fn authority(&self) -> &JwtAuthority {
        &self.authority
    }

    /// The permission engine behind [`require`](Self::require).
    pub fn authorizer(&self) -> &Authorizer {
        &self.authorizer
    }

    /// The sink every layer reports to; give it to your own components too.
    pub fn event_sink(&self) -> SharedSink {
        self.sink.clone()
    }

    /// The audit trail, when configured: call
    /// [`AuditLog::shutdown`](rampart_audit::AuditLog::shutdown) on its log
    /// before the process exits, so the queue is written and a checkpoint signed.
    pub fn audit(&self) -> Option<&AuditTrail> {
        self.trail.as_ref()
    }
}

/// Builds a [`SecurityStack`].
#[must_use]
pub struct SecurityStackBuilder {
    config: StackConfig,
    clock: SharedClock,
    revalidate: Option<Revalidation>,
    #[cfg(feature = "redis")]
    redis: Option<rampart_core::redis::RedisConnection>,
}

enum Revalidation {
    Hook(Box<dyn FnOnce(JwtRuntime) -> JwtRuntime + Send>),
    Skip,
}

impl std::fmt::Debug for SecurityStackBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecurityStackBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SecurityStackBuilder {
    /// Every expiry and window by `clock` (a `ManualClock` in tests).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Re-checks the user on every refresh (removed: refused; demoted: new
    /// roles). One of this and
    /// [`insecure_skip_revalidation`](Self::insecure_skip_revalidation) is
    /// required before refresh tokens work.
    pub fn revalidate(mut self, hook: impl Revalidate) -> Self {
        self.revalidate = Some(Revalidation::Hook(Box::new(move |runtime: JwtRuntime| {
            runtime.revalidate(hook)
        })));
        self
    }

    /// Refreshes copy roles and tenant from the old token without asking the
    /// application: a demoted user keeps their roles until the sign-in ends.
    pub fn insecure_skip_revalidation(mut self) -> Self {
        self.revalidate = Some(Revalidation::Skip);
        self
    }

    /// Keeps revocations, refresh families and rate-limit counters in Redis
    /// (a single node or a cluster), so several instances act as one.
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub fn redis(mut self, connection: rampart_core::redis::RedisConnection) -> Self {
        self.redis = Some(connection);
        self
    }

    /// Builds every layer.
    ///
    /// # Errors
    /// A [`StackError`] naming the table of the configuration that cannot be
    /// used, or the audit trail that cannot be opened.
    pub fn build(mut self) -> Result<SecurityStack, StackError> {
        let revalidate = self.revalidate.take();
        let config = &self.config;
        let trail = config
            .audit
            .as_ref()
            .map(|audit| audit.open())
            .transpose()
            .map_err(|e| StackError::Audit(e.to_string()))?;
        let sink: SharedSink = match &trail {
            Some(trail) => Arc::new(trail.log().clone()),
            None => TracingSink::shared(),
        };

        let proxies = TrustedProxies::try_from(config.proxies.clone())
            .map_err(|e| StackError::Proxies(e.to_string()))?;
        let headers = config
            .headers
            .build()
            .map_err(|e| StackError::Headers(e.to_string()))?;
        // Checked even when off, so a mistake shows before production turns it on.
        let https = config
            .https
            .build(proxies.clone())
            .map_err(|e| StackError::Https(e.to_string()))?;
        let https_only = config.https_only.then(|| HttpsOnlyLayer::new(https));
        let cors_policy = config.cors.as_ref().map(|cors| cors.to_policy());
        let mut csrf = config.csrf.to_builder();
        if let Some(cors) = &cors_policy {
            csrf = csrf.trust_cors_origins(cors);
        }
        let csrf = csrf.build().map_err(|e| StackError::Csrf(e.to_string()))?;
        let cors = cors_policy
            .map(|cors| cors.build())
            .transpose()
            .map_err(|e| StackError::Cors(e.to_string()))?;

        let (by_ip, by_user) = self.limiters(&sink)?;
        let authority = self.authority(&sink, revalidate)?;
        let policy = Policy::from_config(config.rbac.clone())
            .map_err(|e| StackError::Rbac(e.to_string()))?;
        let authorizer = Authorizer::builder()
            .policy(policy)
            .event_sink(sink.clone())
            .build()
            .map_err(|e| StackError::Rbac(e.to_string()))?;
        let guard = config
            .input_guard
            .build_with_sink(sink.clone())
            .map_err(|e| StackError::InputGuard(e.to_string()))?;

        let audit = trail.as_ref().map(|trail| {
            trail
                .layer()
                .rejection::<rampart_auth::AuthRejection>()
                .rejection::<rampart_rbac::PermissionRejection>()
                .rejection::<rampart_headers::CsrfRejection>()
                .rejection::<rampart_ratelimit::RateLimitRejection>()
        });
        let edge = EdgeLayer {
            headers: SecurityHeadersLayer::new(headers),
            request_id: RequestIdLayer::new(),
            client_ip: ClientIpLayer::new(proxies),
            audit,
            https_only,
            cors,
            by_ip: RateLimitLayer::new(by_ip),
            csrf: CsrfLayer::new(csrf).event_sink(sink.clone()),
        };
        let protect = ProtectLayer {
            auth: authority.layer().event_sink(sink.clone()),
            by_user: RateLimitLayer::new(by_user),
            guard: InputGuardLayer::new(guard),
        };
        Ok(SecurityStack {
            edge,
            protect,
            authority,
            authorizer,
            sink,
            trail,
        })
    }

    fn limiters(&self, sink: &SharedSink) -> Result<(RateLimiter, RateLimiter), StackError> {
        let limits = &self.config.ratelimit;
        let invalid = |e: rampart_ratelimit::ConfigError| StackError::RateLimit(e.to_string());
        limits.validate().map_err(invalid)?;
        #[allow(unused_mut)]
        let mut by_ip = RateLimiter::builder()
            .limit(limits.ip_limit())
            .clock(self.clock.clone())
            .event_sink(sink.clone());
        #[allow(unused_mut)]
        let mut by_user = RateLimiter::builder()
            .limit(limits.user_limit())
            .clock(self.clock.clone())
            .event_sink(sink.clone());
        #[cfg(feature = "redis")]
        if let Some(conn) = &self.redis {
            let store = rampart_ratelimit::RedisStore::new(conn.clone(), "rampart:ratelimit");
            by_ip = by_ip.redis(store.clone());
            by_user = by_user.redis(store);
        }
        Ok((
            by_ip.build().map_err(invalid)?,
            by_user.build().map_err(invalid)?,
        ))
    }

    fn authority(
        &self,
        sink: &SharedSink,
        revalidate: Option<Revalidation>,
    ) -> Result<JwtAuthority, StackError> {
        let mut runtime = JwtRuntime::default()
            .clock(self.clock.clone())
            .event_sink(sink.clone());
        #[cfg(feature = "redis")]
        if let Some(conn) = &self.redis {
            runtime = runtime.store(Arc::new(rampart_auth::revocation::RedisStore::new(
                conn.clone(),
                "rampart",
            )));
        }
        runtime = match revalidate {
            Some(Revalidation::Hook(set)) => set(runtime),
            Some(Revalidation::Skip) => runtime.insecure_skip_revalidation(),
            None => runtime,
        };
        self.config
            .jwt
            .build_with(runtime)
            .map_err(|e| StackError::Jwt(e.to_string()))
    }
}
