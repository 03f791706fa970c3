//! `PasswordPolicy`: every rule at its boundary, Unicode lengths, the
//! blocklist, zxcvbn's user context, history through the verifier, config.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart::auth::password::{
    Blocklist, HashParams, PasswordPolicies, PasswordPolicy, PasswordPolicyConfig,
    PasswordVerifier, PolicyCheckError, Rule, UserContext, argon2::Params,
};
use std::sync::Arc;

fn user() -> UserContext {
    UserContext::new("jdoe")
        .email("qzvbtwmxpl.fhrgd@example.com")
        .name("Jane Doe")
}

/// Only the length rules: strength floor and blocklist off.
fn lengths_only() -> PasswordPolicy {
    PasswordPolicy::builder()
        .min_strength(0)
        .blocklist(Blocklist::empty())
        .build()
        .unwrap()
}

fn codes(policy: &PasswordPolicy, password: &str) -> Vec<&'static str> {
    match policy.check(password, &UserContext::default()) {
        Ok(()) => vec![],
        Err(v) => v.codes(),
    }
}

#[test]
fn defaults_and_presets_are_the_documented_ones() {
    let p = PasswordPolicy::default();
    assert_eq!(
        (p.min_length(), p.max_length(), p.history(), p.max_age()),
        (12, 128, 12, None)
    );
    assert_eq!(PasswordPolicy::nist_single_factor().min_length(), 15);
    assert_eq!(PasswordPolicy::nist_with_mfa().min_length(), 8);
    // No composition rules by default: a long passphrase of lower-case words passes.
    assert!(p.check("ochre tapestry unhurried walrus", &user()).is_ok());
}

#[test]
fn length_is_checked_at_both_boundaries() {
    let p = lengths_only();
    assert_eq!(codes(&p, &"x".repeat(11)), ["too_short"]);
    assert!(codes(&p, &"x".repeat(12)).is_empty());
    assert!(codes(&p, &"x".repeat(128)).is_empty());
    assert_eq!(codes(&p, &"x".repeat(129)), ["too_long"]);
    // Megabytes are refused as too long without any other work.
    assert_eq!(
        codes(&PasswordPolicy::default(), &"x".repeat(1 << 20)),
        ["too_long"]
    );
    let single = PasswordPolicy::nist_single_factor();
    assert!(
        single
            .check(&"x".repeat(14), &UserContext::default())
            .unwrap_err()
            .contains(Rule::TooShort)
    );
}

#[test]
fn unicode_lengths_count_nfkc_scalar_values() {
    let p = lengths_only();
    // "é" as e + combining acute is one character after NFKC: 12, not 24.
    assert!(codes(&p, &"e\u{301}".repeat(12)).is_empty());
    assert_eq!(codes(&p, &"e\u{301}".repeat(11)), ["too_short"]);
    // An emoji is one character, however many bytes.
    assert!(codes(&p, &"\u{1f510}".repeat(12)).is_empty());
    assert_eq!(codes(&p, &"\u{1f510}".repeat(11)), ["too_short"]);
    // A ligature expands under NFKC: "ﬁ" is two characters.
    assert!(codes(&p, &"\u{fb01}".repeat(6)).is_empty());
    // Combining marks on their own still count.
    assert!(codes(&p, &"\u{301}".repeat(12)).is_empty());
    // Fullwidth digits are digits after NFKC.
    let digits = PasswordPolicy::builder()
        .min_strength(0)
        .require_digit(true)
        .build()
        .unwrap();
    assert!(
        digits
            .check("kaleidoscope\u{ff17}", &UserContext::default())
            .is_ok()
    );
}

#[test]
fn composition_rules_are_opt_in_and_each_is_reported() {
    let p = PasswordPolicy::builder()
        .min_strength(0)
        .require_all_classes()
        .build()
        .unwrap();
    assert_eq!(
        codes(&p, "abcdefghijklmnop"),
        ["missing_uppercase", "missing_digit", "missing_special"]
    );
    assert_eq!(
        codes(&p, "ABCDEFGHIJKLMNOP"),
        ["missing_lowercase", "missing_digit", "missing_special"]
    );
    assert!(codes(&p, "Abcdefghijk1mn!").is_empty());
    // Any non-alphanumeric counts as special: space, emoji.
    assert!(codes(&p, "Abcdefghijk1mn \u{1f510}").is_empty());
    // Non-ASCII letters have case too.
    assert!(codes(&p, "\u{c9}bcdefghijk1mn!").is_empty());
}

#[test]
fn every_failed_rule_is_reported_with_an_actionable_message() {
    let p = PasswordPolicy::builder()
        .require_all_classes()
        .build()
        .unwrap();
    let refused = p.check("password", &UserContext::default()).unwrap_err();
    assert_eq!(
        refused.codes(),
        [
            "too_short",
            "missing_uppercase",
            "missing_digit",
            "missing_special",
            "too_weak",
            "common"
        ]
    );
    for v in &refused {
        assert!(!v.message().is_empty());
        assert!(!v.message().contains("password\""), "{}", v.message());
    }
    assert!(
        refused
            .iter()
            .next()
            .unwrap()
            .message()
            .contains("at least 12")
    );
    let json = serde_json::to_value(&refused).unwrap();
    assert_eq!(json[0]["code"], "too_short");
    assert!(json[0]["message"].is_string());
    assert!(refused.to_string().contains("too_short, missing_uppercase"));
}

#[test]
fn the_blocklist_ignores_case_and_compatibility_forms() {
    let p = PasswordPolicy::builder()
        .min_length(8)
        .min_strength(0)
        .build()
        .unwrap();
    assert_eq!(codes(&p, "qwertyuiop"), ["common"]);
    assert_eq!(codes(&p, "QwErTyUiOp"), ["common"]);
    assert_eq!(codes(&p, "\u{ff31}werty\u{ff35}iop"), ["common"]);
    assert!(codes(&p, "qwertyuiop-x").is_empty());
    let extra = PasswordPolicy::builder()
        .blocklist(Blocklist::common().with(["Rampart Secure API"]))
        .min_strength(0)
        .build()
        .unwrap();
    assert_eq!(codes(&extra, "rampart secure api"), ["common"]);
}

#[test]
fn the_strength_floor_uses_the_users_details_as_context() {
    let p = PasswordPolicy::default();
    // Strong for a stranger, built on this user's email for this one.
    let local = "qzvbtwmxpl.fhrgd";
    assert!(p.check(local, &UserContext::new("someone")).is_ok());
    let refused = p.check(local, &user()).unwrap_err();
    assert!(refused.contains(Rule::TooWeak), "{refused}");
    assert!(refused.contains(Rule::ContainsUserInfo), "{refused}");
    // Containing the local part, even inside a longer password, is refused.
    let refused = p.check("Blue-QZVBTWMXPL-Meadow-77", &user()).unwrap_err();
    assert!(refused.contains(Rule::ContainsUserInfo), "{refused}");
    // A short name part (< 3 characters) is not held against the user.
    assert!(
        p.check("ochre tapestry unhurried walrus", &UserContext::new("oc"))
            .is_ok()
    );
    // Strength floor alone: a keyboard walk long enough for the length rule.
    assert!(
        p.check("1qaz2wsx3edc4rfv", &UserContext::default())
            .unwrap_err()
            .contains(Rule::TooWeak)
    );
}

fn cheap_verifier() -> PasswordVerifier {
    let params = Params::new(64, 1, 1, None).unwrap();
    let mut hp = HashParams::default();
    hp.params = params;
    PasswordVerifier::builder().params(hp).build().unwrap()
}

#[tokio::test]
async fn history_refuses_the_last_n_passwords_through_the_verifier() {
    let verifier = cheap_verifier();
    let old: Vec<String> = [
        "first sturdy pumpkin lantern",
        "second quiet harbour ferret",
        "third amber cactus violin",
    ]
    .iter()
    .map(|p| verifier.hash(p.as_bytes()).unwrap())
    .collect();
    // Newest first: "third" is the latest.
    let newest_first: Vec<&str> = old.iter().rev().map(String::as_str).collect();
    let p = PasswordPolicy::default();
    let u = UserContext::new("jdoe");
    match p
        .check_with_history("first sturdy pumpkin lantern", &u, &verifier, &newest_first)
        .await
    {
        Err(PolicyCheckError::Violations(v)) => assert_eq!(v.codes(), ["reused"]),
        other => panic!("{other:?}"),
    }
    assert!(
        p.check_with_history("fourth nimble oyster tundra", &u, &verifier, &newest_first)
            .await
            .is_ok()
    );
    // History of 2: the third-newest may come back.
    let two = PasswordPolicy::builder().history(2).build().unwrap();
    assert!(
        two.check_with_history("first sturdy pumpkin lantern", &u, &verifier, &newest_first)
            .await
            .is_ok()
    );
    // Other failures are reported beside reuse.
    let short = verifier.hash(b"short").unwrap();
    match p.check_with_history("short", &u, &verifier, &[short]).await {
        Err(PolicyCheckError::Violations(v)) => {
            assert!(
                v.contains(Rule::TooShort) && v.contains(Rule::Reused),
                "{v}"
            );
        }
        other => panic!("{other:?}"),
    }
    // An unreadable stored hash is an error, not a silent pass.
    assert!(matches!(
        p.check_with_history("fourth nimble oyster tundra", &u, &verifier, &["garbage"])
            .await,
        Err(PolicyCheckError::Verifier(_))
    ));
}

#[test]
fn a_password_section_builds_per_tenant_policies() {
    #[derive(serde::Deserialize)]
    struct File {
        password: PasswordPolicyConfig,
    }
    let file: File = toml::from_str(
        r#"
        [password]
        min_length = 14
        require_special = true
        history = 5
        max_age_days = 90
        extra_blocked = ["acme-widgets"]

        [password.tenants.globex]
        preset = "nist_with_mfa"
        blocklist = false
        "#,
    )
    .unwrap();
    let policies = file.password.build().unwrap();
    let default = policies.for_tenant(None);
    assert_eq!((default.min_length(), default.history()), (14, 5));
    assert_eq!(
        default.max_age(),
        Some(std::time::Duration::from_secs(90 * 86_400))
    );
    assert!(
        default
            .check("acme-widgets", &UserContext::default())
            .unwrap_err()
            .contains(Rule::Common)
    );
    assert_eq!(policies.for_tenant(Some("unknown")).min_length(), 14);
    let globex = policies.for_tenant(Some("globex"));
    assert_eq!(globex.min_length(), 8);
    assert_eq!(globex.max_age(), None);
    // Bad values are config errors naming the key.
    for bad in [
        "max_length = 32",
        "min_length = 0",
        "min_strength = 5",
        "max_age_days = 0",
    ] {
        let c: PasswordPolicyConfig = toml::from_str(bad).unwrap();
        assert!(c.build().is_err(), "{bad}");
    }
}

#[test]
fn a_resolver_closure_picks_each_tenants_policy() {
    let strict = Arc::new(PasswordPolicy::nist_single_factor());
    let policies = PasswordPolicies::new(PasswordPolicy::default())
        .resolver(move |tenant: &str| (tenant == "bank").then(|| Arc::clone(&strict)));
    assert_eq!(policies.for_tenant(Some("bank")).min_length(), 15);
    assert_eq!(policies.for_tenant(Some("shop")).min_length(), 12);
    assert_eq!(policies.for_tenant(None).min_length(), 12);
}
