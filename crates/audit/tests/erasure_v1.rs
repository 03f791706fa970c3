//! Records written before subject targets were encrypted (`bob` in clear in
//! `target.id`, the actor and client sealed) still verify and read, and
//! erasing their actor still works on them. The trail in
//! `testdata/audit/erasure-v1/` was written by that earlier version.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_audit::{ERASED, Query, SubjectKeys, VerifyOptions, VerifyingKey, query, verify};
use rampart_test_support::corpus_path;
use std::path::PathBuf;

/// A scratch copy, so erasing in a test never changes the committed files.
fn copy() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("erasure-v1");
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    for f in ["audit.jsonl", "audit.pub", "subject-keys.json"] {
        std::fs::copy(corpus_path(&format!("audit/erasure-v1/{f}")), d.join(f)).unwrap();
    }
    d
}

#[test]
fn records_with_a_clear_target_still_verify_and_read() {
    let d = copy();
    let log = d.join("audit.jsonl");
    let public =
        VerifyingKey::from_base64(&std::fs::read_to_string(d.join("audit.pub")).unwrap()).unwrap();
    let report = verify(&log, &public, VerifyOptions::default().require_sealed(true)).unwrap();
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!(report.events, 2);

    let keys = SubjectKeys::open(d.join("subject-keys.json")).unwrap();
    let records = query(&log, &Query::default(), Some(&keys)).unwrap();
    let grant = &records[0].event;
    assert_eq!(grant.event_type, "admin.role.granted");
    let target = grant.target.as_ref().unwrap();
    assert_eq!(
        target.id.as_deref(),
        Some("bob"),
        "a clear value reads as it is"
    );
    assert_eq!(
        grant.actor.as_ref().unwrap().subject.as_deref(),
        Some("alice")
    );

    assert!(keys.erase("alice").unwrap());
    let records = query(&log, &Query::default(), Some(&keys)).unwrap();
    let grant = &records[0].event;
    assert_eq!(
        grant.actor.as_ref().unwrap().subject.as_deref(),
        Some(ERASED)
    );
    assert_eq!(
        records[1].event.client.as_ref().unwrap().ip.as_deref(),
        Some(ERASED)
    );
    let report = verify(&log, &public, VerifyOptions::default().require_sealed(true)).unwrap();
    assert!(report.ok, "{:?}", report.failure);
}
