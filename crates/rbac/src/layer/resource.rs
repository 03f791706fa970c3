//! Building the checked resource from the request.

use crate::Resource;
use http::request::Parts;
use rampart_core::Principal;
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

impl Field {
    fn set<'a>(self, resource: Resource<'a>, value: String) -> Resource<'a> {
        match self {
            Field::Id => resource.with_id(value),
            Field::Tenant => resource.with_tenant(value),
            Field::Org => resource.with_org(value),
            Field::Owner => resource.with_owner(value),
        }
    }
}

type Closure = dyn Fn(&Parts, Resource<'static>) -> Option<Resource<'static>> + Send + Sync;

/// How the layer builds the resource: path parameters, query parameters and the
/// principal first, then the closure.
#[derive(Clone, Default)]
pub(crate) struct ResourceSpec {
    pub(crate) params: Vec<(Field, Arc<str>)>,
    pub(crate) query: Vec<(Field, Arc<str>)>,
    pub(crate) principal: Vec<Field>,
    pub(crate) template: Option<Arc<[Part]>>,
    pub(crate) closure: Option<Arc<Closure>>,
}

impl fmt::Debug for ResourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceSpec")
            .field("params", &self.params)
            .field("query", &self.query)
            .field("principal", &self.principal)
            .field("template", &self.template)
            .field("closure", &self.closure.is_some())
            .finish()
    }
}

/// What the request says about the resource.
#[derive(Debug)]
pub(crate) enum Extracted<'a> {
    /// The resource to check; its kind borrowed from the layer's action.
    Resource(Resource<'a>),
    /// A declared part is missing (the path does not match, the closure said no).
    Unknown,
    /// A path parameter is not UTF-8 once percent-decoded: the router would
    /// refuse it too (axum answers 400), so it is refused before any check.
    Malformed,
    /// A query parameter the resource is read from is repeated, or is not UTF-8
    /// once decoded: which value the handler would see is not certain (axum's
    /// `Query` into a struct refuses a repeated field with 400), so it is refused.
    MalformedQuery,
}

impl ResourceSpec {
    /// The resource for this request.
    pub(crate) fn extract<'a>(&self, kind: &'a str, parts: &mut Parts) -> Extracted<'a> {
        let mut resource = Resource::new(kind);
        if !self.params.is_empty() {
            let params = match &self.template {
                Some(template) => match_template(template, parts.uri.path()),
                None => path_params(parts),
            };
            let params = match params {
                Params::Found(params) => params,
                Params::NoMatch => return Extracted::Unknown,
                Params::Malformed => return Extracted::Malformed,
            };
            for (field, name) in &self.params {
                let Some(value) = params
                    .iter()
                    .find(|(n, _)| n == &**name)
                    .map(|(_, v)| v.clone())
                else {
                    return Extracted::Unknown;
                };
                resource = field.set(resource, value);
            }
        }
        for (field, name) in &self.query {
            match query_param(parts.uri.query().unwrap_or_default(), name) {
                Query::Found(value) if !value.is_empty() => {
                    resource = field.set(resource, value);
                }
                Query::Found(_) | Query::Absent => return Extracted::Unknown,
                Query::Malformed => return Extracted::MalformedQuery,
            }
        }
        if !self.principal.is_empty() {
            // The layer has checked a principal is present before extracting.
            let Some(principal) = parts.extensions.get::<Principal>() else {
                return Extracted::Unknown;
            };
            for field in &self.principal {
                let value = match field {
                    Field::Tenant => principal.tenant(),
                    Field::Org => principal.org(),
                    Field::Owner => Some(principal.subject()),
                    Field::Id => None,
                };
                // A principal without a tenant leaves the resource's unknown:
                // then no scoped permission can allow (`own_tenant` needs both
                // sides known), while an unscoped one (an operator's
                // `orders:read`) still does.
                if let Some(value) = value.filter(|v| !v.is_empty()) {
                    resource = field.set(resource, value.to_owned());
                }
            }
        }
        let resource = match &self.closure {
            Some(f) => f(parts, resource.into_owned()),
            None => Some(resource),
        };
        resource.map_or(Extracted::Unknown, Extracted::Resource)
    }
}

/// The path parameters of a request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Params {
    /// Name and percent-decoded value of each parameter.
    Found(Vec<(String, String)>),
    /// The path is not one the route serves.
    NoMatch,
    /// A parameter is not UTF-8 after percent-decoding.
    Malformed,
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

/// The parameters of `path` under `template`, decoded as axum decodes them, so
/// the layer checks the very value the handler's `Path` extractor will see.
///
/// Like axum's router, literal segments are compared with the path as sent
/// (still encoded: `/api/%74enants/...` is not `/api/tenants/...`), the path is
/// split on `/` before decoding (`%2F` stays inside its segment), and each
/// parameter is then percent-decoded once (`%2565` is `%65`, not `e`); a value
/// that is not UTF-8 once decoded is [`Params::Malformed`]. An empty parameter,
/// an extra or missing segment, or a different literal is [`Params::NoMatch`].
pub(crate) fn match_template(template: &[Part], path: &str) -> Params {
    let Some(path) = path.strip_prefix('/') else {
        return Params::NoMatch;
    };
    let mut segments = path.split('/');
    let mut params = Vec::new();
    for part in template {
        let Some(seg) = segments.next() else {
            return Params::NoMatch;
        };
        match part {
            Part::Literal(lit) if **lit == *seg => {}
            Part::Literal(_) => return Params::NoMatch,
            Part::Param(_) if seg.is_empty() => return Params::NoMatch,
            Part::Param(name) => match decode(seg) {
                Some(value) => params.push((name.to_string(), value)),
                None => return Params::Malformed,
            },
        }
    }
    if segments.next().is_some() {
        return Params::NoMatch;
    }
    Params::Found(params)
}

/// What axum does to each captured parameter (`PercentDecodedStr::new`).
fn decode(segment: &str) -> Option<String> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

/// One query parameter, as axum's `Query` extractor would read it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Query {
    /// The decoded value of the one occurrence.
    Found(String),
    /// The parameter is not in the query.
    Absent,
    /// The parameter occurs more than once, or its value is not UTF-8 once decoded.
    Malformed,
}

/// Reads parameter `name` from `query` (the part after `?`) as
/// `application/x-www-form-urlencoded`, the way axum's `Query` does through
/// `serde_urlencoded`: pairs split on `&`, empty pairs skipped, name and value
/// split at the first `=`, `+` turned into a space and then percent-decoded
/// once (so `%2B` is a literal `+`, and `%61cme` is `acme`).
///
/// Two departures, both refusals: a value that is not UTF-8 once decoded is
/// [`Query::Malformed`] (`serde_urlencoded` would replace the bytes with U+FFFD,
/// a value no tenant should be compared with), and so is a name given twice
/// (into a struct axum refuses it; into a map the last one wins, so the layer
/// could check one value and the handler serve another).
pub(crate) fn query_param(query: &str, name: &str) -> Query {
    let mut found = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        // Names are compared decoded, as the deserializer sees them
        // (`%74enant` is `tenant`); a name that is not UTF-8 cannot be `name`.
        if form_decode(raw_name).as_deref() != Some(name) {
            continue;
        }
        if found.is_some() {
            return Query::Malformed;
        }
        match form_decode(raw_value) {
            Some(value) => found = Some(value),
            None => return Query::Malformed,
        }
    }
    found.map_or(Query::Absent, Query::Found)
}

/// `+` as space, then percent-decoding; `None` when the result is not UTF-8.
fn form_decode(raw: &str) -> Option<String> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

/// The route's path parameters, as the router captured and decoded them.
#[cfg(feature = "axum")]
fn path_params(parts: &mut Parts) -> Params {
    use axum::extract::rejection::RawPathParamsRejection;
    use axum::extract::{FromRequestParts, RawPathParams};
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    // Extracting `RawPathParams` only reads the request extensions; its future is
    // ready on the first poll, so the layer needs no async step for it.
    let mut future = std::pin::pin!(RawPathParams::from_request_parts(parts, &()));
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(Ok(params)) => Params::Found(
            params
                .iter()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect(),
        ),
        Poll::Ready(Err(RawPathParamsRejection::InvalidUtf8InPathParam(_))) => Params::Malformed,
        _ => Params::NoMatch,
    }
}

/// Without a router nothing captured path parameters: without a path template the
/// resource cannot be built, and the request is refused.
#[cfg(not(feature = "axum"))]
fn path_params(_parts: &mut Parts) -> Params {
    Params::NoMatch
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(pairs: &[(&str, &str)]) -> Params {
        Params::Found(
            pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn templates_capture_parameters_and_refuse_other_paths() {
        let t = parse_template("/api/tenants/{tenant}/reports/{id}");
        assert_eq!(
            match_template(&t, "/api/tenants/acme/reports/7"),
            found(&[("tenant", "acme"), ("id", "7")])
        );
        assert_eq!(
            match_template(&t, "/api/tenants/acme/reports"),
            Params::NoMatch
        );
        assert_eq!(
            match_template(&t, "/api/tenants/acme/reports/7/x"),
            Params::NoMatch
        );
        assert_eq!(
            match_template(&t, "/api/tenants//reports/7"),
            Params::NoMatch
        );
        assert_eq!(
            match_template(&t, "/api/groups/acme/reports/7"),
            Params::NoMatch
        );
        assert_eq!(
            match_template(&t, "api/tenants/acme/reports/7"),
            Params::NoMatch
        );
        assert_eq!(
            match_template(&t, "//api/tenants/acme/reports/7"),
            Params::NoMatch
        );
    }

    #[test]
    fn parameters_are_decoded_once_and_literals_are_not() {
        let t = parse_template("/t/{tenant}/reports");
        let tenant = |path: &str| match match_template(&t, path) {
            Params::Found(p) => Some(p[0].1.clone()),
            _ => None,
        };
        assert_eq!(tenant("/t/secr%65t/reports").as_deref(), Some("secret"));
        assert_eq!(tenant("/t/secr%2565t/reports").as_deref(), Some("secr%65t"));
        assert_eq!(tenant("/t/a%2Fb/reports").as_deref(), Some("a/b"));
        assert_eq!(tenant("/t/%C3%A9cole/reports").as_deref(), Some("école"));
        assert_eq!(tenant("/t/école/reports").as_deref(), Some("école"));
        // Not an escape: left as it is, as axum leaves it.
        assert_eq!(tenant("/t/100%zz/reports").as_deref(), Some("100%zz"));
        assert_eq!(match_template(&t, "/t/%FF/reports"), Params::Malformed);
        assert_eq!(match_template(&t, "/t/%C3/reports"), Params::Malformed);
        assert_eq!(match_template(&t, "/%74/acme/reports"), Params::NoMatch);
    }

    #[test]
    fn query_parameters_decode_as_form_data_and_refuse_ambiguity() {
        let found = |q: &str| match query_param(q, "tenant") {
            Query::Found(v) => Some(v),
            _ => None,
        };
        assert_eq!(found("tenant=acme").as_deref(), Some("acme"));
        assert_eq!(found("x=1&tenant=%61cme&y").as_deref(), Some("acme"));
        assert_eq!(found("tenant=a+b").as_deref(), Some("a b"));
        assert_eq!(found("tenant=a%2Bb").as_deref(), Some("a+b"));
        assert_eq!(found("%74enant=acme").as_deref(), Some("acme"));
        assert_eq!(found("tenant=x=y").as_deref(), Some("x=y"));
        assert_eq!(found("tenant").as_deref(), Some(""));
        assert_eq!(found("&&tenant=acme&&").as_deref(), Some("acme"));
        assert_eq!(query_param("tenants=acme", "tenant"), Query::Absent);
        assert_eq!(query_param("", "tenant"), Query::Absent);
        assert_eq!(
            query_param("tenant=acme&tenant=globex", "tenant"),
            Query::Malformed
        );
        assert_eq!(
            query_param("tenant=acme&%74enant=acme", "tenant"),
            Query::Malformed
        );
        assert_eq!(query_param("tenant=%FF", "tenant"), Query::Malformed);
        // Another parameter's bad bytes are none of the layer's business.
        assert_eq!(found("x=%FF&tenant=acme").as_deref(), Some("acme"));
    }
}
