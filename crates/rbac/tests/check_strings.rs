//! `Authorizer::check` reads the permission strings `RequirePermission::new`
//! reads, and refuses a malformed one with an error instead of a deny.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_core::{AuthMethod, Principal};
use rampart_rbac::{Authorizer, PermissionError, RequirePermission, Resource};

fn setup() -> (Authorizer, Principal) {
    let authz = Authorizer::from_toml(
        r#"
        [roles.analyst]
        permissions = ["reports:export", "reports:read:own_tenant"]
        "#,
    )
    .unwrap();
    let ann = Principal::new("ann", AuthMethod::Jwt)
        .with_tenant("acme")
        .with_roles(["analyst"]);
    (authz, ann)
}

#[test]
fn check_takes_the_layers_resource_action_strings() {
    let (authz, ann) = setup();
    let reports = Resource::new("reports");
    assert!(
        authz
            .check(&ann, "reports:export", &reports)
            .unwrap()
            .is_allowed()
    );
    assert!(authz.check(&ann, "export", &reports).unwrap().is_allowed());
    assert!(
        !authz
            .check(&ann, "reports:delete", &reports)
            .unwrap()
            .is_allowed()
    );
    let acme = Resource::new("reports").with_tenant("acme");
    assert!(
        authz
            .check(&ann, "reports:read", &acme)
            .unwrap()
            .is_allowed()
    );
    // The same string builds the layer.
    assert!(RequirePermission::try_new(authz, "reports:export").is_ok());
}

#[tokio::test]
async fn check_with_stores_reads_them_the_same_way() {
    let (authz, ann) = setup();
    let reports = Resource::new("reports");
    let d = authz
        .check_with_stores(&ann, "reports:export", &reports)
        .await;
    assert!(d.unwrap().is_allowed());
    assert!(authz.check_with_stores(&ann, "a:", &reports).await.is_err());
}

#[test]
fn malformed_strings_are_errors_saying_what_is_wrong() {
    let (authz, ann) = setup();
    let reports = Resource::new("reports");
    for (bad, says) in [
        ("", "action \"\""),
        ("a:", "action \"\""),
        ("::", "`resource:action`"),
        ("a b:c", "resource \"a b\""),
        ("reports:export:own", "without `*` or a scope"),
        ("reports:*", "without `*` or a scope"),
    ] {
        let err = authz.check(&ann, bad, &reports).unwrap_err();
        let message = err.to_string();
        assert!(message.contains(&format!("{bad:?}")), "{bad}: {message}");
        assert!(message.contains(says), "{bad}: {message}");
        // The layer refuses the very same strings with the very same error.
        assert_eq!(
            RequirePermission::try_new(authz.clone(), bad).unwrap_err(),
            err,
            "{bad}"
        );
    }
}

#[test]
fn a_resource_named_in_the_string_must_be_the_one_checked() {
    let (authz, ann) = setup();
    let err = authz
        .check(&ann, "items:export", &Resource::new("reports"))
        .unwrap_err();
    assert!(matches!(err, PermissionError::KindMismatch { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("\"items\"") && message.contains("\"reports\""),
        "{message}"
    );
}
