//! The audit trail: the cost on the request path (building an event and
//! enqueueing it) beside a plain `tracing` JSON event in the same run, and the
//! sustained rate into the JSONL file sink with the hash chain, signed
//! checkpoints and an fsync per batch; and, when `DATABASE_URL` is set, the
//! sustained rate into the PostgreSQL sink with batches bound as arrays
//! beside batches loaded with `COPY`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rampart_audit::{
    AuditEvent, AuditLog, AuditSink, Entry, FileSink, FileSinkOptions, PostgresSink, PostgresTable,
    SigningKey, SinkContext, types,
};
use rampart_core::{EventKind, EventSink, SecurityEvent};
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Discards batches, but not while the gate is held: the bench holds it
/// while timing enqueues, so the writer waits off-CPU instead of competing
/// with the caller for the cores (its cost is what the file-sink bench measures).
struct Gated(Arc<Mutex<()>>);

impl AuditSink for Gated {
    fn write(&mut self, entries: &[Entry], _ctx: &SinkContext<'_>) -> std::io::Result<()> {
        drop(self.0.lock().unwrap_or_else(PoisonError::into_inner));
        black_box(entries.len());
        Ok(())
    }
}

/// Events enqueued while the writer is held off. A busy moment's backlog,
/// not a queue that has fallen tens of thousands behind: with such a backlog
/// every event's memory is cold and the figure is that of the cache misses,
/// not of the request path in steady state.
const CHUNK: u64 = 1_000;

fn event(i: u64) -> AuditEvent {
    AuditEvent::new(types::AUTHZ_DENIED)
        .subject("bob")
        .tenant("acme")
        .client_ip("203.0.113.9")
        .request_id("0190b6f2-7c1a-7d4e-8f00-000000000001")
        .reason("no role grants items:delete")
        .meta("permission", "items:delete")
        .meta("i", i)
}

/// Times `op` over `iters` calls in chunks that fit the queue, draining it
/// between chunks outside the timing. `prepare` makes each call's input
/// before the chunk is timed.
fn timed_enqueue<T>(
    log: &AuditLog,
    gate: &Mutex<()>,
    iters: u64,
    mut prepare: impl FnMut(u64) -> T,
    mut op: impl FnMut(T),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0;
    let mut inputs = Vec::with_capacity(CHUNK as usize);
    while done < iters {
        let n = CHUNK.min(iters - done);
        inputs.extend((0..n).map(|i| prepare(done + i)));
        let held = gate.lock().unwrap_or_else(PoisonError::into_inner);
        let start = Instant::now();
        for input in inputs.drain(..) {
            op(input);
        }
        total += start.elapsed();
        drop(held);
        log.flush().expect("flush");
        done += n;
    }
    total
}

fn enqueue(c: &mut Criterion) {
    let (key, _) = SigningKey::generate().expect("key");
    let gate = Arc::new(Mutex::new(()));
    let log = AuditLog::builder(Gated(gate.clone()), key)
        .queue_capacity(CHUNK as usize)
        .build()
        .expect("log");
    let mut group = c.benchmark_group("audit/request_path");
    // Building the event and enqueueing it, as a handler recording one does.
    group.bench_function("rampart_audit_record", |b| {
        b.iter_custom(|iters| {
            timed_enqueue(
                &log,
                &gate,
                iters,
                |i| i,
                |i| {
                    log.record(black_box(event(i))).expect("record");
                },
            )
        })
    });
    // The queue alone: the event is built before the timing.
    group.bench_function("rampart_audit_enqueue_built_event", |b| {
        b.iter_custom(|iters| {
            timed_enqueue(&log, &gate, iters, event, |e| {
                log.record(black_box(e)).expect("record");
            })
        })
    });
    group.bench_function("rampart_audit_emit_security_event", |b| {
        b.iter_custom(|iters| {
            timed_enqueue(
                &log,
                &gate,
                iters,
                |i| i,
                |i| {
                    log.emit(black_box(
                        SecurityEvent::new(
                            EventKind::PermissionDenied,
                            "rampart::rbac",
                            "no grant",
                        )
                        .with_subject("bob")
                        .with_field("i", i),
                    ));
                },
            )
        })
    });
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::sink)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        group.bench_function("tracing_json_event", |b| {
            let mut i = 0u64;
            b.iter(|| {
                i += 1;
                tracing::warn!(
                    target: "rampart::security",
                    event_type = "authz.denied",
                    subject = "bob",
                    tenant = "acme",
                    client_ip = "203.0.113.9",
                    request_id = "0190b6f2-7c1a-7d4e-8f00-000000000001",
                    permission = "items:delete",
                    i = black_box(i),
                    "no role grants items:delete"
                );
            })
        });
    });
    group.finish();
    log.shutdown().expect("shutdown");
}

fn sustained(c: &mut Criterion) {
    const EVENTS: u64 = 100_000;
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("audit-bench");
    let mut group = c.benchmark_group("audit/file_sink");
    group.throughput(Throughput::Elements(EVENTS));
    group.sample_size(10);
    for (name, fsync) in [
        ("chain_checkpoints_fsync_per_batch", true),
        ("chain_checkpoints_no_fsync", false),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let _ = std::fs::remove_dir_all(&root);
                    let (key, _) = SigningKey::generate().expect("key");
                    let options = FileSinkOptions::default().fsync(fsync);
                    let sink = FileSink::new(root.join("audit.jsonl"), options);
                    let log = AuditLog::builder(sink, key).build().expect("log");
                    let start = Instant::now();
                    for i in 0..EVENTS {
                        log.record(event(i)).expect("record");
                    }
                    log.flush().expect("flush");
                    total += start.elapsed();
                    log.shutdown().expect("shutdown");
                }
                let _ = std::fs::remove_dir_all(&root);
                total
            })
        });
    }
    group.finish();
}

fn postgres(c: &mut Criterion) {
    const EVENTS: u64 = 20_000;
    let Ok(url) = std::env::var("DATABASE_URL") else {
        println!("skipped: audit/postgres_sink: DATABASE_URL is not set");
        return;
    };
    let name = format!("audit_bench_{}", std::process::id());
    let drop_table = || {
        let mut client = url
            .parse::<postgres::Config>()
            .expect("a PostgreSQL URL")
            .connect(postgres::NoTls)
            .expect("PostgreSQL reachable");
        client
            .batch_execute(&format!("DROP TABLE IF EXISTS {name}"))
            .expect("drop the bench table");
    };
    let mut group = c.benchmark_group("audit/postgres_sink");
    group.throughput(Throughput::Elements(EVENTS));
    group.sample_size(10);
    for (label, copy_from) in [("insert_arrays", usize::MAX), ("copy", 1000)] {
        group.bench_function(label, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    drop_table();
                    let table = PostgresTable::new(&url, &name).expect("table");
                    let sink = PostgresSink::new(table).copy_from(copy_from);
                    let (key, _) = SigningKey::generate().expect("key");
                    let log = AuditLog::builder(sink, key).build().expect("log");
                    let start = Instant::now();
                    for i in 0..EVENTS {
                        log.record(event(i)).expect("record");
                    }
                    log.flush().expect("flush");
                    total += start.elapsed();
                    log.shutdown().expect("shutdown");
                }
                total
            })
        });
    }
    group.finish();
    drop_table();
}

criterion_group!(benches, enqueue, sustained, postgres);
criterion_main!(benches);
