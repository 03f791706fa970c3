//! The internal admin recipe: HTTPS only, operators only, every request in
//! the audit trail with its reason, tight limits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::body::Body;
use axum::routing::{get, post};
use axum::{Extension, Router};
use http::{Request, StatusCode};
use rampart::audit::{AuditLog, MemorySink, SigningKey};
use rampart::auth::JwtAuthority;
use rampart::core::Principal;
use rampart::rbac::Authorizer;
use recipes::internal_admin::{InternalAdmin, internal_admin};
use serde_json::Value;
use support::{authority, send_from, text, token};

const PROXY: [u8; 4] = [10, 0, 0, 9];
const DIRECT: [u8; 4] = [203, 0, 113, 9];
const POLICY: &str = r#"
[roles.operator]
permissions = ["admin:*"]
[roles.auditor]
permissions = ["admin:access"]
[roles.editor]
permissions = ["items:write"]
"#;

struct Admin {
    app: Router,
    auth: JwtAuthority,
    log: AuditLog,
    sink: MemorySink,
}

fn admin(settings: InternalAdmin) -> Admin {
    let auth = authority();
    let authz = Authorizer::from_toml(POLICY).unwrap();
    let sink = MemorySink::new();
    let (key, _) = SigningKey::generate().unwrap();
    let log = AuditLog::builder(sink.clone(), key).build().unwrap();
    let settings = InternalAdmin {
        trusted_proxies: vec!["10.0.0.0/8".into()],
        canonical_host: Some("admin.example.com".into()),
        ..settings
    };
    let who = |Extension(who): Extension<Principal>| async move { who.subject().to_owned() };
    let users = Router::new().route(
        "/users",
        post(|body: String| async move { format!("{} bytes", body.len()) })
            .route_layer(settings.require(&authz, &log, "admin:users").unwrap()),
    );
    let routes = Router::new().route("/whoami", get(who)).merge(users);
    let app = internal_admin(routes, &auth, &authz, log.clone(), &settings).unwrap();
    Admin {
        app,
        auth,
        log,
        sink,
    }
}

/// A request as the TLS-terminating proxy forwards it.
fn over_https(method: &str, path: &str, bearer: Option<&str>) -> Request<Body> {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "admin.example.com")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-for", "198.51.100.30");
    if let Some(bearer) = bearer {
        request = request.header("authorization", format!("Bearer {bearer}"));
    }
    request.body(Body::empty()).unwrap()
}

impl Admin {
    /// The status of a request forwarded over HTTPS by the trusted proxy.
    async fn status(&self, method: &str, path: &str, bearer: Option<&str>) -> StatusCode {
        send_from(&self.app, PROXY, over_https(method, path, bearer))
            .await
            .status()
    }
}

fn events(admin: &Admin) -> Vec<Value> {
    admin.log.flush().unwrap();
    admin
        .sink
        .lines()
        .iter()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|record| record.get("checkpoint").is_none())
        .map(|record| record["event"].clone())
        .collect()
}

#[tokio::test]
async fn plain_http_is_redirected_or_refused() {
    let admin = admin(InternalAdmin::default());
    let operator = token(&admin.auth, "olga", &["operator"]);

    let get = Request::get("/whoami?x=1")
        .header("host", "admin.example.com")
        .header("authorization", format!("Bearer {operator}"))
        .body(Body::empty())
        .unwrap();
    let redirected = send_from(&admin.app, DIRECT, get).await;
    assert_eq!(redirected.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        redirected.headers()["location"],
        "https://admin.example.com/whoami?x=1"
    );

    let post = Request::post("/users")
        .header("host", "admin.example.com")
        .header("authorization", format!("Bearer {operator}"))
        .body(Body::from("{}"))
        .unwrap();
    let refused = send_from(&admin.app, DIRECT, post).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.headers().contains_key("strict-transport-security"));

    // A client cannot claim HTTPS itself: only the trusted proxy's header counts.
    let mut spoofed = over_https("GET", "/whoami", Some(&operator));
    spoofed.headers_mut().remove("x-forwarded-for");
    let spoofed = send_from(&admin.app, DIRECT, spoofed).await;
    assert_eq!(spoofed.status(), StatusCode::PERMANENT_REDIRECT);
}

#[tokio::test]
async fn operators_pass_and_everyone_else_is_refused() {
    let admin = admin(InternalAdmin::default());
    let operator = token(&admin.auth, "olga", &["operator"]);
    let ok = send_from(
        &admin.app,
        PROXY,
        over_https("GET", "/whoami", Some(&operator)),
    )
    .await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(text(ok).await, "olga");

    assert_eq!(
        admin.status("GET", "/whoami", None).await,
        StatusCode::UNAUTHORIZED
    );

    let editor = token(&admin.auth, "ed", &["editor"]);
    assert_eq!(
        admin.status("GET", "/whoami", Some(&editor)).await,
        StatusCode::FORBIDDEN
    );
    // Unknown paths too: a non-operator cannot map the routes.
    assert_eq!(
        admin.status("GET", "/nothing", Some(&editor)).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        admin.status("GET", "/nothing", Some(&operator)).await,
        StatusCode::NOT_FOUND
    );

    // A route's own permission on top: an auditor may look, not change users.
    let auditor = token(&admin.auth, "aud", &["auditor"]);
    assert_eq!(
        admin.status("GET", "/whoami", Some(&auditor)).await,
        StatusCode::OK
    );
    assert_eq!(
        admin.status("POST", "/users", Some(&auditor)).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        admin.status("POST", "/users", Some(&operator)).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn every_request_is_audited_with_who_and_why() {
    let admin = admin(InternalAdmin::default());
    let operator = token(&admin.auth, "olga", &["operator"]);
    let editor = token(&admin.auth, "ed", &["editor"]);
    send_from(
        &admin.app,
        PROXY,
        over_https("GET", "/whoami", Some(&operator)),
    )
    .await;
    send_from(
        &admin.app,
        PROXY,
        over_https("GET", "/whoami", Some(&editor)),
    )
    .await;
    send_from(
        &admin.app,
        DIRECT,
        Request::get("/whoami").body(Body::empty()).unwrap(),
    )
    .await;

    let events = events(&admin);
    let requests: Vec<&Value> = events
        .iter()
        .filter(|event| event["source"] == "rampart::audit")
        .collect();
    assert_eq!(requests.len(), 3, "one record per request: {events:#?}");
    assert!(requests.iter().all(|r| r["http"]["route"] == "/whoami"));
    assert_eq!(requests[0]["actor"]["subject"], "olga");
    assert_eq!(requests[0]["http"]["status"], 200);
    assert_eq!(requests[0]["client"]["ip"], "198.51.100.30");
    assert_eq!(requests[1]["actor"]["subject"], "ed");
    assert_eq!(requests[1]["http"]["status"], 403);
    assert_eq!(requests[1]["metadata"]["decision"], "deny");
    assert_eq!(requests[1]["metadata"]["rejection"], "PermissionRejection");
    assert_eq!(requests[2]["http"]["status"], 308);
    assert_eq!(requests[2]["metadata"]["rejection"], "HttpsRequired");
    assert_eq!(requests[2]["client"]["ip"], "203.0.113.9");
    // The permission layer's own event, with the permission it missed, is
    // in the same chain under the same request id.
    let denied = events
        .iter()
        .find(|event| event["type"] == "authz.denied")
        .expect("the denial event");
    assert_eq!(denied["metadata"]["permission"], "admin:access");
    assert_eq!(denied["request_id"], requests[1]["request_id"]);
}

#[tokio::test]
async fn limits_are_tight() {
    let admin = admin(InternalAdmin {
        requests_per_minute_per_user: 2,
        max_body_bytes: 16,
        ..InternalAdmin::default()
    });
    let operator = token(&admin.auth, "olga", &["operator"]);

    let mut big = over_https("POST", "/users", Some(&operator));
    *big.body_mut() = Body::from(vec![b'a'; 17]);
    let too_big = send_from(&admin.app, PROXY, big).await;
    assert_eq!(too_big.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let ok = send_from(
        &admin.app,
        PROXY,
        over_https("GET", "/whoami", Some(&operator)),
    )
    .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let limited = send_from(
        &admin.app,
        PROXY,
        over_https("GET", "/whoami", Some(&operator)),
    )
    .await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
}
