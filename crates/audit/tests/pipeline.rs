//! The pipeline end to end: file sink, rotation, crash recovery, failing
//! sinks, overflow, concurrency and erasure, each checked with `verify`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_audit::{
    AuditEvent, AuditLog, AuditSink, Entry, FanOut, FileSink, FileSinkOptions, MemorySink,
    Overflow, RecordError, SigningKey, SinkContext, SubjectKeys, TamperKind, VerifyOptions,
    VerifyingKey, types, verify,
};
use serde_json::Value;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

fn dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("pipeline-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn keys() -> (SigningKey, String, VerifyingKey) {
    let (key, text) = SigningKey::generate().unwrap();
    let public = key.verifying_key();
    (key, text, public)
}

fn sealed() -> VerifyOptions {
    VerifyOptions::default().require_sealed(true)
}

fn records(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v.get("checkpoint").is_none())
        .collect()
}

fn file_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_file_log_rotates_keeps_one_chain_and_survives_pruning() {
    let d = dir("rotate");
    let path = d.join("audit.jsonl");
    let (key, _, public) = keys();
    let sink = FileSink::new(&path, FileSinkOptions::default().rotate_bytes(20_000));
    let log = AuditLog::builder(sink, key)
        .checkpoint_every(100)
        .batch_size(64)
        .build()
        .unwrap();
    for i in 0..2_500 {
        log.record(AuditEvent::new(types::DATA_READ).subject(format!("u{i}")))
            .unwrap();
    }
    log.shutdown().unwrap();
    assert_eq!(log.metrics().written, 2_500);
    assert!(path.with_extension("jsonl.1").exists(), "rotated");
    let report = verify(&path, &public, sealed()).unwrap();
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!((report.events, report.last_seq), (2_500, 2_500));
    // Retention drops the oldest file whole: the next starts with an anchor.
    std::fs::remove_file(path.with_extension("jsonl.1")).unwrap();
    let report = verify(&path, &public, sealed()).unwrap();
    assert!(report.ok, "{:?}", report.failure);
    assert!(report.first_seq > 1);
    // Dropping a middle file is not retention.
    std::fs::remove_file(path.with_extension("jsonl.3")).unwrap();
    let report = verify(&path, &public, sealed()).unwrap();
    assert!(!report.ok);
}

#[test]
fn a_restart_after_a_crash_resumes_the_chain_and_records_the_gap() {
    let d = dir("crash");
    let path = d.join("audit.jsonl");
    let (key, text, public) = keys();
    let log = AuditLog::builder(FileSink::new(&path, FileSinkOptions::default()), key)
        .checkpoint_every(1000)
        .build()
        .unwrap();
    for _ in 0..10 {
        log.record(AuditEvent::new(types::DATA_WRITE)).unwrap();
    }
    log.flush().unwrap();
    // Simulate a crash mid-write: the process died before the final
    // checkpoint, half-way through a line.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"{\"hash\":\"00ab");
    std::fs::write(&path, &bytes).unwrap();
    let report = verify(&path, &public, VerifyOptions::default()).unwrap();
    assert_eq!(report.failure.unwrap().kind, TamperKind::Truncated);
    // The old writer, still alive in this test process, must not write again.
    log.shutdown().unwrap();
    std::fs::write(&path, &bytes).unwrap();

    let key = SigningKey::from_pkcs8_base64(&text).unwrap();
    let log = AuditLog::builder(FileSink::new(&path, FileSinkOptions::default()), key)
        .build()
        .unwrap();
    log.record(AuditEvent::new(types::DATA_READ)).unwrap();
    log.shutdown().unwrap();
    let report = verify(&path, &public, sealed()).unwrap();
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!(report.events, 12);
    let recs = records(&file_lines(&path));
    let gap = &recs[10]["event"];
    assert_eq!(gap["type"], "audit.gap");
    assert_eq!(gap["metadata"]["resumed_after_seq"], 10);
    assert_eq!(gap["metadata"]["discarded_bytes"], 13);
    assert_eq!(recs[11]["seq"], 12);
}

#[test]
fn a_clean_restart_continues_without_a_gap() {
    let d = dir("restart");
    let path = d.join("audit.jsonl");
    let (key, text, public) = keys();
    let log = AuditLog::builder(FileSink::new(&path, FileSinkOptions::default()), key)
        .build()
        .unwrap();
    log.record(AuditEvent::new(types::DATA_READ)).unwrap();
    log.shutdown().unwrap();
    let key = SigningKey::from_pkcs8_base64(&text).unwrap();
    let log = AuditLog::builder(FileSink::new(&path, FileSinkOptions::default()), key)
        .build()
        .unwrap();
    log.record(AuditEvent::new(types::DATA_READ)).unwrap();
    log.shutdown().unwrap();
    let report = verify(&path, &public, sealed()).unwrap();
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!(report.events, 2);
    assert!(
        !std::fs::read_to_string(&path)
            .unwrap()
            .contains("audit.gap")
    );
}

/// Fails its first `failures` writes, then passes batches to a memory sink.
struct Flaky {
    failures: Arc<AtomicUsize>,
    inner: MemorySink,
}

impl AuditSink for Flaky {
    fn write(&mut self, entries: &[Entry], ctx: &SinkContext<'_>) -> io::Result<()> {
        if self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(io::Error::other("disk on fire"));
        }
        self.inner.write(entries, ctx)
    }
}

#[test]
fn a_failing_sink_is_retried_and_loses_nothing() {
    let memory = MemorySink::new();
    let flaky = Flaky {
        failures: Arc::new(AtomicUsize::new(5)),
        inner: memory.clone(),
    };
    let (key, _, _) = keys();
    let log = AuditLog::builder(flaky, key)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(4))
        .build()
        .unwrap();
    for i in 0..300u64 {
        log.record(AuditEvent::new(types::DATA_READ).meta("i", i))
            .unwrap();
    }
    log.shutdown().unwrap();
    let m = log.metrics();
    assert_eq!((m.written, m.queued, m.dropped), (300, 0, 0));
    assert_eq!(m.failed, 5);
    let recs = records(&memory.lines());
    let seqs: Vec<u64> = recs.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=300).collect::<Vec<_>>());
    let is: Vec<u64> = recs
        .iter()
        .map(|r| r["event"]["metadata"]["i"].as_u64().unwrap())
        .collect();
    assert_eq!(is, (0..300).collect::<Vec<_>>());
}

#[test]
fn fan_out_retries_only_the_sink_that_failed() {
    let good = MemorySink::new();
    let bad = MemorySink::new();
    let fan = FanOut::new().with(good.clone()).with(Flaky {
        failures: Arc::new(AtomicUsize::new(3)),
        inner: bad.clone(),
    });
    let (key, _, _) = keys();
    let log = AuditLog::builder(fan, key)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .unwrap();
    for _ in 0..50 {
        log.record(AuditEvent::new(types::DATA_READ)).unwrap();
    }
    log.shutdown().unwrap();
    assert_eq!(good.lines(), bad.lines());
    assert_eq!(records(&good.lines()).len(), 50);
}

/// Holds every write until the gate opens.
struct Gated {
    gate: Arc<Mutex<()>>,
    started: Arc<Barrier>,
    first: bool,
}

impl AuditSink for Gated {
    fn write(&mut self, _entries: &[Entry], _ctx: &SinkContext<'_>) -> io::Result<()> {
        if std::mem::take(&mut self.first) {
            self.started.wait();
        }
        drop(self.gate.lock().unwrap());
        Ok(())
    }
}

#[test]
fn drop_mode_never_waits_and_counts_what_it_dropped() {
    let gate = Arc::new(Mutex::new(()));
    let started = Arc::new(Barrier::new(2));
    let held = gate.lock().unwrap();
    let sink = Gated {
        gate: gate.clone(),
        started: started.clone(),
        first: true,
    };
    let (key, _, _) = keys();
    let log = AuditLog::builder(sink, key)
        .queue_capacity(8)
        .batch_size(1)
        .overflow(Overflow::Drop)
        .build()
        .unwrap();
    log.record(AuditEvent::new(types::DATA_READ)).unwrap();
    started.wait(); // the writer is stuck in the sink with one event
    let mut full = 0;
    for _ in 0..100 {
        match log.record(AuditEvent::new(types::DATA_READ)) {
            Ok(()) => {}
            Err(RecordError::Full) => full += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(full, 100 - 8);
    assert_eq!(log.metrics().dropped, 92);
    drop(held);
    log.shutdown().unwrap();
    let m = log.metrics();
    assert_eq!((m.written, m.dropped, m.queued), (9, 92, 0));
    assert_eq!(
        log.record(AuditEvent::new(types::DATA_READ)),
        Err(RecordError::Closed)
    );
}

#[test]
fn block_mode_under_concurrency_writes_every_event_in_one_contiguous_chain() {
    let memory = MemorySink::new();
    let (key, _, public) = keys();
    let log = AuditLog::builder(memory.clone(), key)
        .queue_capacity(64)
        .checkpoint_every(500)
        .build()
        .unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || {
                for i in 0..5_000u64 {
                    log.record(AuditEvent::new(types::DATA_READ).meta("t", t).meta("i", i))
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    log.shutdown().unwrap();
    let lines = memory.lines();
    let recs = records(&lines);
    assert_eq!(recs.len(), 40_000);
    for (i, r) in recs.iter().enumerate() {
        assert_eq!(r["seq"].as_u64(), Some(i as u64 + 1));
    }
    let d = dir("concurrency");
    let path = d.join("audit.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let report = verify(&path, &public, sealed()).unwrap();
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!(report.events, 40_000);
    assert_eq!(log.metrics().dropped, 0);
}

#[test]
fn dropping_every_clone_without_shutdown_still_writes_and_seals_what_was_queued() {
    let memory = MemorySink::new();
    let (key, _, public) = keys();
    let log = AuditLog::builder(memory.clone(), key).build().unwrap();
    let clone = log.clone();
    for i in 0..100u64 {
        clone
            .record(AuditEvent::new(types::DATA_READ).meta("i", i))
            .unwrap();
    }
    drop(clone);
    log.record(AuditEvent::new(types::DATA_WRITE)).unwrap();
    drop(log);
    // The writer runs on after the last handle is gone; wait for its seal.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let sealed_lines = loop {
        let lines = memory.lines();
        if lines.len() > 101 {
            break lines;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the writer did not finish after the last handle was dropped ({} lines)",
            lines.len()
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let recs = records(&sealed_lines);
    assert_eq!(recs.len(), 101);
    assert_eq!(recs[100]["event"]["type"], types::DATA_WRITE);
    let d = dir("dropped");
    let path = d.join("audit.jsonl");
    std::fs::write(&path, sealed_lines.join("\n") + "\n").unwrap();
    let report = verify(&path, &public, sealed()).unwrap();
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!(report.events, 101);
}

#[test]
fn erasing_a_subject_keeps_the_chain_verifiable_and_their_data_unreadable() {
    let d = dir("erase");
    let path = d.join("audit.jsonl");
    let (key, _, public) = keys();
    let log = AuditLog::builder(FileSink::new(&path, FileSinkOptions::default()), key)
        .subject_keys(SubjectKeys::open(d.join("subject-keys.json")).unwrap())
        .build()
        .unwrap();
    for who in ["alice", "bob"] {
        log.record(
            AuditEvent::new(types::AUTH_LOGIN_SUCCESS)
                .subject(who)
                .client_ip("192.0.2.44")
                .user_agent(format!("{who}-browser"))
                .meta("password", "hunter2"),
        )
        .unwrap();
    }
    log.flush().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    for plain in ["alice", "bob", "192.0.2.44", "browser", "hunter2"] {
        assert!(!text.contains(plain), "{plain} is in the trail");
    }
    assert!(log.erase_subject("alice").unwrap());
    log.shutdown().unwrap();
    let report = verify(&path, &public, sealed()).unwrap();
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!(report.events, 3);
    let keys = log.subject_keys().unwrap();
    let recs = records(&file_lines(&path));
    let mut events: Vec<AuditEvent> = recs
        .iter()
        .map(|r| serde_json::from_value(r["event"].clone()).unwrap())
        .collect();
    for e in &mut events {
        keys.reveal(e);
    }
    let subject = |e: &AuditEvent| e.actor.as_ref().and_then(|a| a.subject.clone());
    assert!(
        subject(&events[0]).unwrap().starts_with("enc:v1:"),
        "alice stays unreadable"
    );
    assert_eq!(subject(&events[1]).as_deref(), Some("bob"));
    assert_eq!(
        events[1].client.as_ref().unwrap().user_agent.as_deref(),
        Some("bob-browser")
    );
    assert_eq!(events[2].event_type, "audit.subject_erased");
    assert_eq!(events[0].metadata["password"], "[redacted]");
}

#[test]
fn invalid_settings_are_refused_at_build() {
    type Tweak = fn(rampart_audit::AuditLogBuilder) -> rampart_audit::AuditLogBuilder;
    let tweaks: [Tweak; 4] = [
        |b| b.queue_capacity(0),
        |b| b.batch_size(0),
        |b| b.checkpoint_every(0),
        |b| b.retry_backoff(Duration::ZERO, Duration::ZERO),
    ];
    for tweak in tweaks {
        let (key, _, _) = keys();
        assert!(
            tweak(AuditLog::builder(MemorySink::new(), key))
                .build()
                .is_err()
        );
    }
}
