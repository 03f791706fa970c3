//! A JSON body extractor whose refusals are problem JSON like every other.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::response::Response;
use http::StatusCode;
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
