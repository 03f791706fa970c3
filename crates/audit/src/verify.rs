//! Verification of a log with the public key only.

use crate::chain::{ChainHead, Line, LineError, ParsedRecord, parse_line};
use crate::checkpoint::{Checkpoint, VerifyingKey};
use crate::files::{LogLine, read_log_set};
use serde::Serialize;
use std::path::Path;

/// What went wrong with a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TamperKind {
    /// A record's content no longer matches its hash, or a checkpoint vouches
    /// for a different hash than the chain has: it was edited or replaced.
    Modified,
    /// Records are missing from the chain.
    Deleted,
    /// A record was added that the writer did not write (a repeated or forged one).
    Inserted,
    /// Records are out of order.
    Reordered,
    /// The log ends early: a partial last line, or (when a sealed log is
    /// required) records after the last checkpoint or a missing final checkpoint.
    Truncated,
    /// A checkpoint's signature does not verify with the key, or names another key.
    BadSignature,
    /// A line is not a record or a checkpoint at all.
    Malformed,
}

/// The first problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// What happened.
    pub kind: TamperKind,
    /// The sequence number concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The file and 1-based line where it was found.
    pub location: String,
    /// A sentence for the operator.
    pub detail: String,
}

/// The outcome of [`verify`]: serialises as `{"ok":true,"events":N,…}` or
/// `{"ok":false,…,"failure":{…}}` for an endpoint such as `GET /admin/audit/verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Whether the whole log verified.
    pub ok: bool,
    /// Records verified (up to the failure, if any).
    pub events: u64,
    /// The first sequence number of the log (after any pruned part).
    pub first_seq: u64,
    /// The last sequence number verified.
    pub last_seq: u64,
    /// Checkpoints whose signature verified.
    pub checkpoints: u64,
    /// The last sequence number a signed checkpoint covers.
    pub sealed_through: u64,
    /// Records after the last checkpoint: written since, or left by a crash.
    pub unsealed: u64,
    /// The first problem, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
}

/// How strict [`verify`] is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// Require the log to end with a checkpoint covering its last record, as a
    /// log closed by `shutdown()` does. Off by default, since a live log has
    /// records written after its last checkpoint. With it off, cutting whole
    /// records *and* the checkpoints after them off the end cannot be told
    /// from a log that is still being written; `unsealed` shows how much is at stake.
    pub require_sealed: bool,
    /// Stop quietly at an incomplete last line instead of reporting it
    /// truncated: for a log a live writer is appending to, whose last batch
    /// may be half-visible. Off by default.
    pub live: bool,
}

impl VerifyOptions {
    /// Reads a live log (see [`VerifyOptions::live`]).
    #[must_use]
    pub fn live(mut self, yes: bool) -> Self {
        self.live = yes;
        self
    }

    /// Requires a sealed log (see [`VerifyOptions::require_sealed`]).
    #[must_use]
    pub fn require_sealed(mut self, yes: bool) -> Self {
        self.require_sealed = yes;
        self
    }
}

/// Verifies the log at `path` and its rotated files (`path.1`, `path.2`, …,
/// oldest first, then `path`).
///
/// ```no_run
/// use rampart_audit::{VerifyOptions, VerifyingKey, verify};
///
/// let key = VerifyingKey::from_base64(&std::fs::read_to_string("audit.pub")?)?;
/// let report = verify("audit.jsonl", &key, VerifyOptions::default())?;
/// println!("{}", serde_json::to_string(&report)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify(
    path: impl AsRef<Path>,
    key: &VerifyingKey,
    options: VerifyOptions,
) -> std::io::Result<VerifyReport> {
    let lines = read_log_set(path.as_ref())?;
    Ok(verify_lines(&lines, key, options))
}

struct State<'a> {
    report: VerifyReport,
    head: ChainHead,
    started: bool,
    key: &'a VerifyingKey,
}

/// One line as the checker sees it, whether it came from a file or a table.
pub(crate) trait SourceLine {
    /// The line, without its newline.
    fn text(&self) -> &str;
    /// Whether the line was written whole (a file's last line may be cut).
    fn complete(&self) -> bool {
        true
    }
    /// Where the line was found, for the report.
    fn location(&self) -> String;
    /// Checks what the source keeps beside the line (a table's columns)
    /// against the record the line holds, so that a query answered from those
    /// copies is as trustworthy as the verified chain. Files keep nothing beside.
    fn agrees(&self, _record: &ParsedRecord) -> Result<(), String> {
        Ok(())
    }
}

impl SourceLine for LogLine {
    fn text(&self) -> &str {
        &self.text
    }
    fn complete(&self) -> bool {
        self.complete
    }
    fn location(&self) -> String {
        LogLine::location(self)
    }
}

impl<T: SourceLine> SourceLine for &T {
    fn text(&self) -> &str {
        (**self).text()
    }
    fn complete(&self) -> bool {
        (**self).complete()
    }
    fn location(&self) -> String {
        (**self).location()
    }
    fn agrees(&self, record: &ParsedRecord) -> Result<(), String> {
        (**self).agrees(record)
    }
}

/// Verifies lines already read (the core of [`verify`] over a file set).
pub(crate) fn verify_lines(
    lines: &[LogLine],
    key: &VerifyingKey,
    options: VerifyOptions,
) -> VerifyReport {
    match check(
        lines.iter().map(Ok::<_, std::convert::Infallible>),
        key,
        options,
    ) {
        Ok(report) => report,
        Err(never) => match never {},
    }
}

/// Whether a record with a sequence number is still to come.
trait Later {
    fn has(&mut self, seq: u64) -> bool;
}

/// The records still to come, read only once a problem is found (to tell an
/// inserted or reordered record from a deleted one), and then only their
/// sequence numbers are kept.
struct Rest<'i, I, E> {
    lines: &'i mut I,
    seqs: Option<std::collections::HashSet<u64>>,
    error: Option<E>,
}

impl<L: SourceLine, E, I: Iterator<Item = Result<L, E>>> Later for Rest<'_, I, E> {
    fn has(&mut self, seq: u64) -> bool {
        if self.seqs.is_none() {
            let mut seqs = std::collections::HashSet::new();
            for line in self.lines.by_ref() {
                match line {
                    Ok(line) => {
                        if let Ok(Line::Record(r)) = parse_line(line.text()) {
                            seqs.insert(r.seq);
                        }
                    }
                    Err(e) => {
                        self.error = Some(e);
                        break;
                    }
                }
            }
            self.seqs = Some(seqs);
        }
        self.seqs.as_ref().is_some_and(|s| s.contains(&seq))
    }
}

/// The one checker behind every source: lines in chain order, read one at a
/// time so that a table of millions of rows is never held in memory. A read
/// error from the source is returned as is.
pub(crate) fn check<L, E, I>(
    lines: I,
    key: &VerifyingKey,
    options: VerifyOptions,
) -> Result<VerifyReport, E>
where
    L: SourceLine,
    I: Iterator<Item = Result<L, E>>,
{
    let mut st = State {
        report: VerifyReport {
            ok: true,
            events: 0,
            first_seq: 0,
            last_seq: 0,
            checkpoints: 0,
            sealed_through: 0,
            unsealed: 0,
            failure: None,
        },
        head: ChainHead::GENESIS,
        started: false,
        key,
    };
    let mut lines = lines.peekable();
    let mut last_location = None;
    while let Some(line) = lines.next() {
        let line = line?;
        let location = line.location();
        let fail = |kind, seq, detail: String| Failure {
            kind,
            seq,
            location: location.clone(),
            detail,
        };
        if !line.complete() && options.live && lines.peek().is_none() {
            break;
        }
        if !line.complete() {
            return Ok(st.fail(fail(
                TamperKind::Truncated,
                None,
                "the last line is incomplete (cut off mid-write)".into(),
            )));
        }
        let parsed = match parse_line(line.text()) {
            Ok(p) => p,
            Err(LineError::Malformed(why)) => {
                return Ok(st.fail(fail(TamperKind::Malformed, None, why)));
            }
        };
        let mut rest = Rest {
            lines: &mut lines,
            seqs: None,
            error: None,
        };
        let outcome = match parsed {
            Line::Checkpoint(cp) => st.checkpoint(&cp, &mut rest),
            Line::Record(rec) => st.record(&rec, &mut rest).and_then(|()| {
                line.agrees(&rec).map_err(|detail| {
                    (
                        TamperKind::Modified,
                        Some(rec.seq),
                        format!("record {}: {detail}", rec.seq),
                    )
                })
            }),
        };
        if let Some(e) = rest.error {
            return Err(e);
        }
        if let Err((kind, seq, detail)) = outcome {
            return Ok(st.fail(fail(kind, seq, detail)));
        }
        last_location = Some(location);
    }
    st.report.unsealed = st.head.seq - st.report.sealed_through.min(st.head.seq);
    if options.require_sealed && (st.report.unsealed > 0 || st.report.checkpoints == 0) {
        let unsealed = st.report.unsealed;
        let seq = st.head.seq;
        return Ok(st.fail(Failure {
            kind: TamperKind::Truncated,
            seq: Some(seq),
            location: last_location.unwrap_or_default(),
            detail: format!(
                "the log does not end with a checkpoint covering its last record ({unsealed} unsealed)"
            ),
        }));
    }
    Ok(st.report)
}

type Problem = (TamperKind, Option<u64>, String);

impl State<'_> {
    fn fail(mut self, failure: Failure) -> VerifyReport {
        self.report.ok = false;
        self.report.unsealed = self.head.seq - self.report.sealed_through.min(self.head.seq);
        self.report.failure = Some(failure);
        self.report
    }

    fn checkpoint(&mut self, cp: &Checkpoint, rest: &mut dyn Later) -> Result<(), Problem> {
        if cp.key_id != self.key.key_id() || !self.key.verify(cp) {
            return Err((
                TamperKind::BadSignature,
                Some(cp.seq),
                format!(
                    "checkpoint at seq {} does not verify with key {}",
                    cp.seq,
                    self.key.key_id()
                ),
            ));
        }
        let Some(head) = cp.head() else {
            return Err((
                TamperKind::Malformed,
                Some(cp.seq),
                "checkpoint hash is malformed".into(),
            ));
        };
        if !self.started {
            // A log whose older part was pruned or rotated away starts with the
            // anchor where the retained chain begins; a plain checkpoint first
            // means the records before it were cut off.
            if !cp.anchor && head.seq > 0 {
                return Err((
                    TamperKind::Deleted,
                    Some(1),
                    format!(
                        "the log starts at a checkpoint for seq {}: the records before it are missing",
                        head.seq
                    ),
                ));
            }
            self.started = true;
            self.head = head;
            self.report.first_seq = head.seq + 1;
        } else if head.seq > self.head.seq {
            return Err((
                TamperKind::Deleted,
                Some(self.head.seq + 1),
                format!(
                    "checkpoint covers seq {} but the chain ends at {}: records are missing",
                    head.seq, self.head.seq
                ),
            ));
        } else if head.seq < self.head.seq && rest.has(self.head.seq) {
            return Err((
                TamperKind::Inserted,
                Some(self.head.seq),
                format!("seq {} appears twice", self.head.seq),
            ));
        } else if head.seq < self.head.seq {
            return Err((
                TamperKind::Reordered,
                Some(head.seq),
                format!(
                    "checkpoint for seq {} appears after seq {}",
                    head.seq, self.head.seq
                ),
            ));
        } else if head.hash != self.head.hash {
            return Err((
                TamperKind::Modified,
                Some(head.seq),
                format!(
                    "the chain up to seq {} is not the one the checkpoint signed",
                    head.seq
                ),
            ));
        }
        self.report.checkpoints += 1;
        self.report.sealed_through = head.seq;
        Ok(())
    }

    fn record(&mut self, rec: &ParsedRecord, rest: &mut dyn Later) -> Result<(), Problem> {
        if !self.started {
            self.started = true;
            self.report.first_seq = 1;
        }
        if rec.computed != rec.hash {
            return Err((
                TamperKind::Modified,
                Some(rec.seq),
                format!("record {} does not match its hash", rec.seq),
            ));
        }
        let expected = self.head.seq + 1;
        if rec.seq == expected {
            if rec.prev != self.head.hash {
                return Err((
                    TamperKind::Modified,
                    Some(self.head.seq),
                    format!(
                        "record {} does not link to the record before it: seq {} was replaced",
                        rec.seq, self.head.seq
                    ),
                ));
            }
            self.head = ChainHead {
                seq: rec.seq,
                hash: rec.hash,
            };
            self.report.events += 1;
            self.report.last_seq = rec.seq;
            return Ok(());
        }
        let mut later = |seq: u64| rest.has(seq);
        if rec.seq < expected {
            return Err((
                TamperKind::Inserted,
                Some(rec.seq),
                format!("seq {} appears again after seq {}", rec.seq, self.head.seq),
            ));
        }
        if later(expected) {
            if later(rec.seq) {
                return Err((
                    TamperKind::Inserted,
                    Some(rec.seq),
                    format!("seq {} appears twice", rec.seq),
                ));
            }
            return Err((
                TamperKind::Reordered,
                Some(expected),
                format!("seq {} comes before seq {}", rec.seq, expected),
            ));
        }
        Err((
            TamperKind::Deleted,
            Some(expected),
            format!("records {expected} to {} are missing", rec.seq - 1),
        ))
    }
}
