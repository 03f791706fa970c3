//! Building the checked resource from the request.

use crate::Resource;
use http::request::Parts;
use std::fmt;
use std::sync::Arc;

/// Which resource field a path parameter fills (declared only with the `axum` feature).
#[cfg_attr(not(feature = "axum"), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Id,
    Tenant,
    Org,
    Owner,
}

type Closure = dyn Fn(&Parts, Resource<'static>) -> Option<Resource<'static>> + Send + Sync;

/// How the layer builds the resource: path parameters first, then the closure.
#[derive(Clone, Default)]
pub(crate) struct ResourceSpec {
    pub(crate) params: Vec<(Field, Arc<str>)>,
    pub(crate) closure: Option<Arc<Closure>>,
}

impl fmt::Debug for ResourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceSpec")
            .field("params", &self.params)
            .field("closure", &self.closure.is_some())
            .finish()
    }
}

impl ResourceSpec {
    /// The resource for this request, or `None` when a declared part is missing.
    pub(crate) fn extract(&self, kind: &str, parts: &mut Parts) -> Option<Resource<'static>> {
        let mut resource = Resource::new(kind.to_owned());
        if !self.params.is_empty() {
            let params = path_params(parts)?;
            for (field, name) in &self.params {
                let value = params
                    .iter()
                    .find(|(n, _)| n == &**name)
                    .map(|(_, v)| v.clone())?;
                resource = match field {
                    Field::Id => resource.with_id(value),
                    Field::Tenant => resource.with_tenant(value),
                    Field::Org => resource.with_org(value),
                    Field::Owner => resource.with_owner(value),
                };
            }
        }
        match &self.closure {
            Some(f) => f(parts, resource),
            None => Some(resource),
        }
    }
}

/// The route's path parameters, as the router captured them.
#[cfg(feature = "axum")]
fn path_params(parts: &mut Parts) -> Option<Vec<(String, String)>> {
    use axum::extract::{FromRequestParts, RawPathParams};
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    // Extracting `RawPathParams` only reads the request extensions; its future is
    // ready on the first poll, so the layer needs no async step for it.
    let mut future = std::pin::pin!(RawPathParams::from_request_parts(parts, &()));
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(Ok(params)) => Some(
            params
                .iter()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect(),
        ),
        _ => None,
    }
}

/// Without a router there are no path parameters: the layer's builder refuses to
/// declare them, so this is never reached with parameters to find.
#[cfg(not(feature = "axum"))]
fn path_params(_parts: &mut Parts) -> Option<Vec<(String, String)>> {
    None
}
