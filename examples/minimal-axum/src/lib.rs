//! The smallest useful rampart stack: security headers on every response, a
//! JWT bearer token on every route, and one permission on one route.
use axum::{Router, routing::get};
use rampart::auth::{JwtAuthority, axum::Authenticated};
use rampart::headers::{ConfigError, SecurityHeaders, SecurityHeadersLayer};
use rampart::rbac::{Authorizer, RequirePermission};

/// Who may do what: `reader`s may read items.
pub const POLICY: &str = "[roles.reader]\npermissions = [\"items:read\"]";

/// `GET /items` for callers holding `items:read`; `401` without a valid
/// token, `403` without the permission, problem JSON either way.
///
/// # Errors
/// Only if the header preset were invalid (it is checked when built).
pub fn app(auth: &JwtAuthority, authz: Authorizer) -> Result<Router, ConfigError> {
    let items = get(|Authenticated(who): Authenticated| async move {
        format!("items of {}", who.subject())
    })
    .route_layer(RequirePermission::new(authz, "items:read"));
    Ok(Router::new()
        .route("/items", items)
        .layer(auth.layer()) // the Principal from the bearer token, or 401
        .layer(SecurityHeadersLayer::new(SecurityHeaders::api().build()?)))
}
