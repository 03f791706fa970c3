//! How a layer turns a refusal into a response, and how users replace it.

use crate::Problem;
use bytes::Bytes;
use http::Response;

/// A typed reason for refusing a request, with its default problem.
///
/// Each rampart crate has one (`CsrfRejection`, `AuthRejection`...). The value
/// is attached to the response's extensions, so outer layers such as audit can
/// read why a request was refused.
pub trait Rejection: Clone + Send + Sync + 'static {
    /// The problem answered by default.
    fn to_problem(&self) -> Problem;
}

/// Builds the response for a rejection. The default, [`ProblemResponse`], answers
/// the rejection's problem JSON; a closure `Fn(&R, Problem) -> Response<B>`
/// replaces it (to render HTML, say) while keeping the typed reason.
///
/// ```
/// use rampart::core::{Problem, Rejection, RejectionResponse, ProblemResponse};
/// use http::{Response, StatusCode};
///
/// #[derive(Clone)]
/// struct Closed;
/// impl Rejection for Closed {
///     fn to_problem(&self) -> Problem { Problem::forbidden().with_detail("closed") }
/// }
///
/// let custom = |_: &Closed, problem: Problem| {
///     Response::builder().status(problem.status()).body(String::from("<h1>Nope</h1>")).unwrap()
/// };
/// let response = custom.respond(&Closed, Closed.to_problem());
/// assert_eq!(response.status(), StatusCode::FORBIDDEN);
/// assert_eq!(response.body(), "<h1>Nope</h1>");
///
/// let default: Response<Vec<u8>> = ProblemResponse.respond(&Closed, Closed.to_problem());
/// assert!(String::from_utf8_lossy(default.body()).contains("closed"));
/// ```
pub trait RejectionResponse<R, B>: Clone + Send + Sync + 'static {
    /// The response for `rejection`, whose default problem is `problem`.
    fn respond(&self, rejection: &R, problem: Problem) -> Response<B>;
}

/// Answers a rejection with its problem JSON.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProblemResponse;

impl<R, B: From<Bytes>> RejectionResponse<R, B> for ProblemResponse {
    fn respond(&self, _rejection: &R, problem: Problem) -> Response<B> {
        problem.into_response()
    }
}

impl<F, R, B> RejectionResponse<R, B> for F
where
    F: Fn(&R, Problem) -> Response<B> + Clone + Send + Sync + 'static,
{
    fn respond(&self, rejection: &R, problem: Problem) -> Response<B> {
        self(rejection, problem)
    }
}

/// Builds the response for `rejection` with `responder` and attaches the
/// rejection and its default [`Problem`] to its extensions. What every
/// rejecting layer calls.
///
/// The problem travels too so that an outer layer can re-render the refusal
/// without knowing the rejection's type (`GrpcRefusalLayer` turns it into a
/// gRPC status for gRPC callers).
pub fn reject<R, B, T>(responder: &T, rejection: R) -> Response<B>
where
    R: Rejection,
    T: RejectionResponse<R, B>,
{
    let problem = rejection.to_problem();
    let mut response = responder.respond(&rejection, problem.clone());
    let extensions = response.extensions_mut();
    extensions.insert(rejection);
    extensions.insert(problem);
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    #[derive(Debug, Clone, PartialEq)]
    struct Denied(&'static str);

    impl Rejection for Denied {
        fn to_problem(&self) -> Problem {
            Problem::forbidden()
        }
    }

    #[test]
    fn reject_attaches_the_reason() {
        let response: Response<Bytes> = reject(&ProblemResponse, Denied("policy"));
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            response.extensions().get::<Denied>(),
            Some(&Denied("policy"))
        );
        assert_eq!(
            response.extensions().get::<Problem>(),
            Some(&Problem::forbidden())
        );
    }

    #[test]
    fn a_replaced_response_still_carries_the_default_problem() {
        let custom = |_: &Denied, _: Problem| Response::new(Bytes::from_static(b"nope"));
        let response = reject(&custom, Denied("policy"));
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.extensions().get::<Problem>().map(Problem::status),
            Some(StatusCode::FORBIDDEN)
        );
    }
}
