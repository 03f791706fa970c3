//! `JwtAuthLayer`: bearer token in, [`Principal`](rampart_core::Principal) out.

mod future;
mod rejection;
mod service;

pub use future::ResponseFuture;
pub use rejection::AuthRejection;
pub use service::JwtAuth;

use crate::account::AccountStatusCheck;
use crate::jwt::claims::NoCustomClaims;
use crate::jwt::verify::JwtVerifier;
use http::HeaderName;
use rampart_core::{ProblemResponse, SharedSink};
use std::marker::PhantomData;
use std::sync::Arc;
use tower_layer::Layer;

pub(crate) struct LayerConfig {
    pub(crate) verifier: JwtVerifier,
    pub(crate) cookie: Option<String>,
    pub(crate) header: Option<HeaderName>,
    pub(crate) anonymous: bool,
    pub(crate) sink: SharedSink,
    pub(crate) status: Option<AccountStatusCheck>,
}

/// Authenticates requests with a bearer JWT.
///
/// The token is read from `Authorization: Bearer ...` (and, if configured,
/// from a named cookie or header), verified by a [`JwtVerifier`] (signature,
/// claims, revocation), and on success the request gets a
/// [`Principal`](rampart_core::Principal) and the typed claims, as
/// `Arc<`[`Claims<C>`](crate::Claims)`>`, in its extensions. The claims are
/// shared with the verifier's verified-token cache rather than copied per
/// request: read them with `extensions().get::<Arc<Claims<C>>>()` or axum's
/// `Extension<Arc<Claims<C>>>`; the `Claims<C>` axum extractor copies them out. The principal is built by
/// [`JwtVerifier::authenticate`]: `org` becomes its org, and the claims named
/// in the verifier's [`principal_claims`](crate::JwtVerifierBuilder::principal_claims)
/// are copied into it, for authorisation rules that read them.
///
/// A refusal answers `401` with `WWW-Authenticate: Bearer error="invalid_token"`
/// (RFC 6750; plain `Bearer` when no token was sent) and a problem body naming
/// the kind of failure, never echoing the token. A revocation store that fails
/// while the verifier fails closed answers `503`. The typed
/// [`AuthRejection`] is attached to the response; replace the body with
/// [`with_response`](Self::with_response).
///
/// ```
/// use rampart::auth::{Algorithm, JwtAuthLayer, JwtVerifier, KeySet, SigningKey};
/// use tower::ServiceBuilder;
///
/// let keys = KeySet::new(SigningKey::generate(Algorithm::ES256)?);
/// let verifier = JwtVerifier::builder(keys).issuer("https://auth.example.com").build()?;
/// let layer = JwtAuthLayer::new(verifier).cookie("access_token");
/// let _stack = ServiceBuilder::new().layer(layer);
/// # Ok::<(), rampart::auth::ConfigError>(())
/// ```
pub struct JwtAuthLayer<C = NoCustomClaims, R = ProblemResponse> {
    config: Arc<LayerConfig>,
    responder: R,
    _claims: PhantomData<fn() -> C>,
}

impl<C, R: Clone> Clone for JwtAuthLayer<C, R> {
    fn clone(&self) -> Self {
        Self {
            config: self.config.clone(),
            responder: self.responder.clone(),
            _claims: PhantomData,
        }
    }
}

impl<C, R> std::fmt::Debug for JwtAuthLayer<C, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtAuthLayer")
            .field("cookie", &self.config.cookie)
            .field("header", &self.config.header)
            .field("anonymous", &self.config.anonymous)
            .finish_non_exhaustive()
    }
}

impl JwtAuthLayer {
    /// A layer verifying with `verifier`, requiring a token on every request.
    pub fn new(verifier: JwtVerifier) -> Self {
        let sink = verifier.settings.sink.clone();
        Self {
            config: Arc::new(LayerConfig {
                verifier,
                cookie: None,
                header: None,
                anonymous: false,
                sink,
                status: None,
            }),
            responder: ProblemResponse,
            _claims: PhantomData,
        }
    }
}

impl<C, R> JwtAuthLayer<C, R> {
    fn map_config(self, change: impl FnOnce(&mut LayerConfig)) -> Self {
        let old = &*self.config;
        let mut config = LayerConfig {
            verifier: old.verifier.clone(),
            cookie: old.cookie.clone(),
            header: old.header.clone(),
            anonymous: old.anonymous,
            sink: old.sink.clone(),
            status: old.status.clone(),
        };
        change(&mut config);
        Self {
            config: Arc::new(config),
            responder: self.responder,
            _claims: PhantomData,
        }
    }

    /// Also reads the token from the cookie `name` when there is no
    /// `Authorization` header (browser clients). Default: no cookie.
    #[must_use]
    pub fn cookie(self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.map_config(|c| c.cookie = Some(name))
    }

    /// Also reads the raw token from header `name` when there is no
    /// `Authorization` header. Default: none.
    #[must_use]
    pub fn header(self, name: HeaderName) -> Self {
        self.map_config(|c| c.header = Some(name))
    }

    /// Lets requests without any token through, without a `Principal`.
    /// A token that is present but invalid is still refused. Default: off.
    #[must_use]
    pub fn allow_anonymous(self) -> Self {
        self.map_config(|c| c.anonymous = true)
    }

    /// Where authentication failures are reported. Default: the verifier's sink.
    #[must_use]
    pub fn event_sink(self, sink: SharedSink) -> Self {
        self.map_config(|c| c.sink = sink)
    }

    /// Asks `check` on every authenticated request whether the account is
    /// still active: a disabled account is refused (`401`, code
    /// `account_disabled`) however fresh its token, and a status that cannot
    /// be asked answers `503` unless the check fails open. Default: not asked.
    #[must_use]
    pub fn account_status(self, check: AccountStatusCheck) -> Self {
        self.map_config(|c| c.status = Some(check))
    }

    /// Deserialises the application's claims as `C2` and inserts `Arc<Claims<C2>>`.
    pub fn claims<C2>(self) -> JwtAuthLayer<C2, R> {
        JwtAuthLayer {
            config: self.config,
            responder: self.responder,
            _claims: PhantomData,
        }
    }

    /// Replaces the rejection response (a [`RejectionResponse`](rampart_core::RejectionResponse)
    /// or a closure `Fn(&AuthRejection, Problem) -> Response<B>`).
    pub fn with_response<R2>(self, responder: R2) -> JwtAuthLayer<C, R2> {
        JwtAuthLayer {
            config: self.config,
            responder,
            _claims: PhantomData,
        }
    }
}

impl<S, C, R: Clone> Layer<S> for JwtAuthLayer<C, R> {
    type Service = JwtAuth<S, C, R>;

    fn layer(&self, inner: S) -> Self::Service {
        JwtAuth::new(inner, self.config.clone(), self.responder.clone())
    }
}
