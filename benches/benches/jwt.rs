//! JWT verification: rampart's full check (header rules, signature, claims,
//! revocation lookup in a memory store) beside raw `jsonwebtoken::decode`
//! validating the same `exp`, `iss` and `aud`, per algorithm; and the
//! `JwtAuthLayer` around a trivial handler beside verification alone.

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use http::{Request, Response, header};
use jsonwebtoken::{DecodingKey, Validation, decode};
use rampart_auth::{
    Algorithm, JwtAuthLayer, JwtIssuer, JwtVerifier, KeySet, MemoryStore, NoCustomClaims,
    SigningKey, TokenRequest, TokenUse,
};
use serde::Deserialize;
use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use tower::{Layer, Service, service_fn};

const ISS: &str = "https://auth.example.com";
const AUD: &str = "api";

/// The same claims rampart reads, as a plain serde struct for raw decode.
#[derive(Deserialize)]
#[allow(dead_code)]
struct RawClaims {
    iss: String,
    sub: String,
    aud: String,
    exp: u64,
    iat: u64,
    jti: String,
    token_use: String,
    tenant: String,
    roles: Vec<String>,
    sid: String,
}

struct Setup {
    token: String,
    verifier: JwtVerifier,
    raw_key: DecodingKey,
    raw_validation: Validation,
}

fn setup(alg: Algorithm) -> Setup {
    let key = SigningKey::generate(alg).expect("key generation");
    let raw_key = match key.verification_key().public_jwk() {
        Some(jwk) => DecodingKey::from_jwk(jwk).expect("public key"),
        None => unreachable!("HMAC is set up separately"),
    };
    build(key, raw_key, alg)
}

fn setup_hmac() -> Setup {
    let secret = [7u8; 32];
    let key = SigningKey::hmac(Algorithm::HS256, &secret, "hs-1").expect("hmac key");
    build(key, DecodingKey::from_secret(&secret), Algorithm::HS256)
}

fn build(key: SigningKey, raw_key: DecodingKey, alg: Algorithm) -> Setup {
    let keys = KeySet::new(key);
    let issuer = JwtIssuer::builder(keys.clone())
        .issuer(ISS)
        .audience([AUD])
        .build()
        .expect("issuer");
    let verifier = JwtVerifier::builder(keys)
        .issuer(ISS)
        .audience([AUD])
        .revocation(Arc::new(MemoryStore::default()))
        .build()
        .expect("verifier");
    let token = issuer
        .issue(
            &TokenRequest::new("alice").tenant("acme").roles(["editor"]),
            TokenUse::Access,
            Some("family-1"),
            &NoCustomClaims {},
        )
        .expect("token")
        .token;
    let mut raw_validation = Validation::new(jsonwebtoken_alg(alg));
    raw_validation.set_issuer(&[ISS]);
    raw_validation.set_audience(&[AUD]);
    Setup {
        token,
        verifier,
        raw_key,
        raw_validation,
    }
}

fn jsonwebtoken_alg(alg: Algorithm) -> jsonwebtoken::Algorithm {
    match alg {
        Algorithm::HS256 => jsonwebtoken::Algorithm::HS256,
        Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
        Algorithm::RS256 => jsonwebtoken::Algorithm::RS256,
        Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
        other => unreachable!("not benchmarked: {other}"),
    }
}

/// Polls a future that is ready at once (the memory store never waits).
fn now<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => unreachable!("memory store answers at once"),
    }
}

fn verification(c: &mut Criterion) {
    let cases = [
        ("HS256", setup_hmac()),
        ("ES256", setup(Algorithm::ES256)),
        ("RS256", setup(Algorithm::RS256)),
        ("EdDSA", setup(Algorithm::EdDSA)),
    ];
    for (name, s) in &cases {
        let mut group = c.benchmark_group(format!("jwt_verify/{name}"));
        group.bench_function("jsonwebtoken_decode", |b| {
            b.iter(|| {
                decode::<RawClaims>(black_box(&s.token), &s.raw_key, &s.raw_validation)
                    .expect("raw decode")
            })
        });
        group.bench_function("rampart_verify", |b| {
            b.iter(|| now(s.verifier.verify(black_box(&s.token))).expect("verify"))
        });
        group.finish();
    }
}

fn layer(c: &mut Criterion) {
    let s = setup_hmac();
    let handler =
        service_fn(|_req: Request<()>| async { Ok::<_, Infallible>(Response::new(Bytes::new())) });
    let mut bare = handler;
    let mut svc = JwtAuthLayer::new(s.verifier.clone()).layer(handler);
    let bearer = format!("Bearer {}", s.token);
    let mut group = c.benchmark_group("jwt_layer/HS256");
    group.bench_function("verify_only", |b| {
        b.iter(|| now(s.verifier.verify(black_box(&s.token))).expect("verify"))
    });
    // The same request to the handler without the layer: what the layer adds
    // is layer_request - no_layer - verify_only.
    group.bench_function("no_layer", |b| {
        b.iter(|| {
            let req = Request::builder()
                .header(header::AUTHORIZATION, bearer.as_str())
                .body(())
                .expect("request");
            now(bare.call(black_box(req))).expect("infallible")
        })
    });
    group.bench_function("layer_request", |b| {
        b.iter(|| {
            let req = Request::builder()
                .header(header::AUTHORIZATION, bearer.as_str())
                .body(())
                .expect("request");
            let response = now(svc.call(black_box(req))).expect("infallible");
            assert_eq!(response.status(), 200);
            response
        })
    });
    group.finish();
}

criterion_group!(benches, verification, layer);
criterion_main!(benches);
