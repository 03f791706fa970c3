//! axum extractors and the JWKS route.

use crate::error::AuthError;
use crate::jwks::JwksService;
use crate::jwt::claims::Claims;
use crate::jwt::key_set::KeySet;
use crate::layer::AuthRejection;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get_service};
use http::request::Parts;
use rampart_core::{Principal, Rejection};
use std::convert::Infallible;
use std::sync::Arc;

/// The authenticated caller, put there by [`JwtAuthLayer`](crate::JwtAuthLayer).
///
/// Without a `Principal` in the request (no layer, or anonymous mode and no
/// token) the extractor answers 401. Use `Option<Authenticated>` on routes
/// that also serve anonymous callers.
///
/// ```
/// use rampart::auth::axum::Authenticated;
///
/// async fn me(Authenticated(who): Authenticated) -> String {
///     format!("{} in {:?}", who.subject(), who.tenant())
/// }
/// let _app: axum::Router = axum::Router::new().route("/me", axum::routing::get(me));
/// ```
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

/// The 401 an extractor answers when the layer left no credential.
#[derive(Debug, Clone, Copy)]
pub struct Unauthenticated;

impl IntoResponse for Unauthenticated {
    fn into_response(self) -> Response {
        AuthRejection {
            error: AuthError::Missing,
        }
        .to_problem()
        .into_response()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = Unauthenticated;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Authenticated)
            .ok_or(Unauthenticated)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Authenticated {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Authenticated))
    }
}

/// The typed claims of the verified token (the layer must use the same `C`:
/// `JwtAuthLayer::new(v).claims::<C>()`).
///
/// The layer keeps them in the extensions as `Arc<Claims<C>>`, shared with
/// its verified-token cache; this extractor copies them out for the handler
/// that asks. A handler that only reads them can take
/// `Extension<Arc<Claims<C>>>` instead and copy nothing.
impl<S: Send + Sync, C: Clone + Send + Sync + 'static> FromRequestParts<S> for Claims<C> {
    type Rejection = Unauthenticated;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        shared_claims(parts).ok_or(Unauthenticated)
    }
}

/// A copy of the claims the layer inserted, if any.
fn shared_claims<C: Clone + Send + Sync + 'static>(parts: &Parts) -> Option<Claims<C>> {
    parts
        .extensions
        .get::<Arc<Claims<C>>>()
        .map(|claims| Claims::clone(claims))
}

impl<S: Send + Sync, C: Clone + Send + Sync + 'static> OptionalFromRequestParts<S> for Claims<C> {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(shared_claims(parts))
    }
}

/// A `GET` route serving `keys` as a JWKS document, for
/// `Router::route("/.well-known/jwks.json", jwks_route(keys))`.
pub fn jwks_route<S: Clone + Send + Sync + 'static>(keys: KeySet) -> MethodRouter<S> {
    get_service(JwksService::new(keys))
}

/// The request's [`Session`](crate::session::Session), put there by
/// [`SessionLayer`](crate::session::SessionLayer). Without the layer the
/// extractor answers `500` problem JSON: a routing mistake, not the client's.
///
/// ```
/// use rampart::auth::session::Session;
///
/// async fn logout(session: Session) -> &'static str {
///     let _ = session.destroy().await;
///     "signed out"
/// }
/// let _app: axum::Router = axum::Router::new().route("/logout", axum::routing::post(logout));
/// ```
#[cfg(feature = "session")]
impl<S: Send + Sync> FromRequestParts<S> for crate::session::Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<crate::session::Session>()
            .cloned()
            .ok_or_else(|| {
                tracing::error!(target: "rampart::auth", "Session extractor used without SessionLayer");
                rampart_core::Problem::internal()
                    .with_detail("sessions are not configured for this route")
                    .into_response()
            })
    }
}
