//! Body and path extractors whose refusals are problem JSON like every other.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::response::Response;
use http::StatusCode;
use http::request::Parts;
use rampart_core::Problem;
use serde::de::DeserializeOwned;
use tower_http::timeout::TimeoutError;

/// `axum::Json`, answering malformed bodies with a `400`/`415`/`413` problem
/// that says what is wrong without echoing the body.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(problem_for(&rejection).into_response()),
        }
    }
}

fn problem_for(rejection: &JsonRejection) -> Problem {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE)
                .with_detail("send the body as application/json")
        }
        JsonRejection::JsonSyntaxError(_) => {
            Problem::bad_request().with_detail("the body is not valid JSON")
        }
        JsonRejection::JsonDataError(_) => Problem::bad_request()
            .with_detail("the JSON body does not have the expected fields and types"),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Problem::payload_too_large().with_detail("the body is too large")
        }
        JsonRejection::BytesRejection(e) if timed_out(e) => {
            Problem::new(StatusCode::REQUEST_TIMEOUT)
                .with_detail("the body did not arrive in time; send it without pausing")
        }
        _ => Problem::bad_request().with_detail("the body could not be read"),
    }
}

/// Whether reading the body failed because its deadline passed
/// ([`crate::timeout`]): the error is somewhere in the rejection's source chain.
fn timed_out(rejection: &(dyn std::error::Error + 'static)) -> bool {
    let mut error = Some(rejection);
    while let Some(e) = error {
        if e.is::<TimeoutError>() {
            return true;
        }
        error = e.source();
    }
    false
}

/// `axum::extract::Path`, answering a path parameter that cannot be read (a
/// percent-encoded segment that is not UTF-8, say) with a `400` problem
/// instead of axum's plain-text answer.
#[derive(Debug, Clone, Copy, Default)]
pub struct PathParams<T>(pub T);

impl<S, T> FromRequestParts<S> for PathParams<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value)),
            // The client's fault: a segment that does not decode.
            Err(rejection) if rejection.status().is_client_error() => Err(Problem::bad_request()
                .with_detail("a path segment could not be read; send it as percent-encoded UTF-8")
                .into_response()),
            // The route's fault (a parameter it does not have): not the client's.
            Err(rejection) => {
                tracing::error!(target: "secure_api", error = %rejection.body_text(), "path parameters do not fit the route");
                Err(Problem::internal().into_response())
            }
        }
    }
}
