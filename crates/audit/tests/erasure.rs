//! Erasing a subject covers every record that names them: as the actor, and
//! as the subject whose privileges changed. The chain still verifies, and
//! readers (query, export, the command line) show the erased subject as
//! `[erased]` while everyone else stays readable.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_audit::{
    AuditEvent, AuditLog, AuditSink, ERASED, Entry, FileSink, FileSinkOptions, MemorySink, Query,
    QueryRecord, SigningKey, SinkContext, SubjectKeys, VerifyOptions, VerifyingKey, export_csv,
    export_jsonl, query, types, verify,
};
use rampart_core::{EventSink, PrivilegeAction, SecurityEvent};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

fn dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("erasure-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

struct Trail {
    log: AuditLog,
    path: PathBuf,
    keys: PathBuf,
    public: VerifyingKey,
}

fn trail(name: &str) -> Trail {
    let d = dir(name);
    let path = d.join("audit.jsonl");
    let keys = d.join("subject-keys.json");
    let (signer, _) = SigningKey::generate().unwrap();
    let public = signer.verifying_key();
    let log = AuditLog::builder(FileSink::new(&path, FileSinkOptions::default()), signer)
        .subject_keys(SubjectKeys::open(&keys).unwrap())
        .build()
        .unwrap();
    Trail {
        log,
        path,
        keys,
        public,
    }
}

/// alice grants bob a role, the way rampart-rbac reports it, then signs in.
fn alice_grants_bob(log: &AuditLog) {
    log.emit(
        SecurityEvent::privilege_changed("rampart::rbac", PrivilegeAction::Granted, "bob")
            .with_tenant("acme")
            .with_field("actor", "alice")
            .with_field("role", "editor"),
    );
    log.record(
        AuditEvent::new(types::AUTH_LOGIN_SUCCESS)
            .subject("alice")
            .client_ip("192.0.2.44"),
    )
    .unwrap();
}

fn raw_events(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter_map(|v| v.get("event").cloned())
        .collect()
}

fn sealed_verifies(t: &Trail, events: u64) {
    let report = verify(
        &t.path,
        &t.public,
        VerifyOptions::default().require_sealed(true),
    )
    .unwrap();
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!(report.events, events);
}

/// What a reader gets, with the key file as it is on disk now.
fn read(t: &Trail) -> (Vec<QueryRecord>, String, String) {
    let keys = SubjectKeys::open(&t.keys).unwrap();
    let records = query(&t.path, &Query::default(), Some(&keys)).unwrap();
    let mut jsonl = Vec::new();
    export_jsonl(&records, &mut jsonl).unwrap();
    let mut csv = Vec::new();
    export_csv(&records, &mut csv).unwrap();
    (
        records,
        String::from_utf8(jsonl).unwrap(),
        String::from_utf8(csv).unwrap(),
    )
}

fn target(r: &QueryRecord) -> Option<&str> {
    r.event.target.as_ref().and_then(|t| t.id.as_deref())
}

fn actor(r: &QueryRecord) -> Option<&str> {
    r.event.actor.as_ref().and_then(|a| a.subject.as_deref())
}

fn cli(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_rampart-audit"))
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn erasing_the_subject_whose_privileges_changed_leaves_the_granter_readable() {
    let t = trail("erase-bob");
    alice_grants_bob(&t.log);
    t.log.flush().unwrap();
    let text = std::fs::read_to_string(&t.path).unwrap();
    for plain in ["alice", "bob", "192.0.2.44"] {
        assert!(!text.contains(plain), "{plain} is in the trail in clear");
    }
    let bob_key = t.log.subject_keys().unwrap().key_id("bob").unwrap();
    let alice_key = t.log.subject_keys().unwrap().key_id("alice").unwrap();
    let grant = &raw_events(&t.path)[0];
    let sealed_target = grant["target"]["id"].as_str().unwrap();
    assert!(
        sealed_target.starts_with(&format!("enc:v1:{bob_key}:")),
        "bob's id is sealed under bob's key: {sealed_target}"
    );
    let sealed_actor = grant["actor"]["subject"].as_str().unwrap();
    assert!(sealed_actor.starts_with(&format!("enc:v1:{alice_key}:")));
    assert_eq!(grant["target"]["kind"], "subject");
    assert_eq!(grant["type"], types::ADMIN_ROLE_GRANTED);

    let (before, _, _) = read(&t);
    assert_eq!(target(&before[0]), Some("bob"));
    assert_eq!(actor(&before[0]), Some("alice"));

    assert!(t.log.erase_subject("bob").unwrap());
    t.log.shutdown().unwrap();
    sealed_verifies(&t, 3);
    let raw = raw_events(&t.path);
    assert_eq!(
        raw[0]["target"]["id"], sealed_target,
        "records are untouched"
    );
    assert_eq!(raw[2]["type"], types::AUDIT_SUBJECT_ERASED);
    assert_eq!(raw[2]["metadata"]["subject_key_id"], bob_key.as_str());

    let (records, jsonl, csv) = read(&t);
    assert_eq!(target(&records[0]), Some(ERASED), "bob is unreadable");
    assert_eq!(
        actor(&records[0]),
        Some("alice"),
        "the granter is not erased"
    );
    assert_eq!(actor(&records[1]), Some("alice"));
    assert_eq!(
        records[1].event.client.as_ref().unwrap().ip.as_deref(),
        Some("192.0.2.44")
    );
    for out in [&jsonl, &csv] {
        assert!(!out.contains("bob"), "{out}");
        assert!(out.contains(ERASED), "{out}");
        assert!(out.contains("alice"), "{out}");
    }
    let cells: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(cells[6], "alice", "actor column");
    assert_eq!(cells[10], "subject", "target_kind column");
    assert_eq!(cells[11], ERASED, "target_id column");

    let cli_out = cli(&[
        "query",
        t.path.to_str().unwrap(),
        "--subject-keys",
        t.keys.to_str().unwrap(),
        "--type",
        "admin.*",
    ]);
    let line: Value = serde_json::from_str(cli_out.lines().next().unwrap()).unwrap();
    assert_eq!(line["event"]["target"]["id"], ERASED);
    assert_eq!(line["event"]["actor"]["subject"], "alice");
    assert!(!cli_out.contains("bob"));
}

#[test]
fn erasing_the_granter_leaves_the_subject_whose_privileges_changed_readable() {
    let t = trail("erase-alice");
    alice_grants_bob(&t.log);
    t.log.flush().unwrap();
    assert!(t.log.erase_subject("alice").unwrap());
    t.log.shutdown().unwrap();
    sealed_verifies(&t, 3);

    let (records, jsonl, csv) = read(&t);
    assert_eq!(actor(&records[0]), Some(ERASED), "alice is unreadable");
    assert_eq!(target(&records[0]), Some("bob"), "bob is not erased");
    assert_eq!(actor(&records[1]), Some(ERASED));
    assert_eq!(
        records[1].event.client.as_ref().unwrap().ip.as_deref(),
        Some(ERASED),
        "alice's address goes with her"
    );
    for out in [&jsonl, &csv] {
        assert!(!out.contains("alice"), "{out}");
        assert!(!out.contains("192.0.2.44"), "{out}");
        assert!(out.contains("bob"), "{out}");
    }
    // The query by actor no longer finds her: nothing links the records to her.
    let keys = SubjectKeys::open(&t.keys).unwrap();
    let mut by_alice = Query::default();
    by_alice.actor = Some("alice".into());
    assert!(query(&t.path, &by_alice, Some(&keys)).unwrap().is_empty());

    // And erasing bob too leaves nothing personal readable, still verifying.
    assert!(keys.erase("bob").unwrap());
    let (_, jsonl, _) = read(&t);
    assert!(
        !jsonl.contains("bob") && !jsonl.contains("alice"),
        "{jsonl}"
    );
    sealed_verifies(&t, 3);
}

#[test]
fn a_subject_target_is_never_written_in_clear() {
    let t = trail("never-clear");
    let ids = [
        "subject-9f1c",
        "user-with \"quotes\" and \\ slashes",
        "ünïcødé-ユーザー",
        "enc:v1:000000000000000000000000:forged",
        "line\nbreak-user",
    ];
    for (i, id) in ids.iter().enumerate() {
        // Each way a subject target reaches the trail: rbac's events with and
        // without an actor (a lapse has none), and application events whose
        // kind names a subject in any case.
        let action = if i % 2 == 0 {
            PrivilegeAction::Granted
        } else {
            PrivilegeAction::Expired
        };
        let mut core = SecurityEvent::privilege_changed("rampart::rbac", action, *id)
            .with_field("resource_type", "docs")
            .with_field("resource_id", "7");
        if i % 2 == 0 {
            core = core.with_field("actor", "admin-7d2e");
        }
        t.log.emit(core);
        for kind in ["subject", "User", "principal"] {
            t.log
                .record(AuditEvent::new(types::AUTH_MFA_RESET).target(kind, *id))
                .unwrap();
        }
    }
    t.log.shutdown().unwrap();
    sealed_verifies(&t, ids.len() as u64 * 4);
    let text = std::fs::read_to_string(&t.path).unwrap();
    for id in ids {
        let escaped = serde_json::to_string(id).unwrap();
        let escaped = escaped.trim_matches('"');
        assert!(!text.contains(escaped), "{id:?} in clear in the trail");
    }
    assert!(!text.contains("admin-7d2e"));
    for event in raw_events(&t.path) {
        let id = event["target"]["id"].as_str().unwrap();
        assert!(id.starts_with("enc:v1:"), "{id}");
    }
    // Each reads back as written.
    let keys = SubjectKeys::open(&t.keys).unwrap();
    let records = query(&t.path, &Query::default(), Some(&keys)).unwrap();
    let shown: Vec<&str> = records.iter().filter_map(target).collect();
    let expected: Vec<&str> = ids.iter().flat_map(|id| [*id; 4]).collect();
    assert_eq!(shown, expected);
}

#[test]
fn a_key_store_outage_delays_the_record_and_never_writes_it_in_clear() {
    let d = dir("outage");
    let keys_dir = d.join("keys");
    std::fs::create_dir_all(&keys_dir).unwrap();
    let path = d.join("audit.jsonl");
    let (signer, _) = SigningKey::generate().unwrap();
    let public = signer.verifying_key();
    let log = AuditLog::builder(FileSink::new(&path, FileSinkOptions::default()), signer)
        .subject_keys(SubjectKeys::open(keys_dir.join("keys.json")).unwrap())
        .retry_backoff(Duration::from_millis(5), Duration::from_millis(20))
        .build()
        .unwrap();
    log.record(AuditEvent::new(types::AUTH_LOGIN_SUCCESS).subject("alice"))
        .unwrap();
    log.flush().unwrap();
    // bob's key cannot be stored now: the grant must wait, not go out in clear.
    std::fs::remove_dir_all(&keys_dir).unwrap();
    alice_grants_bob(&log);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while log.metrics().failed == 0 {
        assert!(std::time::Instant::now() < deadline, "no failure seen");
        std::thread::sleep(Duration::from_millis(5));
    }
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(!text.contains("bob"), "{text}");
    assert_eq!(raw_events(&path).len(), 1, "the grant waits");
    std::fs::create_dir_all(&keys_dir).unwrap();
    log.shutdown().unwrap();
    let report = verify(
        &path,
        &public,
        VerifyOptions::default().require_sealed(true),
    )
    .unwrap();
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!(report.events, 3);
    assert!(!std::fs::read_to_string(&path).unwrap().contains("bob"));
    let keys = SubjectKeys::open(keys_dir.join("keys.json")).unwrap();
    let records = query(&path, &Query::default(), Some(&keys)).unwrap();
    assert_eq!(target(&records[1]), Some("bob"), "sealed once, readable");
    assert_eq!(actor(&records[1]), Some("alice"));
}

#[test]
fn personal_fields_layers_report_are_erased_with_their_subject() {
    let t = trail("metadata");
    // What rampart-ratelimit's login throttle reports: the address in a field.
    t.log.emit(
        SecurityEvent::new(
            rampart_core::EventKind::AccountLocked,
            "rampart::ratelimit",
            "too many failures",
        )
        .with_subject("carol")
        .with_field("scope", "user")
        .with_field("client_ip", "198.51.100.23")
        .with_field("lockout_secs", 900),
    );
    // A layer naming someone else in an `actor` field of a non-privilege event.
    t.log.emit(
        SecurityEvent::new(
            rampart_core::EventKind::TokenRevoked,
            "rampart::auth",
            "revoked",
        )
        .with_subject("carol")
        .with_field("actor", "dave-admin")
        .with_field("email", "carol@example.org"),
    );
    t.log.flush().unwrap();
    let text = std::fs::read_to_string(&t.path).unwrap();
    for plain in ["carol", "198.51.100.23", "dave-admin"] {
        assert!(!text.contains(plain), "{plain} in clear");
    }
    assert!(text.contains("\"lockout_secs\":900"), "not personal data");
    assert!(t.log.erase_subject("carol").unwrap());
    t.log.shutdown().unwrap();
    sealed_verifies(&t, 3);
    let (records, jsonl, _) = read(&t);
    assert!(!jsonl.contains("carol") && !jsonl.contains("198.51.100.23"));
    assert_eq!(records[0].event.metadata["client_ip"], ERASED);
    assert_eq!(records[1].event.metadata["email"], ERASED);
    assert_eq!(
        records[1].event.metadata["actor"], "dave-admin",
        "the admin who revoked is not erased with carol"
    );
}

#[test]
fn erasure_covers_events_recorded_before_it_and_not_yet_written() {
    let t = trail("queued");
    for _ in 0..50 {
        alice_grants_bob(&t.log);
    }
    // No flush: the grants may still be in the queue when bob is erased.
    assert!(t.log.erase_subject("bob").unwrap());
    t.log.shutdown().unwrap();
    sealed_verifies(&t, 101);
    let (records, jsonl, _) = read(&t);
    assert!(
        !jsonl.contains("bob"),
        "a grant queued before erasure is readable"
    );
    assert_eq!(
        records.iter().filter(|r| target(r) == Some(ERASED)).count(),
        50
    );
}

/// A sink that fails until told to recover.
struct Down(Arc<AtomicBool>, MemorySink);

impl AuditSink for Down {
    fn write(&mut self, entries: &[Entry], ctx: &SinkContext<'_>) -> std::io::Result<()> {
        if self.0.load(Ordering::SeqCst) {
            return Err(std::io::Error::other("sink down"));
        }
        self.1.write(entries, ctx)
    }
}

#[test]
fn erasure_waits_for_queued_events_and_refuses_when_they_cannot_be_written() {
    let down = Arc::new(AtomicBool::new(true));
    let memory = MemorySink::new();
    let (signer, _) = SigningKey::generate().unwrap();
    let log = AuditLog::builder(Down(down.clone(), memory.clone()), signer)
        .subject_keys(SubjectKeys::in_memory())
        .retry_backoff(Duration::from_millis(5), Duration::from_millis(20))
        .drain_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    alice_grants_bob(&log);
    let err = log.erase_subject("bob").unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
    // Nothing was erased: bob's key is still there for the queued grant.
    let bob = log.subject_keys().unwrap().key_id("bob");
    assert!(bob.is_some());
    down.store(false, Ordering::SeqCst);
    // The writer retries on its own backoff; on a loaded machine the queue may
    // need longer than one short drain timeout to empty.
    let started = std::time::Instant::now();
    let erased = loop {
        match log.erase_subject("bob") {
            Ok(erased) => break erased,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                assert!(started.elapsed() < Duration::from_secs(30), "{e}");
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert!(erased);
    log.shutdown().unwrap();
    let text = memory.lines().join("\n");
    assert!(text.contains(&format!("enc:v1:{}:", bob.unwrap())));
    assert!(!text.contains("bob"));
    // After shutdown there is nothing left to write, and erasure still works.
    assert!(log.erase_subject("alice").unwrap());
}
