//! The PostgreSQL sink against a real server (`DATABASE_URL`): rows,
//! resumption, retried batches, two writers, outages, tampering, queries.
//! Each test has a table of its own, so they run in parallel.
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_audit::{
    AuditConfig, AuditEvent, AuditLog, AuditSink, ConfigError, DrainError, Entry, FanOut, FileSink,
    FileSinkOptions, MemorySink, Outcome, PostgresSink, PostgresTable, Query, Resume, SigningKey,
    SinkContext, SubjectKeys, TamperKind, VerifyOptions, VerifyReport, VerifyingKey, query, types,
};
use std::io;
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

fn database(test: &str) -> Option<String> {
    rampart_test_support::service_url("DATABASE_URL", test)
}

fn client(url: &str) -> postgres::Client {
    url.parse::<postgres::Config>()
        .unwrap()
        .connect(postgres::NoTls)
        .unwrap()
}

fn sql(url: &str, statement: &str) {
    client(url)
        .batch_execute(statement)
        .unwrap_or_else(|e| panic!("{statement}: {e:?}"));
}

/// A table for `test` alone (its name carries the process id), empty.
fn fresh(url: &str, test: &str) -> (PostgresTable, String) {
    let name = format!("audit_{test}_{}", std::process::id());
    sql(url, &format!("DROP TABLE IF EXISTS {name}"));
    (PostgresTable::new(url, &name).unwrap(), name)
}

fn scratch(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("pg-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn key() -> SigningKey {
    SigningKey::generate().unwrap().0
}

fn log(sink: impl AuditSink, key: SigningKey, checkpoint_every: u64) -> AuditLog {
    AuditLog::builder(sink, key)
        .checkpoint_every(checkpoint_every)
        .linger(Duration::ZERO)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(20))
        .build()
        .unwrap()
}

/// A varied event: actors, tenants, types, outcomes and times differ.
fn event(i: u64) -> AuditEvent {
    let (kind, outcome) = match i % 4 {
        0 => (types::AUTH_LOGIN_FAILURE, Outcome::Failure),
        1 => (types::AUTHZ_DENIED, Outcome::Failure),
        2 => (types::DATA_READ, Outcome::Success),
        _ => (types::AUTH_LOGIN_SUCCESS, Outcome::Success),
    };
    let subject = ["bob", "carol", "o'brien \"x\"; --", "dave"][(i % 4) as usize];
    let tenant = ["acme", "globex"][(i % 2) as usize];
    AuditEvent::new(kind)
        .subject(subject)
        .tenant(tenant)
        .outcome(outcome)
        .meta("i", i)
        .at(UNIX_EPOCH + Duration::from_millis(1_000 * (i + 1)))
}

fn rows(url: &str, table: &str) -> i64 {
    client(url)
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()
        .get(0)
}

fn lines(url: &str, table: &str) -> Vec<String> {
    client(url)
        .query(
            &format!("SELECT line FROM {table} ORDER BY seq, kind, time_ms, line_sha"),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

fn verify(table: &PostgresTable, key: &VerifyingKey) -> VerifyReport {
    table.verify(key, VerifyOptions::default()).unwrap()
}

#[test]
fn records_and_checkpoints_land_as_rows_holding_the_exact_lines() {
    let Some(url) = database("records_and_checkpoints_land_as_rows_holding_the_exact_lines") else {
        return;
    };
    let (table, name) = fresh(&url, "rows");
    let memory = MemorySink::new();
    let signer = key();
    let public = signer.verifying_key();
    let sink = FanOut::new()
        .with(memory.clone())
        .with(PostgresSink::new(table.clone()));
    let audit = log(sink, signer, 2);
    for i in 0..5 {
        audit.record(event(i)).unwrap();
    }
    audit.shutdown().unwrap();

    assert_eq!(
        lines(&url, &name),
        memory.lines(),
        "the table holds every line byte for byte, in chain order"
    );
    let report = verify(&table, &public);
    assert!(report.ok, "{report:?}");
    assert_eq!(
        (report.events, report.first_seq, report.last_seq),
        (5, 1, 5)
    );
    assert_eq!((report.checkpoints, report.sealed_through), (3, 5));
    let sealed = table
        .verify(&public, VerifyOptions::default().require_sealed(true))
        .unwrap();
    assert!(sealed.ok, "{sealed:?}");

    let row = client(&url)
        .query_one(
            &format!(
                "SELECT seq, event_type, severity, outcome, subject, tenant, time_ms, prev, \
                 doc->'event'->'metadata'->>'i', time = to_timestamp(3) \
                 FROM {name} WHERE kind = 0 AND seq = 3"
            ),
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 3);
    assert_eq!(row.get::<_, &str>(1), "data.read");
    assert_eq!(row.get::<_, &str>(2), "info");
    assert_eq!(row.get::<_, &str>(3), "success");
    assert_eq!(row.get::<_, &str>(4), "o'brien \"x\"; --");
    assert_eq!(row.get::<_, &str>(5), "acme");
    assert_eq!(row.get::<_, i64>(6), 3_000);
    assert_eq!(row.get::<_, &str>(7).len(), 64);
    assert_eq!(row.get::<_, &str>(8), "2", "the JSONB copy answers SQL");
    assert!(row.get::<_, bool>(9), "the time column is the event's time");

    let wrong = SigningKey::generate().unwrap().0.verifying_key();
    assert_eq!(
        verify(&table, &wrong).failure.unwrap().kind,
        TamperKind::BadSignature
    );
}

#[test]
fn a_restarted_writer_continues_the_chain_and_marks_an_unclean_stop() {
    let Some(url) = database("a_restarted_writer_continues_the_chain_and_marks_an_unclean_stop")
    else {
        return;
    };
    let (table, name) = fresh(&url, "resume");
    let (signer, text) = SigningKey::generate().unwrap();
    let again = || SigningKey::from_pkcs8_base64(&text).unwrap();
    let public = signer.verifying_key();

    let first = log(PostgresSink::new(table.clone()), signer, 100);
    for i in 0..3 {
        first.record(event(i)).unwrap();
    }
    first.shutdown().unwrap();
    let second = log(PostgresSink::new(table.clone()), again(), 100);
    for i in 3..5 {
        second.record(event(i)).unwrap();
    }
    second.shutdown().unwrap();
    let report = verify(&table, &public);
    assert!(report.ok, "{report:?}");
    assert_eq!((report.events, report.last_seq), (5, 5));

    // A crash: the final checkpoint never made it.
    sql(
        &url,
        &format!("DELETE FROM {name} WHERE kind = 1 AND seq = 5"),
    );
    let third = log(PostgresSink::new(table.clone()), again(), 100);
    third.record(event(5)).unwrap();
    third.shutdown().unwrap();
    let report = verify(&table, &public);
    assert!(report.ok, "{report:?}");
    assert_eq!(report.events, 7, "the gap event and the new one");
    let gap = table
        .query(
            &{
                let mut q = Query::default();
                q.event_type = Some(types::AUDIT_GAP.into());
                q
            },
            None,
        )
        .unwrap();
    assert_eq!(gap.len(), 1);
    assert_eq!(gap[0].seq, 6);
    assert_eq!(gap[0].event.metadata["resumed_after_seq"], 5);
    assert_eq!(gap[0].event.metadata["unsealed_records"], 2);
}

/// Passes batches to a sink but reports the first write of each batch as
/// failed after it succeeded: a commit whose reply was lost.
struct LostReply<S> {
    inner: S,
    batches_seen: Vec<u64>,
}

impl<S: AuditSink> AuditSink for LostReply<S> {
    fn resume(&mut self) -> io::Result<Resume> {
        self.inner.resume()
    }

    fn write(&mut self, entries: &[Entry], ctx: &SinkContext<'_>) -> io::Result<()> {
        self.inner.write(entries, ctx)?;
        if self.batches_seen.contains(&ctx.batch) {
            return Ok(());
        }
        self.batches_seen.push(ctx.batch);
        Err(io::Error::other(
            "connection reset before the commit's reply",
        ))
    }
}

/// The sink on `table`, loading every batch with `COPY` when `copy` holds
/// and binding arrays otherwise.
fn sink(table: &PostgresTable, copy: bool) -> PostgresSink {
    let sink = PostgresSink::new(table.clone());
    if copy { sink.copy_from(1) } else { sink }
}

#[test]
fn a_batch_written_again_after_a_lost_reply_inserts_nothing_twice() {
    lost_reply(
        "a_batch_written_again_after_a_lost_reply_inserts_nothing_twice",
        false,
    );
}

#[test]
fn a_batch_copied_again_after_a_lost_reply_inserts_nothing_twice() {
    lost_reply(
        "a_batch_copied_again_after_a_lost_reply_inserts_nothing_twice",
        true,
    );
}

fn lost_reply(test: &str, copy: bool) {
    let Some(url) = database(test) else {
        return;
    };
    let (table, name) = fresh(&url, if copy { "retry_copy" } else { "retry" });
    let signer = key();
    let public = signer.verifying_key();
    let sink = LostReply {
        inner: sink(&table, copy),
        batches_seen: Vec::new(),
    };
    let audit = log(sink, signer, 3);
    for i in 0..7 {
        audit.record(event(i)).unwrap();
        audit.flush().unwrap();
    }
    audit.shutdown().unwrap();
    assert!(audit.metrics().failed >= 7, "{:?}", audit.metrics());
    let report = verify(&table, &public);
    assert!(report.ok, "{report:?}");
    assert_eq!(report.events, 7);
    // 7 records, checkpoints at 3 and 6, and the final one at 7.
    assert_eq!(rows(&url, &name), 10);
}

#[test]
fn joining_a_fan_out_behind_a_file_starts_the_table_with_an_anchor() {
    let Some(url) = database("joining_a_fan_out_behind_a_file_starts_the_table_with_an_anchor")
    else {
        return;
    };
    let (table, name) = fresh(&url, "anchor");
    let path = scratch("anchor").join("audit.jsonl");
    let (signer, text) = SigningKey::generate().unwrap();
    let public = signer.verifying_key();
    let file_only = log(
        FileSink::new(&path, FileSinkOptions::default()),
        signer,
        100,
    );
    for i in 0..3 {
        file_only.record(event(i)).unwrap();
    }
    file_only.shutdown().unwrap();

    let both = FanOut::new()
        .with(FileSink::new(&path, FileSinkOptions::default()))
        .with(LostReply {
            inner: PostgresSink::new(table.clone()),
            batches_seen: Vec::new(),
        });
    let audit = log(both, SigningKey::from_pkcs8_base64(&text).unwrap(), 100);
    for i in 3..5 {
        audit.record(event(i)).unwrap();
        audit.flush().unwrap();
    }
    audit.shutdown().unwrap();

    let report = verify(&table, &public);
    assert!(report.ok, "{report:?}");
    assert_eq!(
        (report.first_seq, report.events, report.last_seq),
        (4, 2, 5)
    );
    let anchors: i64 = client(&url)
        .query_one(&format!("SELECT count(*) FROM {name} WHERE kind = 2"), &[])
        .unwrap()
        .get(0);
    assert_eq!(anchors, 1, "a retried first batch does not anchor twice");
    let file = rampart_audit::verify(&path, &public, VerifyOptions::default()).unwrap();
    assert!(file.ok && file.events == 5, "{file:?}");
}

/// A sink that forgets what its table holds: a writer starting a new chain
/// over an existing table.
struct Amnesiac(PostgresSink);

impl AuditSink for Amnesiac {
    fn resume(&mut self) -> io::Result<Resume> {
        Ok(Resume::default())
    }

    fn write(&mut self, entries: &[Entry], ctx: &SinkContext<'_>) -> io::Result<()> {
        self.0.write(entries, ctx)
    }
}

#[test]
fn a_different_record_at_a_stored_sequence_number_is_refused_not_skipped() {
    let Some(url) =
        database("a_different_record_at_a_stored_sequence_number_is_refused_not_skipped")
    else {
        return;
    };
    let (table, name) = fresh(&url, "fork");
    let signer = key();
    let public = signer.verifying_key();
    let first = log(PostgresSink::new(table.clone()), signer, 100);
    for i in 0..3 {
        first.record(event(i)).unwrap();
    }
    first.shutdown().unwrap();
    let before = lines(&url, &name);

    let forked = AuditLog::builder(Amnesiac(PostgresSink::new(table.clone())), key())
        .linger(Duration::ZERO)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .drain_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    forked.record(event(9)).unwrap();
    assert!(matches!(forked.flush(), Err(DrainError::TimedOut { .. })));
    eventually(|| forked.metrics().failed > 0);
    assert_eq!(forked.metrics().written, 0);
    assert_eq!(
        lines(&url, &name),
        before,
        "nothing of the fork was written"
    );
    assert!(verify(&table, &public).ok);
}

#[test]
fn a_second_writer_on_a_live_table_waits_for_the_lock() {
    let Some(url) = database("a_second_writer_on_a_live_table_waits_for_the_lock") else {
        return;
    };
    let (table, name) = fresh(&url, "lock");
    let signer = key();
    let public = signer.verifying_key();
    let owner = log(PostgresSink::new(table.clone()), signer, 100);
    owner.record(event(0)).unwrap();
    owner.flush().unwrap();

    let intruder = AuditLog::builder(PostgresSink::new(table.clone()), key())
        .linger(Duration::ZERO)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .drain_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    intruder.record(event(1)).unwrap();
    assert!(intruder.flush().is_err());
    eventually(|| intruder.metrics().failed > 0);
    assert_eq!(intruder.metrics().written, 0);

    for i in 2..5 {
        owner.record(event(i)).unwrap();
    }
    owner.shutdown().unwrap();
    let report = verify(&table, &public);
    assert!(report.ok, "{report:?}");
    assert_eq!(report.events, 4, "only the owner's records");
    assert!(rows(&url, &name) >= 5);
}

#[test]
fn an_outage_mid_way_delays_writes_and_loses_nothing() {
    let Some(url) = database("an_outage_mid_way_delays_writes_and_loses_nothing") else {
        return;
    };
    let (_, name) = fresh(&url, "outage");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let relay = runtime.block_on(rampart_test_support::Relay::start(&url));
    let table = PostgresTable::new(&relay.url, &name).unwrap();
    let signer = key();
    let public = signer.verifying_key();
    let audit = log(PostgresSink::new(table.clone()), signer, 4);
    for i in 0..3 {
        audit.record(event(i)).unwrap();
    }
    audit.flush().unwrap();

    relay.cut();
    for i in 3..10 {
        audit.record(event(i)).unwrap();
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while audit.metrics().failed < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            audit.metrics()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let during = audit.metrics();
    assert!(during.written < 10, "{during:?}");
    assert_eq!(during.written + during.queued, 10, "{during:?}");

    relay.restore();
    audit.flush().unwrap();
    audit.shutdown().unwrap();
    assert_eq!(audit.metrics().written, 10);
    assert_eq!(audit.metrics().dropped, 0);
    let report = verify(&PostgresTable::new(&url, &name).unwrap(), &public);
    assert!(report.ok, "{report:?}");
    assert_eq!(report.events, 10);
}

#[test]
fn an_unreachable_server_at_start_is_an_error_naming_the_table() {
    let table = PostgresTable::new(
        "postgres://postgres:hunter2@127.0.0.1:1/test?connect_timeout=2",
        "nowhere",
    )
    .unwrap();
    let Err(ConfigError::Io(e)) =
        AuditLog::builder(PostgresSink::new(table.clone()), key()).build()
    else {
        panic!("started without a database");
    };
    let message = e.to_string();
    assert!(message.contains("nowhere"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
    assert!(!format!("{table:?}").contains("hunter2"));
    assert!(
        table
            .verify(&key().verifying_key(), VerifyOptions::default())
            .is_err()
    );
}

#[test]
fn bad_table_names_and_urls_are_refused() {
    for bad in ["", "Audit", "a;drop table x", "a\"b", "a.b.c", "1st"] {
        let Err(ConfigError::Invalid(why)) = PostgresTable::new("postgres://u@h/db", bad) else {
            panic!("{bad:?} accepted");
        };
        assert!(why.contains("identifier"), "{why}");
    }
    assert!(matches!(
        PostgresTable::new("postgres://u:pw@h:notaport/db", "t"),
        Err(ConfigError::Invalid(_))
    ));
}

/// A sealed table of six records, checkpoints at 3 and 6.
fn sealed_table(url: &str, test: &str) -> (PostgresTable, String, VerifyingKey) {
    let (table, name) = fresh(url, test);
    let signer = key();
    let public = signer.verifying_key();
    let audit = log(PostgresSink::new(table.clone()), signer, 3);
    for i in 0..6 {
        audit.record(event(i)).unwrap();
    }
    audit.shutdown().unwrap();
    let report = verify(&table, &public);
    assert!(report.ok && report.events == 6, "{report:?}");
    (table, name, public)
}

fn tampered(
    url: &str,
    test: &str,
    tamper: &str,
    options: VerifyOptions,
) -> (TamperKind, Option<u64>, String) {
    let (table, name, public) = sealed_table(url, test);
    sql(url, &tamper.replace("{t}", &name));
    let report = table.verify(&public, options).unwrap();
    assert!(!report.ok, "{test}: {report:?}");
    let failure = report.failure.unwrap();
    (failure.kind, failure.seq, failure.detail)
}

#[test]
fn tampering_with_the_table_is_detected_and_named() {
    let Some(url) = database("tampering_with_the_table_is_detected_and_named") else {
        return;
    };
    let plain = VerifyOptions::default();
    let sealed = VerifyOptions::default().require_sealed(true);
    let cases: &[(&str, &str, VerifyOptions, TamperKind, Option<u64>)] = &[
        (
            "t_line",
            "UPDATE {t} SET line = replace(line, '\"carol\"', '\"mallory\"') WHERE kind = 0 AND seq = 2",
            plain,
            TamperKind::Modified,
            Some(2),
        ),
        (
            "t_column",
            "UPDATE {t} SET tenant = 'evil' WHERE kind = 0 AND seq = 4",
            plain,
            TamperKind::Modified,
            Some(4),
        ),
        (
            "t_delete",
            "DELETE FROM {t} WHERE kind = 0 AND seq = 3",
            plain,
            TamperKind::Deleted,
            Some(3),
        ),
        (
            // A replay of record 2 after the end.
            "t_insert",
            "INSERT INTO {t} (seq, kind, line_sha, hash, prev, time_ms, event_type, severity, outcome, subject, tenant, line, segment)
             SELECT 7, kind, line_sha, hash, prev, time_ms, event_type, severity, outcome, subject, tenant, line, segment
             FROM {t} WHERE kind = 0 AND seq = 2",
            plain,
            TamperKind::Inserted,
            Some(2),
        ),
        (
            "t_reorder",
            "UPDATE {t} SET seq = 1000 WHERE kind = 0 AND seq = 2;
             UPDATE {t} SET seq = 2 WHERE kind = 0 AND seq = 3;
             UPDATE {t} SET seq = 3 WHERE kind = 0 AND seq = 1000;",
            plain,
            TamperKind::Reordered,
            Some(2),
        ),
        (
            "t_tail",
            "DELETE FROM {t} WHERE seq >= 5",
            sealed,
            TamperKind::Truncated,
            Some(4),
        ),
        (
            "t_truncate",
            "TRUNCATE {t}",
            sealed,
            TamperKind::Truncated,
            Some(0),
        ),
        (
            "t_sig",
            "UPDATE {t} SET line = replace(line, '\"time_ms\":', '\"time_ms\":1') WHERE kind = 1 AND seq = 3",
            plain,
            TamperKind::BadSignature,
            Some(3),
        ),
        (
            "t_garbage",
            // The JSONB copy refuses garbage; someone with DDL rights drops it first.
            "ALTER TABLE {t} DROP COLUMN doc; UPDATE {t} SET line = 'not json' WHERE kind = 0 AND seq = 5",
            plain,
            TamperKind::Malformed,
            None,
        ),
    ];
    for (test, tamper, options, kind, seq) in cases {
        let found = tampered(&url, test, tamper, *options);
        assert_eq!((found.0, found.1), (*kind, *seq), "{test}: {}", found.2);
    }
}

#[test]
fn queries_over_the_table_answer_what_the_file_answers() {
    let Some(url) = database("queries_over_the_table_answer_what_the_file_answers") else {
        return;
    };
    let (table, _) = fresh(&url, "query");
    let dir = scratch("query");
    let path = dir.join("audit.jsonl");
    let keys_path = dir.join("subjects.keys");
    let sink = FanOut::new()
        .with(FileSink::new(&path, FileSinkOptions::default()))
        .with(PostgresSink::new(table.clone()));
    let audit = AuditLog::builder(sink, key())
        .subject_keys(SubjectKeys::open(&keys_path).unwrap())
        .linger(Duration::ZERO)
        .build()
        .unwrap();
    for i in 0..24 {
        audit.record(event(i)).unwrap();
    }
    audit
        .record(AuditEvent::new("custom.a%b_c").subject("eve"))
        .unwrap();
    audit
        .record(AuditEvent::new("custom.aXbYc").subject("eve"))
        .unwrap();
    audit.shutdown().unwrap();
    let keys = SubjectKeys::open(&keys_path).unwrap();

    let q = |f: &dyn Fn(&mut Query)| {
        let mut q = Query::default();
        f(&mut q);
        q
    };
    let queries = [
        Query::default(),
        q(&|q| q.from_ms = Some(5_000)),
        q(&|q| q.to_ms = Some(5_000)),
        q(&|q| {
            q.from_ms = Some(3_000);
            q.to_ms = Some(9_000);
        }),
        q(&|q| q.actor = Some("carol".into())),
        q(&|q| q.actor = Some("o'brien \"x\"; --".into())),
        q(&|q| q.actor = Some("' OR 1=1 --".into())),
        q(&|q| q.tenant = Some("globex".into())),
        q(&|q| q.event_type = Some("auth.*".into())),
        q(&|q| q.event_type = Some(types::AUTHZ_DENIED.into())),
        q(&|q| q.event_type = Some("custom.a%b_c".into())),
        q(&|q| q.event_type = Some("custom.a%*".into())),
        q(&|q| q.outcome = Some(Outcome::Failure)),
        q(&|q| {
            q.actor = Some("bob".into());
            q.tenant = Some("acme".into());
            q.outcome = Some(Outcome::Failure);
            q.event_type = Some("auth.login.*".into());
        }),
    ];
    for (i, wanted) in queries.iter().enumerate() {
        for keys in [None, Some(&keys)] {
            let from_file = query(&path, wanted, keys).unwrap();
            let from_table = table.query(wanted, keys).unwrap();
            assert_eq!(
                from_table,
                from_file,
                "query {i} {wanted:?} keys {}",
                keys.is_some()
            );
        }
    }
    let carol = table
        .query(&q(&|q| q.actor = Some("carol".into())), Some(&keys))
        .unwrap();
    assert_eq!(carol.len(), 6, "found among encrypted subjects");
    assert!(
        carol
            .iter()
            .all(|r| r.event.actor.as_ref().unwrap().subject.as_deref() == Some("carol"))
    );
    let custom = table
        .query(&q(&|q| q.event_type = Some("custom.a%*".into())), None)
        .unwrap();
    assert_eq!(custom.len(), 1, "% is not a wildcard");
}

#[test]
fn hostile_values_are_written_verified_and_found() {
    hostile_values("hostile_values_are_written_verified_and_found", false);
}

#[test]
fn hostile_values_copied_in_bulk_are_written_verified_and_found() {
    hostile_values(
        "hostile_values_copied_in_bulk_are_written_verified_and_found",
        true,
    );
}

fn hostile_values(test: &str, copy: bool) {
    let Some(url) = database(test) else {
        return;
    };
    let label = if copy { "hostile_copy" } else { "hostile" };
    let (table, name) = fresh(&url, label);
    let path = scratch(label).join("audit.jsonl");
    let signer = key();
    let public = signer.verifying_key();
    let sink = FanOut::new()
        .with(FileSink::new(&path, FileSinkOptions::default()))
        .with(sink(&table, copy));
    let audit = log(sink, signer, 100);
    // A login failure records the user name the client typed: any length, any character.
    // Varied characters, so that compression cannot shrink them under the index limit.
    let noise: String = (0..6000u32)
        .filter_map(|i| char::from_u32(0x4e00 + i * 7919 % 20_000))
        .collect();
    let long = format!("{noise}\u{0}end");
    let hostile = [
        AuditEvent::new(types::AUTH_LOGIN_FAILURE)
            .subject(long.clone())
            .tenant("t\u{0}nant")
            .meta("nul", "a\u{0}b"),
        AuditEvent::new(format!("custom.{}", "y".repeat(4000))).subject("' OR 1=1 --"),
        AuditEvent::new(types::DATA_READ).subject("\u{202e}\u{fffd}🦀\\u0000"),
        // What CSV and COPY treat specially: quotes, separators, line breaks,
        // the end-of-data marker, backslashes and an empty value.
        AuditEvent::new(types::DATA_WRITE)
            .subject("a\",\"b\r\n\\.\n\\N,")
            .tenant(""),
    ];
    for event in hostile {
        audit.record(event).unwrap();
    }
    audit.shutdown().unwrap();
    assert_eq!(audit.metrics().written, 4, "{:?}", audit.metrics());
    assert_eq!(audit.metrics().failed, 0, "no batch failed");
    let report = verify(&table, &public);
    assert!(report.ok && report.events == 4, "{report:?}");
    assert_eq!(rows(&url, &name), 5);
    let mut by_quoted = Query::default();
    by_quoted.actor = Some("a\",\"b\r\n\\.\n\\N,".into());
    assert_eq!(table.query(&by_quoted, None).unwrap().len(), 1);
    let mut by_empty_tenant = Query::default();
    by_empty_tenant.tenant = Some(String::new());
    assert_eq!(table.query(&by_empty_tenant, None).unwrap().len(), 1);

    let mut by_subject = Query::default();
    by_subject.actor = Some(long);
    let found = table.query(&by_subject, None).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found, query(&path, &by_subject, None).unwrap());
    let mut by_tenant = Query::default();
    by_tenant.tenant = Some("t\u{0}nant".into());
    assert_eq!(table.query(&by_tenant, None).unwrap().len(), 1);
    let mut by_type = Query::default();
    by_type.event_type = Some(format!("custom.{}", "y".repeat(4000)));
    assert_eq!(table.query(&by_type, None).unwrap().len(), 1);
}

#[test]
fn a_config_with_a_database_url_writes_the_file_and_the_table() {
    let Some(url) = database("a_config_with_a_database_url_writes_the_file_and_the_table") else {
        return;
    };
    let (_, name) = fresh(&url, "config");
    let dir = scratch("config");
    let document = format!(
        "path = {:?}\ndatabase_url = {url:?}\ntable = {name:?}\ncheckpoint_every = 2\n",
        dir.join("audit.jsonl")
    );
    let config: AuditConfig = toml::from_str(&document).unwrap();
    // Opened from inside an async runtime, as a service does at start.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let trail = runtime.block_on(async { config.open() }).unwrap();
    for i in 0..3 {
        trail.log().record(event(i)).unwrap();
    }
    let file = trail.verify().unwrap();
    let in_table = runtime
        .block_on(async { trail.verify_table() })
        .unwrap()
        .unwrap();
    assert!(file.ok && in_table.ok, "{file:?} {in_table:?}");
    assert_eq!((file.events, in_table.events), (3, 3));
    assert_eq!(trail.table().unwrap().name(), name);
    trail.log().shutdown().unwrap();
    drop(runtime);
    assert_eq!(rows(&url, &name), 3 + 2);
}

/// The table's half of a fan-out that dies once it has taken `left` records
/// (however the writer batched them), letting go of its connection (and so
/// of the writer lock) as a dead process would.
struct DiesAfterRecords {
    inner: Option<PostgresSink>,
    left: usize,
}

impl AuditSink for DiesAfterRecords {
    fn resume(&mut self) -> io::Result<Resume> {
        self.inner.as_mut().unwrap().resume()
    }

    fn write(&mut self, entries: &[Entry], ctx: &SinkContext<'_>) -> io::Result<()> {
        if self.left > 0 {
            self.inner.as_mut().unwrap().write(entries, ctx)?;
            let records = entries
                .iter()
                .filter(|e| matches!(e, Entry::Record(_)))
                .count();
            self.left = self.left.saturating_sub(records);
            return Ok(());
        }
        self.inner = None;
        Err(io::Error::other("the process died"))
    }
}

#[test]
fn a_batch_the_file_took_but_the_table_missed_before_a_crash_is_reported() {
    let Some(url) =
        database("a_batch_the_file_took_but_the_table_missed_before_a_crash_is_reported")
    else {
        return;
    };
    let (table, _) = fresh(&url, "crash");
    let path = scratch("crash").join("audit.jsonl");
    let (signer, text) = SigningKey::generate().unwrap();
    let public = signer.verifying_key();
    let dying = FanOut::new()
        .with(FileSink::new(&path, FileSinkOptions::default()))
        .with(DiesAfterRecords {
            inner: Some(PostgresSink::new(table.clone())),
            left: 2,
        });
    let first = AuditLog::builder(dying, signer)
        .linger(Duration::ZERO)
        .retry_backoff(Duration::from_millis(5), Duration::from_millis(50))
        .drain_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    for i in 0..2 {
        first.record(event(i)).unwrap();
    }
    // The short drain timeout keeps the doomed second flush quick; the first
    // two records (connect, create the table, insert; in one batch or two)
    // may need several waits on a loaded machine, and land before the sink dies.
    let started = std::time::Instant::now();
    while let Err(e) = first.flush() {
        assert!(started.elapsed() < Duration::from_secs(30), "{e:?}");
    }
    for i in 2..4 {
        first.record(event(i)).unwrap();
    }
    assert!(
        first.flush().is_err(),
        "the table never takes the second batch"
    );
    // The process is gone; a new one starts on the same file and table.
    let both = FanOut::new()
        .with(FileSink::new(&path, FileSinkOptions::default()))
        .with(PostgresSink::new(table.clone()));
    let second = log(both, SigningKey::from_pkcs8_base64(&text).unwrap(), 100);
    second.record(event(4)).unwrap();
    second.shutdown().unwrap();

    let file = rampart_audit::verify(&path, &public, VerifyOptions::default()).unwrap();
    assert!(file.ok, "the file is whole: {file:?}");
    // Records 3 and 4 may have gone in one batch or two: the file holds 3 at least.
    assert!(file.events >= 5, "{file:?}");
    let report = verify(&table, &public);
    assert!(!report.ok, "{report:?}");
    let failure = report.failure.unwrap();
    assert_eq!(
        (failure.kind, failure.seq),
        (TamperKind::Deleted, Some(3)),
        "{}",
        failure.detail
    );
}

/// Waits for a writer thread to reach a state, so a loaded machine does not
/// fail a test that a quick one passes.
fn eventually(condition: impl Fn() -> bool) {
    let started = std::time::Instant::now();
    while !condition() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the writer never got there"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
