//! What the pipeline did, as counters.

use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub enqueued: AtomicU64,
    pub written: AtomicU64,
    pub dropped: AtomicU64,
    pub failed: AtomicU64,
}

impl Counters {
    pub fn snapshot(&self) -> Metrics {
        let enqueued = self.enqueued.load(Ordering::Relaxed);
        let written = self.written.load(Ordering::Relaxed);
        Metrics {
            queued: enqueued.saturating_sub(written),
            enqueued,
            written,
            dropped: self.dropped.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }
}

/// A snapshot of the pipeline's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Metrics {
    /// Accepted and not yet written.
    pub queued: u64,
    /// Accepted since start.
    pub enqueued: u64,
    /// Written by the sink (records, not counting checkpoints).
    pub written: u64,
    /// Refused: queue full in drop mode, or the log shut down.
    pub dropped: u64,
    /// Failed write attempts (each is retried).
    pub failed: u64,
}
