//! OpenID Connect discovery and the HTTPS JWKS fetcher, against a provider
//! served on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "oidc")]

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use rampart_auth::remote::{DiscoveryError, RemoteJwks};
use rampart_auth::{
    Algorithm, AuthError, JwtAuthLayer, JwtIssuer, JwtVerifier, KeySet, SigningKey, TokenRequest,
};
use rampart_core::Principal;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tower::ServiceExt;

struct Provider {
    base: String,
    issuer: JwtIssuer,
    down: Arc<AtomicBool>,
}

/// A provider at `http://127.0.0.1:<port>` with a few misbehaving tenants:
/// `/liar` names another issuer, `/cleartext` points its keys at a non-loopback
/// http URL, `/huge` serves a key set too large to read.
async fn provider() -> Provider {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let keys = KeySet::new(SigningKey::generate(Algorithm::ES256).unwrap());
    let issuer = JwtIssuer::builder(keys.clone())
        .issuer(base.clone())
        .audience(["https://api.example.com"])
        .build()
        .unwrap();
    let down = Arc::new(AtomicBool::new(false));
    let jwks = serde_json::to_string(&keys.jwks()).unwrap();
    let metadata = |issuer: String, jwks_uri: String| {
        json!({ "issuer": issuer, "jwks_uri": jwks_uri, "response_types_supported": ["code"] })
            .to_string()
    };
    let (own, liar, cleartext, huge) = (
        metadata(base.clone(), format!("{base}/jwks")),
        metadata(
            "https://someone-else.example".into(),
            format!("{base}/jwks"),
        ),
        metadata(
            format!("{base}/cleartext"),
            "http://keys.example.com/jwks".into(),
        ),
        metadata(format!("{base}/huge"), format!("{base}/huge/jwks")),
    );
    let is_down = down.clone();
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { own }),
        )
        .route(
            "/jwks",
            get(move || {
                let (jwks, down) = (jwks.clone(), is_down.load(Ordering::SeqCst));
                async move {
                    if down {
                        Err(StatusCode::INTERNAL_SERVER_ERROR)
                    } else {
                        Ok(jwks)
                    }
                }
            }),
        )
        .route(
            "/liar/.well-known/openid-configuration",
            get(move || async move { liar }),
        )
        .route(
            "/cleartext/.well-known/openid-configuration",
            get(move || async move { cleartext }),
        )
        .route(
            "/huge/.well-known/openid-configuration",
            get(move || async move { huge }),
        )
        .route(
            "/huge/jwks",
            get(|| async { format!("{{\"keys\":[],\"pad\":\"{}\"}}", "x".repeat(300 * 1024)) }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Provider { base, issuer, down }
}

#[tokio::test]
async fn an_external_providers_tokens_verify_in_five_lines() {
    let p = provider().await;
    let token = p
        .issuer
        .issue_access(&TokenRequest::new("alice").tenant("acme"))
        .unwrap()
        .token;

    let remote = RemoteJwks::discover(&p.base).await.unwrap();
    let verifier = JwtVerifier::external(remote)
        .audience(["https://api.example.com"])
        .build()
        .unwrap();
    let (_, principal) = verifier.authenticate(&token).await.unwrap();
    assert_eq!(principal.subject(), "alice");
    assert_eq!(principal.tenant(), Some("acme"));

    // And through the layer.
    let app = Router::new()
        .route(
            "/me",
            get(|req: axum::extract::Request| async move {
                req.extensions()
                    .get::<Principal>()
                    .unwrap()
                    .subject()
                    .to_owned()
            }),
        )
        .layer(JwtAuthLayer::new(verifier));
    let response = app
        .oneshot(
            axum::http::Request::get("/me")
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn discovery_refuses_metadata_naming_another_issuer() {
    let p = provider().await;
    let err = RemoteJwks::discover(&format!("{}/liar", p.base))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DiscoveryError::IssuerMismatch { found, .. } if found == "https://someone-else.example"),
        "{err}"
    );
}

#[tokio::test]
async fn discovery_refuses_a_key_set_in_clear_text() {
    let p = provider().await;
    let err = RemoteJwks::discover(&format!("{}/cleartext", p.base))
        .await
        .unwrap_err();
    assert!(matches!(err, DiscoveryError::InvalidUrl { .. }), "{err}");
}

#[tokio::test]
async fn discovery_reports_an_unreachable_or_missing_provider() {
    let p = provider().await;
    let err = RemoteJwks::discover(&format!("{}/nobody", p.base))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DiscoveryError::Fetch { reason, .. } if reason.contains("404")),
        "{err}"
    );
    let err = RemoteJwks::discover("http://127.0.0.1:9")
        .await
        .unwrap_err();
    assert!(matches!(err, DiscoveryError::Fetch { .. }), "{err}");
}

#[tokio::test]
async fn oversized_documents_are_refused_and_cached_keys_kept() {
    let p = provider().await;
    let huge = RemoteJwks::discover(&format!("{}/huge", p.base))
        .await
        .unwrap();
    let err = huge.refresh().await.unwrap_err();
    assert!(err.to_string().contains("larger than"), "{err}");
}

#[tokio::test]
async fn a_provider_outage_serves_cached_keys() {
    let p = provider().await;
    let remote = Arc::new(RemoteJwks::from_url(&format!("{}/jwks", p.base)).unwrap());
    assert_eq!(remote.refresh().await.unwrap(), 1);
    p.down.store(true, Ordering::SeqCst);
    let err = remote.refresh().await.unwrap_err();
    assert!(err.to_string().contains("500"), "{err}");
    let verifier = JwtVerifier::builder(remote.keys().clone())
        .issuer(p.base.clone())
        .key_refresher(remote.clone())
        .build()
        .unwrap();
    let token = p
        .issuer
        .issue_access(&TokenRequest::new("alice"))
        .unwrap()
        .token;
    assert!(verifier.verify(&token).await.is_ok());
    // A token signed by a key the provider never published is still refused.
    let stranger = JwtIssuer::builder(KeySet::new(SigningKey::generate(Algorithm::ES256).unwrap()))
        .issuer(p.base.clone())
        .build()
        .unwrap()
        .issue_access(&TokenRequest::new("mallory"))
        .unwrap()
        .token;
    assert_eq!(
        verifier.verify(&stranger).await.unwrap_err(),
        AuthError::UnknownKey
    );
}

#[tokio::test]
async fn a_provider_config_discovers_loads_and_maps() {
    let p = provider().await;
    let config: rampart_auth::remote::ProviderConfig = toml::from_str(&format!(
        r#"
        issuer = "{}"
        audience = "https://api.example.com"
        roles_claim = ["realm_access", "roles"]
        "#,
        p.base
    ))
    .unwrap();
    let verifier = config.build().await.unwrap();
    let token = p
        .issuer
        .issue_access(&TokenRequest::new("alice").roles(["ignored"]))
        .unwrap()
        .token;
    let (_, principal) = verifier.authenticate(&token).await.unwrap();
    assert!(
        principal.roles().is_empty(),
        "roles come from realm_access.roles only"
    );

    // A direct JWKS URL skips discovery.
    let direct = rampart_auth::remote::ProviderConfig {
        jwks_url: Some(format!("{}/jwks", p.base)),
        ..config.clone()
    };
    assert!(direct.build().await.unwrap().verify(&token).await.is_ok());

    // Misconfiguration and an unreachable provider fail at start-up, not per request.
    let no_audience = rampart_auth::remote::ProviderConfig {
        audience: vec![],
        ..config.clone()
    };
    assert!(matches!(
        no_audience.build().await.unwrap_err(),
        DiscoveryError::Config(_)
    ));
    p.down.store(true, Ordering::SeqCst);
    assert!(matches!(
        direct.build().await.unwrap_err(),
        DiscoveryError::Fetch { .. }
    ));
    assert!(
        toml::from_str::<rampart_auth::remote::ProviderConfig>("issuer = 'x'\naudence = 'typo'")
            .is_err()
    );
}

/// The largest document the fetcher reads (256 KiB).
const MAX_DOCUMENT: usize = 256 * 1024;

/// A JWKS document of exactly `size` bytes holding `keys`' keys.
fn padded_jwks(keys: &KeySet, size: usize) -> Vec<u8> {
    let jwks = serde_json::to_string(&keys.jwks()).unwrap();
    let head = format!("{},\"pad\":\"", jwks.strip_suffix('}').unwrap());
    let pad = size - head.len() - 2;
    format!("{head}{}\"}}", "x".repeat(pad)).into_bytes()
}

/// Serves `body` to every connection, with a `Content-Length` or, when
/// `chunked`, in 64 KiB chunks without one.
async fn raw_server(body: Vec<u8>, chunked: bool) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    let body = Arc::new(body);
    tokio::spawn(async move {
        loop {
            let (mut tcp, _) = listener.accept().await.unwrap();
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = tcp.read(&mut request).await;
                let mut out = Vec::new();
                if chunked {
                    out.extend_from_slice(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n");
                    for chunk in body.chunks(64 * 1024) {
                        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                        out.extend_from_slice(chunk);
                        out.extend_from_slice(b"\r\n");
                    }
                    out.extend_from_slice(b"0\r\n\r\n");
                } else {
                    out.extend_from_slice(
                        format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len()).as_bytes(),
                    );
                    out.extend_from_slice(&body);
                }
                let _ = tcp.write_all(&out).await;
                let _ = tcp.shutdown().await;
            });
        }
    });
    url
}

#[tokio::test]
async fn documents_up_to_the_limit_are_read_and_one_byte_more_is_refused() {
    let keys = KeySet::new(SigningKey::generate(Algorithm::ES256).unwrap());
    for chunked in [false, true] {
        let fits = raw_server(padded_jwks(&keys, MAX_DOCUMENT), chunked).await;
        let remote = RemoteJwks::from_url(&fits).unwrap();
        assert_eq!(remote.refresh().await.unwrap(), 1, "chunked: {chunked}");

        let over = raw_server(padded_jwks(&keys, MAX_DOCUMENT + 1), chunked).await;
        let err = RemoteJwks::from_url(&over)
            .unwrap()
            .refresh()
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("larger than"),
            "chunked: {chunked}: {err}"
        );
    }
}
