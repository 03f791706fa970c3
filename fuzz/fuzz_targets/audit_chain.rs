//! The audit trail's line parser and chain verifier over tampered logs:
//! never panics, never accepts a record the writer did not write, and never
//! accepts a sealed log the fuzzer made up (it holds no signing key). The
//! timestamp parser round-trips with the formatter.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_audit::{
    AuditEvent, AuditLog, FileSink, FileSinkOptions, Outcome, Query, SigningKey, VerifyOptions,
    VerifyingKey, format_rfc3339_ms, parse_rfc3339_ms, query, types, verify,
};
use std::path::PathBuf;
use std::sync::LazyLock;

struct Fixture {
    key: VerifyingKey,
    /// The genuine log's lines, without newlines.
    lines: Vec<String>,
    /// Where each input is written for the verifier to read.
    scratch: PathBuf,
}

static FIXTURE: LazyLock<Option<Fixture>> = LazyLock::new(|| {
    let dir = std::env::temp_dir().join(format!("rampart-fuzz-audit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join("audit.jsonl");
    let (signer, _) = SigningKey::generate().ok()?;
    let key = signer.verifying_key();
    let log = AuditLog::builder(FileSink::new(&path, FileSinkOptions::default()), signer)
        .build()
        .ok()?;
    log.record(
        AuditEvent::new(types::ADMIN_ROLE_GRANTED)
            .subject("alice")
            .target("role_binding", "bob:editor")
            .outcome(Outcome::Success),
    )
    .ok()?;
    log.record(AuditEvent::new(types::AUTH_LOGIN_SUCCESS).subject("bob"))
        .ok()?;
    log.record(AuditEvent::new(types::AUTH_LOGIN_FAILURE).subject("mallory"))
        .ok()?;
    log.shutdown().ok()?;
    let sealed = VerifyOptions::default().require_sealed(true);
    let report = verify(&path, &key, sealed).ok()?;
    assert!(
        report.ok && report.events == 3,
        "the genuine log must verify: {report:?}"
    );
    let text = std::fs::read_to_string(&path).ok()?;
    let lines = text.lines().map(str::to_owned).collect();
    Some(Fixture {
        key,
        lines,
        scratch: dir.join("scratch.jsonl"),
    })
});

fuzz_target!(|data: &[u8]| {
    let Some(fx) = FIXTURE.as_ref() else {
        return;
    };
    if let Ok(text) = std::str::from_utf8(data)
        && let Some(ms) = parse_rfc3339_ms(text)
    {
        let printed = format_rfc3339_ms(ms);
        assert_eq!(
            parse_rfc3339_ms(&printed),
            Some(ms),
            "{text:?} -> {printed:?}"
        );
        if text.len() == 24 {
            assert_eq!(printed, text, "the formatter disagrees with the parser");
        }
    }
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let sealed = VerifyOptions::default().require_sealed(true);
    if selector & 1 == 0 {
        // The input is a whole log: without the signing key it can hold no
        // valid checkpoint, so it never verifies as a sealed log with records.
        if std::fs::write(&fx.scratch, rest).is_err() {
            return;
        }
        if let Ok(report) = verify(&fx.scratch, &fx.key, sealed) {
            assert!(
                !report.ok || report.events == 0,
                "a forged log verified: {report:?}"
            );
        }
        let _ = verify(&fx.scratch, &fx.key, VerifyOptions::default().live(true));
        let _ = query(&fx.scratch, &Query::default(), None);
        return;
    }
    // The input replaces one record line of the genuine log.
    if rest.contains(&b'\n') || rest.contains(&b'\r') {
        return;
    }
    let records: Vec<usize> = (0..fx.lines.len())
        .filter(|&i| fx.lines[i].contains("\"event\""))
        .collect();
    let index = records[usize::from(selector >> 1) % records.len()];
    let mut log = Vec::new();
    for (i, line) in fx.lines.iter().enumerate() {
        log.extend_from_slice(if i == index { rest } else { line.as_bytes() });
        log.push(b'\n');
    }
    if std::fs::write(&fx.scratch, &log).is_err() {
        return;
    }
    if let Ok(report) = verify(&fx.scratch, &fx.key, sealed)
        && report.ok
    {
        // Only a re-spelling of the same JSON (member order, escapes) may pass.
        let original: serde_json::Value =
            serde_json::from_str(&fx.lines[index]).unwrap_or_default();
        let replaced = serde_json::from_slice::<serde_json::Value>(rest).ok();
        assert_eq!(
            replaced.as_ref(),
            Some(&original),
            "a modified record verified"
        );
    }
    let _ = query(&fx.scratch, &Query::default(), None);
});
