//! The PostgreSQL sink, and verification and queries over its table.
//!
//! The sink writes on the audit writer's own thread with the blocking
//! [`postgres`] client: the writer is a plain thread, so an async client
//! would only add a runtime to drive it.

mod read;
mod rows;
mod table;

pub use table::DEFAULT_TABLE;

use super::{AuditSink, Entry, Gap, Resume, SinkContext};
use crate::chain::{ChainHead, Line, parse_line};
use crate::checkpoint::Checkpoint;
use crate::error::ConfigError;
use crate::retention::{Category, Retention, Summary};
use crate::retention_prune::{PruneReport, PrunedFile};
use ::postgres::{Client, NoTls};
use rows::Batch;
use std::fmt;
use std::io::{self, Write};
use std::time::Duration;
use table::Table;

/// An audit table in a PostgreSQL database: where a [`PostgresSink`]
/// writes, and what [`verify`](PostgresTable::verify) and
/// [`query`](PostgresTable::query) read.
///
/// It holds the connection settings, not a connection: each call connects,
/// on a thread of its own so that it may be called from inside an async
/// runtime (the blocking client runs one of its own, which tokio refuses to
/// start on a runtime thread). Its `Debug` shows the table, never the
/// connection string, which may hold a password.
///
/// ```no_run
/// use rampart_audit::{PostgresTable, Query, VerifyOptions, VerifyingKey};
///
/// let table = PostgresTable::new("postgres://audit@db.internal/app", "rampart_audit")?;
/// let key = VerifyingKey::from_base64(&std::fs::read_to_string("audit.jsonl.pub")?)?;
/// let report = table.verify(&key, VerifyOptions::default())?;
/// assert!(report.ok, "{report:?}");
/// let denials = table.query(&Query::default(), None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct PostgresTable {
    config: postgres::Config,
    table: Table,
}

impl fmt::Debug for PostgresTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresTable")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

impl PostgresTable {
    /// The table `table` (`name` or `schema.name`, see [`DEFAULT_TABLE`]) in
    /// the database at `database_url` (`postgres://user[:password]@host[:port]/db`
    /// or the `key=value` form). Nothing connects yet.
    ///
    /// Unless the URL says otherwise, connecting gives up after 10 s, and
    /// TCP keepalives and a 30 s TCP user timeout make a server that
    /// vanished mid-write an error rather than a writer blocked for ever.
    /// Connections are plain TCP or a Unix socket: TLS is not supported.
    pub fn new(database_url: &str, table: &str) -> Result<Self, ConfigError> {
        let table = Table::parse(table).map_err(ConfigError::Invalid)?;
        let mut config: postgres::Config = database_url.parse().map_err(|e| {
            ConfigError::Invalid(format!(
                "database_url is not a PostgreSQL connection string: {e}"
            ))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("rampart-audit");
        }
        config
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30))
            .tcp_user_timeout(Duration::from_secs(30));
        Ok(Self { config, table })
    }

    /// The table's name, as given.
    pub fn name(&self) -> String {
        self.table.display()
    }

    fn connect(&self) -> io::Result<Client> {
        self.config
            .connect(NoTls)
            .map_err(|e| self.error("could not connect", &e))
    }

    /// Connects, runs `f` and disconnects, all on a fresh thread (see the
    /// type's docs for why).
    fn with_client<T: Send>(
        &self,
        f: impl FnOnce(&mut Client) -> io::Result<T> + Send,
    ) -> io::Result<T> {
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let mut client = self.connect()?;
                    f(&mut client)
                })
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the PostgreSQL audit thread panicked")))
        })
    }

    /// A database error as an I/O error naming the table; a missing table is
    /// [`io::ErrorKind::NotFound`].
    fn error(&self, doing: &str, e: &postgres::Error) -> io::Error {
        let kind = match e.code() {
            Some(&postgres::error::SqlState::UNDEFINED_TABLE) => io::ErrorKind::NotFound,
            _ => io::ErrorKind::Other,
        };
        let detail = e
            .as_db_error()
            .map_or_else(|| e.to_string(), ToString::to_string);
        io::Error::new(
            kind,
            format!("PostgreSQL audit table {}: {doing}: {detail}", self.name()),
        )
    }
}

/// Writes the trail into a PostgreSQL table: one row per record and per
/// checkpoint, each batch in one transaction.
///
/// The table (see [`PostgresTable`]) is created with its indexes when
/// absent. A row keeps the exact JSON line the chain hashes (as `TEXT`:
/// `JSONB` would reorder it, and verification re-hashes the line byte for
/// byte), a generated `JSONB` copy for ad-hoc SQL, and columns for the
/// query fields (sequence number, hash, previous hash, time, type,
/// severity, outcome, subject, tenant).
///
/// # Writing a batch again
///
/// The writer offers a failed batch again unchanged, and a failure may come
/// after the server committed it (the connection dropped before the reply).
/// A record's sequence number is unique and every row is identified by its
/// line's SHA-256, so the second write inserts nothing twice. A stored record
/// that differs from the one being written is an error, never skipped: it
/// means another writer forked the chain.
///
/// # One writer per table
///
/// The sink holds a PostgreSQL advisory lock on its table while connected;
/// a second writer fails each batch (and retries) until the first stops. Give
/// each instance of a service its own table, as each has its own file.
///
/// # When the server is down
///
/// At start ([`AuditSink::resume`]) the sink reads the chain head from the
/// table, so a restarted writer continues the chain (and marks a gap when the
/// table does not end with a checkpoint); if the server cannot be reached
/// then, opening the log fails, since a chain cannot be continued from a head
/// nobody can read. Once running, a failed batch is an error for the writer,
/// which retries it with backoff and never gives up: events wait in the
/// queue, and nothing accepted is lost while the queue has room. When the
/// queue fills, [`Overflow::Block`](crate::Overflow::Block) (the default)
/// holds callers back until the server returns;
/// [`Overflow::Drop`](crate::Overflow::Drop) drops and counts new events.
/// [`AuditLog::metrics`](crate::AuditLog::metrics) shows the failures.
///
/// In a [`FanOut`](super::FanOut) the writer waits for every sink to take a
/// batch, so while the server is down the file receives no new batch
/// either: the queue holds them, and both catch up when it returns. When the
/// sink joins a fan-out behind a file that already holds records, its first
/// row is a signed anchor for the head the chain continues from, so the
/// table verifies on its own. The file stays the authoritative copy: the
/// chain resumes from it, and a crash between the file's write and the
/// table's leaves that batch missing from the table (which `verify` on the
/// table reports as deleted records).
///
/// # Partitions and retention
///
/// The table is partitioned by month: each row goes to the partition of the
/// month the writer wrote it in (`segment`, `YYYYMM`), which never goes
/// back, and the first batch of a new month starts with a signed anchor.
/// With a [`retention`](Self::retention), pruning (after each new month, or
/// on [`AuditLog::prune`](crate::AuditLog::prune)) drops whole partitions,
/// oldest first, while every record in one is past its category's period
/// and the next starts with an anchor, so the rest still verifies. A table
/// made by an earlier version, before partitioning, is written as it is and
/// never pruned.
pub struct PostgresSink {
    table: PostgresTable,
    client: Option<Client>,
    /// The table's chain head as last read or written; `None` while empty.
    head: Option<ChainHead>,
    /// The anchor made for a batch, kept so that its retry writes the same row.
    anchor: Option<(u64, Checkpoint)>,
    /// Whether the table is partitioned by segment; learnt on connecting.
    partitioned: bool,
    /// The newest segment written to (0 before the first); rows never go to
    /// an older one, whatever the clock says.
    segment: i32,
    /// The segment chosen for a batch, kept so that its retry goes to the
    /// same partition.
    batch_segment: Option<(u64, i32)>,
    /// The segment whose partition is known to exist.
    ensured: Option<i32>,
    retention: Option<Retention>,
    /// Whether a new segment began since the writer last asked.
    rotated: bool,
    /// Batches of at least this many rows are loaded with `COPY`.
    copy_from: usize,
}

/// Rows from which a batch is loaded with `COPY` rather than bound as arrays.
const COPY_FROM_ROWS: usize = 1000;

impl fmt::Debug for PostgresSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresSink")
            .field("table", &self.table.table)
            .field("connected", &self.client.is_some())
            .field("head", &self.head.map(|h| h.seq))
            .field("segment", &self.segment)
            .finish_non_exhaustive()
    }
}

impl PostgresSink {
    /// A sink writing to `table`. Nothing connects until the log starts.
    pub fn new(table: PostgresTable) -> Self {
        Self {
            table,
            client: None,
            head: None,
            anchor: None,
            partitioned: false,
            segment: 0,
            batch_segment: None,
            ensured: None,
            retention: None,
            rotated: false,
            copy_from: COPY_FROM_ROWS,
        }
    }

    /// Batches of at least `rows` rows (default 1,000) are streamed with
    /// `COPY` into a session table and moved into the audit table by one
    /// statement; smaller ones are bound as arrays to one `INSERT`. Either
    /// way a batch is one transaction, and written again inserts nothing
    /// twice.
    #[must_use]
    pub fn copy_from(mut self, rows: usize) -> Self {
        self.copy_from = rows.max(1);
        self
    }

    /// Drops whole monthly partitions once every record in them is past its
    /// category's retention (see the type's docs). Without it (the default),
    /// nothing is ever removed.
    #[must_use]
    pub fn retention(mut self, retention: Retention) -> Self {
        self.retention = Some(retention);
        self
    }

    /// The table written to.
    pub fn table(&self) -> &PostgresTable {
        &self.table
    }

    fn client(&mut self) -> io::Result<&mut Client> {
        if self.client.is_none() {
            let t = &self.table;
            let mut client = t.connect()?;
            client
                .batch_execute(&t.table.create())
                .map_err(|e| t.error("could not create the table", &e))?;
            let locked: bool = client
                .query_one(&t.table.try_lock_writer(), &[])
                .and_then(|row| row.try_get(0))
                .map_err(|e| t.error("could not take the writer lock", &e))?;
            if !locked {
                return Err(io::Error::other(format!(
                    "PostgreSQL audit table {}: another writer holds it (a table takes one writer; give each instance its own table)",
                    t.name()
                )));
            }
            self.partitioned = client
                .query_one(&t.table.is_partitioned(), &[])
                .and_then(|row| row.try_get(0))
                .map_err(|e| t.error("could not read the table's kind", &e))?;
            if self.partitioned {
                let newest = segments(&mut client, t)?.last().copied().unwrap_or(0);
                self.segment = self.segment.max(newest);
            }
            self.ensured = None;
            self.client = Some(client);
        }
        self.client
            .as_mut()
            .ok_or_else(|| io::Error::other("the PostgreSQL audit connection is not open"))
    }

    fn write_batch(&mut self, entries: &[Entry], ctx: &SinkContext<'_>) -> io::Result<()> {
        self.client()?;
        let segment = self.segment_for(entries, ctx);
        let new_segment = self.partitioned && segment > self.segment;
        let mut batch = Batch::default();
        // An anchor starts a table that joins a chain begun elsewhere, and
        // every partition after the first, so that each verifies without
        // the ones before it.
        if (self.head.is_none() || (new_segment && self.segment != 0))
            && let Some(anchor) = self.anchor_for(entries, ctx)?
        {
            batch.push_checkpoint(&anchor);
        }
        for entry in entries {
            match entry {
                Entry::Record(r) => batch.push_record(r, ctx.now_ms)?,
                Entry::Checkpoint(c) => batch.push_checkpoint(c),
            }
        }
        let table = self.table.clone();
        let fail = |doing: &'static str| {
            let table = &table;
            move |e: postgres::Error| table.error(doing, &e)
        };
        let partitioned = self.partitioned;
        let ensure = partitioned && self.ensured != Some(segment);
        let client = self
            .client
            .as_mut()
            .ok_or_else(|| io::Error::other("the PostgreSQL audit connection is not open"))?;
        let mut tx = client.transaction().map_err(fail("could not begin"))?;
        if ensure {
            tx.batch_execute(&table.table.create_segment(segment))
                .map_err(fail("could not create the month's partition"))?;
        }
        let inserted = if batch.len() >= self.copy_from {
            tx.batch_execute(Table::create_incoming())
                .map_err(fail("could not create the staging table"))?;
            let mut copy = tx
                .copy_in(Table::copy_incoming())
                .map_err(fail("could not start copying the batch"))?;
            copy.write_all(&batch.csv())?;
            copy.finish().map_err(fail("could not copy the batch"))?;
            tx.query(&table.table.insert_incoming(), &[&segment])
                .map_err(fail("could not insert the batch"))?
        } else {
            tx.query(&table.table.insert(), &batch.params(&segment))
                .map_err(fail("could not insert the batch"))?
        };
        let new_records = inserted
            .iter()
            .filter(|row| row.try_get::<_, i16>(1).is_ok_and(|k| k == 0))
            .count();
        // A plain table's unique index refuses a second record at a sequence
        // number; across partitions only this read-back can.
        if new_records < batch.records() || partitioned {
            // Some records were there already: a retry of a batch that was
            // committed, or another writer's chain. Only the first is fine.
            let stored = tx
                .query(&table.table.stored_hashes(), &[&batch.record_seqs()])
                .map_err(fail("could not read back the batch"))?;
            for row in stored {
                let seq: i64 = row
                    .try_get(0)
                    .map_err(fail("could not read back the batch"))?;
                let hash: String = row
                    .try_get(1)
                    .map_err(fail("could not read back the batch"))?;
                if batch.hash_of(seq) != Some(hash.as_str()) {
                    return Err(io::Error::other(format!(
                        "PostgreSQL audit table {}: it already holds a different record {seq}; \
                         another writer is writing this chain, or the chain restarted over an \
                         existing table. Nothing was written",
                        table.name()
                    )));
                }
            }
        }
        tx.commit().map_err(fail("could not commit"))?;
        if let Some(last) = batch.last_head() {
            self.head = Some(last);
        }
        if partitioned {
            self.ensured = Some(segment);
        }
        if new_segment {
            self.rotated |= self.segment != 0;
            self.segment = segment;
        }
        Ok(())
    }

    /// The segment a batch goes to: the month it is written in, never
    /// before the newest written to; a retry goes where its first try went.
    fn segment_for(&mut self, entries: &[Entry], ctx: &SinkContext<'_>) -> i32 {
        if !self.partitioned {
            return 0;
        }
        if let Some((batch, segment)) = self.batch_segment
            && batch == ctx.batch
        {
            return segment;
        }
        // A batch of checkpoints alone stays in the current segment: a new
        // one must start with the anchor that only a record gives.
        let has_record = entries.iter().any(|e| matches!(e, Entry::Record(_)));
        let segment = if has_record || self.segment == 0 {
            self.segment.max(month_of(ctx.now_ms))
        } else {
            self.segment
        };
        self.batch_segment = Some((ctx.batch, segment));
        segment
    }

    /// Drops the partitions retention allows at `ctx.now_ms`, oldest first.
    fn prune_segments(&mut self, ctx: &SinkContext<'_>) -> io::Result<PruneReport> {
        let mut report = PruneReport::default();
        let Some(retention) = self.retention else {
            return Ok(report);
        };
        self.client()?;
        if !self.partitioned {
            return Ok(report);
        }
        let t = self.table.clone();
        let client = self
            .client
            .as_mut()
            .ok_or_else(|| io::Error::other("the PostgreSQL audit connection is not open"))?;
        let all = segments(client, &t)?;
        // The newest partition is being written to: it always stays.
        for pair in all.windows(2) {
            let (old, next) = (pair[0], pair[1]);
            let summary = segment_summary(client, &t, old)?;
            if !summary.expired(&retention, ctx.now_ms) {
                break;
            }
            let first: Option<i16> = client
                .query_opt(&t.table.segment_first_kind(), &[&next])
                .and_then(|row| row.map(|r| r.try_get(0)).transpose())
                .map_err(|e| t.error("could not read a partition", &e))?;
            if first != Some(rows::ANCHOR) {
                report.held_back = Some(format!(
                    "partition {} is kept: the one after it does not start with a signed anchor",
                    t.table.partition_display(old)
                ));
                break;
            }
            client
                .batch_execute(&t.table.drop_segment(old))
                .map_err(|e| t.error("could not drop a partition", &e))?;
            report.removed.push(PrunedFile {
                path: t.table.partition_display(old).into(),
                seqs: summary.seqs,
            });
            if let Some((_, last)) = summary.seqs {
                report.retained_from_seq = Some(last + 1);
            }
        }
        Ok(report)
    }

    /// The anchor an empty table starts with when the chain it receives
    /// began elsewhere (another sink of a fan-out holds the older records).
    fn anchor_for(
        &mut self,
        entries: &[Entry],
        ctx: &SinkContext<'_>,
    ) -> io::Result<Option<Checkpoint>> {
        let Some(Entry::Record(first)) = entries.iter().find(|e| matches!(e, Entry::Record(_)))
        else {
            return Ok(None);
        };
        if first.seq <= 1 {
            return Ok(None);
        }
        if let Some((batch, anchor)) = &self.anchor
            && *batch == ctx.batch
        {
            return Ok(Some(anchor.clone()));
        }
        let Ok(Line::Record(parsed)) = parse_line(&first.line) else {
            return Err(io::Error::other(format!(
                "record {} is not a well-formed line",
                first.seq
            )));
        };
        let anchor = ctx.signer.anchor(
            ChainHead {
                seq: first.seq - 1,
                hash: parsed.prev,
            },
            ctx.now_ms,
        );
        self.anchor = Some((ctx.batch, anchor.clone()));
        Ok(Some(anchor))
    }
}

impl AuditSink for PostgresSink {
    fn resume(&mut self) -> io::Result<Resume> {
        let t = self.table.clone();
        let (record, checkpoint) = self.table.with_client(|client| {
            client
                .batch_execute(&t.table.create())
                .map_err(|e| t.error("could not create the table", &e))?;
            let mut line = |sql: String| -> io::Result<Option<String>> {
                Ok(match client.query_opt(&sql, &[]) {
                    Ok(Some(row)) => Some(
                        row.try_get(0)
                            .map_err(|e| t.error("could not read the head", &e))?,
                    ),
                    Ok(None) => None,
                    Err(e) => return Err(t.error("could not read the head", &e)),
                })
            };
            Ok((
                line(t.table.last_record())?,
                line(t.table.last_checkpoint())?,
            ))
        })?;
        let invalid = |what: String| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "PostgreSQL audit table {}: {what}; run `rampart-audit verify` on it",
                    t.name()
                ),
            )
        };
        let record = match record.as_deref().map(parse_line) {
            None => None,
            Some(Ok(Line::Record(r))) if r.computed == r.hash => Some(ChainHead {
                seq: r.seq,
                hash: r.hash,
            }),
            Some(_) => return Err(invalid("its last record does not match its hash".into())),
        };
        let sealed = match checkpoint.as_deref().map(parse_line) {
            None => None,
            Some(Ok(Line::Checkpoint(cp))) => Some(
                cp.head()
                    .ok_or_else(|| invalid("its last checkpoint is malformed".into()))?,
            ),
            Some(_) => return Err(invalid("its last checkpoint is malformed".into())),
        };
        let head = match (record, sealed) {
            (Some(r), Some(c)) if c.seq > r.seq => Some(c),
            (Some(r), _) => Some(r),
            (None, c) => c,
        };
        let unsealed = match (record, sealed) {
            (Some(r), Some(c)) => r.seq.saturating_sub(c.seq),
            (Some(r), None) => r.seq,
            (None, _) => 0,
        };
        self.head = head;
        Ok(Resume {
            head,
            gap: (unsealed > 0).then_some(Gap {
                discarded_bytes: 0,
                unsealed_records: unsealed,
            }),
        })
    }

    fn write(&mut self, entries: &[Entry], ctx: &SinkContext<'_>) -> io::Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let result = self.write_batch(entries, ctx);
        if result.is_err() {
            // Start the retry on a fresh connection: this one may be broken,
            // and a new one finds out whether the writer lock is still ours.
            self.client = None;
        }
        result
    }

    fn prune(&mut self, ctx: &SinkContext<'_>) -> io::Result<PruneReport> {
        let result = self.prune_segments(ctx);
        if result.is_err() {
            self.client = None;
        }
        result
    }

    fn rotated(&mut self) -> bool {
        std::mem::take(&mut self.rotated)
    }
}

/// The month `ms` falls in, as `YYYYMM` (UTC).
fn month_of(ms: u64) -> i32 {
    let text = crate::time::format_rfc3339_ms(ms);
    let digits: String = text.chars().take(7).filter(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(0)
}

/// The segments of the table's partitions, oldest first.
fn segments(client: &mut Client, t: &PostgresTable) -> io::Result<Vec<i32>> {
    let rows = client
        .query(&t.table.partitions(), &[])
        .map_err(|e| t.error("could not list the partitions", &e))?;
    let mut found: Vec<i32> = rows
        .iter()
        .filter_map(|row| row.try_get::<_, String>(0).ok())
        .filter_map(|name| t.table.segment_of(&name))
        .collect();
    found.sort_unstable();
    Ok(found)
}

/// What a partition holds, as far as retention cares.
fn segment_summary(client: &mut Client, t: &PostgresTable, segment: i32) -> io::Result<Summary> {
    let fail = |e: postgres::Error| t.error("could not summarise a partition", &e);
    let mut summary = Summary::default();
    for row in client
        .query(&t.table.segment_summary(), &[&segment])
        .map_err(fail)?
    {
        let event_type: Option<String> = row.try_get(0).map_err(fail)?;
        let newest: i64 = row.try_get(1).map_err(fail)?;
        let first: i64 = row.try_get(2).map_err(fail)?;
        let last: i64 = row.try_get(3).map_err(fail)?;
        let category = Category::of(event_type.as_deref().unwrap_or(""));
        let newest = u64::try_from(newest).unwrap_or(u64::MAX);
        for seq in [first, last] {
            summary.add(category, newest, u64::try_from(seq).unwrap_or(0));
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::month_of;

    #[test]
    fn a_month_is_its_utc_year_and_month() {
        assert_eq!(month_of(0), 197_001);
        // 2026-01-31T23:59:59.999Z and the next millisecond.
        assert_eq!(month_of(1_769_903_999_999), 202_601);
        assert_eq!(month_of(1_769_904_000_000), 202_602);
        // 2024-02-29, a leap day.
        assert_eq!(month_of(1_709_164_800_000), 202_402);
    }
}
