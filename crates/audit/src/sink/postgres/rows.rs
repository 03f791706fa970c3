//! A batch as the column arrays one `INSERT … SELECT FROM unnest(…)` takes:
//! one statement and one round trip for any batch size, every value bound.

use crate::canonical::hex;
use crate::chain::{ChainHead, SealedRecord};
use crate::checkpoint::Checkpoint;
use crate::query::serde_name;
use ::postgres::types::ToSql;
use std::io;

/// Row kinds, in the order rows of one sequence number are read.
pub(crate) const RECORD: i16 = 0;
pub(crate) const CHECKPOINT: i16 = 1;
pub(crate) const ANCHOR: i16 = 2;

#[derive(Debug, Default)]
pub(super) struct Batch {
    seq: Vec<i64>,
    kind: Vec<i16>,
    hash: Vec<String>,
    prev: Vec<Option<String>>,
    time_ms: Vec<i64>,
    event_type: Vec<Option<String>>,
    severity: Vec<Option<String>>,
    outcome: Vec<Option<String>>,
    subject: Vec<Option<String>>,
    tenant: Vec<Option<String>>,
    line: Vec<String>,
    records: usize,
    last: Option<ChainHead>,
}

/// The longest text kept in a query column, in characters: an index entry
/// must stay under PostgreSQL's limit (about 2.7 kB) whatever a client sent
/// as a user name. Longer values are matched on the line instead.
const COLUMN_CHARS: usize = 200;

/// A value as its query column keeps it: cut to [`COLUMN_CHARS`], and NUL
/// (which a `TEXT` column refuses) replaced by U+FFFD, so that no event can
/// make a batch fail for ever. The line keeps the value whole.
pub(crate) fn column_text(value: &str) -> String {
    value
        .chars()
        .take(COLUMN_CHARS)
        .map(|c| if c == '\0' { '\u{fffd}' } else { c })
        .collect()
}

/// The value to compare a column with in SQL, when the column can hold it
/// unchanged; otherwise the filter is left to the line.
pub(crate) fn exact_column(value: &str) -> Option<String> {
    let kept = column_text(value);
    (kept == value).then_some(kept)
}

fn to_i64(n: u64, what: &str) -> io::Result<i64> {
    i64::try_from(n).map_err(|_| io::Error::other(format!("{what} {n} does not fit a BIGINT")))
}

/// The previous hash written in a record's line: the top-level `prev`
/// member, which follows the event object, so its last occurrence (a
/// metadata key named `prev` can only come earlier).
fn prev_of(line: &str) -> Option<&str> {
    let at = line.rfind(",\"prev\":\"")? + 9;
    let prev = line.get(at..at + 64)?;
    prev.bytes().all(|b| b.is_ascii_hexdigit()).then_some(prev)
}

impl Batch {
    pub(super) fn push_record(&mut self, r: &SealedRecord, now_ms: u64) -> io::Result<()> {
        let prev = prev_of(&r.line).ok_or_else(|| {
            io::Error::other(format!("record {} has no previous hash in its line", r.seq))
        })?;
        let e = &r.event;
        let actor = e.actor.as_ref();
        self.seq.push(to_i64(r.seq, "sequence number")?);
        self.kind.push(RECORD);
        self.hash.push(hex(&r.hash));
        self.prev.push(Some(prev.to_owned()));
        self.time_ms
            .push(to_i64(e.unix_ms().unwrap_or(now_ms), "time")?);
        self.event_type.push(Some(column_text(&e.event_type)));
        self.severity.push(Some(serde_name(&e.severity)));
        self.outcome.push(Some(serde_name(&e.outcome)));
        self.subject
            .push(actor.and_then(|a| a.subject.as_deref()).map(column_text));
        self.tenant
            .push(actor.and_then(|a| a.tenant.as_deref()).map(column_text));
        self.line.push(r.line.clone());
        self.records += 1;
        self.last = Some(ChainHead {
            seq: r.seq,
            hash: r.hash,
        });
        Ok(())
    }

    pub(super) fn push_checkpoint(&mut self, c: &Checkpoint) {
        // A checkpoint's sequence number and time come from a signed u64;
        // past i64::MAX they are clamped, which only moves the row's sort
        // position, and verification still reads the line.
        self.seq.push(i64::try_from(c.seq).unwrap_or(i64::MAX));
        self.kind.push(if c.anchor { ANCHOR } else { CHECKPOINT });
        self.hash.push(c.hash.clone());
        self.prev.push(None);
        self.time_ms
            .push(i64::try_from(c.time_ms).unwrap_or(i64::MAX));
        for column in [
            &mut self.event_type,
            &mut self.severity,
            &mut self.outcome,
            &mut self.subject,
            &mut self.tenant,
        ] {
            column.push(None);
        }
        self.line.push(c.to_line());
        if self.last.is_none()
            && let Some(head) = c.head()
        {
            self.last = Some(head);
        }
    }

    /// The parameters of the insert statement, in its order.
    /// The insert's parameters, the rows' columns and then the `segment`
    /// they all go to.
    pub(super) fn params<'a>(&'a self, segment: &'a i32) -> [&'a (dyn ToSql + Sync); 12] {
        [
            &self.seq,
            &self.kind,
            &self.hash,
            &self.prev,
            &self.time_ms,
            &self.event_type,
            &self.severity,
            &self.outcome,
            &self.subject,
            &self.tenant,
            &self.line,
            segment,
        ]
    }

    /// How many rows the batch holds.
    pub(super) fn len(&self) -> usize {
        self.seq.len()
    }

    /// The rows as `COPY … (FORMAT csv)` reads them, in the insert's column
    /// order: every text quoted (a quote doubled), a null left empty.
    pub(super) fn csv(&self) -> Vec<u8> {
        fn text(out: &mut Vec<u8>, value: Option<&str>) {
            if let Some(value) = value {
                out.push(b'"');
                for b in value.bytes() {
                    if b == b'"' {
                        out.push(b'"');
                    }
                    out.push(b);
                }
                out.push(b'"');
            }
        }
        let mut out = Vec::with_capacity(self.line.iter().map(|l| l.len() + 200).sum());
        for i in 0..self.len() {
            out.extend_from_slice(format!("{},{},", self.seq[i], self.kind[i]).as_bytes());
            text(&mut out, Some(&self.hash[i]));
            out.push(b',');
            text(&mut out, self.prev[i].as_deref());
            out.extend_from_slice(format!(",{},", self.time_ms[i]).as_bytes());
            for column in [
                &self.event_type,
                &self.severity,
                &self.outcome,
                &self.subject,
                &self.tenant,
            ] {
                text(&mut out, column[i].as_deref());
                out.push(b',');
            }
            text(&mut out, Some(&self.line[i]));
            out.push(b'\n');
        }
        out
    }

    /// How many records (not checkpoints) the batch holds.
    pub(super) fn records(&self) -> usize {
        self.records
    }

    /// The records' sequence numbers.
    pub(super) fn record_seqs(&self) -> Vec<i64> {
        self.seq
            .iter()
            .zip(&self.kind)
            .filter(|(_, k)| **k == RECORD)
            .map(|(s, _)| *s)
            .collect()
    }

    /// The hash of the batch's record `seq`.
    pub(super) fn hash_of(&self, seq: i64) -> Option<&str> {
        self.seq
            .iter()
            .zip(&self.kind)
            .position(|(s, k)| *s == seq && *k == RECORD)
            .map(|i| self.hash[i].as_str())
    }

    /// The chain head after the batch: its last record, or the anchor it starts from.
    pub(super) fn last_head(&self) -> Option<ChainHead> {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_rows_quote_every_text_and_leave_nulls_empty() {
        let mut batch = Batch::default();
        let checkpoint = Checkpoint {
            seq: 7,
            hash: "ab\"c".into(),
            time_ms: 9,
            key_id: "k".into(),
            anchor: true,
            sig: "s".into(),
        };
        batch.push_checkpoint(&checkpoint);
        let csv = String::from_utf8(batch.csv()).unwrap();
        let line = checkpoint.to_line().replace('"', "\"\"");
        assert_eq!(csv, format!("7,2,\"ab\"\"c\",,9,,,,,,\"{line}\"\n"));
        assert_eq!(batch.len(), 1);
    }

    #[test]
    fn the_previous_hash_is_the_top_level_one() {
        let zeros = "0".repeat(64);
        let ones = "1".repeat(64);
        let line = format!(
            "{{\"hash\":\"{ones}\",\"event\":{{\"metadata\":{{\"x\":1,\"prev\":\"{ones}\"}}}},\"prev\":\"{zeros}\",\"seq\":1,\"v\":1}}"
        );
        assert_eq!(prev_of(&line), Some(zeros.as_str()));
        assert_eq!(prev_of("{\"prev\":\"abc\"}"), None);
        assert_eq!(prev_of(&format!(",\"prev\":\"{}\"", "g".repeat(64))), None);
    }

    #[test]
    fn columns_keep_a_bounded_nul_free_copy() {
        assert_eq!(column_text("a\0b"), "a\u{fffd}b");
        let long = "é".repeat(5000);
        assert_eq!(column_text(&long).chars().count(), COLUMN_CHARS);
        assert_eq!(exact_column("bob").as_deref(), Some("bob"));
        assert_eq!(exact_column(&long), None);
        assert_eq!(exact_column("a\0"), None);
    }
}
