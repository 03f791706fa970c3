//! The JSONL file sink: append, fsync per batch, rotation by size or time
//! with the chain continuing across files, pruning by retention, and
//! recovery after a crash.

use super::{AuditSink, Entry, Gap, Resume, SinkContext};
use crate::chain::{ChainHead, Line, parse_line};
use crate::checkpoint::VerifyingKey;
use crate::files::{rotated, split_lines};
use crate::retention::{Category, Retention, Summary};
use crate::retention_prune::{PruneReport, prune, record_facts, write_sidecar};
use crate::time::TimestampCache;
use serde::Deserialize;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// How the file sink writes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct FileSinkOptions {
    /// Rotate once the file reaches this many bytes; 0 never rotates. Default 64 MiB.
    pub rotate_bytes: u64,
    /// Rotate when the clock crosses a multiple of this many seconds since
    /// the epoch (86,400: at every UTC midnight), if the file holds a record
    /// by then; 0 never. Default 0. Works beside `rotate_bytes`: whichever
    /// comes first.
    pub rotate_interval_secs: u64,
    /// `fsync` after every batch. Default on: an acknowledged batch survives a
    /// power cut. Off leaves flushing to the operating system.
    pub fsync: bool,
    /// Prune rotated files after each rotation as this allows. Default none:
    /// a sink keeps everything unless told otherwise ([`AuditConfig`](crate::AuditConfig)
    /// turns on the default periods).
    pub retention: Option<Retention>,
}

impl Default for FileSinkOptions {
    fn default() -> Self {
        Self {
            rotate_bytes: 64 * 1024 * 1024,
            rotate_interval_secs: 0,
            fsync: true,
            retention: None,
        }
    }
}

impl FileSinkOptions {
    /// Sets [`FileSinkOptions::rotate_bytes`].
    #[must_use]
    pub fn rotate_bytes(mut self, bytes: u64) -> Self {
        self.rotate_bytes = bytes;
        self
    }

    /// Sets [`FileSinkOptions::rotate_interval_secs`].
    #[must_use]
    pub fn rotate_interval_secs(mut self, secs: u64) -> Self {
        self.rotate_interval_secs = secs;
        self
    }

    /// Sets [`FileSinkOptions::fsync`].
    #[must_use]
    pub fn fsync(mut self, yes: bool) -> Self {
        self.fsync = yes;
        self
    }

    /// Sets [`FileSinkOptions::retention`].
    #[must_use]
    pub fn retention(mut self, retention: Retention) -> Self {
        self.retention = Some(retention);
        self
    }
}

/// Appends the trail to a JSONL file.
///
/// When the file reaches `rotate_bytes`, or the clock crosses a multiple of
/// `rotate_interval_secs`, the sink ends it with a checkpoint, renames it
/// `path.N` (N one more than the highest so far) with a sidecar `path.N.meta`
/// summarising it, and starts a new `path` with an anchor for the same chain
/// head, so the chain runs on across files and old files can be pruned whole.
///
/// Pruning ([`FileSink::prune`], and after every rotation when the options
/// carry a [`Retention`]) removes rotated files oldest first, each only when
/// every record in it is past its category's period and the next file starts
/// with a signed anchor; it stops at the first file it must keep, so the
/// retained set is always a suffix of the chain and verifies on its own.
///
/// On start ([`AuditSink::resume`]) it reads the last file: a partly written
/// last line (a crash mid-write) or unreadable trailing lines are cut off,
/// and the chain resumes after the last intact record. If the file did not
/// end with a checkpoint, the writer records an `audit.gap` event saying so.
#[derive(Debug)]
pub struct FileSink {
    path: PathBuf,
    options: FileSinkOptions,
    file: Option<File>,
    size: u64,
    head: ChainHead,
    sealed: bool,
    buf: Vec<u8>,
    /// What the active file holds, for its sidecar when it is rotated.
    summary: Summary,
    /// When the active file began (its anchor's time, else its first record's).
    started_ms: Option<u64>,
    /// The active file must begin with an anchor before anything else: it is
    /// missing or empty while older files exist (a stop right after a rename).
    needs_anchor: bool,
    /// A rotation happened since [`AuditSink::rotated`] last asked.
    rotated: bool,
    times: TimestampCache,
}

impl FileSink {
    /// A sink writing to `path` (created with its directory on first write).
    pub fn new(path: impl Into<PathBuf>, options: FileSinkOptions) -> Self {
        Self {
            path: path.into(),
            options,
            file: None,
            size: 0,
            head: ChainHead::GENESIS,
            sealed: true,
            buf: Vec::with_capacity(64 * 1024),
            summary: Summary::default(),
            started_ms: None,
            needs_anchor: false,
            rotated: false,
            times: TimestampCache::default(),
        }
    }

    /// Removes the rotated files that retention allows at `now` (see the type's
    /// documentation), checking anchors with `key`. Without a retention in the
    /// options nothing is removed. Call it from the thread that writes, or
    /// through [`AuditLog::prune`](crate::AuditLog::prune) when the sink is in a log.
    pub fn prune(&mut self, now: SystemTime, key: &VerifyingKey) -> io::Result<PruneReport> {
        match &self.options.retention {
            Some(retention) => prune(&self.path, retention, key, crate::time::unix_ms(now)),
            None => Ok(PruneReport::default()),
        }
    }

    fn rotation_due(&self, now_ms: u64) -> bool {
        if self.options.rotate_bytes > 0 && self.size >= self.options.rotate_bytes {
            return true;
        }
        let interval = self.options.rotate_interval_secs.saturating_mul(1000);
        interval > 0
            && self.summary.seqs.is_some()
            && self
                .started_ms
                .is_some_and(|started| now_ms / interval > started / interval)
    }

    /// The active file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn open(&mut self) -> io::Result<&mut File> {
        if self.file.is_none() {
            if let Some(dir) = self.path.parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir)?;
            }
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            self.size = file.metadata()?.len();
            self.file = Some(file);
        }
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("audit file not open"))
    }

    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        let fsync = self.options.fsync;
        let before = self.size;
        let file = self.open()?;
        let result = file
            .write_all(bytes)
            .and_then(|()| if fsync { file.sync_data() } else { Ok(()) });
        match result {
            Ok(()) => {
                self.size = before + bytes.len() as u64;
                Ok(())
            }
            Err(e) => {
                // Take back whatever part of the batch reached the file, so the
                // retry does not follow a partial line.
                let _ = file.set_len(before);
                Err(e)
            }
        }
    }

    fn rotate(&mut self, ctx: &SinkContext<'_>) -> io::Result<()> {
        if !self.sealed {
            let line = ctx.signer.checkpoint(self.head, ctx.now_ms).to_line();
            self.append(format!("{line}\n").as_bytes())?;
            self.sealed = true;
        }
        let next = rotated(&self.path)?.last().map_or(1, |(n, _)| n + 1);
        let mut name = self.path.clone().into_os_string();
        name.push(format!(".{next}"));
        let name = PathBuf::from(name);
        // The sidecar first: a stop before the rename leaves a sidecar for a
        // file that does not exist yet, which the next rotation overwrites.
        write_sidecar(&name, self.size, &self.summary)?;
        self.file = None;
        std::fs::rename(&self.path, &name)?;
        self.size = 0;
        self.summary = Summary::default();
        self.started_ms = Some(ctx.now_ms);
        self.rotated = true;
        self.needs_anchor = true;
        self.write_anchor(ctx)
    }

    fn write_anchor(&mut self, ctx: &SinkContext<'_>) -> io::Result<()> {
        let anchor = ctx.signer.anchor(self.head, ctx.now_ms).to_line();
        self.append(format!("{anchor}\n").as_bytes())?;
        self.needs_anchor = false;
        Ok(())
    }
}

impl AuditSink for FileSink {
    fn resume(&mut self) -> io::Result<Resume> {
        let mut bytes = Vec::new();
        match File::open(&self.path) {
            Ok(mut f) => {
                f.read_to_end(&mut bytes)?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let mut tail = Tail::scan(&bytes);
        let discarded = (bytes.len() - tail.keep) as u64;
        if discarded > 0 {
            let file = OpenOptions::new().write(true).open(&self.path)?;
            file.set_len(tail.keep as u64)?;
            file.sync_all()?;
        }
        self.needs_anchor = false;
        self.summary = tail.summary;
        self.started_ms = tail.started_ms;
        if tail.head.is_none()
            && let Some((_, last)) = rotated(&self.path)?.pop()
        {
            // Stopped right after a rotation (the active file missing, empty
            // or holding only a cut anchor): the last rotated file ends the
            // chain, and the active file still owes its anchor.
            let closed = Tail::scan(&std::fs::read(&last)?);
            tail.head = closed.head;
            tail.unsealed = closed.unsealed;
            self.needs_anchor = true;
            self.summary = Summary::default();
            self.started_ms = None;
        }
        let (head, unsealed) = (tail.head, tail.unsealed);
        self.head = head.unwrap_or(ChainHead::GENESIS);
        self.sealed = unsealed == 0;
        let gap = (discarded > 0 || unsealed > 0).then_some(Gap {
            discarded_bytes: discarded,
            unsealed_records: unsealed,
        });
        Ok(Resume { head, gap })
    }

    fn write(&mut self, entries: &[Entry], ctx: &SinkContext<'_>) -> io::Result<()> {
        if self.needs_anchor {
            self.write_anchor(ctx)?;
        }
        if self.rotation_due(ctx.now_ms) {
            self.rotate(ctx)?;
        }
        if self.started_ms.is_none() {
            self.started_ms = Some(ctx.now_ms);
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let (mut head, mut sealed) = (self.head, self.sealed);
        let mut summary = self.summary;
        for entry in entries {
            match entry {
                Entry::Record(r) => {
                    buf.extend_from_slice(r.line.as_bytes());
                    head = ChainHead {
                        seq: r.seq,
                        hash: r.hash,
                    };
                    sealed = false;
                    let time = self.times.unix_ms(&r.event).unwrap_or(u64::MAX);
                    summary.add(Category::of(&r.event.event_type), time, r.seq);
                }
                Entry::Checkpoint(c) => {
                    buf.extend_from_slice(c.to_line().as_bytes());
                    sealed = c.seq == head.seq;
                }
            }
            buf.push(b'\n');
        }
        let result = self.append(&buf);
        self.buf = buf;
        result?;
        self.head = head;
        self.sealed = sealed;
        self.summary = summary;
        Ok(())
    }

    fn prune(&mut self, ctx: &SinkContext<'_>) -> io::Result<PruneReport> {
        let key = ctx.signer.verifying_key();
        FileSink::prune(self, crate::time::from_unix_ms(ctx.now_ms), &key)
    }

    fn rotated(&mut self) -> bool {
        std::mem::take(&mut self.rotated)
    }
}

/// What reading a file back finds: the intact prefix and where the chain stands.
struct Tail {
    /// Bytes of intact lines from the start.
    keep: usize,
    head: Option<ChainHead>,
    /// Records after the last checkpoint.
    unsealed: u64,
    summary: Summary,
    started_ms: Option<u64>,
}

impl Tail {
    /// Reads `bytes` up to the first cut line, skipping unreadable ones.
    fn scan(bytes: &[u8]) -> Tail {
        let mut tail = Tail {
            keep: 0,
            head: None,
            unsealed: 0,
            summary: Summary::default(),
            started_ms: None,
        };
        let mut offset = 0usize;
        for line in &split_lines("", bytes) {
            offset += line.text.len() + usize::from(line.complete);
            if !line.complete {
                break;
            }
            match parse_line(&line.text) {
                Ok(Line::Record(r)) if r.computed == r.hash => {
                    tail.head = Some(ChainHead {
                        seq: r.seq,
                        hash: r.hash,
                    });
                    tail.unsealed += 1;
                    // A record whose type or time cannot be read counts as a
                    // security event of the far future: kept the longest.
                    let facts = record_facts(&r.event);
                    let (category, time) = facts.unwrap_or((Category::Security, u64::MAX));
                    tail.summary.add(category, time, r.seq);
                    if facts.is_some() {
                        tail.started_ms.get_or_insert(time);
                    }
                }
                Ok(Line::Checkpoint(cp)) => {
                    if let Some(h) = cp.head() {
                        tail.head = Some(h);
                        tail.unsealed = 0;
                        tail.started_ms.get_or_insert(cp.time_ms);
                    }
                }
                _ => continue,
            }
            tail.keep = offset;
        }
        tail
    }
}
