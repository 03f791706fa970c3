//! Refusals a gRPC client understands.
//!
//! A gRPC client reads the outcome of a call from `grpc-status`, not from the
//! HTTP status: most clients turn any HTTP status but `200` into a vague
//! `UNKNOWN` or `UNAVAILABLE` and drop the body, so the problem JSON a layer
//! answers by default never reaches the caller. [`GrpcResponse`] answers the
//! same refusal as a gRPC *trailers-only* response instead: HTTP `200`,
//! `content-type: application/grpc`, the status code mapped by
//! [`grpc_code`], the problem's detail (or title) as `grpc-message`, and the
//! problem's headers (`Retry-After`, `WWW-Authenticate`) kept as metadata.
//!
//! A server that answers REST and gRPC clients from one stack keeps the
//! default responders and puts [`GrpcRefusalLayer`]
//! outside the guards instead: it re-renders a refusal as a gRPC status only
//! for requests that came in as gRPC.
//!
//! The body of a trailers-only response is empty, so the responder needs only
//! `B: Default` of the response body: tonic's `tonic::body::Body` qualifies, and
//! this crate needs no gRPC dependency.
//!
//! ```
//! use rampart::core::{GrpcResponse, Problem, Rejection, RejectionResponse};
//!
//! #[derive(Clone)]
//! struct Limited;
//! impl Rejection for Limited {
//!     fn to_problem(&self) -> Problem {
//!         Problem::too_many_requests(30).with_detail("quota used up")
//!     }
//! }
//!
//! let response: http::Response<String> = GrpcResponse.respond(&Limited, Limited.to_problem());
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.headers()["grpc-status"], "8"); // RESOURCE_EXHAUSTED
//! assert_eq!(response.headers()["grpc-message"], "quota used up");
//! assert_eq!(response.headers()["retry-after"], "30");
//! assert!(response.body().is_empty());
//! ```

mod layer;

pub use layer::{GrpcRefusal, GrpcRefusalFuture, GrpcRefusalLayer};

use crate::{Problem, RejectionResponse};
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use std::borrow::Cow;

/// The media type of a gRPC message stream.
pub const GRPC_CONTENT_TYPE: HeaderValue = HeaderValue::from_static("application/grpc");

/// The header carrying a call's status code.
pub const GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");

/// The header carrying a call's status message, percent-encoded.
pub const GRPC_MESSAGE: HeaderName = HeaderName::from_static("grpc-message");

/// gRPC status codes a refusal can map to (the numbers of the gRPC spec).
pub mod code {
    /// `OK`.
    pub const OK: i32 = 0;
    /// `INVALID_ARGUMENT`: the request itself is wrong (`400`).
    pub const INVALID_ARGUMENT: i32 = 3;
    /// `NOT_FOUND` (`404`).
    pub const NOT_FOUND: i32 = 5;
    /// `PERMISSION_DENIED`: authenticated, but not allowed (`403`).
    pub const PERMISSION_DENIED: i32 = 7;
    /// `RESOURCE_EXHAUSTED`: a quota or a size limit (`429`, `413`).
    pub const RESOURCE_EXHAUSTED: i32 = 8;
    /// `INTERNAL`: every other failure.
    pub const INTERNAL: i32 = 13;
    /// `UNAVAILABLE`: try again later (`503`).
    pub const UNAVAILABLE: i32 = 14;
    /// `UNAUTHENTICATED`: no valid credential (`401`).
    pub const UNAUTHENTICATED: i32 = 16;
}

/// The gRPC status code for a refusal answered in HTTP with `status`.
///
/// `401` is `UNAUTHENTICATED`, `403` `PERMISSION_DENIED`, `429` and `413`
/// `RESOURCE_EXHAUSTED`, `400` `INVALID_ARGUMENT`, `404` `NOT_FOUND`, `503`
/// `UNAVAILABLE` (the one code clients retry on their own), and anything else
/// `INTERNAL`, including a success status: a refusal that claims success is a
/// bug, and a client must not read it as one.
pub fn grpc_code(status: StatusCode) -> i32 {
    match status {
        StatusCode::BAD_REQUEST => code::INVALID_ARGUMENT,
        StatusCode::UNAUTHORIZED => code::UNAUTHENTICATED,
        StatusCode::FORBIDDEN => code::PERMISSION_DENIED,
        StatusCode::NOT_FOUND => code::NOT_FOUND,
        StatusCode::PAYLOAD_TOO_LARGE | StatusCode::TOO_MANY_REQUESTS => code::RESOURCE_EXHAUSTED,
        StatusCode::SERVICE_UNAVAILABLE => code::UNAVAILABLE,
        _ => code::INTERNAL,
    }
}

/// Bytes the gRPC spec lets stand unencoded in `grpc-message` are the
/// printable ASCII range `0x20..=0x7E` except `%`; `CONTROLS` covers the rest
/// of ASCII, and bytes of non-ASCII characters are always encoded.
const GRPC_MESSAGE_ESCAPED: &AsciiSet = &CONTROLS.add(b'%');

/// `message` percent-encoded as the gRPC spec asks of `grpc-message`: the
/// UTF-8 bytes outside printable ASCII, and `%` itself, become `%XX`.
///
/// Without it a message holding a newline or a non-ASCII letter would be an
/// invalid header value, and the refusal would fail to be sent at all.
pub fn encode_grpc_message(message: &str) -> Cow<'_, str> {
    utf8_percent_encode(message, GRPC_MESSAGE_ESCAPED).into()
}

/// Whether a request speaks gRPC: its `content-type` is `application/grpc`
/// or one of its variants (`+proto`, `+json`, and gRPC-Web's
/// `application/grpc-web*`, whose clients read a trailers-only status from
/// the response head too).
pub fn is_grpc_request(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.get(..16))
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("application/grpc"))
}

impl Problem {
    /// The problem as a gRPC trailers-only response: HTTP `200`,
    /// `content-type: application/grpc`, `grpc-status` from [`grpc_code`],
    /// `grpc-message` from the detail (or the title when there is none),
    /// the problem's own headers, and an empty body.
    pub fn into_grpc_response<B: Default>(self) -> Response<B> {
        let mut response = Response::new(B::default());
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, GRPC_CONTENT_TYPE);
        headers.insert(GRPC_STATUS, HeaderValue::from(grpc_code(self.status())));
        let message = self.detail().unwrap_or_else(|| self.title());
        // Percent-encoding leaves only visible ASCII, always a valid value.
        if let Ok(value) = HeaderValue::from_str(&encode_grpc_message(message)) {
            headers.insert(GRPC_MESSAGE, value);
        }
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        for (name, value) in self.headers() {
            headers.append(name, value.clone());
        }
        response
    }
}

/// Answers a rejection as a gRPC trailers-only response (see the
/// [module docs](crate::grpc)). Give it to a layer's `with_response` to serve gRPC
/// clients; the typed rejection is still attached to the response.
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcResponse;

impl<R, B: Default> RejectionResponse<R, B> for GrpcResponse {
    fn respond(&self, _rejection: &R, problem: Problem) -> Response<B> {
        problem.into_grpc_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Rejection, reject};
    use http::header::{RETRY_AFTER, WWW_AUTHENTICATE};

    #[derive(Debug, Clone, PartialEq)]
    struct Refused(Problem);

    impl Rejection for Refused {
        fn to_problem(&self) -> Problem {
            self.0.clone()
        }
    }

    fn grpc(problem: Problem) -> Response<Vec<u8>> {
        reject(&GrpcResponse, Refused(problem))
    }

    #[test]
    fn statuses_map_to_the_grpc_codes() {
        let cases = [
            (StatusCode::UNAUTHORIZED, 16),
            (StatusCode::FORBIDDEN, 7),
            (StatusCode::TOO_MANY_REQUESTS, 8),
            (StatusCode::PAYLOAD_TOO_LARGE, 8),
            (StatusCode::BAD_REQUEST, 3),
            (StatusCode::NOT_FOUND, 5),
            (StatusCode::SERVICE_UNAVAILABLE, 14),
            (StatusCode::INTERNAL_SERVER_ERROR, 13),
            (StatusCode::CONFLICT, 13),
            (StatusCode::BAD_GATEWAY, 13),
            (StatusCode::OK, 13),
        ];
        for (status, expected) in cases {
            assert_eq!(grpc_code(status), expected, "{status}");
        }
    }

    #[test]
    fn printable_ascii_stands_as_it_is() {
        let text = "token expired: sign in again (code=42) ~!@#$^&*";
        assert_eq!(encode_grpc_message(text), text);
        assert!(matches!(encode_grpc_message(text), Cow::Borrowed(_)));
    }

    #[test]
    fn percent_controls_and_non_ascii_are_encoded() {
        assert_eq!(encode_grpc_message("100%"), "100%25");
        assert_eq!(encode_grpc_message("a\r\nb\tc\0"), "a%0D%0Ab%09c%00");
        assert_eq!(encode_grpc_message("\x7f"), "%7F");
        assert_eq!(encode_grpc_message("café"), "caf%C3%A9");
        assert_eq!(encode_grpc_message("⚠"), "%E2%9A%A0");
        assert_eq!(encode_grpc_message(""), "");
    }

    #[test]
    fn unauthorized_is_a_trailers_only_unauthenticated() {
        let problem = Problem::unauthorized(HeaderValue::from_static("Bearer"))
            .with_detail("no bearer token");
        let response = grpc(problem.clone());
        assert_eq!(response.status(), StatusCode::OK);
        let h = response.headers();
        assert_eq!(h[CONTENT_TYPE], "application/grpc");
        assert_eq!(h[GRPC_STATUS], "16");
        assert_eq!(h[GRPC_MESSAGE], "no bearer token");
        assert_eq!(h[WWW_AUTHENTICATE], "Bearer");
        assert!(response.body().is_empty());
        // The typed reason still travels for the audit layer.
        assert_eq!(
            response.extensions().get::<Refused>(),
            Some(&Refused(problem))
        );
    }

    #[test]
    fn retry_after_is_kept_and_the_title_stands_in_for_a_missing_detail() {
        let response = grpc(Problem::too_many_requests(7));
        assert_eq!(response.headers()[GRPC_STATUS], "8");
        assert_eq!(response.headers()[RETRY_AFTER], "7");
        assert_eq!(response.headers()[GRPC_MESSAGE], "Too Many Requests");
        let response = grpc(Problem::unavailable_retry_after(5));
        assert_eq!(response.headers()[GRPC_STATUS], "14");
        assert_eq!(response.headers()[RETRY_AFTER], "5");
        let response = grpc(Problem::forbidden());
        assert_eq!(response.headers()[GRPC_STATUS], "7");
        assert!(!response.headers().contains_key(RETRY_AFTER));
    }

    #[test]
    fn a_message_that_is_no_header_value_is_encoded_not_dropped() {
        let response = grpc(Problem::bad_request().with_detail("line 1\nzweite Zeile: ü 5%"));
        assert_eq!(response.headers()[GRPC_STATUS], "3");
        assert_eq!(
            response.headers()[GRPC_MESSAGE],
            "line 1%0Azweite Zeile: %C3%BC 5%25"
        );
    }

    proptest::proptest! {
        #[test]
        fn any_message_encodes_to_a_header_value_that_decodes_back(message in "\\PC*|[\\x00-\\x7f]*") {
            let encoded = encode_grpc_message(&message);
            proptest::prop_assert!(encoded.bytes().all(|b| (0x20..=0x7e).contains(&b)));
            proptest::prop_assert!(HeaderValue::from_str(&encoded).is_ok());
            let decoded = percent_encoding::percent_decode_str(&encoded)
                .decode_utf8()
                .map(|d| d.into_owned());
            proptest::prop_assert_eq!(decoded.ok(), Some(message));
        }
    }

    #[test]
    fn grpc_requests_are_told_by_their_content_type() {
        let with = |value: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(CONTENT_TYPE, HeaderValue::from_static(value));
            is_grpc_request(&h)
        };
        assert!(with("application/grpc"));
        assert!(with("application/grpc+proto"));
        assert!(with("Application/GRPC+json"));
        assert!(with("application/grpc-web+proto"));
        assert!(!with("application/json"));
        assert!(!with("application/grp"));
        assert!(!is_grpc_request(&HeaderMap::new()));
    }
}
