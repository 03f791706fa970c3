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
use ::postgres::{Client, NoTls};
use rows::Batch;
use std::fmt;
use std::io;
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
pub struct PostgresSink {
    table: PostgresTable,
    client: Option<Client>,
    /// The table's chain head as last read or written; `None` while empty.
    head: Option<ChainHead>,
    /// The anchor made for a batch, kept so that its retry writes the same row.
    anchor: Option<(u64, Checkpoint)>,
}

impl fmt::Debug for PostgresSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresSink")
            .field("table", &self.table.table)
            .field("connected", &self.client.is_some())
            .field("head", &self.head.map(|h| h.seq))
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
        }
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
            self.client = Some(client);
        }
        self.client
            .as_mut()
            .ok_or_else(|| io::Error::other("the PostgreSQL audit connection is not open"))
    }

    fn write_batch(&mut self, entries: &[Entry], ctx: &SinkContext<'_>) -> io::Result<()> {
        let mut batch = Batch::default();
        if self.head.is_none()
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
        let client = self.client()?;
        let mut tx = client.transaction().map_err(fail("could not begin"))?;
        let inserted = tx
            .query(&table.table.insert(), &batch.params())
            .map_err(fail("could not insert the batch"))?;
        let new_records = inserted
            .iter()
            .filter(|row| row.try_get::<_, i16>(1).is_ok_and(|k| k == 0))
            .count();
        if new_records < batch.records() {
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
        Ok(())
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
}
