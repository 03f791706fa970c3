//! Writes the same trail to several sinks.

use super::{AuditSink, Entry, Resume, SinkContext};
use crate::retention_prune::PruneReport;
use std::io;

/// Writes every batch to each of its sinks. When one fails, the batch is
/// retried only on the sinks that have not taken it yet, so none holds a
/// record twice. The chain resumes from the first sink that holds one.
pub struct FanOut {
    sinks: Vec<Box<dyn AuditSink>>,
    done: Vec<bool>,
    batch: Option<u64>,
}

impl std::fmt::Debug for FanOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FanOut")
            .field("sinks", &self.sinks.len())
            .finish()
    }
}

impl FanOut {
    /// A fan-out to no sink yet.
    pub fn new() -> Self {
        Self {
            sinks: Vec::new(),
            done: Vec::new(),
            batch: None,
        }
    }

    /// Adds a sink.
    #[must_use]
    pub fn with(mut self, sink: impl AuditSink) -> Self {
        self.sinks.push(Box::new(sink));
        self.done.push(false);
        self
    }
}

impl Default for FanOut {
    fn default() -> Self {
        Self::new()
    }
}

impl AuditSink for FanOut {
    fn resume(&mut self) -> io::Result<Resume> {
        let mut found = Resume::default();
        for sink in &mut self.sinks {
            let resume = sink.resume()?;
            if found.head.is_none() && resume.head.is_some() {
                found = resume;
            }
        }
        Ok(found)
    }

    fn write(&mut self, entries: &[Entry], ctx: &SinkContext<'_>) -> io::Result<()> {
        if self.batch != Some(ctx.batch) {
            self.batch = Some(ctx.batch);
            self.done.iter_mut().for_each(|d| *d = false);
        }
        let mut first_error = None;
        for (sink, done) in self.sinks.iter_mut().zip(self.done.iter_mut()) {
            if *done {
                continue;
            }
            match sink.write(entries, ctx) {
                Ok(()) => *done = true,
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn prune(&mut self, ctx: &SinkContext<'_>) -> io::Result<PruneReport> {
        // Every sink prunes; the reports are merged and the first error wins
        // after all have had their turn.
        let mut merged = PruneReport::default();
        let mut first_error = None;
        for sink in &mut self.sinks {
            match sink.prune(ctx) {
                Ok(report) => {
                    merged.removed.extend(report.removed);
                    merged.retained_from_seq =
                        merged.retained_from_seq.max(report.retained_from_seq);
                    merged.held_back = merged.held_back.or(report.held_back);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(merged), Err)
    }

    fn rotated(&mut self) -> bool {
        // Asks every sink, so each one's flag is cleared.
        let mut any = false;
        for sink in &mut self.sinks {
            any |= sink.rotated();
        }
        any
    }
}
