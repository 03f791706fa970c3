//! The tenant `RequirePermission` checks is the tenant the handler serves:
//! path parameters are percent-decoded as axum's `Path` decodes them, whether
//! the layer reads them from the router or from a `path_template`.
#![cfg(feature = "axum")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::routing::get;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use proptest::prelude::*;
use rampart_core::{AuthMethod, Principal};
use rampart_rbac::{Authorizer, PermissionRejection, RequirePermission};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

/// Bob may read every tenant's reports but tenant `secret`'s.
const POLICY: &str = r#"
[roles.auditor]
permissions = ["reports:read"]
[roles.blocked]
deny = ["reports:read"]
[[bindings]]
subject = "bob"
role = "blocked"
tenant = "secret"
"#;

type Seen = Arc<Mutex<Vec<String>>>;

/// `/t/...` guarded through a path template, `/r/...` through axum's own
/// parameters; both handlers answer the tenant their `Path` extractor got, and
/// the layer records the tenant it checked.
fn app(seen: &Seen) -> Router {
    let authz = Authorizer::from_toml(POLICY).unwrap();
    let record = |seen: Seen| {
        move |_: &http::request::Parts, r: rampart_rbac::Resource<'static>| {
            seen.lock().unwrap().push(r.tenant().unwrap().to_owned());
            Some(r)
        }
    };
    let handler = |Path(tenant): Path<String>| async move { tenant };
    Router::new()
        .route(
            "/t/{tenant}/reports",
            get(handler).route_layer(
                RequirePermission::new(authz.clone(), "reports:read")
                    .path_template("/t/{tenant}/reports")
                    .tenant_from_path("tenant")
                    .resource_with(record(Arc::clone(seen))),
            ),
        )
        .route(
            "/r/{tenant}/reports",
            get(handler).route_layer(
                RequirePermission::new(authz, "reports:read")
                    .tenant_from_path("tenant")
                    .resource_with(record(Arc::clone(seen))),
            ),
        )
}

struct Answer {
    status: StatusCode,
    /// What the handler's `Path` saw, when it ran.
    body: String,
    /// What the layer checked.
    checked: Option<String>,
    rejection: Option<PermissionRejection>,
}

async fn get_as_bob(router: &Router, seen: &Seen, uri: &str) -> Answer {
    seen.lock().unwrap().clear();
    let mut req = Request::get(uri).body(Body::empty()).unwrap();
    req.extensions_mut().insert(
        Principal::new("bob", AuthMethod::Jwt)
            .with_tenant("acme")
            .with_roles(["auditor"]),
    );
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let rejection = res.extensions().get::<PermissionRejection>().cloned();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
        checked: seen.lock().unwrap().pop(),
        rejection,
    }
}

#[tokio::test]
async fn an_encoded_tenant_is_checked_as_the_handler_will_see_it() {
    let seen = Seen::default();
    let router = app(&seen);
    for prefix in ["/t", "/r"] {
        let uri = |tenant: &str| format!("{prefix}/{tenant}/reports");
        // The deny for tenant `secret`, however `secret` is spelled.
        for spelled in ["secret", "secr%65t", "%73%65%63%72%65%74", "SECR%45T"] {
            let a = get_as_bob(&router, &seen, &uri(spelled)).await;
            let expected = if spelled == "SECR%45T" {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(a.status, expected, "{prefix} {spelled}");
        }
        // Decoded once, like axum: `%2565` is the text `%65`, not `e`.
        let a = get_as_bob(&router, &seen, &uri("secr%2565t")).await;
        assert_eq!(
            (a.status, a.body.as_str(), a.checked.as_deref()),
            (StatusCode::OK, "secr%65t", Some("secr%65t"))
        );
        // `%2F` stays inside its segment and becomes `/` in the value.
        let a = get_as_bob(&router, &seen, &uri("acme%2Fsecret")).await;
        assert_eq!(
            (a.status, a.body.as_str(), a.checked.as_deref()),
            (StatusCode::OK, "acme/secret", Some("acme/secret"))
        );
        // Unicode, encoded or not.
        for spelled in ["%C3%A9cole", "école"] {
            let a = get_as_bob(&router, &seen, &uri(spelled)).await;
            assert_eq!(
                (a.status, a.body.as_str(), a.checked.as_deref()),
                (StatusCode::OK, "école", Some("école")),
                "{prefix} {spelled}"
            );
        }
        // Not UTF-8 once decoded: refused with 400 before any check.
        for spelled in ["%FF", "secr%C3t", "%C3"] {
            let a = get_as_bob(&router, &seen, &uri(spelled)).await;
            assert_eq!(a.status, StatusCode::BAD_REQUEST, "{prefix} {spelled}");
            assert_eq!(a.rejection, Some(PermissionRejection::MalformedPath));
            assert_eq!(a.checked, None);
        }
    }
}

/// `s` with each byte percent-encoded or not as `mask` says (always when it
/// would otherwise be unsafe in a path segment).
fn encode(s: &str, mask: &[bool]) -> String {
    let mut out = String::new();
    for (i, b) in s.bytes().enumerate() {
        let safe = b.is_ascii_alphanumeric() || b"-._~".contains(&b);
        if safe && !mask.get(i).copied().unwrap_or(false) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn template_and_router_see_the_same_tenant(
        tenant in "[a-z%/é✓ ]{1,8}",
        mask in proptest::collection::vec(any::<bool>(), 0..24),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let seen = Seen::default();
        let router = app(&seen);
        let encoded = encode(&tenant, &mask);
        for prefix in ["/t", "/r"] {
            let a = runtime.block_on(get_as_bob(&router, &seen, &format!("{prefix}/{encoded}/reports")));
            let expected = if tenant == "secret" { StatusCode::FORBIDDEN } else { StatusCode::OK };
            prop_assert_eq!(a.status, expected);
            prop_assert_eq!(a.checked.as_deref(), Some(tenant.as_str()));
            if expected == StatusCode::OK {
                prop_assert_eq!(&a.body, &tenant);
            }
        }
    }
}
