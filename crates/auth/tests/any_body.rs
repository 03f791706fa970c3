//! `JwtAuthLayer` over a service whose response body cannot be built from
//! bytes (as tonic's body cannot): the responder alone builds refusals, so the
//! layer asks nothing of the body type.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use http::{Request, Response, StatusCode};
use rampart_auth::{AuthRejection, JwtAuthLayer, TokenRequest, TokenUse};
use rampart_core::{Principal, Problem};
use std::convert::Infallible;
use tower::{ServiceBuilder, ServiceExt, service_fn};

/// A body with nothing but a default: no `From<Bytes>`.
#[derive(Debug, Default, PartialEq)]
struct Opaque(Option<String>);

fn refusal(_: &AuthRejection, problem: Problem) -> Response<Opaque> {
    let mut response = Response::new(Opaque::default());
    *response.status_mut() = problem.status();
    response
}

async fn call(fx: &Fx, token: Option<&str>) -> Response<Opaque> {
    let service = ServiceBuilder::new()
        .layer(JwtAuthLayer::new(fx.verifier.clone()).with_response(refusal))
        .service(service_fn(|req: Request<()>| async move {
            let who = req
                .extensions()
                .get::<Principal>()
                .map(|p| p.subject().to_owned());
            Ok::<_, Infallible>(Response::new(Opaque(who)))
        }));
    let mut request = Request::builder();
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    service.oneshot(request.body(()).unwrap()).await.unwrap()
}

#[tokio::test]
async fn a_body_without_from_bytes_carries_both_answers() {
    let fx = fixture();
    let token = fx
        .issuer
        .issue(
            &TokenRequest::new("alice"),
            TokenUse::Access,
            None,
            &serde_json::json!({}),
        )
        .unwrap()
        .token;
    let admitted = call(&fx, Some(&token)).await;
    assert_eq!(admitted.status(), StatusCode::OK);
    assert_eq!(admitted.body(), &Opaque(Some("alice".into())));

    let missing = call(&fx, None).await;
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(missing.body(), &Opaque(None));
    assert!(missing.extensions().get::<AuthRejection>().is_some());

    let forged = call(&fx, Some("e30.e30.c2ln")).await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    assert!(forged.extensions().get::<AuthRejection>().is_some());
}
