//! `RequirePermission`: a tower layer guarding a route with one action.

mod rejection;
mod resource;
mod service;

pub use rejection::PermissionRejection;
pub use service::{RequirePermissionService, ResponseFuture};

use crate::error::PermissionError;
use crate::{Action, Authorizer, Resource};
use http::request::Parts;
use rampart_core::{ProblemResponse, SharedSink};
use resource::Field;
use resource::ResourceSpec;
use std::sync::Arc;
use tower_layer::Layer;

/// Requires the caller to be allowed `resource:action` on the request's resource.
///
/// Reads the [`rampart_core::Principal`] an auth layer inserted (none: 401), builds
/// the [`Resource`] from the route's path or query parameters, the principal
/// itself (collection routes) and/or a closure, and asks the
/// [`Authorizer`]. A denial answers a generic 403 problem and emits a
/// `PermissionDenied` [`rampart_core::SecurityEvent`] carrying the reason; the
/// typed [`PermissionRejection`] is attached to the response's extensions.
///
/// With axum, guard each route with `route_layer` (so unmatched paths still
/// answer 404, and path parameters are known):
///
/// ```
/// # #[cfg(feature = "axum")] {
/// use axum::{Router, routing::get};
/// use rampart::rbac::{Authorizer, RequirePermission};
///
/// let authz = Authorizer::from_toml(r#"
///     [roles.viewer]
///     permissions = ["items:read"]
///     [roles.editor]
///     inherits = ["viewer"]
///     permissions = ["items:write", "reports:read:own_tenant"]
///     [roles.admin]
///     inherits = ["editor"]
///     permissions = ["items:delete", "admin:*", "reports:read"]
/// "#)?;
///
/// let app: Router = Router::new()
///     .route("/api/items", get(|| async { "items" })
///         .route_layer(RequirePermission::new(authz.clone(), "items:read")))
///     .route("/api/tenants/{tenant}/reports", get(|| async { "reports" })
///         .route_layer(RequirePermission::new(authz.clone(), "reports:read").tenant_from_path("tenant")))
///     // A collection: the handler lists the caller's own tenant's reports, so the
///     // tenant checked is the principal's (`reports:read:own_tenant` allows it).
///     .route("/api/reports", get(|| async { "my tenant's reports" })
///         .route_layer(RequirePermission::new(authz.clone(), "reports:read").tenant_from_principal()))
///     // Or the request names it: `/api/search/reports?tenant=acme`.
///     .route("/api/search/reports", get(|| async { "reports" })
///         .route_layer(RequirePermission::new(authz.clone(), "reports:read").tenant_from_query("tenant")));
/// # }
/// # Ok::<(), rampart::rbac::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct RequirePermission<R = ProblemResponse> {
    config: Arc<Config>,
    responder: R,
}

#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) authorizer: Authorizer,
    pub(crate) action: Action,
    pub(crate) label: Arc<str>,
    pub(crate) resource: ResourceSpec,
    pub(crate) sink: Option<SharedSink>,
}

impl std::fmt::Debug for RequirePermission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequirePermission")
            .field("action", &self.config.label)
            .field("resource", &self.config.resource)
            .finish_non_exhaustive()
    }
}

impl RequirePermission {
    /// Requires `action` (`resource:action`, e.g. `items:read`) on a resource of
    /// that kind about which nothing else is known, until the builder methods say
    /// where its id, tenant, organisation or owner come from.
    ///
    /// # Panics
    ///
    /// When `action` is not `resource:action` (a wildcard or scope included): this is
    /// a fixed string in the application's routing, so a mistake is caught at
    /// start-up. Use [`RequirePermission::try_new`] for an action from configuration.
    pub fn new(authorizer: Authorizer, action: &str) -> Self {
        match Self::try_new(authorizer, action) {
            Ok(layer) => layer,
            Err(e) => panic!("RequirePermission::new: {e}"),
        }
    }

    /// Like [`RequirePermission::new`], returning an error for a malformed action.
    pub fn try_new(authorizer: Authorizer, action: &str) -> Result<Self, PermissionError> {
        let action = Action::parse(action)?;
        Ok(Self {
            config: Arc::new(Config {
                label: action.to_string().into(),
                sink: Some(authorizer.event_sink().clone()),
                authorizer,
                action,
                resource: ResourceSpec::default(),
            }),
            responder: ProblemResponse,
        })
    }
}

impl<R> RequirePermission<R> {
    fn edit(mut self, f: impl FnOnce(&mut Config)) -> Self {
        // Builder methods run before the layer is shared; if it already was, the
        // configuration is copied so other clones keep theirs.
        let config = Arc::make_mut(&mut self.config);
        f(config);
        self
    }

    /// Reads path parameters by matching the request path against `template`
    /// (`/api/tenants/{tenant}/reports`) instead of asking the router: for tower
    /// stacks without axum, or paths axum has rewritten. A path that does not
    /// match is refused (403).
    ///
    /// Parameters are percent-decoded exactly as axum decodes them for the
    /// handler's `Path` extractor (split on `/` first, then decoded once), so the
    /// tenant checked is the tenant served: `/t/secr%65t/...` is tenant `secret`.
    /// A parameter that is not UTF-8 once decoded is refused with 400.
    #[must_use]
    pub fn path_template(self, template: &str) -> Self {
        let parsed = resource::parse_template(template);
        self.edit(|c| c.resource.template = Some(parsed))
    }

    /// Takes the resource's id from path parameter `param` (`{id}`). Parameters
    /// come from axum's router (feature `axum`) or from
    /// [`RequirePermission::path_template`]; with neither, every request is refused.
    #[must_use]
    pub fn id_from_path(self, param: &str) -> Self {
        self.edit(|c| c.resource.params.push((Field::Id, param.into())))
    }

    /// Takes the resource's tenant from path parameter `param` (`{tenant}`), so a
    /// `:own_tenant` permission allows the caller's own tenant only.
    #[must_use]
    pub fn tenant_from_path(self, param: &str) -> Self {
        self.edit(|c| c.resource.params.push((Field::Tenant, param.into())))
    }

    /// Takes the resource's organisation from path parameter `param`.
    #[must_use]
    pub fn org_from_path(self, param: &str) -> Self {
        self.edit(|c| c.resource.params.push((Field::Org, param.into())))
    }

    /// Takes the resource's owner from path parameter `param` (`/users/{user}/...`).
    #[must_use]
    pub fn owner_from_path(self, param: &str) -> Self {
        self.edit(|c| c.resource.params.push((Field::Owner, param.into())))
    }

    /// Takes the resource's tenant from query parameter `param`
    /// (`/orders?tenant=acme`), decoded as axum's `Query` decodes it (`+` is a
    /// space, then percent-decoding once: `%61cme` is `acme`), so the tenant
    /// checked is the tenant the handler filters by. A missing or empty
    /// parameter is refused with 403; a repeated one, or one that is not UTF-8
    /// once decoded, with 400 (the layer and the handler could read different
    /// values).
    #[must_use]
    pub fn tenant_from_query(self, param: &str) -> Self {
        self.edit(|c| c.resource.query.push((Field::Tenant, param.into())))
    }

    /// Takes the resource's organisation from query parameter `param`, read as
    /// [`RequirePermission::tenant_from_query`] reads it.
    #[must_use]
    pub fn org_from_query(self, param: &str) -> Self {
        self.edit(|c| c.resource.query.push((Field::Org, param.into())))
    }

    /// Takes the resource's owner from query parameter `param`
    /// (`/documents?owner=alice`), read as [`RequirePermission::tenant_from_query`]
    /// reads it.
    #[must_use]
    pub fn owner_from_query(self, param: &str) -> Self {
        self.edit(|c| c.resource.query.push((Field::Owner, param.into())))
    }

    /// Takes the resource's id from query parameter `param`, read as
    /// [`RequirePermission::tenant_from_query`] reads it.
    #[must_use]
    pub fn id_from_query(self, param: &str) -> Self {
        self.edit(|c| c.resource.query.push((Field::Id, param.into())))
    }

    /// Takes the resource's tenant from the caller's own [`rampart_core::Principal`],
    /// for collection routes (`GET /orders`) whose handler lists the caller's
    /// tenant: there the URL names no tenant, so without this a
    /// `orders:read:own_tenant` permission can never match and everyone is
    /// refused. For a principal without a tenant the resource's tenant stays
    /// unknown: only an unscoped permission (`orders:read`) allows it then.
    ///
    /// The handler must then serve the principal's tenant, not one taken from
    /// the request; when the request names it, use
    /// [`RequirePermission::tenant_from_path`] or
    /// [`RequirePermission::tenant_from_query`] instead.
    #[must_use]
    pub fn tenant_from_principal(self) -> Self {
        self.edit(|c| c.resource.principal.push(Field::Tenant))
    }

    /// Takes the resource's organisation from the caller's principal, as
    /// [`RequirePermission::tenant_from_principal`] does the tenant (`own_org`
    /// on a collection of the caller's organisation). A principal without an
    /// organisation leaves it unknown, so `own_org` does not allow it.
    #[must_use]
    pub fn org_from_principal(self) -> Self {
        self.edit(|c| c.resource.principal.push(Field::Org))
    }

    /// Makes the caller (the principal's subject) the resource's owner, for
    /// routes that serve only the caller's own things (`GET /me/documents`), so
    /// an `own` permission allows them.
    #[must_use]
    pub fn owner_from_principal(self) -> Self {
        self.edit(|c| c.resource.principal.push(Field::Owner))
    }

    /// Completes the resource with a closure, for anything path parameters do not
    /// carry (a header, a lookup in a cache). It receives the request head and the
    /// resource built so far; `None` refuses the request (403).
    #[must_use]
    pub fn resource_with<F>(self, f: F) -> Self
    where
        F: Fn(&Parts, Resource<'static>) -> Option<Resource<'static>> + Send + Sync + 'static,
    {
        self.edit(|c| c.resource.closure = Some(Arc::new(f)))
    }

    /// Where denials are reported. Default: the authorizer's sink
    /// ([`TracingSink`](rampart_core::TracingSink) unless it was given one).
    #[must_use]
    pub fn event_sink(self, sink: SharedSink) -> Self {
        self.edit(|c| c.sink = Some(sink))
    }

    /// Replaces how refusals are answered (a closure
    /// `Fn(&PermissionRejection, Problem) -> Response<B>`, say, to render HTML).
    pub fn with_response<T>(self, responder: T) -> RequirePermission<T> {
        RequirePermission {
            config: self.config,
            responder,
        }
    }
}

impl<S, R: Clone> Layer<S> for RequirePermission<R> {
    type Service = RequirePermissionService<S, R>;

    fn layer(&self, inner: S) -> Self::Service {
        RequirePermissionService::new(inner, Arc::clone(&self.config), self.responder.clone())
    }
}
