//! Captures what [`TracingSink`](https://docs.rs/rampart-core) writes, so a
//! test can prove a default-built layer reports to `tracing` (no denial is
//! silent) without installing a global subscriber.

use std::sync::{Arc, Mutex, PoisonError};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::DefaultGuard;
use tracing::{Event, Metadata, Subscriber};

/// The `tracing` target `TracingSink` writes security events on.
pub const SECURITY_TARGET: &str = "rampart::security";

/// The security events seen on [`SECURITY_TARGET`] while its guard lives.
#[derive(Debug, Clone, Default)]
pub struct SecurityLog {
    kinds: Arc<Mutex<Vec<String>>>,
}

impl SecurityLog {
    /// Starts capturing on this thread (a current-thread runtime polls every
    /// task here); capture stops when the returned guard is dropped.
    #[must_use]
    pub fn capture() -> (Self, DefaultGuard) {
        let log = Self::default();
        let guard = tracing::subscriber::set_default(Capture { log: log.clone() });
        (log, guard)
    }

    /// The `kind` field of each captured event, as `Debug` prints it
    /// (e.g. `"CsrfRejected"`).
    pub fn kinds(&self) -> Vec<String> {
        self.kinds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many captured events have kind `kind`.
    pub fn count(&self, kind: &str) -> usize {
        self.kinds().iter().filter(|k| *k == kind).count()
    }
}

struct Capture {
    log: SecurityLog,
}

struct KindVisitor(Option<String>);

impl Visit for KindVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "kind" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

impl Subscriber for Capture {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == SECURITY_TARGET
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut visitor = KindVisitor(None);
        event.record(&mut visitor);
        if let Some(kind) = visitor.0 {
            self.log
                .kinds
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(kind);
        }
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}
