//! The service: the layers around a handler written as a plain async function.

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use rampart::auth::JwtAuthority;
use rampart::core::{ClientIp, ClientIpLayer, Principal, Problem, RequestIdLayer, TrustedProxies};
use rampart::headers::{ConfigError, SecurityHeaders, SecurityHeadersLayer};
use rampart::rbac::{Authorizer, RequirePermission};
use std::convert::Infallible;
use tower::util::BoxCloneService;
use tower::{ServiceBuilder, ServiceExt, service_fn};

/// Who may do what: `reader`s may read items.
pub const POLICY: &str = "[roles.reader]\npermissions = [\"items:read\"]";

/// The whole application as one cloneable tower service, generic over the
/// request body so the same stack serves hyper's `Incoming` and test bodies.
pub type App<B> = BoxCloneService<Request<B>, Response<Full<Bytes>>, Infallible>;

/// `GET /items` for callers holding `items:read`; `401` without a valid
/// token, `403` without the permission, `404` elsewhere, problem JSON each
/// time, and the security headers and an `x-request-id` on every answer.
///
/// The client address is resolved from a `SocketAddr` request extension
/// (the server loop inserts the TCP peer, see [`serve`](crate::serve)),
/// trusting no proxy: behind a load balancer, name it in `proxies`.
///
/// # Errors
/// Only if the header preset were invalid (it is checked when built).
pub fn app<B>(
    auth: &JwtAuthority,
    authz: Authorizer,
    proxies: TrustedProxies,
) -> Result<App<B>, ConfigError>
where
    B: Send + 'static,
{
    // The per-route layer: only `/items` needs `items:read`.
    let items = ServiceBuilder::new()
        .layer(RequirePermission::new(authz, "items:read"))
        .service_fn(list_items::<B>);
    let routes = service_fn(move |request: Request<B>| {
        let items = items.clone();
        async move {
            match (request.method(), request.uri().path()) {
                (&Method::GET, "/items") => items.oneshot(request).await,
                (_, "/items") => Ok(Problem::new(StatusCode::METHOD_NOT_ALLOWED).into_response()),
                _ => Ok(Problem::not_found().into_response()),
            }
        }
    });
    let service = ServiceBuilder::new()
        // Outermost: every answer below, refusals included, gets the headers.
        .layer(SecurityHeadersLayer::new(SecurityHeaders::api().build()?))
        .layer(RequestIdLayer::new())
        .layer(ClientIpLayer::new(proxies))
        // The Principal from the bearer token, or 401.
        .layer(auth.layer())
        .service(routes);
    Ok(BoxCloneService::new(service))
}

async fn list_items<B>(request: Request<B>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Both are there: the auth layer refused requests without a principal,
    // and the client address layer always inserts one when it knows the peer.
    let who = request
        .extensions()
        .get::<Principal>()
        .map_or("nobody", Principal::subject);
    let from = request
        .extensions()
        .get::<ClientIp>()
        .map_or_else(|| "an unknown address".to_owned(), ToString::to_string);
    let body = format!("items of {who}, asked from {from}");
    Ok(Response::new(Full::new(Bytes::from(body))))
}
