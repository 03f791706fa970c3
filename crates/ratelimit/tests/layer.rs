//! `RateLimitLayer` in an axum router: 429 problems with `Retry-After`, the
//! IETF and legacy headers, keys from `ClientIp` behind `TrustedProxies` only,
//! user keys after auth, custom responses, default tracing sink.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use rampart_core::{
    AuthMethod, ClientIpLayer, EventKind, ManualClock, MemorySink, Principal, Problem,
    TrustedProxies,
};
use rampart_ratelimit::{Key, Limit, Quota, RateLimitLayer, RateLimitRejection, RateLimiter};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower::{Layer, ServiceExt};

fn app(layer: RateLimitLayer, proxies: TrustedProxies) -> Router {
    Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(layer)
        .layer(ClientIpLayer::new(proxies))
}

fn from(peer: [u8; 4], xff: Option<&str>) -> Request<Body> {
    let mut b = Request::get("/");
    if let Some(x) = xff {
        b = b.header("x-forwarded-for", x);
    }
    let mut req = b.body(Body::empty()).unwrap();
    req.extensions_mut().insert(SocketAddr::from((peer, 4000)));
    req
}

async fn json(response: Response<Body>) -> serde_json::Value {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn refusal_is_a_429_problem_with_retry_after_and_ietf_headers() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let limiter = RateLimiter::builder()
        .limit(Limit::new("ip", Quota::per_minute(2)))
        .clock(clock.shared())
        .build()
        .unwrap();
    let app = app(RateLimitLayer::new(limiter), TrustedProxies::none());
    let ok = app
        .clone()
        .oneshot(from([203, 0, 113, 1], None))
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.headers()["ratelimit-policy"], "\"ip\";q=2;w=60");
    assert_eq!(ok.headers()["ratelimit"], "\"ip\";r=1;t=30");
    assert!(!ok.headers().contains_key("x-ratelimit-limit"));
    app.clone()
        .oneshot(from([203, 0, 113, 1], None))
        .await
        .unwrap();
    let refused = app
        .clone()
        .oneshot(from([203, 0, 113, 1], None))
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["retry-after"], "30");
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(refused.headers()["ratelimit"], "\"ip\";r=0;t=60");
    assert_eq!(
        refused.extensions().get::<RateLimitRejection>(),
        Some(&RateLimitRejection::Limited {
            limit: Arc::from("ip"),
            retry_after_secs: 30
        })
    );
    let body = json(refused).await;
    assert_eq!(body["status"], 429);
    // Another client is not affected; time heals the first.
    let other = app
        .clone()
        .oneshot(from([203, 0, 113, 2], None))
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    clock.advance(Duration::from_secs(30));
    let again = app.oneshot(from([203, 0, 113, 1], None)).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_forged_forwarded_for_from_an_untrusted_peer_does_not_change_the_key() {
    let limiter = RateLimiter::new(Limit::new("ip", Quota::per_minute(1))).unwrap();
    let app = app(
        RateLimitLayer::new(limiter),
        TrustedProxies::new(["10.0.0.0/8"]).unwrap(),
    );
    let first = app
        .clone()
        .oneshot(from([198, 51, 100, 9], Some("1.1.1.1")))
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    // A fresh forged address each time: still the same peer, still refused.
    for i in 2..6 {
        let r = app
            .clone()
            .oneshot(from([198, 51, 100, 9], Some(&format!("1.1.1.{i}"))))
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "forged hop {i} was believed"
        );
    }
    // Through the trusted proxy, the hop it appended is the client.
    let via_proxy = app
        .clone()
        .oneshot(from([10, 0, 0, 1], Some("203.0.113.50")))
        .await
        .unwrap();
    assert_eq!(via_proxy.status(), StatusCode::OK);
    let via_proxy_again = app
        .oneshot(from([10, 0, 0, 1], Some("203.0.113.50")))
        .await
        .unwrap();
    assert_eq!(via_proxy_again.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn user_limit_after_auth_keys_on_the_principal_and_skips_anonymous() {
    let limiter =
        RateLimiter::new(Limit::new("user", Quota::per_minute(1)).key(Key::subject())).unwrap();
    let svc = RateLimitLayer::new(limiter)
        .headers_on_allowed(false)
        .legacy_headers(true)
        .layer(tower::service_fn(|_req: Request<Body>| async {
            Ok::<_, std::convert::Infallible>(Response::new(Body::from("ok")))
        }));
    let as_user = |who: &str| {
        let mut req = Request::get("/").body(Body::empty()).unwrap();
        req.extensions_mut()
            .insert(Principal::new(who, AuthMethod::Jwt));
        req
    };
    let ok = svc.clone().oneshot(as_user("bob")).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(!ok.headers().contains_key("ratelimit"));
    let refused = svc.clone().oneshot(as_user("bob")).await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["x-ratelimit-limit"], "1");
    assert_eq!(refused.headers()["x-ratelimit-remaining"], "0");
    assert_eq!(refused.headers()["x-ratelimit-reset"], "60");
    assert_eq!(
        svc.clone()
            .oneshot(as_user("carol"))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    for _ in 0..3 {
        let anon = svc
            .clone()
            .oneshot(Request::get("/").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(anon.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn the_response_can_be_replaced_and_events_carry_the_request() {
    let sink = MemorySink::new();
    let limiter = RateLimiter::builder()
        .limit(Limit::new("ip", Quota::per_minute(1)))
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap();
    let layer = RateLimitLayer::new(limiter).with_response(
        |rejection: &RateLimitRejection, problem: Problem| {
            let mut r = Response::new(Body::from("slow down"));
            *r.status_mut() = problem.status();
            r.extensions_mut().insert(rejection.clone());
            r
        },
    );
    let svc = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(layer)
        .layer(ClientIpLayer::new(TrustedProxies::none()));
    svc.clone()
        .oneshot(from([192, 0, 2, 1], None))
        .await
        .unwrap();
    let refused = svc.oneshot(from([192, 0, 2, 1], None)).await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["ratelimit"], "\"ip\";r=0;t=60");
    let body = refused.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"slow down");
    let events = sink.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::RateLimited);
    assert_eq!(events[0].client_ip, Some("192.0.2.1".parse().unwrap()));
}

#[tokio::test]
async fn multi_level_headers_list_every_limit() {
    let limiter = RateLimiter::builder()
        .limit(Limit::new("ip", Quota::per_minute(10)))
        .limit(Limit::new("global", Quota::per_hour(100)).key(Key::fixed("all")))
        .build()
        .unwrap();
    let app = app(RateLimitLayer::new(limiter), TrustedProxies::none());
    let ok = app.oneshot(from([192, 0, 2, 9], None)).await.unwrap();
    assert_eq!(
        ok.headers()["ratelimit-policy"],
        "\"ip\";q=10;w=60, \"global\";q=100;w=3600"
    );
    assert_eq!(
        ok.headers()["ratelimit"],
        "\"ip\";r=9;t=6, \"global\";r=99;t=36"
    );
}

#[tokio::test]
async fn a_key_with_its_own_quota_gets_its_own_policy_header() {
    // The policy of a limiter's one limit is written once; a key whose quota
    // comes from a source must still be told its own.
    let vip = |key: &str| (key == "192.0.2.7").then(|| Quota::per_minute(500));
    let limiter = RateLimiter::builder()
        .limit(Limit::new("ip", Quota::per_minute(10)).quotas_from(vip))
        .build()
        .unwrap();
    let app = app(RateLimitLayer::new(limiter), TrustedProxies::none());
    for _ in 0..2 {
        let plain = app
            .clone()
            .oneshot(from([192, 0, 2, 9], None))
            .await
            .unwrap();
        assert_eq!(plain.headers()["ratelimit-policy"], "\"ip\";q=10;w=60");
        let own = app
            .clone()
            .oneshot(from([192, 0, 2, 7], None))
            .await
            .unwrap();
        assert_eq!(own.headers()["ratelimit-policy"], "\"ip\";q=500;w=60");
    }
    let refused = {
        let mut last = None;
        for _ in 0..10 {
            last = Some(
                app.clone()
                    .oneshot(from([192, 0, 2, 9], None))
                    .await
                    .unwrap(),
            );
        }
        last.unwrap()
    };
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["ratelimit-policy"], "\"ip\";q=10;w=60");
}
