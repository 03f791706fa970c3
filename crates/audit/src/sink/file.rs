//! The JSONL file sink: append, fsync per batch, rotation by size with the
//! chain continuing across files, and recovery after a crash.

use super::{AuditSink, Entry, Gap, Resume, SinkContext};
use crate::chain::{ChainHead, Line, parse_line};
use crate::files::{rotated, split_lines};
use serde::Deserialize;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// How the file sink writes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct FileSinkOptions {
    /// Rotate once the file reaches this many bytes; 0 never rotates. Default 64 MiB.
    pub rotate_bytes: u64,
    /// `fsync` after every batch. Default on: an acknowledged batch survives a
    /// power cut. Off leaves flushing to the operating system.
    pub fsync: bool,
}

impl Default for FileSinkOptions {
    fn default() -> Self {
        Self {
            rotate_bytes: 64 * 1024 * 1024,
            fsync: true,
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

    /// Sets [`FileSinkOptions::fsync`].
    #[must_use]
    pub fn fsync(mut self, yes: bool) -> Self {
        self.fsync = yes;
        self
    }
}

/// Appends the trail to a JSONL file.
///
/// When the file reaches `rotate_bytes`, the sink ends it with a checkpoint,
/// renames it `path.N` (N one more than the highest so far) and starts a new
/// `path` with an anchor for the same chain head, so the chain runs on across
/// files and old files can be pruned whole.
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
        }
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
        self.file = None;
        std::fs::rename(&self.path, PathBuf::from(name))?;
        self.size = 0;
        let anchor = ctx.signer.anchor(self.head, ctx.now_ms).to_line();
        self.append(format!("{anchor}\n").as_bytes())
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
        let mut source = self.path.clone();
        if bytes.is_empty() {
            // Rotated just before a stop: the last rotated file ends the chain.
            if let Some((_, last)) = rotated(&self.path)?.pop() {
                bytes = std::fs::read(&last)?;
                source = last;
            }
        }
        let lines = split_lines("", &bytes);
        let mut keep = 0usize; // bytes of intact lines
        let mut offset = 0usize;
        let mut head = None;
        let mut unsealed = 0u64;
        for line in &lines {
            offset += line.text.len() + usize::from(line.complete);
            if !line.complete {
                break;
            }
            match parse_line(&line.text) {
                Ok(Line::Record(r)) if r.computed == r.hash => {
                    head = Some(ChainHead {
                        seq: r.seq,
                        hash: r.hash,
                    });
                    unsealed += 1;
                }
                Ok(Line::Checkpoint(cp)) => {
                    if let Some(h) = cp.head() {
                        head = Some(h);
                        unsealed = 0;
                    }
                }
                _ => continue,
            }
            keep = offset;
        }
        let discarded = (bytes.len() - keep) as u64;
        if discarded > 0 && source == self.path {
            let file = OpenOptions::new().write(true).open(&self.path)?;
            file.set_len(keep as u64)?;
            file.sync_all()?;
        }
        self.head = head.unwrap_or(ChainHead::GENESIS);
        self.sealed = unsealed == 0;
        let gap = (discarded > 0 || unsealed > 0).then_some(Gap {
            discarded_bytes: discarded,
            unsealed_records: unsealed,
        });
        Ok(Resume { head, gap })
    }

    fn write(&mut self, entries: &[Entry], ctx: &SinkContext<'_>) -> io::Result<()> {
        if self.options.rotate_bytes > 0 && self.size >= self.options.rotate_bytes {
            self.rotate(ctx)?;
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let (mut head, mut sealed) = (self.head, self.sealed);
        for entry in entries {
            match entry {
                Entry::Record(r) => {
                    buf.extend_from_slice(r.line.as_bytes());
                    head = ChainHead {
                        seq: r.seq,
                        hash: r.hash,
                    };
                    sealed = false;
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
        Ok(())
    }
}
