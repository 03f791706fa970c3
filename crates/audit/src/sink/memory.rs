//! Keeps the trail in memory: for tests and examples.

use super::{AuditSink, Entry, SinkContext};
use std::sync::{Arc, Mutex, PoisonError};

/// Keeps every line written. Clones share the lines.
#[derive(Debug, Clone, Default)]
pub struct MemorySink {
    lines: Arc<Mutex<Vec<String>>>,
}

impl MemorySink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every line so far (records and checkpoints), oldest first.
    pub fn lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl AuditSink for MemorySink {
    fn write(&mut self, entries: &[Entry], _ctx: &SinkContext<'_>) -> std::io::Result<()> {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(entries.iter().map(Entry::line));
        Ok(())
    }
}
