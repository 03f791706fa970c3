//! Where sealed records go.

mod fanout;
mod file;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod syslog;
mod syslog_format;
#[cfg(feature = "syslog-tls")]
mod syslog_tls;
mod tracing;

#[cfg(feature = "postgres")]
pub use self::postgres::{DEFAULT_TABLE, PostgresSink, PostgresTable};
pub use fanout::FanOut;
pub use file::{FileSink, FileSinkOptions};
pub use memory::MemorySink;
pub use syslog::{SyslogSink, SyslogSinkBuilder};
pub use tracing::TracingSink;

use crate::chain::{ChainHead, SealedRecord};
use crate::checkpoint::{Checkpoint, SigningKey};
use crate::retention_prune::PruneReport;
use std::io;

/// One line for a sink: a record of the chain or a signed checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// A record.
    Record(SealedRecord),
    /// A checkpoint over the records before it.
    Checkpoint(Checkpoint),
}

impl Entry {
    /// The JSON line, without its newline.
    pub fn line(&self) -> String {
        match self {
            Entry::Record(r) => r.line.clone(),
            Entry::Checkpoint(c) => c.to_line(),
        }
    }
}

/// What a sink knows when the writer starts: where the chain it holds ends,
/// and whether the last run stopped uncleanly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resume {
    /// The last intact record (or anchor) in the sink; `None` for an empty sink.
    pub head: Option<ChainHead>,
    /// Set when the last run did not end with a final checkpoint.
    pub gap: Option<Gap>,
}

/// What an unclean stop left behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gap {
    /// Bytes of a partly written last line (or unreadable trailing lines) removed.
    pub discarded_bytes: u64,
    /// Records written after the last checkpoint.
    pub unsealed_records: u64,
}

/// What a sink may use while writing a batch.
#[derive(Debug)]
pub struct SinkContext<'a> {
    /// Identifies the batch: a retry of a failed batch has the same id.
    pub batch: u64,
    /// Signs the checkpoint and anchor a sink writes when it rotates files.
    pub signer: &'a SigningKey,
    /// Now, in milliseconds since the epoch.
    pub now_ms: u64,
}

/// A destination for the sealed trail. Called from the background writer
/// only, never on the request path.
///
/// `write` must be all-or-nothing as far as the sink can make it: a batch that
/// failed is offered again, unchanged, until it succeeds.
pub trait AuditSink: Send + 'static {
    /// Reads where the chain stands, once, before the first write. The default
    /// holds nothing to resume.
    fn resume(&mut self) -> io::Result<Resume> {
        Ok(Resume::default())
    }

    /// Writes a batch and makes it durable as configured.
    fn write(&mut self, entries: &[Entry], ctx: &SinkContext<'_>) -> io::Result<()>;

    /// Removes what the sink's retention allows at `ctx.now_ms`. The writer
    /// calls it after a rotation and on [`AuditLog::prune`](crate::AuditLog::prune),
    /// and records an `audit.retention.pruned` event for what it reports.
    /// The default keeps everything.
    fn prune(&mut self, _ctx: &SinkContext<'_>) -> io::Result<PruneReport> {
        Ok(PruneReport::default())
    }

    /// Whether the sink began a new segment (a rotated file) since last
    /// asked; the writer prunes then. The default never rotates.
    fn rotated(&mut self) -> bool {
        false
    }
}

impl AuditSink for Box<dyn AuditSink> {
    fn resume(&mut self) -> io::Result<Resume> {
        (**self).resume()
    }

    fn write(&mut self, entries: &[Entry], ctx: &SinkContext<'_>) -> io::Result<()> {
        (**self).write(entries, ctx)
    }

    fn prune(&mut self, ctx: &SinkContext<'_>) -> io::Result<PruneReport> {
        (**self).prune(ctx)
    }

    fn rotated(&mut self) -> bool {
        (**self).rotated()
    }
}
