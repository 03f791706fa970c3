//! The whole stack per request, in process (tower `oneshot`, no network):
//!
//! - `bare`: the handler alone;
//! - `rampart`: the recommended stack in `SecurityStack`'s order — security
//!   headers, request id, client address, audit, CORS, per-address limit,
//!   CSRF, ES256 JWT, principal hand-over, per-user limit, input guard,
//!   permission;
//! - `anchor`: the same duties from the crates people combine today —
//!   tower-http headers, CORS and request id, tower_governor per address and
//!   per user, a `jsonwebtoken` middleware, casbin, and a tower-http trace
//!   layer writing JSON lines.
//!
//! `stack/share` builds rampart's stack up one layer at a time, outermost
//! first, so each step's difference is that layer's share of the cost and a
//! regression shows where it is. `stack/jwt` compares the verified-token
//! cache with verifying every request.
//!
//! The audit log writes to a sink that waits while a chunk of requests is
//! timed, as in the audit bench: the request path pays for building and
//! enqueueing the record, the background writer's own cost is what the audit
//! bench's file-sink figures give.

use axum::body::Body;
use casbin::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi, RbacApi};
use criterion::{Criterion, criterion_group, criterion_main};
use governor::middleware::NoOpMiddleware;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use jsonwebtoken::{DecodingKey, Validation};
use rampart_audit::{AuditLog, AuditSink, Entry, SigningKey, SinkContext};
use rampart_auth::JwtAuthority;
use rampart_headers::SecurityHeadersConfig;
use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tower::util::BoxCloneService;
use tower::{Service, ServiceBuilder, ServiceExt};
use tower_governor::GovernorLayer;
use tower_governor::errors::GovernorError;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;
use tower_http::cors::CorsLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

#[path = "../common/rampart_stack.rs"]
mod rampart_stack;

use rampart_stack::{AUDIENCE, ISSUER, LAYERS, ORIGIN, Rampart, Svc, authority, handler, request};

/// Requests timed per chunk: fewer than the audit queue holds, so the
/// writer, held off while a chunk runs, never makes the request path wait.
const CHUNK: u64 = 50_000;

/// Discards batches, but not while the gate is held.
struct Gated(Arc<Mutex<()>>);

impl AuditSink for Gated {
    fn write(&mut self, entries: &[Entry], _ctx: &SinkContext<'_>) -> std::io::Result<()> {
        drop(self.0.lock().unwrap_or_else(PoisonError::into_inner));
        black_box(entries.len());
        Ok(())
    }
}

struct Audit {
    log: AuditLog,
    gate: Arc<Mutex<()>>,
}

impl Audit {
    fn new() -> Self {
        let (key, _) = SigningKey::generate().expect("audit key");
        let gate = Arc::new(Mutex::new(()));
        let log = AuditLog::builder(Gated(gate.clone()), key)
            .queue_capacity(2 * CHUNK as usize)
            .build()
            .expect("audit log");
        Self { log, gate }
    }
}

/// Runs `iters` requests through `svc` in chunks, timing only the requests;
/// between chunks the audit writer drains the queue.
fn timed(
    runtime: &tokio::runtime::Runtime,
    audit: &Audit,
    svc: &Svc,
    token: &HeaderValue,
    iters: u64,
) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let n = CHUNK.min(iters - done);
        let held = audit.gate.lock().unwrap_or_else(PoisonError::into_inner);
        total += runtime.block_on(async {
            let start = Instant::now();
            for _ in 0..n {
                let response = svc.clone().oneshot(request(token)).await;
                black_box(response.expect("infallible"));
            }
            start.elapsed()
        });
        drop(held);
        audit.log.flush().expect("audit flush");
        done += n;
    }
    total
}

// ---- the anchor stack -------------------------------------------------------

/// tower_governor keyed by the peer address the server inserted.
#[derive(Clone)]
struct PeerAddr;

impl KeyExtractor for PeerAddr {
    type Key = std::net::IpAddr;
    fn extract<T>(&self, req: &Request<T>) -> Result<Self::Key, GovernorError> {
        req.extensions()
            .get::<SocketAddr>()
            .map(SocketAddr::ip)
            .ok_or(GovernorError::UnableToExtractKey)
    }
}

/// tower_governor keyed by the subject the JWT middleware found.
#[derive(Clone)]
struct Subject;

impl KeyExtractor for Subject {
    type Key = String;
    fn extract<T>(&self, req: &Request<T>) -> Result<Self::Key, GovernorError> {
        req.extensions()
            .get::<AnchorClaims>()
            .map(|c| c.sub.clone())
            .ok_or(GovernorError::UnableToExtractKey)
    }
}

#[derive(Clone, serde::Deserialize)]
struct AnchorClaims {
    sub: String,
    #[allow(dead_code)]
    roles: Vec<String>,
}

/// The usual hand-written middleware: `jsonwebtoken::decode` on the bearer
/// token, the claims into the extensions, 401 otherwise.
#[derive(Clone)]
struct JwtMiddleware<S> {
    inner: S,
    key: Arc<DecodingKey>,
    validation: Arc<Validation>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S> Service<Request<Body>> for JwtMiddleware<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<Body>) -> Self::Future {
        let claims = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .and_then(|t| {
                jsonwebtoken::decode::<AnchorClaims>(t, &self.key, &self.validation).ok()
            });
        let Some(claims) = claims else {
            return Box::pin(async { Ok(status(StatusCode::UNAUTHORIZED)) });
        };
        req.extensions_mut().insert(claims.claims);
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move { inner.call(req).await })
    }
}

/// casbin enforcing `(role, /items, GET)` for the token's subject, through
/// the shared lock a service needs around an `Enforcer`.
#[derive(Clone)]
struct CasbinMiddleware<S> {
    inner: S,
    enforcer: Arc<RwLock<Enforcer>>,
}

impl<S> Service<Request<Body>> for CasbinMiddleware<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let allowed = req.extensions().get::<AnchorClaims>().is_some_and(|c| {
            self.enforcer
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .enforce((c.sub.as_str(), req.uri().path(), req.method().as_str()))
                .unwrap_or(false)
        });
        if !allowed {
            return Box::pin(async { Ok(status(StatusCode::FORBIDDEN)) });
        }
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move { inner.call(req).await })
    }
}

fn status(code: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = code;
    response
}

fn casbin(runtime: &tokio::runtime::Runtime) -> Enforcer {
    const MODEL: &str = r#"
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act
"#;
    runtime.block_on(async {
        let model = DefaultModel::from_str(MODEL).await.expect("casbin model");
        let mut enforcer = Enforcer::new(model, MemoryAdapter::default())
            .await
            .expect("casbin enforcer");
        enforcer
            .add_policy(vec!["reader".into(), "/items".into(), "GET".into()])
            .await
            .expect("casbin policy");
        enforcer
            .add_role_for_user("alice", "reader", None)
            .await
            .expect("casbin role");
        enforcer
    })
}

fn governor<K: KeyExtractor>(key: K) -> GovernorLayer<K, NoOpMiddleware, Body> {
    let config = GovernorConfigBuilder::default()
        .key_extractor(key)
        .per_nanosecond(1)
        .burst_size(u32::MAX)
        .finish()
        .expect("governor config");
    GovernorLayer::new(config)
}

fn anchor(runtime: &tokio::runtime::Runtime, authority: &JwtAuthority) -> Svc {
    let jwk = authority.jwks().keys.into_iter().next().expect("a key");
    let mut validation = Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    let key = Arc::new(DecodingKey::from_jwk(&jwk).expect("decoding key"));
    let validation = Arc::new(validation);
    let enforcer = Arc::new(RwLock::new(casbin(runtime)));
    let svc = ServiceBuilder::new()
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            CorsLayer::new()
                .allow_origin(HeaderValue::from_static(ORIGIN))
                .allow_methods([Method::GET, Method::POST]),
        )
        .layer(governor(PeerAddr).error_handler(|_| status(StatusCode::TOO_MANY_REQUESTS)))
        .layer(tower::layer::layer_fn(move |inner| JwtMiddleware {
            inner,
            key: key.clone(),
            validation: validation.clone(),
        }))
        .layer(governor(Subject).error_handler(|_| status(StatusCode::TOO_MANY_REQUESTS)))
        .layer(tower::layer::layer_fn(move |inner| CasbinMiddleware {
            inner,
            enforcer: enforcer.clone(),
        }))
        .service(handler());
    // The same fixed headers as rampart's default preset, one tower-http layer
    // each, outermost as in rampart's stack; the whole stack boxed once.
    let headers = SecurityHeadersConfig::default().build().expect("headers");
    let layers: Vec<_> = headers
        .fixed_headers()
        .map(|(name, value)| SetResponseHeaderLayer::if_not_present(name.clone(), value.clone()))
        .collect();
    let [a, b, c, d, e, f, g, h, i, j, k, l] = <[_; 12]>::try_from(layers)
        .unwrap_or_else(|v| panic!("the default preset has 12 fixed headers, not {}", v.len()));
    BoxCloneService::new(
        ServiceBuilder::new()
            // As axum's router does with every body: one box.
            .map_response(|response: Response<_>| response.map(Body::new))
            .layer(a)
            .layer(b)
            .layer(c)
            .layer(d)
            .layer(e)
            .layer(f)
            .layer(g)
            .layer(h)
            .layer(i)
            .layer(j)
            .layer(k)
            .layer(l)
            .service(svc),
    )
}

// ---- the benches --------------------------------------------------------------

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Every stack must answer 200 before it is timed: a bench of refusals
/// would measure the wrong path.
fn assert_ok(runtime: &tokio::runtime::Runtime, svc: &Svc, token: &HeaderValue, name: &str) {
    let response = runtime
        .block_on(svc.clone().oneshot(request(token)))
        .expect("infallible");
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{name} refused the bench request"
    );
}

fn stacks(c: &mut Criterion) {
    let runtime = runtime();
    let audit = Audit::new();
    let (authority, token) = authority(&runtime, true);
    let rampart = Rampart::new(&audit.log, &authority);
    let full = rampart.service(LAYERS.len());
    let anchor = anchor(&runtime, &authority);
    let bare = handler();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::sink)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    for (name, svc) in [("bare", &bare), ("rampart", &full), ("anchor", &anchor)] {
        assert_ok(&runtime, svc, &token, name);
    }

    let mut group = c.benchmark_group("stack");
    group.measurement_time(Duration::from_secs(4));
    for (name, svc) in [("bare", &bare), ("rampart", &full), ("anchor", &anchor)] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| timed(&runtime, &audit, svc, &token, iters))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("stack/share");
    group.measurement_time(Duration::from_secs(3));
    for (depth, layer) in LAYERS.iter().enumerate() {
        let svc = rampart.service(depth + 1);
        // Up to the JWT layer the bearer token is not needed yet, and from
        // there on every step must pass; the permission step is the full stack.
        assert_ok(&runtime, &svc, &token, layer);
        group.bench_function(format!("{:02}_{layer}", depth + 1), |b| {
            b.iter_custom(|iters| timed(&runtime, &audit, &svc, &token, iters))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("stack/jwt");
    group.measurement_time(Duration::from_secs(3));
    let (uncached, uncached_token) = self::authority(&runtime, false);
    let uncached = Rampart::new(&audit.log, &uncached).service(LAYERS.len());
    assert_ok(&runtime, &uncached, &uncached_token, "uncached");
    for (name, svc, token) in [
        ("rampart_verified_cache", &full, &token),
        ("rampart_verify_every_request", &uncached, &uncached_token),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| timed(&runtime, &audit, svc, token, iters))
        });
    }
    group.finish();
    audit.log.shutdown().expect("audit shutdown");
}

criterion_group!(benches, stacks);
criterion_main!(benches);
