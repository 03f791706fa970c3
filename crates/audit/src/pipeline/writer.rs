//! The background writer: redacts, pseudonymises, seals, batches, writes, retries.

use super::Msg;
use super::metrics::Counters;
use super::queue::Receiver;
use crate::chain::{ChainHead, seal};
use crate::checkpoint::SigningKey;
use crate::erasure::SubjectKeys;
use crate::event::{AuditEvent, Outcome, types};
use crate::redact::Redactor;
use crate::retention_prune::PruneReport;
use crate::rules::RuleEngine;
use crate::sink::{AuditSink, Entry, Gap, SinkContext};
use rampart_core::SharedClock;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Sender, SyncSender};
use std::time::Duration;

pub(crate) struct Writer {
    pub sink: Box<dyn AuditSink>,
    pub signer: SigningKey,
    pub head: ChainHead,
    pub since_checkpoint: u64,
    pub batch: usize,
    pub checkpoint_every: u64,
    pub redactor: Redactor,
    pub keys: Option<Arc<SubjectKeys>>,
    pub clock: SharedClock,
    pub counters: Arc<Counters>,
    pub retry: (Duration, Duration),
    pub batch_id: u64,
    pub linger: Duration,
    pub rules: Option<RuleEngine>,
    /// Drops written batches off this thread; started by `run`.
    pub reaper: Option<Reaper>,
}

/// Drops written batches on a thread of its own. Freeing a batch's events
/// and lines is a fifth of the writer's work, and the writer is what bounds
/// the trail's throughput; a spare core does it instead, and hands the
/// emptied vector back so its capacity is reused.
pub(crate) struct Reaper {
    full: SyncSender<Vec<Entry>>,
    empty: mpsc::Receiver<Vec<Entry>>,
}

impl Reaper {
    /// Starts the thread; `None` if it cannot be started (batches are then
    /// dropped in place).
    fn spawn() -> Option<Reaper> {
        // Two batches in flight at most: a reaper that falls behind slows
        // the writer down instead of holding memory without bound.
        let (full, full_rx) = std::sync::mpsc::sync_channel::<Vec<Entry>>(2);
        let (empty_tx, empty) = std::sync::mpsc::sync_channel(2);
        std::thread::Builder::new()
            .name("rampart-audit-reaper".into())
            .spawn(move || {
                for mut batch in full_rx {
                    batch.clear();
                    let _ = empty_tx.try_send(batch);
                }
            })
            .ok()?;
        Some(Reaper { full, empty })
    }

    /// Takes `entries`, leaving an empty vector in their place.
    fn take(&self, entries: &mut Vec<Entry>) {
        let spare = self
            .empty
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(entries.capacity()));
        let batch = std::mem::replace(entries, spare);
        if let Err(e) = self.full.send(batch) {
            drop(e.0);
        }
    }
}

/// How often the writer looks for response outcomes while responses run
/// and no event arrives.
const RESPONSE_POLL: Duration = Duration::from_millis(5);

impl Writer {
    pub fn run(mut self, rx: Receiver<Msg>, gap: Option<Gap>) {
        self.reaper = Reaper::spawn();
        let mut entries = Vec::with_capacity(self.batch + 2);
        if let Some(gap) = gap {
            let event = AuditEvent::new(types::AUDIT_GAP)
                .outcome(Outcome::Failure)
                .source("rampart::audit")
                .reason(
                    "the audit writer resumed after an unclean stop; events queued then were lost",
                )
                .meta("resumed_after_seq", self.head.seq)
                .meta("discarded_bytes", gap.discarded_bytes)
                .meta("unsealed_records", gap.unsealed_records);
            self.push(Box::new(event), &mut entries);
            self.checkpoint(&mut entries);
            self.write(&mut entries, 0);
        }
        let mut replies: Vec<Sender<()>> = Vec::new();
        let mut pruned: Vec<(
            Sender<std::io::Result<PruneReport>>,
            std::io::Result<PruneReport>,
        )> = Vec::new();
        // Whether the last batch was full: then the queue is not empty and
        // waiting for more would only add latency.
        let mut busy = false;
        let mut inbox: VecDeque<Msg> = VecDeque::new();
        loop {
            let timeout = self.responses_running().then_some(RESPONSE_POLL);
            if rx.take(&mut inbox, self.batch, timeout).is_err() {
                self.stop_without_shutdown(&mut entries);
                return;
            }
            if matches!(inbox.front(), Some(Msg::Event(_) | Msg::Security(_)))
                && !self.linger.is_zero()
                && !busy
                && inbox.len() < self.batch
            {
                // Let a batch gather: producers then find the writer busy and
                // enqueue without waking it, one wake-up per batch.
                std::thread::sleep(self.linger);
                let room = self.batch - inbox.len();
                rx.try_take(&mut inbox, room);
            }
            let mut stop = None;
            let mut records = 0u64;
            while let Some(m) = inbox.pop_front() {
                match m {
                    Msg::Event(event) => records += self.observe_and_push(event, &mut entries),
                    Msg::Security(event) => {
                        records += self.observe_and_push(Box::new((*event).into()), &mut entries);
                    }
                    Msg::Erased(key_id) => {
                        let event = AuditEvent::new(types::AUDIT_SUBJECT_ERASED)
                            .outcome(Outcome::Success)
                            .source("rampart::audit")
                            .meta("subject_key_id", key_id);
                        self.push(Box::new(event), &mut entries);
                        records += 1;
                    }
                    Msg::Flush(reply) => replies.push(reply),
                    Msg::Prune(now_ms, reply) => {
                        let result = self.prune(now_ms, &mut entries);
                        pruned.push((reply, result));
                    }
                    Msg::Shutdown(reply) => {
                        stop = Some(reply);
                        // Take what is left: senders finished before shutdown was sent.
                        loop {
                            for m in inbox.drain(..) {
                                match m {
                                    Msg::Event(event) => {
                                        records += self.observe_and_push(event, &mut entries);
                                    }
                                    Msg::Security(event) => {
                                        let event = Box::new((*event).into());
                                        records += self.observe_and_push(event, &mut entries);
                                    }
                                    _ => {}
                                }
                            }
                            if rx.try_take(&mut inbox, usize::MAX) == 0 {
                                break;
                            }
                        }
                        records += self.finish_responses(&mut entries);
                        break;
                    }
                }
            }
            if let Some(reply) = stop {
                self.finish(&mut entries);
                self.counters.written.fetch_add(records, Ordering::Relaxed);
                for r in replies.drain(..) {
                    let _ = r.send(());
                }
                for (r, result) in pruned.drain(..) {
                    let _ = r.send(result);
                }
                let _ = reply.send(());
                return;
            }
            records += self.collect_responses(&mut entries);
            busy = records as usize >= self.batch;
            self.write(&mut entries, records);
            // A flush also covers the responses its events set off.
            if !self.responses_running() {
                for r in replies.drain(..) {
                    let _ = r.send(());
                }
            }
            for (r, result) in pruned.drain(..) {
                let _ = r.send(result);
            }
        }
    }

    /// Every sender is gone without a shutdown: still record the responses
    /// in flight, then seal.
    fn stop_without_shutdown(&mut self, entries: &mut Vec<Entry>) {
        let records = self.finish_responses(entries);
        self.finish(entries);
        self.counters.written.fetch_add(records, Ordering::Relaxed);
    }

    fn responses_running(&self) -> bool {
        self.rules.as_ref().is_some_and(RuleEngine::busy)
    }

    /// Runs the rules over `event` (before redaction and pseudonymisation:
    /// they need the values, and keep them only in memory), then seals the
    /// event followed by the alerts it raised. Returns the records pushed.
    fn observe_and_push(&mut self, event: Box<AuditEvent>, entries: &mut Vec<Entry>) -> u64 {
        let mut derived = Vec::new();
        if let Some(rules) = self.rules.as_mut() {
            rules.process(&event, &mut derived);
        }
        self.push(event, entries);
        1 + self.push_derived(derived, entries)
    }

    /// Seals events the writer made itself (alerts, responses), counting
    /// them as accepted so the metrics add up.
    fn push_derived(&mut self, derived: Vec<AuditEvent>, entries: &mut Vec<Entry>) -> u64 {
        let n = derived.len() as u64;
        self.counters.enqueued.fetch_add(n, Ordering::Relaxed);
        for event in derived {
            self.push(Box::new(event), entries);
        }
        n
    }

    fn collect_responses(&mut self, entries: &mut Vec<Entry>) -> u64 {
        let mut derived = Vec::new();
        if let Some(rules) = self.rules.as_mut() {
            rules.collect(&mut derived);
        }
        self.push_derived(derived, entries)
    }

    fn finish_responses(&mut self, entries: &mut Vec<Entry>) -> u64 {
        let mut derived = Vec::new();
        if let Some(rules) = self.rules.as_mut() {
            rules.finish(&mut derived);
        }
        self.push_derived(derived, entries)
    }

    fn finish(&mut self, entries: &mut Vec<Entry>) {
        if self.since_checkpoint > 0 || !entries.is_empty() || self.head.seq == 0 {
            self.checkpoint(entries);
        }
        self.write(entries, 0);
        if self.since_checkpoint > 0 {
            // A rotation during that write pruned and recorded it: seal that too.
            self.checkpoint(entries);
            self.write_once(entries, 0);
        }
    }

    /// Prunes the sink at `now_ms` and records what it did, if anything.
    fn prune(&mut self, now_ms: u64, entries: &mut Vec<Entry>) -> std::io::Result<PruneReport> {
        let ctx = SinkContext {
            batch: self.batch_id,
            signer: &self.signer,
            now_ms,
        };
        let result = self.sink.prune(&ctx);
        let event = AuditEvent::new(types::AUDIT_RETENTION_PRUNED)
            .at(crate::time::from_unix_ms(self.now_ms()))
            .source("rampart::audit")
            .meta("as_of", crate::time::format_rfc3339_ms(now_ms));
        let event = match &result {
            Ok(report) if report.removed.is_empty() && report.held_back.is_none() => return result,
            Ok(report) => {
                let files: Vec<String> = report
                    .removed
                    .iter()
                    .map(|f| f.path.display().to_string())
                    .collect();
                let records: u64 = report
                    .removed
                    .iter()
                    .filter_map(|f| f.seqs.map(|(a, b)| b - a + 1))
                    .sum();
                let mut event = event.meta("files", files).meta("records", records);
                if let Some(seq) = report.retained_from_seq {
                    event = event.meta("retained_from_seq", seq);
                }
                match &report.held_back {
                    Some(why) => {
                        tracing::warn!(target: "rampart::audit", reason = %why, "audit retention kept a file back");
                        event.outcome(Outcome::Failure).reason(why.clone())
                    }
                    None => event.outcome(Outcome::Success),
                }
            }
            Err(e) => {
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                tracing::error!(target: "rampart::audit", error = %e, "audit retention failed; old files are kept");
                event
                    .outcome(Outcome::Failure)
                    .reason(format!("pruning failed; old files are kept: {e}"))
            }
        };
        self.push(Box::new(event), entries);
        result
    }

    fn now_ms(&self) -> u64 {
        crate::time::unix_ms(self.clock.now())
    }

    fn push(&mut self, mut event: Box<AuditEvent>, entries: &mut Vec<Entry>) {
        self.redactor.redact(&mut event.metadata);
        if let Some(keys) = &self.keys {
            let mut backoff = self.retry.0;
            while let Err(e) = keys.protect(&mut event) {
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                tracing::error!(target: "rampart::audit", error = %e, "subject key store failed; retrying");
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(self.retry.1);
            }
        }
        match seal(&mut self.head, event) {
            Ok(record) => entries.push(Entry::Record(record)),
            Err(e) => {
                // Serialising an AuditEvent to a JSON value cannot fail (string
                // keys only); should it ever, the loss is counted and logged.
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                tracing::error!(target: "rampart::audit", error = %e, "audit event could not be encoded");
                return;
            }
        }
        self.since_checkpoint += 1;
        if self.since_checkpoint >= self.checkpoint_every {
            self.checkpoint(entries);
        }
    }

    fn checkpoint(&mut self, entries: &mut Vec<Entry>) {
        entries.push(Entry::Checkpoint(
            self.signer.checkpoint(self.head, self.now_ms()),
        ));
        self.since_checkpoint = 0;
    }

    /// Writes `entries`, then, if the sink rotated, prunes it and writes
    /// the record of that.
    fn write(&mut self, entries: &mut Vec<Entry>, records: u64) {
        self.write_once(entries, records);
        if self.sink.rotated() {
            let now = self.now_ms();
            let _ = self.prune(now, entries);
            self.write_once(entries, 0);
        }
    }

    /// Writes `entries`, retrying with backoff until the sink takes them.
    fn write_once(&mut self, entries: &mut Vec<Entry>, records: u64) {
        if entries.is_empty() {
            self.counters.written.fetch_add(records, Ordering::Relaxed);
            return;
        }
        self.batch_id += 1;
        let mut backoff = self.retry.0;
        loop {
            let ctx = SinkContext {
                batch: self.batch_id,
                signer: &self.signer,
                now_ms: self.now_ms(),
            };
            match self.sink.write(entries, &ctx) {
                Ok(()) => break,
                Err(e) => {
                    self.counters.failed.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(target: "rampart::audit", error = %e, retry_in_ms = backoff.as_millis() as u64, "audit sink failed; retrying");
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(self.retry.1);
                }
            }
        }
        match &self.reaper {
            Some(reaper) => reaper.take(entries),
            None => entries.clear(),
        }
        self.counters.written.fetch_add(records, Ordering::Relaxed);
    }
}
