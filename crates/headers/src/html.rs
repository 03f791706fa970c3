//! [`NonceHtml`]: a static HTML page served with the response's CSP nonce
//! filled in.

use crate::CspNonce;
use bytes::Bytes;
use http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use rampart_core::Problem;
use std::convert::Infallible;
use std::future::{Ready, ready};
use std::path::Path;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower_service::Service;

/// What a page writes where the nonce goes: `<script nonce="{{csp_nonce}}">`.
pub const NONCE_PLACEHOLDER: &str = "{{csp_nonce}}";

/// Serves one HTML page, typically a single-page app's `index.html`, with
/// every `{{csp_nonce}}` replaced by the nonce of the response's CSP.
///
/// A nonce works only when the page and the `Content-Security-Policy` header
/// carry the same fresh value, so a page with inline scripts cannot be served
/// as a plain static file under a nonce policy. `NonceHtml` reads the
/// [`CspNonce`] that [`SecurityHeadersLayer`](crate::SecurityHeadersLayer)
/// put in the request's extensions and writes it into the page; the layer
/// puts the same nonce in the header. Write the placeholder on the tags you
/// trust, `<script nonce="{{csp_nonce}}">`, or let the bundler do it (Vite:
/// `html: { cspNonce: "{{csp_nonce}}" }`). A script injected into the page
/// some other way has no nonce and does not run.
///
/// The page is split at its placeholders once, when `NonceHtml` is made; a
/// response joins the pieces around the nonce. Responses are `200` with
/// `Content-Type: text/html; charset=utf-8` and `Cache-Control: no-store`:
/// a cached copy would show every later visitor the same, stale nonce, which
/// the policy no longer accepts and an attacker could have read. `GET` and
/// `HEAD` are served; other methods get `405` problem JSON with `Allow`.
///
/// When the request carries no nonce, because `SecurityHeadersLayer` is
/// missing, sits inside this service or has a policy without `'nonce'`, the
/// answer is `500` problem JSON and an error is logged: the page's nonced
/// scripts could not run, and serving it anyway would hide the mistake.
///
/// ```
/// use axum::Router;
/// use rampart::headers::{NonceHtml, SecurityHeaders, SecurityHeadersLayer};
///
/// # fn build() -> Result<Router, rampart::headers::ConfigError> {
/// let index = NonceHtml::new(
///     r#"<!doctype html>
///     <script nonce="{{csp_nonce}}">window.config = { api: "/api" };</script>
///     <script type="module" src="/assets/index-4f2a.js"></script>
///     <div id="app"></div>"#,
/// );
/// let app: Router = Router::new()
///     // Every path the client-side router owns answers with the page.
///     .fallback_service(index)
///     .layer(SecurityHeadersLayer::new(SecurityHeaders::spa().build()?));
/// # Ok(app) }
/// # build().unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct NonceHtml {
    /// The page's text between placeholders: one more piece than placeholders.
    parts: Arc<[String]>,
}

impl NonceHtml {
    /// Serves `html`, filling in each [`NONCE_PLACEHOLDER`]. A page without
    /// one is served as it is.
    pub fn new(html: impl Into<String>) -> Self {
        let html = html.into();
        Self {
            parts: html.split(NONCE_PLACEHOLDER).map(str::to_owned).collect(),
        }
    }

    /// Serves the HTML file at `path`, read once, now.
    ///
    /// # Errors
    /// The file cannot be read or is not UTF-8.
    pub fn from_file(path: impl AsRef<Path>) -> std::io::Result<Self> {
        std::fs::read_to_string(path).map(Self::new)
    }

    /// The page with `nonce` filled in: the plain API under the service.
    pub fn render(&self, nonce: &CspNonce) -> String {
        self.parts.join(nonce.as_str())
    }

    fn respond<B>(&self, request: &Request<B>) -> Response<Full<Bytes>> {
        let method = request.method();
        if method != Method::GET && method != Method::HEAD {
            return Problem::new(StatusCode::METHOD_NOT_ALLOWED)
                .with_header(ALLOW, HeaderValue::from_static("GET, HEAD"))
                .into_response();
        }
        let Some(nonce) = request.extensions().get::<CspNonce>() else {
            tracing::error!(
                target: "rampart::headers",
                path = request.uri().path(),
                "no CSP nonce for this page: put SecurityHeadersLayer, with a policy using 'nonce', outside NonceHtml"
            );
            return Problem::internal()
                .with_detail("the page cannot be served without a CSP nonce")
                .into_response();
        };
        let body = if method == Method::HEAD {
            Bytes::new()
        } else {
            Bytes::from(self.render(nonce))
        };
        let mut response = Response::new(Full::new(body));
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

impl<B> Service<Request<B>> for NonceHtml {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        ready(Ok(self.respond(&request)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_gets_the_nonce_and_nothing_else_changes() {
        let page = NonceHtml::new(
            "<script nonce=\"{{csp_nonce}}\">a()</script><style nonce=\"{{csp_nonce}}\"></style>{{csp_nonce}}",
        );
        let nonce = CspNonce::generate();
        assert_eq!(
            page.render(&nonce),
            format!(
                "<script nonce=\"{nonce}\">a()</script><style nonce=\"{nonce}\"></style>{nonce}"
            )
        );
        let plain = "<!doctype html><script src=\"/app.js\"></script>{{ csp_nonce }}";
        assert_eq!(NonceHtml::new(plain).render(&nonce), plain);
        assert_eq!(NonceHtml::new("").render(&nonce), "");
    }

    #[test]
    fn a_missing_file_is_an_error() {
        assert!(NonceHtml::from_file("/nonexistent/index.html").is_err());
    }
}
