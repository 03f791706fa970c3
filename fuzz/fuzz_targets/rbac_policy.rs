//! RBAC policy files (TOML and JSON) and permission strings over arbitrary
//! text: never panics; a policy that loads compiles, survives a round trip
//! through its own serialisation, and only allows what one of its rules
//! covers; a permission prints back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_core::{AuthMethod, Principal};
use rampart_rbac::{Action, Authorizer, Permission, Policy, Resource};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(permission) = Permission::parse(text) {
        let printed = permission.to_string();
        assert_eq!(
            Permission::parse(&printed).ok(),
            Some(permission),
            "{text:?}"
        );
    }
    if let Ok(action) = Action::parse(text) {
        assert!(!action.resource().contains(':') && !action.action().contains(':'));
    }
    for policy in [Policy::from_toml(text), Policy::from_json(text)] {
        let Ok(policy) = policy else {
            continue;
        };
        // What it writes back reads as the same policy.
        if let Ok(written) = toml::to_string(policy.config()) {
            let again = Policy::from_toml(&written);
            assert_eq!(
                again.as_ref().map(Policy::config).ok(),
                Some(policy.config()),
                "{written}"
            );
        }
        let roles: Vec<String> = policy.role_names().map(str::to_owned).collect();
        let bound: Vec<String> = policy
            .config()
            .bindings
            .iter()
            .map(|b| b.subject.clone())
            .collect();
        let Ok(authz) = Authorizer::new(policy) else {
            continue;
        };
        let resources = [
            Resource::new("items"),
            Resource::new("reports").with_tenant("acme"),
            Resource::new("reports")
                .with_tenant("globex")
                .with_owner("bob"),
        ];
        let nobody = Principal::new("fuzz-nobody", AuthMethod::Jwt).with_tenant("acme");
        let everyone = Principal::new("bob", AuthMethod::Jwt)
            .with_tenant("acme")
            .with_roles(roles.iter().cloned());
        for resource in &resources {
            for action in ["read", "write", "delete", "items:read", "admin:impersonate"] {
                if !bound.iter().any(|s| s == "fuzz-nobody")
                    && let Ok(decision) = authz.check(&nobody, action, resource)
                {
                    assert!(
                        !decision.is_allowed(),
                        "a principal with no role was allowed"
                    );
                }
                if let Ok(decision) = authz.check(&everyone, action, resource)
                    && decision.is_allowed()
                {
                    let rule = decision.rule().expect("an allow names its rule");
                    assert!(!rule.is_deny());
                    let permission = Permission::parse(rule.permission())
                        .expect("the allowing rule is a valid permission");
                    let verb = action.rsplit(':').next().unwrap_or(action);
                    assert!(
                        permission.covers(resource.kind(), verb),
                        "{permission} allowed {action}"
                    );
                }
            }
        }
    }
});
