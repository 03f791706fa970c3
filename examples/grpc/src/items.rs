//! The `Items` service: the application the security stack wraps.
//!
//! This is what `tonic-build` would generate for `proto/items.proto` plus the
//! handler, written out by hand (see [`crate::proto`] for why): a tower
//! service that routes on the call path and runs tonic's unary machinery with
//! the prost codec.

use crate::proto::{GET_ITEM, GetItemRequest, Item, SERVICE};
use rampart::audit::AuditContext;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use tonic::body::Body;
use tonic::codegen::{Body as HttpBody, BoxFuture, StdError};
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Code, Request, Response, Status};
use tower::Service;

/// The items the service serves, by id.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    items: Arc<HashMap<String, Item>>,
}

impl Catalog {
    /// A catalogue holding `items`.
    pub fn new(items: impl IntoIterator<Item = Item>) -> Self {
        Self {
            items: Arc::new(items.into_iter().map(|i| (i.id.clone(), i)).collect()),
        }
    }

    /// The item with `id`, if there is one.
    pub fn find(&self, id: &str) -> Option<&Item> {
        self.items.get(id)
    }

    /// `GetItem`: the item, or `NOT_FOUND`. Names the target in the audit
    /// record, which only the handler knows.
    pub async fn get_item(
        &self,
        request: Request<GetItemRequest>,
    ) -> Result<Response<Item>, Status> {
        let id = &request.get_ref().id;
        if let Some(audit) = AuditContext::from_extensions(request.extensions()) {
            audit.set_target("item", id.clone());
        }
        match self.find(id) {
            Some(item) => Ok(Response::new(item.clone())),
            None => Err(Status::not_found("no such item")),
        }
    }
}

/// The tower service tonic serves: routes `GetItem` to the catalogue and
/// answers `UNIMPLEMENTED` to any other path.
#[derive(Debug, Clone)]
pub struct ItemsServer {
    catalog: Catalog,
}

impl ItemsServer {
    /// The service over `catalog`.
    pub fn new(catalog: Catalog) -> Self {
        Self { catalog }
    }
}

impl NamedService for ItemsServer {
    const NAME: &'static str = SERVICE;
}

/// One unary call of `GetItem`, as tonic's server drives it.
struct GetItem(Catalog);

impl UnaryService<GetItemRequest> for GetItem {
    type Response = Item;
    type Future = BoxFuture<Response<Item>, Status>;

    fn call(&mut self, request: Request<GetItemRequest>) -> Self::Future {
        let catalog = self.0.clone();
        Box::pin(async move { catalog.get_item(request).await })
    }
}

impl<B> Service<http::Request<B>> for ItemsServer
where
    B: HttpBody + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if request.uri().path() == GET_ITEM {
            let method = GetItem(self.catalog.clone());
            return Box::pin(async move {
                let mut grpc = Grpc::new(tonic_prost::ProstCodec::default());
                Ok(grpc.unary(method, request).await)
            });
        }
        Box::pin(async move { Ok(Status::new(Code::Unimplemented, "no such method").into_http()) })
    }
}
