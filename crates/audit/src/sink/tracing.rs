//! Writes the trail to `tracing`, for a log pipeline that already collects it.

use super::{AuditSink, Entry, SinkContext};

/// Emits each record as an `INFO` event on target `rampart::audit` with the
/// record's JSON line in the `record` field (checkpoints in `checkpoint`).
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingSink;

impl AuditSink for TracingSink {
    fn write(&mut self, entries: &[Entry], _ctx: &SinkContext<'_>) -> std::io::Result<()> {
        for entry in entries {
            match entry {
                Entry::Record(r) => tracing::info!(
                    target: "rampart::audit",
                    seq = r.seq,
                    event_type = %r.event.event_type,
                    record = %r.line,
                    "audit record"
                ),
                Entry::Checkpoint(c) => tracing::info!(
                    target: "rampart::audit",
                    seq = c.seq,
                    checkpoint = %c.to_line(),
                    "audit checkpoint"
                ),
            }
        }
        Ok(())
    }
}
