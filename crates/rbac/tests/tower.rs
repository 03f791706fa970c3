//! `RequirePermission` in a plain tower stack, without a router.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use rampart_core::{AuthMethod, Principal};
use rampart_rbac::{Authorizer, PermissionRejection, RequirePermission};
use std::convert::Infallible;
use tower::{Layer, ServiceExt, service_fn};

async fn status(
    layer: &RequirePermission,
    uri: &str,
    tenant: &str,
) -> (StatusCode, Option<PermissionRejection>) {
    let svc = layer.layer(service_fn(|_req: Request<()>| async {
        Ok::<_, Infallible>(Response::new(Bytes::from_static(b"ok")))
    }));
    let mut req = Request::get(uri).body(()).unwrap();
    req.extensions_mut().insert(
        Principal::new("bob", AuthMethod::Jwt)
            .with_tenant(tenant)
            .with_roles(["editor"]),
    );
    let res = svc.oneshot(req).await.unwrap();
    (
        res.status(),
        res.extensions().get::<PermissionRejection>().cloned(),
    )
}

#[tokio::test]
async fn path_template_supplies_parameters_without_a_router() {
    let authz =
        Authorizer::from_toml("[roles.editor]\npermissions = [\"reports:read:own_tenant\"]")
            .unwrap();
    let layer = RequirePermission::new(authz, "reports:read")
        .path_template("/api/tenants/{tenant}/reports")
        .tenant_from_path("tenant");
    assert_eq!(
        status(&layer, "/api/tenants/acme/reports", "acme").await.0,
        StatusCode::OK
    );
    assert_eq!(
        status(&layer, "/api/tenants/globex/reports", "acme")
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (s, why) = status(&layer, "/api/other/acme/reports", "acme").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(why, Some(PermissionRejection::UnknownResource));
}
