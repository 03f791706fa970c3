//! The service `JwtAuthLayer` wraps around the application.

use super::{AuthRejection, LayerConfig, ResponseFuture};
use crate::account::AccountDecision;
use crate::error::AuthError;
use http::header::{AUTHORIZATION, COOKIE};
use http::{HeaderMap, Request, Response};
use rampart_core::{EventKind, ProblemResponse, RejectionResponse, SecurityEvent, reject};
use serde::de::DeserializeOwned;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower_service::Service;

/// Service built by [`JwtAuthLayer`](super::JwtAuthLayer).
pub struct JwtAuth<S, C, R = ProblemResponse> {
    inner: S,
    config: Arc<LayerConfig>,
    responder: R,
    _claims: PhantomData<fn() -> C>,
}

impl<S: Clone, C, R: Clone> Clone for JwtAuth<S, C, R> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            config: self.config.clone(),
            responder: self.responder.clone(),
            _claims: PhantomData,
        }
    }
}

impl<S: std::fmt::Debug, C, R> std::fmt::Debug for JwtAuth<S, C, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtAuth")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, C, R> JwtAuth<S, C, R> {
    pub(crate) fn new(inner: S, config: Arc<LayerConfig>, responder: R) -> Self {
        Self {
            inner,
            config,
            responder,
            _claims: PhantomData,
        }
    }
}

/// Finds the token: `Authorization: Bearer`, then the cookie, then the header.
/// `Ok(None)` means no credential at all.
fn find_token<'h>(
    config: &LayerConfig,
    headers: &'h HeaderMap,
) -> Result<Option<&'h str>, AuthError> {
    if let Some(value) = headers.get(AUTHORIZATION) {
        let value = value.to_str().map_err(|_| AuthError::Malformed)?;
        if let Some((scheme, token)) = value.split_once(' ')
            && scheme.eq_ignore_ascii_case("bearer")
        {
            let token = token.trim();
            return if token.is_empty() {
                Err(AuthError::Malformed)
            } else {
                Ok(Some(token))
            };
        }
    }
    if let Some(name) = &config.cookie {
        for value in headers.get_all(COOKIE) {
            let Ok(value) = value.to_str() else { continue };
            for pair in value.split(';') {
                if let Some((k, v)) = pair.trim().split_once('=')
                    && k == name
                    && !v.is_empty()
                {
                    return Ok(Some(v));
                }
            }
        }
    }
    if let Some(name) = &config.header
        && let Some(value) = headers.get(name)
    {
        let value = value.to_str().map_err(|_| AuthError::Malformed)?.trim();
        if !value.is_empty() {
            return Ok(Some(value));
        }
    }
    Ok(None)
}

impl<S, C, R, ReqBody, ResBody> Service<Request<ReqBody>> for JwtAuth<S, C, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Send + 'static,
    C: DeserializeOwned + Clone + Send + Sync + 'static,
    R: RejectionResponse<AuthRejection, ResBody>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<Response<ResBody>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        // The ready service is the one poll_ready prepared; a fresh clone stays behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let config = self.config.clone();
        let responder = self.responder.clone();
        ResponseFuture {
            inner: Box::pin(async move {
                let outcome = match find_token(&config, req.headers()) {
                    Ok(None) if config.anonymous => return inner.call(req).await,
                    Ok(None) => Err(AuthError::Missing),
                    Ok(Some(token)) => config.verifier.authenticate_shared::<C>(token).await,
                    Err(e) => Err(e),
                };
                let outcome = match (outcome, &config.status) {
                    (Ok((claims, principal)), Some(check)) => {
                        match check.check(principal.subject()).await {
                            AccountDecision::Active => Ok((claims, principal)),
                            AccountDecision::Inactive => Err(AuthError::AccountDisabled),
                            _ => Err(AuthError::StoreUnavailable),
                        }
                    }
                    (outcome, _) => outcome,
                };
                match outcome {
                    Ok((claims, principal)) => {
                        // `Arc<Claims<C>>`: shared with the verified-token
                        // cache; the `Claims<C>` extractor copies them out.
                        let extensions = req.extensions_mut();
                        extensions.insert(principal);
                        extensions.insert(claims);
                        inner.call(req).await
                    }
                    Err(error) => {
                        tracing::debug!(target: "rampart::auth", code = error.code(), "bearer token refused");
                        config.sink.emit(
                            SecurityEvent::new(
                                EventKind::AuthenticationFailed,
                                "rampart::auth",
                                error.code(),
                            )
                            .with_field("credential", rampart_core::CREDENTIAL_TOKEN)
                            .with_request_context(req.extensions()),
                        );
                        Ok(reject(&responder, AuthRejection { error }))
                    }
                }
            }),
        }
    }
}
