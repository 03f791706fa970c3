//! Pruning a rotated file set: whole files, oldest first, only while every
//! record in a file is past its category's retention and the file after it
//! starts with a signed anchor, so the retained set still verifies.
//!
//! Each rotated file gets a small sidecar, `path.N.meta`, written when it is
//! closed: its length and a [`Summary`] (newest time per category, sequence
//! span), so pruning does not re-read years of logs. A sidecar that is
//! missing, unreadable or names another length is ignored and the file is
//! scanned instead. A sidecar is not trusted beyond that: anyone able to
//! edit it can delete the log files themselves; verification of what is
//! kept never depends on it.

use crate::chain::{Line, parse_line};
use crate::checkpoint::VerifyingKey;
use crate::files::rotated;
use crate::retention::{Category, Retention, Summary};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// What one prune did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PruneReport {
    /// The files removed, oldest first.
    pub removed: Vec<PrunedFile>,
    /// The first sequence number of the retained chain, when files were removed.
    pub retained_from_seq: Option<u64>,
    /// Why pruning stopped at a file it could not judge (unreadable, or
    /// followed by a file without a valid anchor). Such files are kept: a
    /// retention failure keeps data longer, never loses the chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_back: Option<String>,
}

/// A removed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PrunedFile {
    /// Where it was: a file's path, or a PostgreSQL table's partition name.
    pub path: PathBuf,
    /// The first and last record sequence numbers it held, if any.
    pub seqs: Option<(u64, u64)>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sidecar {
    v: u8,
    bytes: u64,
    summary: Summary,
}

/// The sidecar of a rotated file.
pub(crate) fn sidecar_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".meta");
    PathBuf::from(name)
}

/// Writes the sidecar of `file` (to be renamed to `file` next): atomically,
/// through a temporary file, so a crash leaves the old one or the new one.
pub(crate) fn write_sidecar(file: &Path, bytes: u64, summary: &Summary) -> io::Result<()> {
    let target = sidecar_path(file);
    let mut tmp = target.clone().into_os_string();
    tmp.push(".tmp");
    let text = serde_json::to_vec(&Sidecar {
        v: 1,
        bytes,
        summary: *summary,
    })?;
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, &target)
}

/// What `file` holds: from its sidecar when it matches, else by scanning it.
pub(crate) fn summary_of(file: &Path) -> io::Result<Result<Summary, String>> {
    let len = std::fs::metadata(file)?.len();
    if let Ok(text) = std::fs::read(sidecar_path(file))
        && let Ok(sidecar) = serde_json::from_slice::<Sidecar>(&text)
        && sidecar.v == 1
        && sidecar.bytes == len
    {
        return Ok(Ok(sidecar.summary));
    }
    let bytes = std::fs::read(file)?;
    Ok(scan(&bytes))
}

/// The category, time and sequence number of a record line's parsed value.
pub(crate) fn record_facts(event: &Value) -> Option<(Category, u64)> {
    let kind = event.get("type")?.as_str()?;
    let time = crate::time::parse_rfc3339_ms(event.get("timestamp")?.as_str()?)?;
    Some((Category::of(kind), time))
}

/// Summarises a closed file's bytes; any line that is not a readable record
/// or checkpoint makes the file unjudgeable, and so kept.
fn scan(bytes: &[u8]) -> Result<Summary, String> {
    let mut summary = Summary::default();
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        return Err("its last line is incomplete".into());
    }
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let value: Value =
            serde_json::from_slice(line).map_err(|e| format!("line {} is not JSON: {e}", i + 1))?;
        if value.get("checkpoint").is_some() {
            continue;
        }
        let seq = value.get("seq").and_then(Value::as_u64);
        let facts = value.get("event").and_then(record_facts);
        match (seq, facts) {
            (Some(seq), Some((category, time))) => summary.add(category, time, seq),
            _ => return Err(format!("line {} is not a readable record", i + 1)),
        }
    }
    Ok(summary)
}

/// The sequence number an anchor on the first line of `file` vouches for,
/// if that line is an anchor signed by `key`.
pub(crate) fn leading_anchor(file: &Path, key: &VerifyingKey) -> io::Result<Option<u64>> {
    let mut first = String::new();
    match File::open(file) {
        Ok(f) => {
            // An anchor line is a few hundred bytes; never read more than this.
            let mut reader = BufReader::new(f).take(4096);
            reader.read_line(&mut first)?;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    }
    let Some(line) = first.strip_suffix('\n') else {
        return Ok(None);
    };
    Ok(match parse_line(line) {
        Ok(Line::Checkpoint(cp)) if cp.anchor && cp.key_id == key.key_id() && key.verify(&cp) => {
            Some(cp.seq)
        }
        _ => None,
    })
}

/// Prunes the rotated files of `path` (never `path` itself) as `retention`
/// allows at `now_ms`. Only listing the files is an error; a file that cannot
/// be read or removed stops the prune there and is named in `held_back`, so
/// what was removed before it is still reported.
pub(crate) fn prune(
    path: &Path,
    retention: &Retention,
    key: &VerifyingKey,
    now_ms: u64,
) -> io::Result<PruneReport> {
    let files = rotated(path)?;
    let mut report = PruneReport::default();
    for (i, (_, file)) in files.iter().enumerate() {
        let next = files.get(i + 1).map_or(path, |(_, p)| p.as_path());
        match judge(file, next, retention, key, now_ms) {
            Ok(Some((summary, anchor_seq))) => {
                report.removed.push(PrunedFile {
                    path: file.clone(),
                    seqs: summary.seqs,
                });
                report.retained_from_seq = Some(anchor_seq + 1);
            }
            Ok(None) => break,
            Err(why) => {
                report.held_back = Some(format!("{} is kept: {why}", file.display()));
                break;
            }
        }
    }
    Ok(report)
}

/// Removes `file` if it may go; `Ok(None)` if it must stay for its records.
fn judge(
    file: &Path,
    next: &Path,
    retention: &Retention,
    key: &VerifyingKey,
    now_ms: u64,
) -> Result<Option<(Summary, u64)>, String> {
    let summary = summary_of(file).map_err(|e| e.to_string())??;
    if !summary.expired(retention, now_ms) {
        return Ok(None);
    }
    let Some(anchor_seq) = leading_anchor(next, key).map_err(|e| e.to_string())? else {
        return Err(format!(
            "{} does not start with a signed anchor, so the chain could not be verified without it",
            next.display()
        ));
    };
    std::fs::remove_file(file).map_err(|e| format!("it could not be removed: {e}"))?;
    match std::fs::remove_file(sidecar_path(file)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            // The log is gone; a stale sidecar is overwritten at the next
            // rotation to that number, and ignored until then unless its
            // length matches.
            tracing::warn!(target: "rampart::audit", file = %file.display(), error = %e, "could not remove a pruned file's sidecar");
        }
        _ => {}
    }
    Ok(Some((summary, anchor_seq)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanning_refuses_what_it_cannot_read() {
        assert_eq!(scan(b""), Ok(Summary::default()));
        assert!(scan(b"{\"checkpoint\":{}}").is_err(), "cut last line");
        assert!(scan(b"garbage\n").is_err());
        assert!(scan(b"{\"seq\":1,\"event\":{\"type\":\"data.read\"}}\n").is_err());
        let ok = scan(
            b"{\"checkpoint\":{}}\n{\"seq\":4,\"event\":{\"type\":\"data.read\",\"timestamp\":\"1970-01-01T00:00:01.000Z\"}}\n",
        )
        .unwrap();
        assert_eq!(ok.seqs, Some((4, 4)));
        assert_eq!(ok.newest_ms[1], Some(1000));
    }

    #[test]
    fn a_file_that_cannot_be_read_stops_the_prune_without_an_error() {
        let dir = crate::test_dir("prune-unreadable");
        let path = dir.join("a.jsonl");
        std::fs::create_dir(dir.join("a.jsonl.1")).unwrap(); // not a file at all
        let (key, _) = crate::SigningKey::generate().unwrap();
        let report = prune(&path, &Retention::default(), &key.verifying_key(), u64::MAX).unwrap();
        assert!(report.removed.is_empty());
        assert!(report.held_back.unwrap().contains("a.jsonl.1 is kept"));
        assert!(dir.join("a.jsonl.1").exists());
    }

    #[test]
    fn a_sidecar_for_another_length_is_ignored() {
        let dir = crate::test_dir("sidecar");
        let file = dir.join("a.jsonl.1");
        std::fs::write(&file, b"").unwrap();
        let mut lying = Summary::default();
        lying.add(Category::Access, 5, 1);
        write_sidecar(&file, 0, &lying).unwrap();
        assert_eq!(summary_of(&file).unwrap(), Ok(lying));
        std::fs::write(&file, b"junk\n").unwrap();
        assert!(summary_of(&file).unwrap().is_err(), "rescanned");
        std::fs::write(sidecar_path(&file), b"{not json").unwrap();
        std::fs::write(&file, b"").unwrap();
        assert_eq!(summary_of(&file).unwrap(), Ok(Summary::default()));
    }
}
