//! Turning HTTP refusals into gRPC statuses after the fact, for servers that
//! answer REST and gRPC clients from one stack.

use super::{GRPC_CONTENT_TYPE, GRPC_MESSAGE, GRPC_STATUS, encode_grpc_message, grpc_code};
use crate::Problem;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use http::{HeaderValue, Request, Response};
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tower_layer::Layer;
use tower_service::Service;

/// Answers gRPC callers with gRPC statuses when a layer inside refused in HTTP.
///
/// [`GrpcResponse`](crate::GrpcResponse) serves a stack that only speaks gRPC.
/// A server that mounts tonic services beside REST routes (tonic's routes in
/// an axum router) keeps the default problem JSON for its REST clients and
/// puts this layer outside the guards: a response to a request whose
/// `content-type` is `application/grpc*` that is not a success and carries
/// no `grpc-status` becomes a trailers-only gRPC response, with the code
/// from [`grpc_code`](super::grpc_code), the refusal's problem detail (or
/// title, or the HTTP reason) as `grpc-message`, its headers such as
/// `retry-after` kept, and its extensions (the typed rejection) kept for
/// outer layers. Other requests and responses pass untouched.
///
/// ```
/// use rampart::core::{GrpcRefusalLayer, Problem, Rejection, ProblemResponse, reject};
/// use http::{Request, Response};
/// use tower::{Layer, Service, ServiceExt, service_fn};
///
/// #[derive(Clone)]
/// struct Closed;
/// impl Rejection for Closed {
///     fn to_problem(&self) -> Problem { Problem::forbidden().with_detail("closed") }
/// }
///
/// # tokio_test(async {
/// let guard = service_fn(|_: Request<()>| async {
///     Ok::<Response<Vec<u8>>, std::convert::Infallible>(reject(&ProblemResponse, Closed))
/// });
/// let service = GrpcRefusalLayer.layer(guard);
///
/// let grpc = Request::post("/pkg.Svc/Call").header("content-type", "application/grpc").body(()).unwrap();
/// let response = service.clone().oneshot(grpc).await.unwrap();
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.headers()["grpc-status"], "7");
/// assert_eq!(response.headers()["grpc-message"], "closed");
///
/// let rest = Request::get("/items").body(()).unwrap();
/// let response = service.oneshot(rest).await.unwrap();
/// assert_eq!(response.status(), 403);
/// assert_eq!(response.headers()["content-type"], "application/problem+json");
/// # });
/// # fn tokio_test(f: impl std::future::Future<Output = ()>) {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcRefusalLayer;

impl<S> Layer<S> for GrpcRefusalLayer {
    type Service = GrpcRefusal<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcRefusal { inner }
    }
}

/// The service of [`GrpcRefusalLayer`].
#[derive(Debug, Clone)]
pub struct GrpcRefusal<S> {
    inner: S,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for GrpcRefusal<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = GrpcRefusalFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let grpc = super::is_grpc_request(request.headers());
        GrpcRefusalFuture {
            inner: self.inner.call(request),
            grpc,
        }
    }
}

pin_project! {
    /// The response future of [`GrpcRefusal`].
    pub struct GrpcRefusalFuture<F> {
        #[pin]
        inner: F,
        grpc: bool,
    }
}

impl<F, B, E> Future for GrpcRefusalFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Default,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = ready!(this.inner.poll(cx))?;
        Poll::Ready(Ok(if *this.grpc {
            into_grpc_refusal(response)
        } else {
            response
        }))
    }
}

/// `response` as a trailers-only gRPC response, unless it is a success or
/// already speaks gRPC.
fn into_grpc_refusal<B: Default>(response: Response<B>) -> Response<B> {
    if response.status().is_success() || response.headers().contains_key(GRPC_STATUS) {
        return response;
    }
    // The body (problem JSON, say) is dropped: a gRPC client would read it
    // as a malformed message.
    let (mut parts, _body) = response.into_parts();
    let code = grpc_code(parts.status);
    let message = match parts.extensions.get::<Problem>() {
        Some(problem) => problem.detail().unwrap_or_else(|| problem.title()),
        None => parts.status.canonical_reason().unwrap_or("error"),
    };
    // Percent-encoding leaves only visible ASCII, always a valid value.
    let message = HeaderValue::from_str(&encode_grpc_message(message)).ok();
    parts.status = http::StatusCode::OK;
    let headers = &mut parts.headers;
    headers.remove(CONTENT_LENGTH);
    headers.remove(TRANSFER_ENCODING);
    headers.insert(CONTENT_TYPE, GRPC_CONTENT_TYPE);
    headers.insert(GRPC_STATUS, HeaderValue::from(code));
    if let Some(value) = message {
        headers.insert(GRPC_MESSAGE, value);
    }
    Response::from_parts(parts, B::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ProblemResponse, Rejection, reject};
    use http::StatusCode;
    use http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
    use std::convert::Infallible;
    use tower::{ServiceExt, service_fn};

    #[derive(Debug, Clone, PartialEq)]
    struct Refused(Problem);

    impl Rejection for Refused {
        fn to_problem(&self) -> Problem {
            self.0.clone()
        }
    }

    async fn through(content_type: Option<&str>, response: Response<Vec<u8>>) -> Response<Vec<u8>> {
        let mut slot = Some(response);
        let inner = service_fn(move |_: Request<()>| {
            let response = slot.take().unwrap_or_default();
            async move { Ok::<_, Infallible>(response) }
        });
        let mut request = Request::post("/pkg.Svc/Call");
        if let Some(value) = content_type {
            request = request.header(CONTENT_TYPE, value);
        }
        GrpcRefusalLayer
            .layer(inner)
            .oneshot(request.body(()).unwrap())
            .await
            .unwrap()
    }

    fn refused(problem: Problem) -> Response<Vec<u8>> {
        reject(&ProblemResponse, Refused(problem))
    }

    #[tokio::test]
    async fn a_problem_refusal_becomes_a_grpc_status_keeping_headers_and_reason() {
        let problem = Problem::too_many_requests(9).with_detail("quota: 100% used");
        let response = through(Some("application/grpc+proto"), refused(problem.clone())).await;
        assert_eq!(response.status(), StatusCode::OK);
        let h = response.headers();
        assert_eq!(h[CONTENT_TYPE], "application/grpc");
        assert_eq!(h[GRPC_STATUS], "8");
        assert_eq!(h[GRPC_MESSAGE], "quota: 100%25 used");
        assert_eq!(h[RETRY_AFTER], "9");
        assert!(!h.contains_key(CONTENT_LENGTH));
        assert!(response.body().is_empty());
        assert_eq!(
            response.extensions().get::<Refused>(),
            Some(&Refused(problem))
        );
    }

    #[tokio::test]
    async fn the_title_then_the_reason_stand_in_for_the_message() {
        let challenge = Problem::unauthorized(HeaderValue::from_static("Bearer"));
        let response = through(Some("application/grpc"), refused(challenge)).await;
        assert_eq!(response.headers()[GRPC_STATUS], "16");
        assert_eq!(response.headers()[GRPC_MESSAGE], "Unauthorized");
        assert_eq!(response.headers()[WWW_AUTHENTICATE], "Bearer");

        // A plain 503 from some other layer: no problem attached.
        let mut plain = Response::new(b"busy".to_vec());
        *plain.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        plain
            .headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(4u16));
        let response = through(Some("application/grpc"), plain).await;
        assert_eq!(response.headers()[GRPC_STATUS], "14");
        assert_eq!(response.headers()[GRPC_MESSAGE], "Service Unavailable");
        assert!(!response.headers().contains_key(CONTENT_LENGTH));
        assert!(response.body().is_empty());
    }

    #[tokio::test]
    async fn rest_requests_successes_and_grpc_answers_pass_untouched() {
        let rest = through(Some("application/json"), refused(Problem::forbidden())).await;
        assert_eq!(rest.status(), StatusCode::FORBIDDEN);
        assert!(!rest.headers().contains_key(GRPC_STATUS));
        assert!(!rest.body().is_empty());
        let none = through(None, refused(Problem::forbidden())).await;
        assert_eq!(none.status(), StatusCode::FORBIDDEN);

        let ok = through(Some("application/grpc"), Response::new("message".into())).await;
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(ok.body(), b"message");
        assert!(!ok.headers().contains_key(GRPC_STATUS));

        // An error the gRPC server already answered keeps its own status.
        let mut answered = Response::new(Vec::new());
        *answered.status_mut() = StatusCode::BAD_REQUEST;
        answered
            .headers_mut()
            .insert(GRPC_STATUS, HeaderValue::from_static("5"));
        let kept = through(Some("application/grpc"), answered).await;
        assert_eq!(kept.status(), StatusCode::BAD_REQUEST);
        assert_eq!(kept.headers()[GRPC_STATUS], "5");
    }
}
