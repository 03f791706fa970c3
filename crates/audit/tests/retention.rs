//! Retention and time rotation on a file trail, driven by a manual clock:
//! whole old files go once every record in them has outlived its category,
//! only the oldest go, the prune is itself audited, and the retained set
//! still verifies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_audit::{
    AuditConfig, AuditEvent, AuditLog, Category, FileSink, FileSinkOptions, Outcome, Retention,
    SigningKey, VerifyOptions, VerifyingKey, types, verify,
};
use rampart_core::{Clock, ManualClock};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

const DAY: Duration = Duration::from_secs(86_400);
const YEAR: Duration = Duration::from_secs(365 * 86_400);
/// 2020-01-01T00:00:00Z
const T0: u64 = 1_577_836_800;

fn dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("retention-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn daily() -> FileSinkOptions {
    FileSinkOptions::default()
        .rotate_interval_secs(86_400)
        .retention(Retention::default())
        .fsync(false)
}

struct Trail {
    log: AuditLog,
    clock: ManualClock,
    public: VerifyingKey,
    path: PathBuf,
}

impl Trail {
    fn open(path: &Path, clock: &ManualClock, key: SigningKey, options: FileSinkOptions) -> Self {
        let public = key.verifying_key();
        let log = AuditLog::builder(FileSink::new(path, options), key)
            .clock(clock.shared())
            .linger(Duration::ZERO)
            .build()
            .unwrap();
        Trail {
            log,
            clock: clock.clone(),
            public,
            path: path.to_path_buf(),
        }
    }

    fn record(&self, event_type: &str) {
        self.log
            .record(AuditEvent::new(event_type).at(self.clock.now()))
            .unwrap();
        self.log.flush().unwrap();
    }

    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| !n.ends_with(".meta"))
            .collect();
        names.sort();
        names
    }

    fn verify(&self) -> rampart_audit::VerifyReport {
        verify(&self.path, &self.public, VerifyOptions::default()).unwrap()
    }
}

/// Every record in the set, in order, as JSON.
fn records(path: &Path) -> Vec<Value> {
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            let ext = p.extension()?.to_str()?.parse::<u64>().ok()?;
            Some((ext, p))
        })
        .collect();
    files.sort();
    files.push((u64::MAX, path.to_path_buf()));
    files
        .iter()
        .filter_map(|(_, p)| std::fs::read_to_string(p).ok())
        .flat_map(|t| {
            t.lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .collect::<Vec<_>>()
        })
        .filter(|v| v.get("checkpoint").is_none())
        .collect()
}

fn pruned_events(path: &Path) -> Vec<Value> {
    records(path)
        .into_iter()
        .filter(|r| r["event"]["type"] == types::AUDIT_RETENTION_PRUNED)
        .collect()
}

#[test]
fn a_security_event_is_kept_past_one_and_three_years_and_removed_after_seven() {
    let d = dir("seven-years");
    let path = d.join("audit.jsonl");
    let clock = ManualClock::at_unix(T0);
    let (key, _) = SigningKey::generate().unwrap();
    let trail = Trail::open(&path, &clock, key, daily());

    // Day 0: a denial (security), a read (access), a store failure (system).
    trail.record(types::AUTHZ_DENIED);
    trail.record(types::DATA_READ);
    trail.record(types::SYSTEM_STORE_FAILURE);
    // Day 1 (rotates day 0 into audit.jsonl.1): only a system event.
    clock.advance(DAY);
    trail.record(types::SYSTEM_STORE_FAILURE);
    // Day 2 (rotates day 1 into audit.jsonl.2).
    clock.advance(DAY);
    trail.record(types::DATA_READ);
    assert_eq!(
        trail.files(),
        ["audit.jsonl", "audit.jsonl.1", "audit.jsonl.2"]
    );

    // Past one year: file 2 (system events only) is due, but file 1 before it
    // is not, and only the oldest files go: no hole in the middle.
    clock.set_unix(T0 + (YEAR + 10 * DAY).as_secs());
    let report = trail.log.prune(clock.now()).unwrap();
    assert!(report.removed.is_empty(), "{report:?}");
    assert_eq!(trail.files().len(), 3);
    // Past three years: the read in file 1 is due, the denial is not.
    clock.set_unix(T0 + (3 * YEAR + 10 * DAY).as_secs());
    assert!(trail.log.prune(clock.now()).unwrap().removed.is_empty());
    assert!(
        pruned_events(&path).is_empty(),
        "nothing pruned, nothing recorded"
    );
    assert!(trail.verify().ok);

    // Seven years and a few days later: both old files go.
    clock.set_unix(T0 + (7 * YEAR + 10 * DAY).as_secs());
    let report = trail.log.prune(clock.now()).unwrap();
    let removed: Vec<_> = report.removed.iter().map(|f| f.seqs).collect();
    assert_eq!(removed, [Some((1, 3)), Some((4, 4))]);
    assert_eq!(report.retained_from_seq, Some(5));
    assert_eq!(trail.files(), ["audit.jsonl"]);
    assert!(
        !d.join("audit.jsonl.1.meta").exists(),
        "its sidecar went too"
    );

    // The prune is itself in the chain (seq 6). Writing it crossed the daily
    // boundary, so the active file (day 2's read, seq 5) rotated and, being
    // past three years, was pruned after it: a second record (seq 7).
    trail.log.shutdown().unwrap();
    let pruned = pruned_events(&path);
    assert_eq!(pruned.len(), 2);
    let event = &pruned[0]["event"];
    assert_eq!(pruned[0]["seq"], 6);
    assert_eq!(event["outcome"], "success");
    assert_eq!(event["severity"], "medium");
    assert!(
        event["metadata"]["as_of"]
            .as_str()
            .unwrap()
            .starts_with("2027-01-09"),
        "{event}"
    );
    assert_eq!(event["metadata"]["records"], 4);
    assert_eq!(event["metadata"]["retained_from_seq"], 5);
    assert_eq!(event["metadata"]["files"].as_array().unwrap().len(), 2);
    assert_eq!(pruned[1]["event"]["metadata"]["retained_from_seq"], 6);
    let report = verify(
        &path,
        &trail.public,
        VerifyOptions::default().require_sealed(true),
    )
    .unwrap();
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!((report.first_seq, report.last_seq), (6, 7));
}

#[test]
fn rotation_prunes_on_its_own_and_records_it() {
    let d = dir("on-rotation");
    let path = d.join("audit.jsonl");
    let clock = ManualClock::at_unix(T0);
    let (key, _) = SigningKey::generate().unwrap();
    let trail = Trail::open(&path, &clock, key, daily());
    trail.record(types::DATA_WRITE);
    clock.advance(DAY);
    trail.record(types::DATA_WRITE); // rotates: nothing is old enough
    assert_eq!(trail.files().len(), 2);
    // File 1's write is then 3 years and 2 days old, file 2's exactly the
    // 1,096 days access events are kept: only file 1 goes.
    clock.advance(3 * YEAR + DAY);
    trail.record(types::DATA_WRITE); // rotates, then prunes file 1
    assert_eq!(trail.files(), ["audit.jsonl", "audit.jsonl.2"]);
    let pruned = pruned_events(&path);
    assert_eq!(pruned.len(), 1, "recorded right after the rotation");
    assert_eq!(pruned[0]["event"]["metadata"]["retained_from_seq"], 2);
    assert!(trail.verify().ok);
    trail.log.shutdown().unwrap();
    let report = verify(
        &path,
        &trail.public,
        VerifyOptions::default().require_sealed(true),
    )
    .unwrap();
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!(report.first_seq, 2);
}

#[test]
fn time_rotation_cuts_at_the_interval_boundary_and_never_rotates_an_idle_file() {
    let d = dir("interval");
    let path = d.join("audit.jsonl");
    // 23:00 on day 0.
    let clock = ManualClock::at_unix(T0 + 23 * 3600);
    let (key, _) = SigningKey::generate().unwrap();
    let options = FileSinkOptions::default()
        .rotate_interval_secs(86_400)
        .rotate_bytes(0)
        .fsync(false);
    let trail = Trail::open(&path, &clock, key, options);
    trail.record(types::DATA_READ);
    clock.advance(Duration::from_secs(50 * 60)); // 23:50, same day
    trail.record(types::DATA_READ);
    assert_eq!(trail.files().len(), 1, "no boundary crossed");
    clock.advance(Duration::from_secs(20 * 60)); // 00:10 next day
    trail.record(types::DATA_READ);
    assert_eq!(trail.files().len(), 2, "midnight crossed");
    // A day with nothing but a flush: no empty files pile up.
    clock.advance(3 * DAY);
    trail.log.flush().unwrap();
    assert_eq!(trail.files().len(), 2);
    trail.log.shutdown().unwrap();
    let report = verify(&path, &trail.public, VerifyOptions::default()).unwrap();
    assert!(report.ok && report.events == 3, "{report:?}");
}

#[test]
fn size_rotation_still_works_beside_time_rotation() {
    let d = dir("size-and-time");
    let path = d.join("audit.jsonl");
    let clock = ManualClock::at_unix(T0);
    let (key, _) = SigningKey::generate().unwrap();
    let trail = Trail::open(&path, &clock, key, daily().rotate_bytes(2_000));
    for _ in 0..20 {
        trail.record(types::AUTHZ_DENIED);
    }
    assert!(trail.files().len() > 3, "{:?}", trail.files());
    trail.log.shutdown().unwrap();
    assert!(trail.verify().ok);
}

#[test]
fn without_sidecars_files_are_scanned_and_an_unreadable_one_is_kept_and_reported() {
    let d = dir("scan");
    let path = d.join("audit.jsonl");
    let clock = ManualClock::at_unix(T0);
    let (key, _) = SigningKey::generate().unwrap();
    let trail = Trail::open(&path, &clock, key, daily());
    for _ in 0..3 {
        trail.record(types::SYSTEM_STORE_FAILURE);
        clock.advance(DAY);
    }
    trail.record(types::SYSTEM_STORE_FAILURE);
    assert_eq!(trail.files().len(), 4);
    // Sidecars lost: scanning decides the same.
    std::fs::remove_file(d.join("audit.jsonl.1.meta")).unwrap();
    // File 2 damaged (its sidecar now names another length): it cannot be
    // judged, so it and everything after it stay.
    let damaged = d.join("audit.jsonl.2");
    let mut text = std::fs::read_to_string(&damaged).unwrap();
    text.push_str("not a record\n");
    std::fs::write(&damaged, text).unwrap();

    clock.advance(2 * YEAR);
    let report = trail.log.prune(clock.now()).unwrap();
    assert_eq!(report.removed.len(), 1, "file 1 went, by scanning");
    assert!(
        report
            .held_back
            .as_deref()
            .unwrap()
            .contains("audit.jsonl.2")
    );
    // (Writing the record of it crossed the daily boundary and rotated: file 4.)
    assert_eq!(
        trail.files(),
        [
            "audit.jsonl",
            "audit.jsonl.2",
            "audit.jsonl.3",
            "audit.jsonl.4"
        ]
    );
    trail.log.flush().unwrap();
    let event = &pruned_events(&path)[0]["event"];
    assert_eq!(event["outcome"], "failure");
    assert!(event["reason"].as_str().unwrap().contains("is kept"));
    trail.log.shutdown().unwrap();
}

#[test]
fn a_file_is_not_pruned_when_the_next_one_lacks_a_signed_anchor() {
    let d = dir("anchor");
    let path = d.join("audit.jsonl");
    let clock = ManualClock::at_unix(T0);
    let (key, _) = SigningKey::generate().unwrap();
    let trail = Trail::open(&path, &clock, key, daily());
    trail.record(types::DATA_READ);
    clock.advance(DAY);
    trail.record(types::DATA_READ);
    clock.advance(DAY);
    trail.record(types::DATA_READ);
    trail.log.shutdown().unwrap();
    // Someone replaces file 2's anchor with one signed by another key.
    let second = d.join("audit.jsonl.2");
    let text = std::fs::read_to_string(&second).unwrap();
    let (rest_first, rest) = text.split_once('\n').unwrap();
    let anchor: Value = serde_json::from_str(rest_first).unwrap();
    assert_eq!(anchor["checkpoint"]["anchor"], true);
    let (other, _) = SigningKey::generate().unwrap();
    let forged = other.anchor(rampart_audit::ChainHead::GENESIS, 0).to_line();
    std::fs::write(&second, format!("{forged}\n{rest}")).unwrap();

    let mut sink = FileSink::new(&path, daily());
    let report = sink.prune(clock.now() + 10 * YEAR, &trail.public).unwrap();
    assert!(report.removed.is_empty());
    assert!(report.held_back.unwrap().contains("anchor"));
    assert!(d.join("audit.jsonl.1").exists());
}

#[test]
fn a_stop_right_after_a_rotation_resumes_with_an_anchor_so_pruning_stays_safe() {
    let d = dir("crash-after-rename");
    let path = d.join("audit.jsonl");
    let clock = ManualClock::at_unix(T0);
    let (key, text) = SigningKey::generate().unwrap();
    let trail = Trail::open(&path, &clock, key, daily());
    trail.record(types::DATA_READ);
    clock.advance(DAY);
    trail.record(types::DATA_READ);
    trail.log.shutdown().unwrap();
    // Simulate a crash between the rename and the anchor: the active file
    // holds only half an anchor line.
    let active = std::fs::read_to_string(&path).unwrap();
    let rotated_away = d.join("audit.jsonl.2");
    // Make the active file the last rotated one, as a crash after rename leaves it.
    std::fs::rename(&path, &rotated_away).unwrap();
    std::fs::write(&path, &active.as_bytes()[..40]).unwrap();

    let key = SigningKey::from_pkcs8_base64(&text).unwrap();
    let trail = Trail::open(&path, &clock, key, daily());
    trail.record(types::DATA_READ);
    clock.advance(4 * YEAR);
    let report = trail.log.prune(clock.now()).unwrap();
    assert_eq!(report.removed.len(), 2, "{report:?}");
    trail.log.shutdown().unwrap();
    let report = verify(
        &path,
        &trail.public,
        VerifyOptions::default().require_sealed(true),
    )
    .unwrap();
    assert!(report.ok, "{:?}", report.failure);
    let gaps: Vec<_> = records(&path)
        .into_iter()
        .filter(|r| r["event"]["type"] == types::AUDIT_GAP)
        .collect();
    assert_eq!(gaps.len(), 1, "the cut anchor is reported as a gap");
}

#[test]
fn pruning_while_writers_record_and_rotate_keeps_one_verifiable_chain() {
    let d = dir("concurrent");
    let path = d.join("audit.jsonl");
    let clock = ManualClock::at_unix(T0);
    let (key, _) = SigningKey::generate().unwrap();
    let options = FileSinkOptions::default()
        .rotate_bytes(4_000)
        .retention(Retention::keep_forever().with_days(Category::Access, 1))
        .fsync(false);
    let trail = Trail::open(&path, &clock, key, options);
    std::thread::scope(|s| {
        for t in 0..4 {
            let log = trail.log.clone();
            let clock = clock.clone();
            s.spawn(move || {
                for i in 0..300 {
                    log.record(
                        AuditEvent::new(types::DATA_READ)
                            .at(clock.now())
                            .meta("t", t)
                            .meta("i", i),
                    )
                    .unwrap();
                }
            });
        }
        let log = trail.log.clone();
        let clock = clock.clone();
        s.spawn(move || {
            for _ in 0..30 {
                clock.advance(DAY);
                log.prune(clock.now()).unwrap();
            }
        });
    });
    trail.log.shutdown().unwrap();
    let report = verify(
        &path,
        &trail.public,
        VerifyOptions::default().require_sealed(true),
    )
    .unwrap();
    assert!(report.ok, "{:?}", report.failure);
    assert!(!pruned_events(&path).is_empty(), "something was pruned");
    assert!(report.first_seq > 1);
}

#[test]
fn the_config_section_sets_periods_and_the_trail_prunes() {
    let d = dir("config");
    let config: AuditConfig = toml::from_str(&format!(
        r#"
        path = "{}"
        rotate_bytes = 1500
        fsync = false
        [retention]
        security_days = 10
        "#,
        d.join("audit.jsonl").display()
    ))
    .unwrap();
    assert_eq!(config.retention.security_days, 10);
    assert_eq!(config.retention.system_days, 366);
    assert!(toml::from_str::<AuditConfig>("[retention]\nsecurity = 3").is_err());
    let trail = config.open().unwrap();
    let old = std::time::SystemTime::now() - 20 * DAY;
    for _ in 0..10 {
        trail
            .log()
            .record(
                AuditEvent::new(types::AUTH_LOGIN_FAILURE)
                    .at(old)
                    .outcome(Outcome::Failure),
            )
            .unwrap();
        trail.log().flush().unwrap();
    }
    // Each rotation pruned the files before it, on the system clock.
    assert!(!pruned_events(&d.join("audit.jsonl")).is_empty());
    assert!(trail.verify().unwrap().first_seq > 1);
    // An explicit prune now finds nothing more to remove than the last rotated file.
    let report = trail.prune(std::time::SystemTime::now()).unwrap();
    assert!(report.removed.len() <= 1, "{report:?}");
    assert!(trail.verify().unwrap().ok);
    trail.log().shutdown().unwrap();
    assert!(trail.verify().unwrap().ok);
}
