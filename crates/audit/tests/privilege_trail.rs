//! Privilege and configuration changes reported by rampart layers land in the
//! chain as `admin.*` records with who changed whose privileges, and the file
//! still verifies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_audit::{
    AuditLog, FileSink, FileSinkOptions, SigningKey, VerifyOptions, types, verify,
};
use rampart_core::{
    CHANGE_POLICY, CHANGE_SIGNING_KEY, EventKind, EventSink, PrivilegeAction, SecurityEvent,
};
use serde_json::Value;
use std::path::PathBuf;

fn path() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("privilege-trail");
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d.join("audit.jsonl")
}

/// The events rampart-rbac and rampart-auth emit, field for field.
fn reported() -> Vec<SecurityEvent> {
    let changed = |action, whose: &str| {
        SecurityEvent::privilege_changed("rampart::rbac", action, whose).with_tenant("acme")
    };
    vec![
        changed(PrivilegeAction::Granted, "bob")
            .with_field("actor", "alice")
            .with_field("role", "admin"),
        changed(PrivilegeAction::Revoked, "bob")
            .with_field("actor", "alice")
            .with_field("role", "admin"),
        changed(PrivilegeAction::Granted, "bob")
            .with_field("actor", "alice")
            .with_field("resource_type", "docs")
            .with_field("resource_id", "7")
            .with_field("actions", vec!["read"])
            .with_field("expires_at_unix_ms", 1_700_000_000_000u64),
        changed(PrivilegeAction::Expired, "bob")
            .with_field("resource_type", "docs")
            .with_field("resource_id", "7")
            .with_field("actions", vec!["read"]),
        SecurityEvent::new(
            EventKind::ConfigurationChanged,
            "rampart::rbac",
            "policy reloaded",
        )
        .with_field("change", CHANGE_POLICY)
        .with_field("roles", 4),
        SecurityEvent::new(
            EventKind::ConfigurationChanged,
            "rampart::auth",
            "published signing key activated",
        )
        .with_field("change", CHANGE_SIGNING_KEY)
        .with_field("step", "activate")
        .with_field("kid", "kid-1")
        .with_field("algorithm", "EdDSA"),
    ]
}

#[test]
fn privilege_and_configuration_changes_land_in_the_chain_typed() {
    let path = path();
    let (key, _) = SigningKey::generate().unwrap();
    let public = key.verifying_key();
    let log = AuditLog::builder(FileSink::new(&path, FileSinkOptions::default()), key)
        .build()
        .unwrap();
    for event in reported() {
        // The way every layer reports: through `EventSink`.
        log.emit(event);
    }
    log.shutdown().unwrap();

    let report = verify(
        &path,
        &public,
        VerifyOptions::default().require_sealed(true),
    )
    .unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.events, 6);

    let records: Vec<Value> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter_map(|v| v.get("event").cloned())
        .collect();
    let types_seen: Vec<_> = records
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types_seen,
        [
            types::ADMIN_ROLE_GRANTED,
            types::ADMIN_ROLE_REVOKED,
            types::ADMIN_PERMISSION_GRANTED,
            types::ADMIN_PERMISSION_REVOKED,
            types::ADMIN_POLICY_RELOADED,
            types::ADMIN_KEY_ROTATED,
        ]
    );
    for e in &records {
        assert_eq!(e["severity"], "high", "{e}");
        assert_eq!(e["outcome"], "success", "{e}");
        let tags: Vec<_> = e["tags"].as_array().unwrap().iter().collect();
        assert!(tags.iter().any(|t| *t == "pci-dss:10.2.1.2"), "{e}");
        assert!(tags.iter().any(|t| *t == "soc2:cc6.2"), "{e}");
    }
    for e in &records[..4] {
        assert_eq!(
            e["target"],
            serde_json::json!({"kind": "subject", "id": "bob"})
        );
        assert_eq!(e["actor"]["tenant"], "acme");
    }
    assert_eq!(records[0]["actor"]["subject"], "alice");
    assert_eq!(records[0]["action"], "granted");
    assert_eq!(records[0]["metadata"]["role"], "admin");
    assert_eq!(records[2]["metadata"]["resource_id"], "7");
    assert_eq!(records[3]["action"], "expired");
    assert!(
        records[3]["actor"].get("subject").is_none(),
        "nobody made a lapse"
    );
    assert_eq!(records[4]["metadata"]["roles"], 4);
    assert_eq!(
        records[5]["target"],
        serde_json::json!({"kind": "signing_key", "id": "kid-1"})
    );
}
