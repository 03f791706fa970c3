//! A client for the `Items` service, as `tonic-build` would generate it.

use crate::proto::{GET_ITEM, GetItemRequest, Item, SERVICE};
use http::uri::PathAndQuery;
use tonic::codegen::GrpcMethod;
use tonic::transport::{Channel, Endpoint};
use tonic::{IntoRequest, Response, Status};

/// Calls the `Items` service over one HTTP/2 connection.
#[derive(Debug, Clone)]
pub struct ItemsClient {
    inner: tonic::client::Grpc<Channel>,
}

impl ItemsClient {
    /// Connects to `endpoint` (`http://127.0.0.1:50051`).
    ///
    /// # Errors
    /// The address is not a URI, or the connection failed.
    pub async fn connect(endpoint: String) -> Result<Self, tonic::transport::Error> {
        let channel = Endpoint::from_shared(endpoint)?.connect().await?;
        Ok(Self::new(channel))
    }

    /// A client over an existing channel.
    pub fn new(channel: Channel) -> Self {
        Self {
            inner: tonic::client::Grpc::new(channel),
        }
    }

    /// `GetItem`. Put the bearer token in the request's `authorization`
    /// metadata; a refusal comes back as the `Status` the server chose.
    ///
    /// # Errors
    /// The call's status when it is not `OK`.
    pub async fn get_item(
        &mut self,
        request: impl IntoRequest<GetItemRequest>,
    ) -> Result<Response<Item>, Status> {
        self.inner
            .ready()
            .await
            .map_err(|e| Status::unavailable(format!("connection not ready: {e}")))?;
        let mut request = request.into_request();
        request
            .extensions_mut()
            .insert(GrpcMethod::new(SERVICE, "GetItem"));
        let codec = tonic_prost::ProstCodec::default();
        self.inner
            .unary(request, PathAndQuery::from_static(GET_ITEM), codec)
            .await
    }
}
