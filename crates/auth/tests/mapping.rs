//! Claim mapping into the `Principal`, and the external-provider preset.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::Router;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use common::*;
use rampart_auth::{AuthError, ConfigError, JwtAuthLayer, JwtVerifier, TokenUse};
use rampart_core::Principal;
use serde_json::{Value, json};
use tower::ServiceExt;

/// A provider-style access token: `typ: JWT`, no `jti`, no `token_use`.
fn provider_token(fx: &Fx, claims: Value) -> String {
    let mut all = json!({"iss": ISS, "aud": AUD, "sub": "alice", "exp": NOW + 600, "iat": NOW});
    for (k, v) in claims.as_object().unwrap() {
        all[k] = v.clone();
    }
    fx.sign(&json!({"alg": "RS256", "typ": "JWT", "kid": fx.kid}), &all)
}

fn external(fx: &Fx) -> rampart_auth::JwtVerifierBuilder {
    JwtVerifier::builder(fx.keys.clone())
        .external_provider()
        .issuer(ISS)
        .audience([AUD])
        .clock(fx.clock.shared())
}

#[tokio::test]
async fn named_claims_become_tenant_org_and_roles() {
    let fx = fixture();
    let verifier = external(&fx)
        .tenant_claim("tid")
        .org_claim("https://example.com/org")
        .roles_claim(["realm_access", "roles"])
        .build()
        .unwrap();
    let token = provider_token(
        &fx,
        json!({
            "tid": "acme",
            "https://example.com/org": "sales",
            "realm_access": {"roles": ["editor", "auditor"]},
            // rampart's own names are not read once mapped elsewhere
            "tenant": "globex",
            "roles": ["admin"],
        }),
    );
    let (_, p) = verifier.authenticate(&token).await.unwrap();
    assert_eq!(p.tenant(), Some("acme"));
    assert_eq!(p.org(), Some("sales"));
    assert_eq!(p.roles(), ["editor", "auditor"]);
    assert!(
        p.claims().is_empty(),
        "mapped claims are not copied: {:?}",
        p.claims()
    );
}

#[tokio::test]
async fn a_scope_string_splits_into_roles_and_integers_are_tenants() {
    let fx = fixture();
    let verifier = external(&fx)
        .tenant_claim("tenant_id")
        .roles_claim("scope")
        .build()
        .unwrap();
    let token = provider_token(
        &fx,
        json!({"tenant_id": 42, "scope": "items:read items:write"}),
    );
    let (_, p) = verifier.authenticate(&token).await.unwrap();
    assert_eq!(p.tenant(), Some("42"));
    assert_eq!(p.roles(), ["items:read", "items:write"]);
}

#[tokio::test]
async fn absent_mapped_claims_mean_no_tenant_and_no_role() {
    let fx = fixture();
    let verifier = external(&fx)
        .tenant_claim("tid")
        .roles_claim("groups")
        .build()
        .unwrap();
    let token = provider_token(&fx, json!({"tenant": "acme", "roles": ["admin"]}));
    let (_, p) = verifier.authenticate(&token).await.unwrap();
    assert_eq!(p.tenant(), None);
    assert!(p.roles().is_empty());
}

#[tokio::test]
async fn mapped_claims_of_the_wrong_type_refuse_the_token() {
    let fx = fixture();
    let verifier = external(&fx)
        .tenant_claim("tid")
        .roles_claim("groups")
        .build()
        .unwrap();
    for claims in [
        json!({"tid": ["acme", "globex"]}),
        json!({"tid": {"id": "acme"}}),
        json!({"tid": ""}),
        json!({"groups": [{"name": "admin"}]}),
        json!({"groups": ["admin", 7]}),
        json!({"groups": true}),
    ] {
        let token = provider_token(&fx, claims.clone());
        assert_eq!(
            verifier.authenticate(&token).await.unwrap_err(),
            AuthError::InvalidClaim,
            "{claims}"
        );
    }
}

#[tokio::test]
async fn the_principal_mapper_sees_every_claim_and_may_refuse() {
    let fx = fixture();
    let verifier = external(&fx)
        .tenant_claim("tid")
        .map_principal(|p, claims| {
            if claims.get("suspended") == Some(&json!(true)) {
                return Err(AuthError::InvalidClaim);
            }
            // Runs after the named mapping.
            assert_eq!(p.tenant(), Some("acme"));
            let plan = claims["plan"].as_str().unwrap_or("free").to_owned();
            Ok(p.with_claim("plan", plan))
        })
        .build()
        .unwrap();
    let token = provider_token(&fx, json!({"tid": "acme", "plan": "pro"}));
    let (_, p) = verifier.authenticate(&token).await.unwrap();
    assert_eq!(p.claim("plan"), Some(&json!("pro")));
    let suspended = provider_token(&fx, json!({"tid": "acme", "suspended": true}));
    assert_eq!(
        verifier.authenticate(&suspended).await.unwrap_err(),
        AuthError::InvalidClaim
    );
}

#[tokio::test]
async fn the_layer_uses_the_mapping_and_answers_401_for_a_bad_claim() {
    let fx = fixture();
    let verifier = external(&fx)
        .tenant_claim("tid")
        .roles_claim("groups")
        .build()
        .unwrap();
    let app = Router::new()
        .route(
            "/me",
            get(|req: axum::extract::Request| async move {
                let p = req.extensions().get::<Principal>().unwrap();
                format!("{}|{}", p.tenant().unwrap_or("-"), p.roles().join(","))
            }),
        )
        .layer(JwtAuthLayer::new(verifier));
    let call = |token: String| {
        app.clone().oneshot(
            Request::get("/me")
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
    };
    let ok = call(provider_token(
        &fx,
        json!({"tid": "acme", "groups": ["ops"]}),
    ))
    .await
    .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let body = axum::body::to_bytes(ok.into_body(), 1024).await.unwrap();
    assert_eq!(&body[..], b"acme|ops");
    let bad = call(provider_token(&fx, json!({"tid": ["acme"]})))
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    let body = axum::body::to_bytes(bad.into_body(), 4096).await.unwrap();
    let problem: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["code"], "invalid_claim");
}

#[tokio::test]
async fn the_external_preset_accepts_what_providers_send() {
    let fx = fixture();
    let verifier = external(&fx).build().unwrap();
    // typ JWT, no jti, no token_use
    let token = provider_token(&fx, json!({}));
    assert!(verifier.verify(&token).await.is_ok());
    // no typ at all
    let all = json!({"iss": ISS, "aud": AUD, "sub": "alice", "exp": NOW + 600, "iat": NOW});
    let untyped = fx.sign(&json!({"alg": "RS256", "kid": fx.kid}), &all);
    assert!(verifier.verify(&untyped).await.is_ok());
    // RFC 9068 tokens too
    let typed = fx.sign(
        &json!({"alg": "RS256", "typ": "at+jwt", "kid": fx.kid}),
        &all,
    );
    assert!(verifier.verify(&typed).await.is_ok());
}

#[tokio::test]
async fn the_external_preset_still_checks_everything_else() {
    let fx = fixture();
    let verifier = external(&fx).build().unwrap();
    let cases = [
        (json!({"aud": "another-app"}), AuthError::WrongAudience),
        (
            json!({"iss": "https://evil.example"}),
            AuthError::WrongIssuer,
        ),
        (json!({"exp": NOW - 60}), AuthError::Expired),
        (json!({"token_use": "refresh"}), AuthError::WrongTokenUse),
    ];
    for (claims, expected) in cases {
        let token = provider_token(&fx, claims.clone());
        assert_eq!(
            verifier.verify(&token).await.unwrap_err(),
            expected,
            "{claims}"
        );
    }
    let no_sub = fx.sign(
        &json!({"alg": "RS256", "typ": "JWT", "kid": fx.kid}),
        &json!({"iss": ISS, "aud": AUD, "exp": NOW + 600, "iat": NOW}),
    );
    assert_eq!(
        verifier.verify(&no_sub).await.unwrap_err(),
        AuthError::MissingClaim("sub")
    );
    // Refresh tokens are rampart's own, whatever the preset.
    let refresh = provider_token(&fx, json!({}));
    assert_eq!(
        verifier
            .verify_as(&refresh, TokenUse::Refresh)
            .await
            .unwrap_err(),
        AuthError::WrongType
    );
    // An ID-token-like `typ` is not an access token.
    let id_token = fx.sign(
        &json!({"alg": "RS256", "typ": "id+jwt", "kid": fx.kid}),
        &json!({"iss": ISS, "aud": AUD, "sub": "alice", "exp": NOW + 600, "iat": NOW}),
    );
    assert_eq!(
        verifier.verify(&id_token).await.unwrap_err(),
        AuthError::WrongType
    );
}

#[test]
fn the_external_preset_needs_an_issuer_and_an_audience() {
    let fx = fixture();
    let no_audience = JwtVerifier::builder(fx.keys.clone())
        .external_provider()
        .issuer(ISS)
        .build()
        .unwrap_err();
    assert!(matches!(
        no_audience,
        ConfigError::Invalid {
            name: "audience",
            ..
        }
    ));
    let no_issuer = JwtVerifier::builder(fx.keys.clone())
        .external_provider()
        .audience([AUD])
        .build()
        .unwrap_err();
    assert!(matches!(
        no_issuer,
        ConfigError::Invalid { name: "issuer", .. }
    ));
}

#[test]
fn empty_claim_paths_are_refused_at_build() {
    let fx = fixture();
    for verifier in [
        JwtVerifier::builder(fx.keys.clone()).tenant_claim(""),
        JwtVerifier::builder(fx.keys.clone()).org_claim(Vec::new()),
        JwtVerifier::builder(fx.keys.clone()).roles_claim(["realm_access", ""]),
    ] {
        assert!(matches!(verifier.build(), Err(ConfigError::Invalid { .. })));
    }
}

#[tokio::test]
async fn rampart_tokens_keep_their_default_mapping() {
    let fx = fixture();
    let token = fx.sign(&fx.header(), &fx.claims());
    let (_, p) = fx.verifier.authenticate(&token).await.unwrap();
    assert_eq!(p.tenant(), Some("acme"));
    assert_eq!(p.roles(), ["editor"]);
}
