//! RFC 9457 problem details: the body of every rejection.

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use serde::Serialize;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Seconds a client is asked to wait when a store behind a layer is down: long
/// enough not to hammer a recovering store, short enough that a user barely
/// notices.
pub const STORE_RETRY_AFTER_SECS: u64 = 5;

/// The media type of a problem body.
pub const PROBLEM_JSON: HeaderValue = HeaderValue::from_static("application/problem+json");

/// An `application/problem+json` response (RFC 9457).
///
/// Rejecting layers answer with one by default: the status says what class of
/// failure it was, `title` is a short generic text, and `detail` may say more
/// but never echoes the input or a secret. Headers that belong with the status
/// (`WWW-Authenticate`, `Retry-After`) travel with the problem.
///
/// ```
/// use rampart::core::Problem;
/// use http::StatusCode;
///
/// let response: http::Response<Vec<u8>> = Problem::too_many_requests(30)
///     .with_detail("request quota for this client is used up")
///     .into_response();
/// assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
/// assert_eq!(response.headers()["retry-after"], "30");
/// assert_eq!(response.headers()["content-type"], "application/problem+json");
/// let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
/// assert_eq!(body["status"], 429);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    status: StatusCode,
    body: ProblemBody,
    headers: HeaderMap,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct ProblemBody {
    #[serde(rename = "type")]
    type_uri: Cow<'static, str>,
    title: Cow<'static, str>,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<Cow<'static, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance: Option<String>,
    #[serde(flatten)]
    extensions: Map<String, Value>,
}

impl Problem {
    /// A problem with `status`, type `about:blank` and the status's reason as title.
    pub fn new(status: StatusCode) -> Self {
        Self {
            status,
            body: ProblemBody {
                type_uri: Cow::Borrowed("about:blank"),
                title: Cow::Borrowed(status.canonical_reason().unwrap_or("Error")),
                status: status.as_u16(),
                detail: None,
                instance: None,
                extensions: Map::new(),
            },
            headers: HeaderMap::new(),
        }
    }

    /// `400 Bad Request`.
    pub fn bad_request() -> Self {
        Self::new(StatusCode::BAD_REQUEST)
    }

    /// `401 Unauthorized` with the `WWW-Authenticate` challenge the client must meet.
    pub fn unauthorized(challenge: HeaderValue) -> Self {
        Self::new(StatusCode::UNAUTHORIZED).with_header(WWW_AUTHENTICATE, challenge)
    }

    /// `403 Forbidden`.
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN)
    }

    /// `404 Not Found`.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND)
    }

    /// `413 Content Too Large`.
    pub fn payload_too_large() -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE)
    }

    /// `429 Too Many Requests` with `Retry-After` in whole seconds (at least 1).
    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS)
            .with_header(RETRY_AFTER, HeaderValue::from(retry_after_secs.max(1)))
    }

    /// `500 Internal Server Error`, for a failure that must not say more.
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// `503 Service Unavailable`, e.g. a store is down and the layer fails closed.
    pub fn unavailable() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE)
    }

    /// `503 Service Unavailable` with `Retry-After` in whole seconds (at least
    /// 1): the request itself was fine and may succeed later. Clients such as
    /// OAuth libraries tell "retry" from "give up" by this header, so a layer
    /// failing closed on a store outage answers with it.
    pub fn unavailable_retry_after(retry_after_secs: u64) -> Self {
        Self::unavailable().with_header(RETRY_AFTER, HeaderValue::from(retry_after_secs.max(1)))
    }

    /// Sets the `type` URI identifying the kind of problem.
    #[must_use]
    pub fn with_type(mut self, type_uri: impl Into<Cow<'static, str>>) -> Self {
        self.body.type_uri = type_uri.into();
        self
    }

    /// Sets the short, generic `title`.
    #[must_use]
    pub fn with_title(mut self, title: impl Into<Cow<'static, str>>) -> Self {
        self.body.title = title.into();
        self
    }

    /// Sets `detail`. Never put the client's input or a secret here.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<Cow<'static, str>>) -> Self {
        self.body.detail = Some(detail.into());
        self
    }

    /// Sets `instance`, a URI naming this occurrence (often the request id).
    #[must_use]
    pub fn with_instance(mut self, instance: impl Into<String>) -> Self {
        self.body.instance = Some(instance.into());
        self
    }

    /// Adds an extension member such as `"error": "invalid_token"`.
    /// The standard members cannot be replaced this way.
    #[must_use]
    pub fn with_extension(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        let name = name.into();
        if !matches!(
            name.as_str(),
            "type" | "title" | "status" | "detail" | "instance"
        ) {
            self.body.extensions.insert(name, value.into());
        }
        self
    }

    /// Adds a response header.
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The title.
    pub fn title(&self) -> &str {
        &self.body.title
    }

    /// The detail, if any.
    pub fn detail(&self) -> Option<&str> {
        self.body.detail.as_deref()
    }

    /// An extension member, if set.
    pub fn extension(&self, name: &str) -> Option<&Value> {
        self.body.extensions.get(name)
    }

    /// The headers that go with the problem.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The JSON body.
    pub fn to_json(&self) -> Bytes {
        // Serialising strings, numbers and a JSON map cannot fail.
        serde_json::to_vec(&self.body)
            .map(Bytes::from)
            .unwrap_or_else(|_| Bytes::from_static(b"{}"))
    }

    /// The HTTP response: status, headers, `Content-Type: application/problem+json`,
    /// `Cache-Control: no-store`, and the JSON body.
    pub fn into_response<B: From<Bytes>>(self) -> Response<B> {
        let body = self.to_json();
        let mut response = Response::new(B::from(body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, PROBLEM_JSON);
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        for (name, value) in &self.headers {
            headers.append(name, value.clone());
        }
        response
    }
}

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
impl axum::response::IntoResponse for Problem {
    fn into_response(self) -> axum::response::Response {
        Problem::into_response::<axum::body::Body>(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(problem: Problem) -> Value {
        serde_json::from_slice(&problem.to_json()).unwrap()
    }

    #[test]
    fn minimal_problem_has_the_standard_members() {
        assert_eq!(
            body_of(Problem::forbidden()),
            serde_json::json!({"type":"about:blank","title":"Forbidden","status":403})
        );
    }

    #[test]
    fn extensions_cannot_overwrite_standard_members() {
        let p = Problem::bad_request()
            .with_extension("status", 200)
            .with_extension("error", "invalid_request");
        let body = body_of(p);
        assert_eq!(body["status"], 400);
        assert_eq!(body["error"], "invalid_request");
    }

    #[test]
    fn unauthorized_carries_the_challenge() {
        let response: Response<Bytes> =
            Problem::unauthorized(HeaderValue::from_static("Bearer")).into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[WWW_AUTHENTICATE], "Bearer");
        assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    }

    #[test]
    fn retry_after_is_at_least_one_second() {
        let p = Problem::too_many_requests(0);
        assert_eq!(p.headers()[RETRY_AFTER], "1");
        let p = Problem::unavailable_retry_after(0);
        assert_eq!(p.headers()[RETRY_AFTER], "1");
    }

    #[test]
    fn unavailable_says_when_to_retry() {
        let response: Response<Bytes> = Problem::unavailable_retry_after(5).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[RETRY_AFTER], "5");
        assert!(!Problem::unavailable().headers().contains_key(RETRY_AFTER));
    }
}
