//! `InputGuardLayer` in an axum router: refusals as problems naming the
//! parameter and category, bodies passed unchanged, detect-only events,
//! per-field policies and cleaning, body limits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::{Body, Bytes};
use axum::routing::{get, post};
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use rampart_core::{EventKind, MemorySink};
use rampart_sanitize::{
    Category, FieldPolicy, GuardRejection, InputGuard, InputGuardBuilder, InputGuardLayer,
    Location, Mode,
};
use std::sync::Arc;
use tower::ServiceExt;

async fn echo(body: Bytes) -> Bytes {
    body
}

async fn query(uri: http::Uri) -> String {
    uri.query().unwrap_or_default().to_owned()
}

fn app(builder: InputGuardBuilder) -> Router {
    Router::new()
        .route("/search", get(query))
        .route("/files/{*path}", get(|| async { "file" }))
        .route("/items", post(echo))
        .layer(InputGuardLayer::new(builder.build().unwrap()))
}

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, http::Extensions, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let (parts, body) = res.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (
        status,
        parts.extensions,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

fn get_req(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn json(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

#[tokio::test]
async fn an_injected_query_is_refused_without_echoing_it() {
    let app = app(InputGuard::builder());
    let (status, ext, body) = send(&app, get_req("/search?q=1%27%20OR%20%271%27%3D%271")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["parameter"], "q");
    assert_eq!(problem["location"], "query");
    assert_eq!(problem["category"], "sql_injection");
    assert!(!body.contains("OR"), "payload echoed: {body}");
    assert!(matches!(
        ext.get::<GuardRejection>(),
        Some(GuardRejection::Attack {
            category: Category::SqlInjection,
            ..
        })
    ));
    let (status, _, body) = send(&app, get_req("/search?q=O%27Brien+%26+Sons")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "q=O%27Brien+%26+Sons");
}

#[tokio::test]
async fn a_clean_body_reaches_the_handler_byte_for_byte() {
    let app = app(InputGuard::builder());
    let original = "{ \"name\": \"O'Brien\",\n  \"description\": \"Rock 'n' roll; 1 & 2\" }";
    let (status, _, body) = send(&app, json("/items", original)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, original);
}

#[tokio::test]
async fn json_values_and_operator_keys_are_inspected() {
    let app = app(InputGuard::builder());
    let (status, _, body) = send(
        &app,
        json(
            "/items",
            r#"{"items":[{"name":"<img src=x onerror=alert(1)>"}]}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("\"category\":\"xss\""), "{body}");
    assert!(body.contains("\"parameter\":\"name\""), "{body}");
    let (status, _, body) = send(
        &app,
        json("/items", r#"{"user":"admin","password":{"$ne":""}}"#),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("nosql_injection"), "{body}");
    let (status, _, body) = send(&app, json("/items", "{\"name\": ")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("not valid JSON"), "{body}");
}

#[tokio::test]
async fn forms_paths_cookies_and_chosen_headers() {
    let app = app(InputGuard::builder().header("x-forwarded-host"));
    let form = Request::post("/items")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("name=a&cmd=x%3B+cat+%2Fetc%2Fpasswd"))
        .unwrap();
    let (status, _, body) = send(&app, form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("\"parameter\":\"cmd\""), "{body}");
    let (status, _, body) = send(&app, get_req("/files/..%2f..%2fetc%2fpasswd")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("path_traversal"), "{body}");
    let cookie = Request::get("/search")
        .header(header::COOKIE, "theme=dark; pref=%3Cscript%3E")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(&app, cookie).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("\"location\":\"cookie\""), "{body}");
    let hdr = Request::get("/search")
        .header("x-forwarded-host", "a\r\nSet-Cookie: x=1")
        .body(Body::empty());
    // A CR/LF cannot even be put in a header value by `http`; an encoded one can.
    assert!(hdr.is_err());
    let hdr = Request::get("/search")
        .header("x-forwarded-host", "%0d%0aSet-Cookie:%20x=1")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(&app, hdr).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("header_injection"), "{body}");
    // Headers not chosen are not inspected.
    let other = Request::get("/search")
        .header("x-note", "' or 1=1--")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, other).await.0, StatusCode::OK);
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let app = app(InputGuard::builder().max_body_bytes(16));
    let (status, ext, _) = send(&app, json("/items", r#"{"name":"a long enough value"}"#)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        ext.get::<GuardRejection>(),
        Some(&GuardRejection::TooLarge { limit: 16 })
    );
    // Without Content-Length (a stream), the limit holds while reading.
    let stream = Request::post("/items")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(futures_stream()))
        .unwrap();
    assert_eq!(send(&app, stream).await.0, StatusCode::PAYLOAD_TOO_LARGE);
}

fn futures_stream()
-> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    tokio_stream_from(vec![
        Bytes::from_static(b"{\"name\":"),
        Bytes::from_static(b"\"0123456789abcdef\"}"),
    ])
}

fn tokio_stream_from(
    chunks: Vec<Bytes>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    struct Chunks(std::collections::VecDeque<Bytes>);
    impl futures_util::Stream for Chunks {
        type Item = Result<Bytes, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Ready(self.0.pop_front().map(Ok))
        }
    }
    Chunks(chunks.into())
}

#[tokio::test]
async fn detect_only_passes_and_reports() {
    let sink = MemorySink::new();
    let app = app(InputGuard::builder()
        .mode(Mode::DetectOnly)
        .event_sink(Arc::new(sink.clone())));
    let (status, _, body) =
        send(&app, get_req("/search?q=%3Cscript%3Ealert(1)%3C/script%3E")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "q=%3Cscript%3Ealert(1)%3C/script%3E");
    let events = sink.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::AttackDetected);
    assert_eq!(events[0].fields["category"], "xss");
    assert_eq!(events[0].fields["location"], "query");
    assert_eq!(events[0].fields["parameter"], "q");
    assert_eq!(events[0].fields["action"], "detected");
    assert!(
        !serde_json::to_string(&events[0])
            .unwrap()
            .contains("script>")
    );
}

#[tokio::test]
async fn block_mode_reports_too() {
    let sink = MemorySink::new();
    let app = app(InputGuard::builder().event_sink(Arc::new(sink.clone())));
    assert_eq!(
        send(&app, get_req("/search?id=1+union+select+1")).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(sink.count(EventKind::AttackDetected), 1);
    assert_eq!(sink.events()[0].fields["action"], "blocked");
}

#[tokio::test]
async fn field_policies_exempt_strict_and_clean() {
    let app = app(InputGuard::builder()
        .field("html", FieldPolicy::Exempt)
        .field("sort", FieldPolicy::Strict)
        .field(
            "comment",
            FieldPolicy::clean(|v| v.replace('<', "&lt;").replace('>', "&gt;")),
        ));
    let (status, _, _) = send(&app, json("/items", r#"{"html":"<script>ok()</script>"}"#)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        send(&app, get_req("/search?q=1+--+first")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, get_req("/search?sort=1+--+first")).await.0,
        StatusCode::BAD_REQUEST
    );
    let (status, _, body) = send(
        &app,
        json("/items", r#"{"comment":"<script>alert(1)</script>","n":1}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["comment"], "&lt;script&gt;alert(1)&lt;/script&gt;");
    assert_eq!(v["n"], 1);
    let (status, _, body) = send(
        &app,
        get_req("/search?comment=%3Cscript%3Ex%3C%2Fscript%3E&page=2"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        "comment=%26lt%3Bscript%26gt%3Bx%26lt%3B%2Fscript%26gt%3B&page=2"
    );
}

#[tokio::test]
async fn a_payload_as_parameter_name_is_not_echoed() {
    let app = app(InputGuard::builder());
    let (status, _, body) = send(&app, get_req("/search?%3Cscript%3E=1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("(unnamed)"), "{body}");
    assert!(!body.contains("script"), "{body}");
}

#[tokio::test]
async fn the_response_can_be_replaced_and_keeps_the_reason() {
    let guard = InputGuard::builder().build().unwrap();
    let layer = InputGuardLayer::new(guard).with_response(
        |r: &GuardRejection, p: rampart_core::Problem| {
            let location = match r {
                GuardRejection::Attack { location, .. } => *location,
                _ => Location::Body,
            };
            http::Response::builder()
                .status(p.status())
                .body(Body::from(format!("refused in {}", location.as_str())))
                .unwrap()
        },
    );
    let app = Router::new().route("/search", get(query)).layer(layer);
    let (status, ext, body) = send(&app, get_req("/search?q=%27+or+%271%27%3D%271")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, "refused in query");
    assert!(ext.get::<GuardRejection>().is_some());
}

#[tokio::test]
async fn every_value_of_a_repeated_json_key_is_checked() {
    let app = app(InputGuard::builder());
    // Parsers differ on which duplicate they keep: both must be clean.
    for body in [
        r#"{"q":"<script>alert(1)</script>","q":"fine"}"#,
        r#"{"q":"fine","q":"<script>alert(1)</script>"}"#,
    ] {
        let (status, _, text) = send(&app, json("/items", body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(text.contains("\"parameter\":\"q\""), "{text}");
    }
}

#[tokio::test]
async fn escaped_json_keys_and_values_are_read_unescaped() {
    let app = app(InputGuard::builder());
    let (status, _, text) = send(&app, json("/items", r#"{"password":{"\u0024ne":"x"}}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("nosql_injection"), "{text}");
    let (status, _, text) = send(
        &app,
        json(
            "/items",
            r#"{"na\u006de":"\u003cscript\u003ealert(1)\u003c/script\u003e"}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("\"parameter\":\"name\""), "{text}");
}

#[tokio::test]
async fn json_that_is_not_one_whole_document_is_refused() {
    let app = app(InputGuard::builder());
    for body in [
        "{\"a\":1} {\"b\":2}",
        "{\"a\":1}x",
        "[1,2,]",
        "{\"a\":\"\\x\"}",
        "",
        &"[".repeat(200),
    ] {
        let (status, _, text) = send(&app, json("/items", body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(text.contains("not valid JSON"), "{text}");
    }
    let (status, _, text) = send(&app, json("/items", " [\"ok\", 1.5e3, null, true] \n")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text, " [\"ok\", 1.5e3, null, true] \n");
}

#[tokio::test]
async fn operator_keys_are_left_alone_when_nosql_is_not_looked_for() {
    let body = r#"{"user":"admin","password":{"$ne":""}}"#;
    let without = app(InputGuard::builder().categories([Category::SqlInjection, Category::Xss]));
    let (status, _, text) = send(&without, json("/items", body)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(text, body);
    let (status, _, text) = send(&without, get_req("/search?password[$ne]=x")).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    // The other categories are still looked for.
    let (status, _, text) = send(&without, json("/items", r#"{"q":"1' or '1'='1"}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    let with = app(InputGuard::builder().categories([Category::NoSqlInjection]));
    let (status, _, text) = send(&with, json("/items", body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("nosql_injection"), "{text}");
}

#[tokio::test]
async fn json_that_is_not_utf8_is_refused_wherever_the_bad_byte_is() {
    let app = app(InputGuard::builder());
    for body in [
        &b"{\"name\": \"caf\xe9\"}"[..],
        b"{\"na\xffme\": 1}",
        b"[\"ok\", \"\xed\xa0\x80\"]",
        b"\xef\xbb\xbf{\"a\": 1}",
    ] {
        let req = Request::post("/items")
            .header("content-type", "application/json")
            .body(Body::from(body.to_vec()))
            .unwrap();
        let (status, _, text) = send(&app, req).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body:?}");
        assert!(text.contains("not valid JSON"), "{text}");
    }
    // The same bodies in UTF-8 pass, byte for byte.
    let (status, _, text) = send(&app, json("/items", "{\"name\": \"café\"}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text, "{\"name\": \"café\"}");
}

#[tokio::test]
async fn a_cleaned_json_field_is_rewritten_wherever_it_is_nested() {
    let sink = MemorySink::new();
    let app = app(InputGuard::builder()
        .event_sink(Arc::new(sink.clone()))
        .field("comment", FieldPolicy::clean(|v| v.replace('<', "&lt;"))));
    let (status, _, body) = send(
        &app,
        json(
            "/items",
            r#"{"a":[{"comment":"<script>x()</script>"},{"comment":"plain"}],"b":"O'Brien"}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["a"][0]["comment"], "&lt;script>x()&lt;/script>");
    assert_eq!(v["a"][1]["comment"], "plain");
    assert_eq!(v["b"], "O'Brien");
    // Read twice (stream, then tree), reported once.
    assert_eq!(sink.count(EventKind::AttackDetected), 1);
    // A cleaned field next to an attack in another: still refused.
    let (status, _, text) = send(
        &app,
        json(
            "/items",
            r#"{"comment":"<script>x()</script>","q":"1 union select password from users"}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("\"parameter\":\"q\""), "{text}");
}
