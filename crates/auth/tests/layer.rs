//! `JwtAuthLayer` wired into a real axum router.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "axum")]

mod common;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use common::*;
use http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use rampart_auth::axum::{Authenticated, jwks_route};
use rampart_auth::{AuthError, AuthRejection, Claims, JwtAuthLayer, TokenRequest};
use rampart_core::{EventKind, Problem};
use serde::Deserialize;
use std::sync::Arc;
use tower::ServiceExt;

#[derive(Debug, Clone, Deserialize)]
struct Extra {
    #[serde(default)]
    email: Option<String>,
}

async fn me(Authenticated(who): Authenticated, claims: Claims<Extra>) -> String {
    format!(
        "{}|{}|{}|{}",
        who.subject(),
        who.tenant().unwrap_or("-"),
        who.roles().join(","),
        claims.custom.email.unwrap_or_default()
    )
}

async fn maybe(who: Option<Authenticated>) -> String {
    who.map_or_else(|| "anonymous".into(), |a| a.0.subject().to_owned())
}

fn app(fx: &Fx, layer: JwtAuthLayer<Extra>) -> Router {
    Router::new()
        .route("/me", get(me))
        .route("/maybe", get(maybe))
        .layer(layer)
        .route("/.well-known/jwks.json", jwks_route(fx.keys.clone()))
}

fn layer(fx: &Fx) -> JwtAuthLayer<Extra> {
    JwtAuthLayer::new(fx.verifier.clone()).claims::<Extra>()
}

async fn send(app: &Router, req: Request<Body>) -> (Response<Body>, String) {
    let response = app.clone().oneshot(req).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        Response::from_parts(parts, Body::empty()),
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn get_with(path: &str, name: header::HeaderName, value: &str) -> Request<Body> {
    Request::get(path)
        .header(name, value)
        .body(Body::empty())
        .unwrap()
}

fn access(fx: &Fx) -> String {
    fx.issuer
        .issue(
            &TokenRequest::new("alice")
                .tenant("acme")
                .roles(["editor", "viewer"]),
            rampart_auth::TokenUse::Access,
            Some("fam-1"),
            &serde_json::json!({"email": "a@example.com"}),
        )
        .unwrap()
        .token
}

#[tokio::test]
async fn a_valid_bearer_token_reaches_the_handler_with_principal_and_claims() {
    let fx = fixture();
    let app = app(&fx, layer(&fx));
    let (res, body) = send(
        &app,
        get_with(
            "/me",
            header::AUTHORIZATION,
            &format!("Bearer {}", access(&fx)),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body, "alice|acme|editor,viewer|a@example.com");
    // The scheme is case-insensitive.
    let (res, _) = send(
        &app,
        get_with(
            "/me",
            header::AUTHORIZATION,
            &format!("bearer {}", access(&fx)),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// The layer inserts `Arc<Claims<C>>`, the very claims its verified-token
/// cache holds: a second request with the same token gets the same
/// allocation, not a copy, and the `Claims<C>` extractor still copies them.
#[tokio::test]
async fn the_claims_are_shared_with_the_verified_token_cache() {
    use std::sync::Mutex;
    let fx = fixture();
    let seen: Arc<Mutex<Vec<Arc<Claims<Extra>>>>> = Arc::default();
    let record = seen.clone();
    let handler = move |axum::Extension(shared): axum::Extension<Arc<Claims<Extra>>>,
                        copied: Claims<Extra>| {
        let record = record.clone();
        async move {
            assert_eq!(copied.custom.email, shared.custom.email);
            assert_eq!(copied.subject(), shared.subject());
            let email = shared.custom.email.clone().unwrap_or_default();
            record.lock().unwrap().push(shared);
            email
        }
    };
    let app = Router::new()
        .route("/shared", get(handler))
        .layer(layer(&fx));
    let token = format!("Bearer {}", access(&fx));
    for _ in 0..2 {
        let (res, body) = send(&app, get_with("/shared", header::AUTHORIZATION, &token)).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(body, "a@example.com");
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(Arc::ptr_eq(&seen[0], &seen[1]), "the claims were copied");
}

#[tokio::test]
async fn the_principal_carries_org_and_the_listed_claims() {
    let fx = fixture();
    let verifier = rampart_auth::JwtVerifier::builder(fx.keys.clone())
        .issuer(ISS)
        .audience([AUD])
        .clock(fx.clock.shared())
        .principal_claims(["department"])
        .build()
        .unwrap();
    async fn whoami(Authenticated(who): Authenticated) -> axum::Json<rampart_core::Principal> {
        axum::Json(who)
    }
    let app = Router::new()
        .route("/whoami", get(whoami))
        .layer(JwtAuthLayer::new(verifier));
    let mut claims = fx.claims();
    claims["org"] = "sales".into();
    claims["department"] = "emea".into();
    claims["salary"] = 100.into();
    let token = fx.sign(&fx.header(), &claims);
    let (res, body) = send(
        &app,
        get_with("/whoami", header::AUTHORIZATION, &format!("Bearer {token}")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let who: rampart_core::Principal = serde_json::from_str(&body).unwrap();
    assert_eq!(who.org(), Some("sales"));
    assert_eq!(who.claim("department"), Some(&"emea".into()));
    assert_eq!(who.claim("salary"), None);
}

#[tokio::test]
async fn no_token_gets_a_bare_bearer_challenge() {
    let fx = fixture();
    let app = app(&fx, layer(&fx));
    let (res, body) = send(&app, Request::get("/me").body(Body::empty()).unwrap()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()[header::WWW_AUTHENTICATE], "Bearer");
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    assert!(body.contains("\"code\":\"missing\""));
    assert_eq!(
        res.extensions().get::<AuthRejection>(),
        Some(&AuthRejection {
            error: AuthError::Missing
        })
    );
    // Basic credentials are not a bearer token.
    let (res, _) = send(
        &app,
        get_with("/me", header::AUTHORIZATION, "Basic YWxpY2U6cHc="),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_invalid_token_gets_invalid_token_and_is_never_echoed() {
    let fx = fixture();
    let app = app(&fx, layer(&fx));
    let token = access(&fx);
    let tampered = format!("{}x", &token[..token.len() - 1]);
    let (res, body) = send(
        &app,
        get_with("/me", header::AUTHORIZATION, &format!("Bearer {tampered}")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.headers()[header::WWW_AUTHENTICATE],
        r#"Bearer error="invalid_token""#
    );
    assert!(body.contains("\"code\":\"bad_signature\""), "{body}");
    let payload = tampered.split('.').nth(1).unwrap();
    assert!(!body.contains(payload) && !body.contains(&tampered));
    assert_eq!(fx.sink.count(EventKind::AuthenticationFailed), 1);
}

#[tokio::test]
async fn cookie_and_custom_header_sources() {
    let fx = fixture();
    let app = app(
        &fx,
        layer(&fx)
            .cookie("access_token")
            .header(http::HeaderName::from_static("x-access-token")),
    );
    let cookie = format!("theme=dark; access_token={}; other=1", access(&fx));
    let (res, _) = send(&app, get_with("/me", header::COOKIE, &cookie)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (res, _) = send(
        &app,
        get_with(
            "/me",
            http::HeaderName::from_static("x-access-token"),
            &access(&fx),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    // Without the configuration, the cookie is ignored.
    let plain = app_plain(&fx);
    let (res, _) = send(&plain, get_with("/me", header::COOKIE, &cookie)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

fn app_plain(fx: &Fx) -> Router {
    app(fx, layer(fx))
}

#[tokio::test]
async fn anonymous_mode_lets_tokenless_requests_through_but_not_bad_tokens() {
    let fx = fixture();
    let app = app(&fx, layer(&fx).allow_anonymous());
    let (res, body) = send(&app, Request::get("/maybe").body(Body::empty()).unwrap()).await;
    assert_eq!((res.status(), body.as_str()), (StatusCode::OK, "anonymous"));
    let (res, body) = send(
        &app,
        get_with(
            "/maybe",
            header::AUTHORIZATION,
            &format!("Bearer {}", access(&fx)),
        ),
    )
    .await;
    assert_eq!((res.status(), body.as_str()), (StatusCode::OK, "alice"));
    let (res, _) = send(
        &app,
        get_with("/maybe", header::AUTHORIZATION, "Bearer not.a.token"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // A handler that needs a principal still refuses the anonymous caller.
    let (res, _) = send(&app, Request::get("/me").body(Body::empty()).unwrap()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_logged_out_token_is_refused_by_the_layer() {
    let fx = fixture();
    let app = app(&fx, layer(&fx));
    let m = fx.manager();
    let pair = m.issue_pair(&TokenRequest::new("alice")).await.unwrap();
    let bearer = format!("Bearer {}", pair.access_token);
    let (res, _) = send(&app, get_with("/me", header::AUTHORIZATION, &bearer)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let claims = fx.verifier.verify(&pair.access_token).await.unwrap();
    m.logout(&claims.to_principal()).await.unwrap();
    let (res, body) = send(&app, get_with("/me", header::AUTHORIZATION, &bearer)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(body.contains("\"code\":\"revoked\""));
}

#[tokio::test]
async fn the_response_can_be_replaced() {
    let fx = fixture();
    let custom = |r: &AuthRejection, p: Problem| {
        Response::builder()
            .status(p.status())
            .body(Body::from(format!("<h1>{}</h1>", r.error.code())))
            .unwrap()
    };
    let app = Router::new()
        .route("/me", get(me))
        .layer(layer(&fx).with_response(custom));
    let (res, body) = send(&app, Request::get("/me").body(Body::empty()).unwrap()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body, "<h1>missing</h1>");
}

#[tokio::test]
async fn jwks_route_serves_the_public_keys() {
    let fx = fixture();
    let app = app(&fx, layer(&fx));
    let (res, body) = send(
        &app,
        Request::get("/.well-known/jwks.json")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let jwks: rampart_auth::JwkSet = serde_json::from_str(&body).unwrap();
    assert_eq!(jwks.keys.len(), 1);
    assert_eq!(jwks.keys[0].common.key_id.as_deref(), Some(fx.kid.as_str()));
    assert!(!body.contains("\"d\""), "no private exponent");
    assert!(
        res.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
}

#[tokio::test]
async fn key_rotation_keeps_old_tokens_valid_until_retirement() {
    let fx = fixture();
    let app = app(&fx, layer(&fx));
    let old_token = access(&fx);
    let next = rampart_auth::SigningKey::generate(rampart_auth::Algorithm::ES256).unwrap();
    let next_kid = next.kid().to_owned();
    fx.keys.publish(next).unwrap();
    let (_, body) = send(
        &app,
        Request::get("/.well-known/jwks.json")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(body.contains(&next_kid), "published before it signs");
    assert_ne!(fx.keys.signing_kid().as_deref(), Some(next_kid.as_str()));
    fx.keys.activate(&next_kid).unwrap();
    let new_token = access(&fx);
    for t in [&old_token, &new_token] {
        let (res, _) = send(
            &app,
            get_with("/me", header::AUTHORIZATION, &format!("Bearer {t}")),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    fx.keys.retire(&fx.kid).unwrap();
    let (res, _) = send(
        &app,
        get_with("/me", header::AUTHORIZATION, &format!("Bearer {old_token}")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (res, _) = send(
        &app,
        get_with("/me", header::AUTHORIZATION, &format!("Bearer {new_token}")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn failing_store_answers_503_when_closed() {
    struct Down;
    impl rampart_auth::RevocationStore for Down {
        fn revoke_token<'a>(
            &'a self,
            _: &'a str,
            _: &'a str,
            _: u64,
        ) -> rampart_auth::revocation::StoreFuture<'a, ()> {
            Box::pin(async { Ok(()) })
        }
        fn revoke_family<'a>(
            &'a self,
            _: &'a str,
            _: &'a str,
            _: u64,
        ) -> rampart_auth::revocation::StoreFuture<'a, ()> {
            Box::pin(async { Ok(()) })
        }
        fn revoke_subject<'a>(
            &'a self,
            _: &'a str,
            _: u64,
            _: u64,
        ) -> rampart_auth::revocation::StoreFuture<'a, ()> {
            Box::pin(async { Ok(()) })
        }
        fn check<'a>(
            &'a self,
            _: rampart_auth::revocation::TokenRef<'a>,
            _: u64,
        ) -> rampart_auth::revocation::StoreFuture<'a, Option<rampart_auth::revocation::Revoked>>
        {
            Box::pin(async { Err(rampart_auth::StoreError("connection refused".into())) })
        }
    }
    let fx = fixture();
    let verifier = rampart_auth::JwtVerifier::builder(fx.keys.clone())
        .revocation(Arc::new(Down))
        .clock(fx.clock.shared())
        .event_sink(Arc::new(fx.sink.clone()))
        .build()
        .unwrap();
    let app = app(&fx, JwtAuthLayer::new(verifier).claims::<Extra>());
    let (res, body) = send(
        &app,
        get_with(
            "/me",
            header::AUTHORIZATION,
            &format!("Bearer {}", access(&fx)),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()[header::RETRY_AFTER], "5");
    assert!(body.contains("store_unavailable") && !body.contains("connection refused"));
    assert_eq!(fx.sink.count(EventKind::StoreFailure), 1);
}
