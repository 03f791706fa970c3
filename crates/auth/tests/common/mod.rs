//! Shared fixtures: a server key set, forged tokens, and store setup.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::KeyPair;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rampart_auth::{
    Algorithm, JwtIssuer, JwtVerifier, KeySet, MemoryStore, SigningKey, TokenManager,
};
use rampart_core::{ManualClock, MemorySink};
use serde_json::{Value, json};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub const NOW: u64 = 1_700_000_000;
pub const ISS: &str = "https://auth.example.com";
pub const AUD: &str = "api";

/// The server's RSA key as (private PKCS#8 PEM, public SPKI PEM), generated once.
pub fn rsa_pems() -> &'static (String, String) {
    static PEMS: OnceLock<(String, String)> = OnceLock::new();
    PEMS.get_or_init(|| {
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let private = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair).unwrap();
        let public =
            AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(pair.public_key()).unwrap();
        (
            pem("PRIVATE KEY", private.as_ref()),
            pem("PUBLIC KEY", public.as_ref()),
        )
    })
}

pub fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub struct Fx {
    pub clock: ManualClock,
    pub keys: KeySet,
    pub kid: String,
    pub issuer: JwtIssuer,
    pub verifier: JwtVerifier,
    pub store: Arc<MemoryStore>,
    pub sink: MemorySink,
}

/// A server signing RS256 (so the algorithm-confusion attacks have a public key to abuse).
pub fn fixture() -> Fx {
    fixture_with(
        SigningKey::from_pem(
            Algorithm::RS256,
            rsa_pems().0.as_bytes(),
            Some("rsa-1".into()),
        )
        .unwrap(),
    )
}

pub fn fixture_with(key: SigningKey) -> Fx {
    let clock = ManualClock::at_unix(NOW);
    let kid = key.kid().to_owned();
    let keys = KeySet::new(key);
    let store = Arc::new(MemoryStore::new(clock.shared()));
    let sink = MemorySink::new();
    let issuer = JwtIssuer::builder(keys.clone())
        .issuer(ISS)
        .audience([AUD])
        .access_ttl(Duration::from_secs(600))
        .refresh_ttl(Duration::from_secs(86_400))
        .clock(clock.shared())
        .build()
        .unwrap();
    let verifier = JwtVerifier::builder(keys.clone())
        .issuer(ISS)
        .audience([AUD])
        .leeway(Duration::from_secs(30))
        .revocation(store.clone())
        .clock(clock.shared())
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap();
    Fx {
        clock,
        keys,
        kid,
        issuer,
        verifier,
        store,
        sink,
    }
}

impl Fx {
    pub fn manager(&self) -> TokenManager {
        TokenManager::builder(
            self.issuer.clone(),
            self.verifier.clone(),
            self.store.clone(),
        )
        .insecure_skip_revalidation()
        .build()
        .unwrap()
    }

    pub fn header(&self) -> Value {
        json!({"alg": "RS256", "typ": "at+jwt", "kid": self.kid})
    }

    pub fn claims(&self) -> Value {
        json!({
            "iss": ISS, "aud": AUD, "sub": "alice", "exp": NOW + 600, "iat": NOW,
            "jti": "jti-1", "token_use": "access", "tenant": "acme", "roles": ["editor"]
        })
    }

    /// Signs `header.claims` with the server's real private key.
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(rsa_pems().0.as_bytes()).unwrap();
        forge(header, claims, |m| {
            jsonwebtoken::crypto::sign(m, &key, jsonwebtoken::Algorithm::RS256).unwrap()
        })
    }
}

/// `b64(header).b64(claims).sig(message)`.
pub fn forge(header: &Value, claims: &Value, sig: impl FnOnce(&[u8]) -> String) -> String {
    let message = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let s = sig(message.as_bytes());
    format!("{message}.{s}")
}

pub fn hmac_sign(secret: &[u8], message: &[u8]) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(secret);
    jsonwebtoken::crypto::sign(message, &key, jsonwebtoken::Algorithm::HS256).unwrap()
}

/// Redis URL for service-backed tests, or `None` (after saying so) when unset.
pub fn redis_url(test: &str) -> Option<String> {
    rampart_test_support::service_url("REDIS_URL", test)
}

/// The shared test cluster's node URLs (`REDIS_CLUSTER_URLS`), comma-separated.
pub fn redis_cluster_url(test: &str) -> Option<String> {
    rampart_test_support::redis_cluster_urls(test)
}

/// Two tests that run the enclosing suite's `on_redis(url)`: `redis` on the
/// single node and `redis_cluster` on the cluster, each skipped when its
/// variable is unset.
#[allow(unused_macros)]
macro_rules! redis_and_cluster {
    ($name:ident $(, $args:tt)?) => {
        #[cfg(feature = "redis")]
        #[tokio::test$($args)?]
        async fn redis() {
            let test = concat!(stringify!($name), "::redis");
            let Some(url) = rampart_test_support::service_url("REDIS_URL", test) else { return };
            on_redis(url).await;
        }

        #[cfg(feature = "redis")]
        #[tokio::test$($args)?]
        async fn redis_cluster() {
            let test = concat!(stringify!($name), "::redis_cluster");
            let Some(url) = rampart_test_support::redis_cluster_urls(test) else { return };
            on_redis(url).await;
        }
    };
}
#[allow(unused_imports)]
pub(crate) use redis_and_cluster;

pub fn corpus(path: &str) -> String {
    rampart_test_support::corpus(&format!("jwt/{path}"))
}
