//! One port for gRPC and REST clients, one stack of guards for both.
//!
//! The guards keep their default problem-JSON refusals, which REST clients
//! read; [`GrpcRefusalLayer`] re-renders a refusal as a gRPC status only when
//! the request came in as gRPC. The tonic service is mounted in an axum
//! router beside the REST route, and tonic's server serves both (HTTP/1.1
//! is turned on for the REST clients).

use crate::items::{Catalog, ItemsServer};
use crate::stack::{PERMISSION, Security, describe_call, peer_from_tonic};
use axum::Extension;
use axum::extract::Path;
use axum::routing::get;
use http::StatusCode;
use rampart::audit::CapturePrincipalLayer;
use rampart::auth::JwtAuthLayer;
use rampart::core::{
    ClientIpLayer, GrpcRefusalLayer, Principal, RequestIdLayer, SharedSink, TrustedProxies,
};
use rampart::ratelimit::RateLimitLayer;
use rampart::rbac::RequirePermission;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tonic::service::Routes;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Error, Server};
use tower::ServiceBuilder;
use tower::util::MapRequestLayer;

/// Serves `Items` over gRPC and `GET /items/{id}` over HTTP on `listener`,
/// behind the same guards as [`serve`](crate::serve), until `shutdown`
/// completes. A refused gRPC call gets a gRPC status; a refused REST request
/// gets `401`/`403`/`429` with problem JSON.
///
/// # Errors
/// The transport failed (the listener broke).
pub async fn serve_mixed(
    listener: TcpListener,
    security: Security,
    catalog: Catalog,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    let Security {
        verifier,
        authorizer,
        audit,
        limiter,
    } = security;
    let sink: SharedSink = Arc::new(audit.clone());
    let guards = ServiceBuilder::new()
        .layer(MapRequestLayer::new(peer_from_tonic))
        .layer(ClientIpLayer::new(TrustedProxies::none()))
        .layer(RequestIdLayer::new())
        .layer(audit)
        .layer(GrpcRefusalLayer)
        .layer(MapRequestLayer::new(describe_call))
        .layer(JwtAuthLayer::new(verifier).event_sink(sink.clone()))
        .layer(CapturePrincipalLayer)
        .layer(RateLimitLayer::new(limiter))
        .layer(RequirePermission::new(authorizer, PERMISSION).event_sink(sink))
        .into_inner();
    let rest_catalog = catalog.clone();
    let router = Routes::new(ItemsServer::new(catalog))
        .into_axum_router()
        .route(
            "/items/{id}",
            get(
                move |Path(id): Path<String>, Extension(who): Extension<Principal>| {
                    let catalog = rest_catalog.clone();
                    async move {
                        match catalog.find(&id) {
                            Some(item) => Ok(format!("{} for {}", item.name, who.subject())),
                            None => Err(StatusCode::NOT_FOUND),
                        }
                    }
                },
            ),
        )
        .layer(guards);
    Server::builder()
        .accept_http1(true)
        .add_routes(Routes::from(router))
        .serve_with_incoming_shutdown(TcpIncoming::from(listener), shutdown)
        .await
}
