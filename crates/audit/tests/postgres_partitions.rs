//! The PostgreSQL table's monthly partitions against a real server
//! (`DATABASE_URL`): each month written in its own partition, each after the
//! first starting with a signed anchor, retention dropping whole months while
//! the rest verifies, and tables made before partitioning left as they are.
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_audit::{
    AuditEvent, AuditLog, Category, Outcome, PostgresSink, PostgresTable, Retention, SigningKey,
    VerifyOptions, VerifyReport, VerifyingKey, types,
};
use rampart_core::{Clock, ManualClock};
use std::time::{Duration, UNIX_EPOCH};

const DAY: u64 = 86_400;
/// 2026-01-15T00:00:00Z.
const JAN_15: u64 = 1_768_435_200;
/// 2026-02-15T00:00:00Z.
const FEB_15: u64 = JAN_15 + 31 * DAY;
/// 2026-03-01T00:00:00Z.
const MAR_01: u64 = FEB_15 + 14 * DAY;

fn database(test: &str) -> Option<String> {
    rampart_test_support::service_url("DATABASE_URL", test)
}

fn client(url: &str) -> postgres::Client {
    url.parse::<postgres::Config>()
        .unwrap()
        .connect(postgres::NoTls)
        .unwrap()
}

fn fresh(url: &str, test: &str) -> (PostgresTable, String) {
    let name = format!("audit_{test}_{}", std::process::id());
    client(url)
        .batch_execute(&format!("DROP TABLE IF EXISTS {name}"))
        .unwrap();
    (PostgresTable::new(url, &name).unwrap(), name)
}

fn verify(table: &PostgresTable, key: &VerifyingKey) -> VerifyReport {
    table.verify(key, VerifyOptions::default()).unwrap()
}

/// The table's partitions, by name, in order.
fn partitions(url: &str, table: &str) -> Vec<String> {
    let mut names: Vec<String> = client(url)
        .query(
            "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = to_regclass($1)",
            &[&table],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    names.sort();
    names
}

/// Records `n` events of `kind` made at the clock's time, and waits for them.
fn write(log: &AuditLog, clock: &ManualClock, kind: &str, n: u64) {
    for i in 0..n {
        log.record(
            AuditEvent::new(kind)
                .subject("bob")
                .outcome(Outcome::Success)
                .meta("i", i)
                .at(clock.now()),
        )
        .unwrap();
    }
    log.flush().unwrap();
}

#[test]
fn each_month_has_a_partition_and_retention_drops_whole_months_that_expired() {
    let Some(url) = database("each_month_has_a_partition_and_retention_drops_whole_months") else {
        return;
    };
    let (table, name) = fresh(&url, "months");
    let clock = ManualClock::at_unix(JAN_15);
    let (signer, _) = SigningKey::generate().unwrap();
    let public = signer.verifying_key();
    // Access records for 60 days, security records for the default 7 years.
    let retention = Retention::default().with_days(Category::Access, 60);
    let log = AuditLog::builder(
        PostgresSink::new(table.clone()).retention(retention),
        signer,
    )
    .clock(clock.shared())
    .checkpoint_every(4)
    .linger(Duration::ZERO)
    .build()
    .unwrap();

    write(&log, &clock, types::DATA_READ, 3);
    clock.set_unix(FEB_15);
    write(&log, &clock, types::DATA_READ, 2);
    write(&log, &clock, types::AUTH_LOGIN_FAILURE, 1);
    clock.set_unix(MAR_01);
    write(&log, &clock, types::DATA_READ, 1);
    // A clock that jumps back does not send rows to an older month.
    clock.set_unix(FEB_15 + DAY);
    write(&log, &clock, types::DATA_READ, 1);
    assert_eq!(
        partitions(&url, &name),
        [
            format!("{name}_s202601"),
            format!("{name}_s202602"),
            format!("{name}_s202603")
        ]
    );
    let mut db = client(&url);
    let newest_segment: i32 = db
        .query_one(
            &format!("SELECT segment FROM {name} WHERE kind = 0 ORDER BY seq DESC LIMIT 1"),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(newest_segment, 202_603);
    // Every month after the first starts with a signed anchor.
    for segment in [202_602, 202_603] {
        let first: i16 = db
            .query_one(
                &format!("SELECT kind FROM {name} WHERE segment = $1 ORDER BY seq, kind LIMIT 1"),
                &[&segment],
            )
            .unwrap()
            .get(0);
        assert_eq!(first, 2, "segment {segment} starts with an anchor");
    }
    // Nothing has expired yet: January's last access record is 45 days old.
    let none = log.prune(UNIX_EPOCH + Duration::from_secs(MAR_01)).unwrap();
    assert!(none.removed.is_empty(), "{none:?}");

    let april = UNIX_EPOCH + Duration::from_secs(MAR_01 + 31 * DAY);
    let report = log.prune(april).unwrap();
    assert_eq!(report.removed.len(), 1, "{report:?}");
    assert_eq!(
        report.removed[0].path.to_str(),
        Some(format!("{name}_s202601").as_str())
    );
    let (_, last_january) = report.removed[0].seqs.unwrap();
    assert_eq!(report.retained_from_seq, Some(last_january + 1));
    assert_eq!(
        partitions(&url, &name),
        [format!("{name}_s202602"), format!("{name}_s202603")]
    );
    // February holds a security record, kept for years; the newest month,
    // being written to, always stays.
    let later = log
        .prune(UNIX_EPOCH + Duration::from_secs(MAR_01 + 400 * DAY))
        .unwrap();
    assert!(later.removed.is_empty(), "{later:?}");
    log.shutdown().unwrap();

    let after = verify(&table, &public);
    assert!(after.ok, "{after:?}");
    assert_eq!(after.first_seq, last_january + 1);
    let pruned: i64 = db
        .query_one(
            &format!("SELECT count(*) FROM {name} WHERE event_type = $1"),
            &[&types::AUDIT_RETENTION_PRUNED],
        )
        .unwrap()
        .get(0);
    assert_eq!(pruned, 1, "the prune is itself a record");
}

#[test]
fn a_table_made_before_partitioning_is_written_and_verified_as_it_is() {
    let Some(url) = database("a_table_made_before_partitioning_is_written_and_verified") else {
        return;
    };
    let (table, name) = fresh(&url, "plain");
    // The schema of a table made before partitioning.
    client(&url)
        .batch_execute(&format!(
            "CREATE TABLE {name} (
                seq BIGINT NOT NULL, kind SMALLINT NOT NULL, line_sha BYTEA NOT NULL,
                hash TEXT NOT NULL, prev TEXT, time_ms BIGINT NOT NULL,
                event_type TEXT, severity TEXT, outcome TEXT, subject TEXT, tenant TEXT,
                line TEXT NOT NULL,
                PRIMARY KEY (seq, kind, line_sha));
             CREATE UNIQUE INDEX {name}_record_seq ON {name} (seq) WHERE kind = 0;"
        ))
        .unwrap();
    let clock = ManualClock::at_unix(JAN_15);
    let (signer, _) = SigningKey::generate().unwrap();
    let public = signer.verifying_key();
    let log = AuditLog::builder(
        PostgresSink::new(table.clone())
            .retention(Retention::default().with_days(Category::Access, 1)),
        signer,
    )
    .clock(clock.shared())
    .linger(Duration::ZERO)
    .build()
    .unwrap();
    write(&log, &clock, types::DATA_READ, 3);
    clock.set_unix(FEB_15);
    write(&log, &clock, types::DATA_READ, 3);
    let report = log
        .prune(UNIX_EPOCH + Duration::from_secs(FEB_15 + 400 * DAY))
        .unwrap();
    assert!(report.removed.is_empty(), "a plain table is never pruned");
    log.shutdown().unwrap();
    assert!(partitions(&url, &name).is_empty());
    let report = verify(&table, &public);
    assert!(report.ok, "{report:?}");
    assert!(report.events >= 6, "{report:?}");
}
