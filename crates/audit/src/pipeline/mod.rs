//! The audit log: a bounded queue on the request path, a background writer
//! that seals, batches and writes.

mod metrics;
mod queue;
mod writer;

pub use metrics::Metrics;

use crate::checkpoint::SigningKey;
use crate::erasure::SubjectKeys;
use crate::error::ConfigError;
use crate::event::AuditEvent;
use crate::redact::Redactor;
use crate::retention_prune::PruneReport;
use crate::sink::AuditSink;
use metrics::Counters;
use queue::{Queue, TrySendError};
use rampart_core::{EventSink, SecurityEvent, SharedClock, SystemClock};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;
use thiserror::Error;

/// What `record` does when the queue is full.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overflow {
    /// Wait for room: backpressure, nothing lost. The default. The calling
    /// thread blocks while the queue stays full.
    #[default]
    Block,
    /// Drop the event and count it in [`Metrics::dropped`]: the request path
    /// never waits, at the price of a hole the metrics show.
    Drop,
}

/// Why an event was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The queue was full and the overflow policy is `Drop`.
    #[error("the audit queue is full; the event was dropped")]
    Full,
    /// The log was shut down.
    #[error("the audit log is shut down")]
    Closed,
}

/// Why `flush` or `shutdown` did not complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DrainError {
    /// The writer did not finish in time (a sink keeps failing); events are still queued.
    #[error("the audit writer did not drain in time; {pending} events are still pending")]
    TimedOut {
        /// Events accepted but not yet written.
        pending: u64,
    },
    /// The writer has stopped.
    #[error("the audit writer has stopped")]
    Stopped,
}

pub(crate) enum Msg {
    Event(Box<AuditEvent>),
    /// A rampart layer's event, converted to an [`AuditEvent`] by the writer
    /// so the request path pays only for the queue.
    Security(Box<SecurityEvent>),
    Flush(mpsc::Sender<()>),
    Erased(String),
    Prune(u64, mpsc::Sender<std::io::Result<PruneReport>>),
    Shutdown(mpsc::Sender<()>),
}

struct Shared {
    queue: Arc<Queue<Msg>>,
    overflow: Overflow,
    counters: Arc<Counters>,
    closed: AtomicBool,
    /// Senders between their `closed` check and the end of their send.
    inflight: AtomicUsize,
    keys: Option<Arc<SubjectKeys>>,
    drain_timeout: Duration,
    handle: Mutex<Option<JoinHandle<()>>>,
}

/// The audit log. Cheap to clone; clones share the queue and the writer.
///
/// [`AuditLog::record`] only enqueues: no I/O, no lock held while waiting,
/// so it is safe on the request path. A background thread redacts,
/// pseudonymises, seals the chain, batches and writes, signing a checkpoint
/// every N records and at [`AuditLog::shutdown`].
///
/// ```
/// use rampart_audit::{AuditEvent, AuditLog, MemorySink, SigningKey, types};
///
/// let sink = MemorySink::new();
/// let (key, _) = SigningKey::generate()?;
/// let log = AuditLog::builder(sink.clone(), key).build()?;
/// log.record(AuditEvent::new(types::AUTH_LOGIN_SUCCESS).subject("alice"))?;
/// log.shutdown()?;
/// assert_eq!(sink.lines().len(), 2); // the record and the final checkpoint
/// assert_eq!(log.metrics().written, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct AuditLog {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("metrics", &self.metrics())
            .finish_non_exhaustive()
    }
}

/// Builds an [`AuditLog`].
#[must_use]
pub struct AuditLogBuilder {
    sink: Box<dyn AuditSink>,
    signer: SigningKey,
    capacity: usize,
    batch: usize,
    checkpoint_every: u64,
    overflow: Overflow,
    redactor: Redactor,
    keys: Option<Arc<SubjectKeys>>,
    clock: SharedClock,
    retry: (Duration, Duration),
    drain_timeout: Duration,
    linger: Duration,
    rules: Option<crate::rules::RuleEngine>,
}

impl std::fmt::Debug for AuditLogBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLogBuilder")
            .field("capacity", &self.capacity)
            .field("batch", &self.batch)
            .field("checkpoint_every", &self.checkpoint_every)
            .field("overflow", &self.overflow)
            .finish_non_exhaustive()
    }
}

impl AuditLog {
    /// A builder writing to `sink`, signing checkpoints with `signer`.
    pub fn builder(sink: impl AuditSink, signer: SigningKey) -> AuditLogBuilder {
        AuditLogBuilder {
            sink: Box::new(sink),
            signer,
            capacity: 65_536,
            batch: 4096,
            checkpoint_every: 1000,
            overflow: Overflow::Block,
            redactor: Redactor::default(),
            keys: None,
            clock: SystemClock::shared(),
            retry: (Duration::from_millis(10), Duration::from_secs(5)),
            drain_timeout: Duration::from_secs(30),
            linger: Duration::from_millis(1),
            rules: None,
        }
    }

    /// Enqueues `event`. With [`Overflow::Block`] it waits while the queue is
    /// full; with [`Overflow::Drop`] it returns [`RecordError::Full`] at once.
    pub fn record(&self, event: AuditEvent) -> Result<(), RecordError> {
        self.send(Msg::Event(Box::new(event)))
    }

    fn send(&self, msg: Msg) -> Result<(), RecordError> {
        let s = &self.shared;
        s.inflight.fetch_add(1, Ordering::AcqRel);
        let result = self.send_inner(msg);
        s.inflight.fetch_sub(1, Ordering::AcqRel);
        result
    }

    fn send_inner(&self, msg: Msg) -> Result<(), RecordError> {
        let s = &self.shared;
        if s.closed.load(Ordering::Acquire) {
            s.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return Err(RecordError::Closed);
        }
        // Counted before sending so the writer never sees written > enqueued.
        s.counters.enqueued.fetch_add(1, Ordering::Relaxed);
        let result = match s.overflow {
            Overflow::Block => s.queue.send(msg).map_err(|_| RecordError::Closed),
            Overflow::Drop => s.queue.try_send(msg).map_err(|e| match e {
                TrySendError::Full(_) => RecordError::Full,
                TrySendError::Closed(_) => RecordError::Closed,
            }),
        };
        if result.is_err() {
            s.counters.enqueued.fetch_sub(1, Ordering::Relaxed);
            s.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    /// The counters: queued, written, dropped, failed.
    pub fn metrics(&self) -> Metrics {
        self.shared.counters.snapshot()
    }

    /// The subject keys, when personal data is encrypted.
    pub fn subject_keys(&self) -> Option<&SubjectKeys> {
        self.shared.keys.as_deref()
    }

    /// Erases `subject`: destroys their key, so their personal data in every
    /// record is unreadable while the chain still verifies, and records an
    /// `audit.subject_erased` event naming only the key id. Returns whether
    /// the subject had a key.
    ///
    /// Everything recorded before the call is written first, so an event
    /// still queued is sealed under the key being destroyed rather than a new
    /// one. If the writer cannot drain in time, nothing is erased and the
    /// error says so: try again once the sink recovers.
    pub fn erase_subject(&self, subject: &str) -> std::io::Result<bool> {
        let Some(keys) = &self.shared.keys else {
            return Ok(false);
        };
        match self.flush() {
            // Stopped: shutdown drained the queue, nothing is pending.
            Ok(()) | Err(DrainError::Stopped) => {}
            Err(e) => return Err(std::io::Error::new(std::io::ErrorKind::TimedOut, e)),
        }
        let id = keys.key_id(subject);
        let erased = keys.erase(subject)?;
        if let Some(id) = id.filter(|_| erased) {
            let _ = self.send(Msg::Erased(id));
        }
        Ok(erased)
    }

    /// Waits until every event enqueued before the call is written.
    pub fn flush(&self) -> Result<(), DrainError> {
        let (tx, rx) = mpsc::channel();
        self.control(Msg::Flush(tx), &rx)
    }

    fn control(&self, msg: Msg, rx: &mpsc::Receiver<()>) -> Result<(), DrainError> {
        let s = &self.shared;
        s.queue.send(msg).map_err(|_| DrainError::Stopped)?;
        rx.recv_timeout(s.drain_timeout).map_err(|e| match e {
            mpsc::RecvTimeoutError::Timeout => DrainError::TimedOut {
                pending: self.metrics().queued,
            },
            mpsc::RecvTimeoutError::Disconnected => DrainError::Stopped,
        })
    }

    /// Prunes the sink as its retention allows at `now` (for a
    /// [`FileSink`](crate::FileSink): whole rotated files, oldest first), on
    /// the writer thread so it never races a rotation, and records an
    /// `audit.retention.pruned` event when anything was removed or kept
    /// back by a problem. The writer also does this after every rotation.
    /// Waits for the writer, at most the drain timeout.
    pub fn prune(&self, now: std::time::SystemTime) -> std::io::Result<PruneReport> {
        let s = &self.shared;
        let (tx, rx) = mpsc::channel();
        let stopped = || std::io::Error::other("the audit writer has stopped");
        s.queue
            .send(Msg::Prune(crate::time::unix_ms(now), tx))
            .map_err(|_| stopped())?;
        match rx.recv_timeout(s.drain_timeout) {
            Ok(result) => result,
            Err(mpsc::RecvTimeoutError::Timeout) => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the audit writer did not prune in time",
            )),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(stopped()),
        }
    }

    /// Stops accepting events, writes everything accepted, signs a final
    /// checkpoint and stops the writer. Later calls return at once.
    pub fn shutdown(&self) -> Result<(), DrainError> {
        let s = &self.shared;
        if s.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        // Every send that passed the `closed` check lands before the shutdown
        // message, so nothing acknowledged is left behind in the queue.
        while s.inflight.load(Ordering::Acquire) > 0 {
            std::thread::yield_now();
        }
        let (tx, rx) = mpsc::channel();
        let result = self.control(Msg::Shutdown(tx), &rx);
        if result.is_ok()
            && let Some(handle) = s
                .handle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
        {
            let _ = handle.join();
        }
        match result {
            Err(DrainError::Stopped) => Ok(()),
            other => other,
        }
    }
}

impl AuditLogBuilder {
    /// Queue capacity in events. Default 65,536.
    pub fn queue_capacity(mut self, events: usize) -> Self {
        self.capacity = events;
        self
    }

    /// Largest batch written (and fsynced) at once. Default 4096.
    pub fn batch_size(mut self, events: usize) -> Self {
        self.batch = events;
        self
    }

    /// Sign a checkpoint after this many records. Default 1000.
    pub fn checkpoint_every(mut self, records: u64) -> Self {
        self.checkpoint_every = records;
        self
    }

    /// What a full queue does. Default [`Overflow::Block`].
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// Which metadata keys are redacted. Default [`Redactor::default`].
    pub fn redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = redactor;
        self
    }

    /// Encrypt personal data under per-subject keys from `keys`, so subjects
    /// can be erased. Default off: personal data is written in clear.
    pub fn subject_keys(mut self, keys: SubjectKeys) -> Self {
        self.keys = Some(Arc::new(keys));
        self
    }

    /// The clock that dates checkpoints. Default the system clock.
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Backoff between retries of a failed write: starts at `first`, doubles,
    /// stays at `max`. Default 10 ms to 5 s. Retries never give up: an
    /// accepted event is written or still queued.
    pub fn retry_backoff(mut self, first: Duration, max: Duration) -> Self {
        self.retry = (first, max);
        self
    }

    /// How long the writer waits, once woken by an event, for more to
    /// arrive before writing: fewer, larger batches and fewer wake-ups on the
    /// request path, for that much latency to disk. Default 1 ms; zero writes
    /// at once.
    pub fn linger(mut self, linger: Duration) -> Self {
        self.linger = linger;
        self
    }

    /// Runs threat `rules` over every event on the writer thread; their
    /// alerts and the outcomes of their responses are written into the same
    /// chain. `flush` and `shutdown` also wait for responses in flight.
    /// Default none. See [`rules`](crate::rules).
    pub fn rules(mut self, rules: crate::rules::RuleEngine) -> Self {
        self.rules = Some(rules);
        self
    }

    /// How long `flush` and `shutdown` wait. Default 30 s.
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// Checks the settings, resumes the sink's chain and starts the writer thread.
    pub fn build(mut self) -> Result<AuditLog, ConfigError> {
        if self.capacity == 0 || self.batch == 0 || self.checkpoint_every == 0 {
            return Err(ConfigError::Invalid(
                "queue_capacity, batch_size and checkpoint_every must be at least 1".into(),
            ));
        }
        if self.retry.0.is_zero() || self.retry.1 < self.retry.0 {
            return Err(ConfigError::Invalid(
                "retry_backoff needs 0 < first <= max".into(),
            ));
        }
        let resume = self.sink.resume()?;
        let (queue, rx) = queue::bounded(self.capacity);
        let counters = Arc::new(Counters::default());
        let writer = writer::Writer {
            sink: self.sink,
            signer: self.signer,
            head: resume.head.unwrap_or(crate::ChainHead::GENESIS),
            since_checkpoint: 0,
            batch: self.batch,
            checkpoint_every: self.checkpoint_every,
            redactor: self.redactor,
            keys: self.keys.clone(),
            clock: self.clock,
            counters: counters.clone(),
            retry: self.retry,
            batch_id: 0,
            linger: self.linger,
            rules: self.rules,
            reaper: None,
        };
        let gap = resume.gap;
        let handle = std::thread::Builder::new()
            .name("rampart-audit-writer".into())
            .spawn(move || writer.run(rx, gap))?;
        Ok(AuditLog {
            shared: Arc::new(Shared {
                queue,
                overflow: self.overflow,
                counters,
                closed: AtomicBool::new(false),
                inflight: AtomicUsize::new(0),
                keys: self.keys,
                drain_timeout: self.drain_timeout,
                handle: Mutex::new(Some(handle)),
            }),
        })
    }
}

impl Drop for Shared {
    /// The last clone of the log is gone: the writer writes what is queued
    /// and stops, as it would after a shutdown.
    fn drop(&mut self) {
        self.queue.close_senders();
    }
}

impl EventSink for AuditLog {
    /// Records a rampart layer's event. Honours the overflow policy; a
    /// dropped event is counted. The event is queued as it is and turned
    /// into an [`AuditEvent`] on the writer thread, so the layer that emits
    /// it pays for the queue only.
    fn emit(&self, event: SecurityEvent) {
        let _ = self.send(Msg::Security(Box::new(event)));
    }
}
