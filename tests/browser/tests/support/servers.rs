//! The servers the browser visits, all on loopback: a site protected by
//! rampart-headers, a page on other origins that attacks it, and the
//! reference app.
//!
//! Origins: the site is `http://127.0.0.1:<site>`, the app
//! `http://127.0.0.1:<app>`. The other pages are one server reached two ways:
//! `http://127.0.0.1:<other>` (same site as the app and the site, a different
//! origin; listed in the app's allowed origins) and `http://localhost:<other>`
//! (another site altogether, listed nowhere).

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::{get, post};
use axum::{Extension, Router};
use rampart_headers::{
    ContentSecurityPolicy, CspNonce, CsrfLayer, CsrfPolicy, NonceHtml, SecurityHeaders,
    SecurityHeadersLayer,
};
use secure_api::app;
use secure_api::config::AppConfig;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// Text only the site's script page shows.
pub const SCRIPTS_MARKER: &str = "rampart scripts page";
/// Text only the site's legacy-framing page shows.
pub const XFO_MARKER: &str = "rampart x-frame-options page";
/// Text only the freely frameable control page shows.
pub const PLAIN_MARKER: &str = "rampart plain page";
/// What the site answers to an accepted transfer.
pub const TRANSFER_DONE: &str = "rampart transfer done";
/// What the single-page app's bundle writes into the page once it runs.
pub const SPA_STARTED: &str = "rampart spa started";

/// A single-page app's `index.html` as a bundler writes it: the app is a
/// same-origin module with no nonce, which loads a code-split chunk; one
/// inline script carries the nonce placeholder, and one stands for a script
/// an attacker injected into the page.
const SPA_INDEX: &str = "<!doctype html><title>spa</title>\
    <script nonce=\"{{csp_nonce}}\">window.nonced = true;</script>\
    <script type=\"module\" crossorigin src=\"assets/index-4f2a.js\"></script>\
    <script>window.injected = true;</script>\
    <div id=\"app\"></div>";

/// Everything the browser tests talk to.
pub struct World {
    /// `http://127.0.0.1:<site>`.
    pub site: String,
    /// `http://127.0.0.1:<app>`: the reference app.
    pub app: String,
    /// `http://127.0.0.1:<other>`: same site as the others, its own origin, allowed by the app.
    pub other_listed: String,
    /// `http://localhost:<other>`: a different site, allowed nowhere.
    pub other_unlisted: String,
    /// CSP violation reports the site received, as JSON.
    pub reports: mpsc::UnboundedReceiver<serde_json::Value>,
    /// How many transfers the site's handler carried out.
    pub transfers: Arc<AtomicUsize>,
}

impl World {
    /// Binds every server on loopback and serves them in the background; they
    /// stop with the test's runtime.
    pub async fn start() -> Self {
        let other = bind().await;
        let other_port = port(&other);
        let other_listed = format!("http://127.0.0.1:{other_port}");
        let other_unlisted = format!("http://localhost:{other_port}");
        serve(other, other_router());

        let (report_tx, reports) = mpsc::unbounded_channel();
        let transfers = Arc::new(AtomicUsize::new(0));
        let site = bind().await;
        let site_origin = format!("http://127.0.0.1:{}", port(&site));
        serve(site, site_router(report_tx, Arc::clone(&transfers)));

        let app_listener = bind().await;
        let app_origin = format!("http://127.0.0.1:{}", port(&app_listener));
        let document =
            // Served over plain HTTP on loopback: HTTPS only would refuse every form.
            format!("[http]\ntrusted_proxies = []\nallowed_origins = [\"{other_listed}\"]\nhttps_only = false\n");
        let addr = app_listener.local_addr().unwrap();
        let config = AppConfig::from_documents(addr, None, Some(&document)).unwrap();
        let (router, _) = app::build(&config).await.unwrap();
        serve(app_listener, router);

        Self {
            site: site_origin,
            app: app_origin,
            other_listed,
            other_unlisted,
            reports,
            transfers,
        }
    }
}

async fn bind() -> TcpListener {
    TcpListener::bind(("127.0.0.1", 0)).await.unwrap()
}

fn port(listener: &TcpListener) -> u16 {
    listener.local_addr().unwrap().port()
}

fn serve(listener: TcpListener, router: Router) {
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
}

/// The protected site: a nonce CSP with a report endpoint and no framing,
/// CSRF on the state-changing route, and one page with only `X-Frame-Options`.
fn site_router(
    reports: mpsc::UnboundedSender<serde_json::Value>,
    transfers: Arc<AtomicUsize>,
) -> Router {
    let csp = ContentSecurityPolicy::new()
        .default_src(["'self'"])
        .script_src(["'nonce'"])
        .form_action(["'self'"])
        .report_uri("/csp-report");
    // Plain HTTP on loopback: no HSTS; the CSP has no upgrade-insecure-requests.
    let headers = SecurityHeaders::builder()
        .csp(csp)
        .insecure_without_hsts()
        .build()
        .unwrap();
    let legacy_only = SecurityHeaders::builder()
        .insecure_without_csp()
        .insecure_without_hsts()
        .build()
        .unwrap();
    let csrf = CsrfLayer::new(
        CsrfPolicy::builder()
            .insecure_plain_http(true)
            .build()
            .unwrap(),
    );

    let protected =
        Router::new()
            .route("/scripts", get(scripts_page))
            .route("/form", get(form_page))
            .route(
                "/transfer",
                post(move || {
                    let transfers = Arc::clone(&transfers);
                    async move {
                        transfers.fetch_add(1, Ordering::SeqCst);
                        TRANSFER_DONE
                    }
                })
                .route_layer(csrf),
            )
            .route(
                "/csp-report",
                post(
                    |State(reports): State<mpsc::UnboundedSender<serde_json::Value>>,
                     body: Bytes| async move {
                        report(&reports, &body);
                    },
                ),
            )
            .with_state(reports)
            .layer(SecurityHeadersLayer::new(headers));
    let legacy = Router::new()
        .route(
            "/xfo-only",
            get(|| async { Html(format!("<!doctype html><p>{XFO_MARKER}</p>")) }),
        )
        .layer(SecurityHeadersLayer::new(legacy_only));
    protected
        .merge(legacy)
        .merge(spa_router("/spa/", SecurityHeaders::spa()))
        .merge(spa_router(
            "/spa-strict-dynamic/",
            // The preset as it was with 'strict-dynamic', for contrast.
            SecurityHeaders::spa().csp(
                ContentSecurityPolicy::new()
                    .default_src(["'self'"])
                    .script_src(["'self'", "'nonce'", "'strict-dynamic'"])
                    .style_src(["'self'", "'nonce'"])
                    .object_src(["'none'"])
                    .base_uri(["'none'"]),
            ),
        ))
}

/// The single-page app at `page` (ending in `/`), its index served through
/// `NonceHtml`, its bundle and chunk under `assets/`, all with the headers of
/// `preset`.
fn spa_router(page: &str, preset: rampart_headers::SecurityHeadersBuilder) -> Router {
    let script = |text: String| {
        move || {
            let text = text.clone();
            async move {
                (
                    [(http::header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    text,
                )
            }
        }
    };
    let bundle = "window.bundle = true;\
     import('./chunk-9c1d.js').then(chunk => {\
         document.getElementById('app').textContent = chunk.started;\
         window.started = true;\
     });";
    let chunk = format!("export const started = {SPA_STARTED:?};");
    // Loopback is plain HTTP: no HSTS (browsers ignore it there anyway).
    let headers = preset.insecure_without_hsts().build().unwrap();
    Router::new()
        .route_service(page, NonceHtml::new(SPA_INDEX))
        .route(
            &format!("{page}assets/index-4f2a.js"),
            get(script(bundle.to_owned())),
        )
        .route(&format!("{page}assets/chunk-9c1d.js"), get(script(chunk)))
        .layer(SecurityHeadersLayer::new(headers))
}

fn report(reports: &mpsc::UnboundedSender<serde_json::Value>, body: &[u8]) {
    if let Ok(json) = serde_json::from_slice(body) {
        // The receiver is gone only once the test has finished.
        let _ = reports.send(json);
    }
}

async fn scripts_page(Extension(nonce): Extension<CspNonce>) -> Html<String> {
    Html(format!(
        "<!doctype html><title>scripts</title><p>{SCRIPTS_MARKER}</p>\
         <script nonce=\"{nonce}\">window.nonced = true;</script>\
         <script>window.unnonced = true;</script>"
    ))
}

async fn form_page() -> Html<&'static str> {
    Html(
        "<!doctype html><title>form</title>\
         <form id=\"f\" method=\"post\" action=\"/transfer\">\
         <input name=\"amount\" value=\"1\"></form>",
    )
}

/// Pages on other origins: no security headers at all, like an attacker's site.
fn other_router() -> Router {
    Router::new()
        .route(
            "/blank",
            get(|| async { Html("<!doctype html><title>blank</title>") }),
        )
        .route(
            "/plain",
            get(|| async { Html(format!("<!doctype html><p>{PLAIN_MARKER}</p>")) }),
        )
        .route(
            "/frame",
            get(|Query(q): Query<HashMap<String, String>>| async move {
                let src = attribute(q.get("src").map_or("", String::as_str));
                Html(format!(
                    "<!doctype html><title>frame</title>\
                     <iframe id=\"target\" src=\"{src}\" onload=\"window.framed = true\"></iframe>"
                ))
            }),
        )
        .route(
            "/forge",
            get(|Query(q): Query<HashMap<String, String>>| async move {
                let action = attribute(q.get("action").map_or("", String::as_str));
                Html(format!(
                    "<!doctype html><title>forge</title>\
                     <form id=\"f\" method=\"post\" action=\"{action}\">\
                     <input name=\"amount\" value=\"1000000\"></form>"
                ))
            }),
        )
}

/// `text` escaped for a double-quoted HTML attribute.
fn attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}
