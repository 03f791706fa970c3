//! Publishing the public keys at `/.well-known/jwks.json`.

use crate::jwt::key_set::KeySet;
use crate::jwt::rotation::KeyRotation;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, Request, Response, StatusCode};
use std::convert::Infallible;
use std::future::{Ready, ready};
use std::task::{Context, Poll};
use std::time::Duration;
use tower_service::Service;

/// A tower service answering every request with the key set's JWKS document.
///
/// The document is rendered per request from the live [`KeySet`], so a key
/// published for rotation appears at once. `Cache-Control: max-age` tells
/// relying parties how long they may cache it: publish a new key at least
/// that long before activating it.
///
/// ```
/// use rampart::auth::{Algorithm, JwksService, KeySet, SigningKey};
///
/// let keys = KeySet::new(SigningKey::generate(Algorithm::EdDSA)?);
/// let response = JwksService::new(keys).response();
/// assert_eq!(response.status(), 200);
/// assert!(response.body().contains("\"kty\":\"OKP\""));
/// # Ok::<(), rampart::auth::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct JwksService {
    keys: KeySet,
    cache_control: HeaderValue,
    rotation: Option<KeyRotation>,
}

impl JwksService {
    /// Serves `keys`' public half, cacheable for 5 minutes.
    pub fn new(keys: KeySet) -> Self {
        Self {
            keys,
            cache_control: HeaderValue::from_static("public, max-age=300"),
            rotation: None,
        }
    }

    /// How long clients may cache the document. Default 5 minutes.
    #[must_use]
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.cache_control =
            HeaderValue::from_str(&format!("public, max-age={}", max_age.as_secs()))
                .unwrap_or(HeaderValue::from_static("no-cache"));
        self
    }

    /// Takes due steps of `rotation` before each answer, so a key due for
    /// publication appears even while no token is being issued. Default: none.
    #[must_use]
    pub fn rotation(mut self, rotation: KeyRotation) -> Self {
        self.rotation = Some(rotation);
        self
    }

    /// The response, outside any framework.
    pub fn response(&self) -> Response<String> {
        if let Some(rotation) = &self.rotation {
            // Failures are reported by the rotation; the current keys are served.
            let _ = rotation.tick();
        }
        match serde_json::to_string(&self.keys.jwks()) {
            Ok(body) => {
                let mut response = Response::new(body);
                let headers = response.headers_mut();
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                headers.insert(CACHE_CONTROL, self.cache_control.clone());
                response
            }
            Err(_) => {
                let mut response = Response::new(String::new());
                *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                response
            }
        }
    }
}

impl<B> Service<Request<B>> for JwksService {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = Ready<Result<Response<String>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _req: Request<B>) -> Self::Future {
        ready(Ok(self.response()))
    }
}
