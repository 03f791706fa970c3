//! Building the checked resource from the request.

use crate::Resource;
use http::request::Parts;
use std::fmt;
use std::sync::Arc;

/// Which resource field a path parameter fills.
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
    pub(crate) template: Option<Arc<[Part]>>,
    pub(crate) closure: Option<Arc<Closure>>,
}

impl fmt::Debug for ResourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceSpec")
            .field("params", &self.params)
            .field("template", &self.template)
            .field("closure", &self.closure.is_some())
            .finish()
    }
}

impl ResourceSpec {
    /// The resource for this request, or `None` when a declared part is missing.
    pub(crate) fn extract(&self, kind: &str, parts: &mut Parts) -> Option<Resource<'static>> {
        let mut resource = Resource::new(kind.to_owned());
        if !self.params.is_empty() {
            let params = match &self.template {
                Some(template) => match_template(template, parts.uri.path())?,
                None => path_params(parts)?,
            };
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

/// One segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    Literal(Box<str>),
    Param(Box<str>),
}

/// Splits `/api/tenants/{tenant}/reports` into segments.
pub(crate) fn parse_template(template: &str) -> Arc<[Part]> {
    template
        .trim_start_matches('/')
        .split('/')
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => Part::Param(name.into()),
                None => Part::Literal(seg.into()),
            },
        )
        .collect()
}

/// The parameters of `path` under `template`, or `None` when it does not match
/// or a parameter would be empty. Values are taken as they appear in the path
/// (not percent-decoded).
pub(crate) fn match_template(template: &[Part], path: &str) -> Option<Vec<(String, String)>> {
    let mut segments = path.trim_start_matches('/').split('/');
    let mut params = Vec::new();
    for part in template {
        let seg = segments.next()?;
        match part {
            Part::Literal(lit) if **lit == *seg => {}
            Part::Literal(_) => return None,
            Part::Param(_) if seg.is_empty() => return None,
            Part::Param(name) => params.push((name.to_string(), seg.to_owned())),
        }
    }
    if segments.next().is_some() {
        return None;
    }
    Some(params)
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

/// Without a router nothing captured path parameters: without a path template the
/// resource cannot be built, and the request is refused.
#[cfg(not(feature = "axum"))]
fn path_params(_parts: &mut Parts) -> Option<Vec<(String, String)>> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_capture_parameters_and_refuse_other_paths() {
        let t = parse_template("/api/tenants/{tenant}/reports/{id}");
        assert_eq!(
            match_template(&t, "/api/tenants/acme/reports/7"),
            Some(vec![
                ("tenant".into(), "acme".into()),
                ("id".into(), "7".into())
            ])
        );
        assert_eq!(match_template(&t, "/api/tenants/acme/reports"), None);
        assert_eq!(match_template(&t, "/api/tenants/acme/reports/7/x"), None);
        assert_eq!(match_template(&t, "/api/tenants//reports/7"), None);
        assert_eq!(match_template(&t, "/api/groups/acme/reports/7"), None);
    }
}
