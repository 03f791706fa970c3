//! Verification and queries over the table, through the same checker and
//! filter as the file.

use super::PostgresTable;
use super::rows::{ANCHOR, CHECKPOINT, RECORD, column_text, exact_column};
use crate::canonical::hex;
use crate::chain::ParsedRecord;
use crate::checkpoint::VerifyingKey;
use crate::erasure::SubjectKeys;
use crate::query::{Query, QueryRecord, actor_key, select, serde_name};
use crate::verify::{SourceLine, VerifyOptions, VerifyReport, check};
use ::postgres::Row;
use ::postgres::types::ToSql;
use serde_json::Value;
use std::io;

/// A row as the checker reads it: the line, and the columns kept beside it.
struct RowLine {
    location: String,
    seq: i64,
    kind: i16,
    hash: String,
    prev: Option<String>,
    time_ms: i64,
    event_type: Option<String>,
    severity: Option<String>,
    outcome: Option<String>,
    subject: Option<String>,
    tenant: Option<String>,
    line: String,
}

impl RowLine {
    fn from_row(table: &str, row: &Row) -> Result<RowLine, postgres::Error> {
        let seq: i64 = row.try_get(0)?;
        let kind: i16 = row.try_get(1)?;
        let what = match kind {
            RECORD => "record",
            CHECKPOINT => "checkpoint",
            ANCHOR => "anchor",
            _ => "row of unknown kind",
        };
        Ok(RowLine {
            location: format!("{table}: {what} at seq {seq}"),
            seq,
            kind,
            hash: row.try_get(2)?,
            prev: row.try_get(3)?,
            time_ms: row.try_get(4)?,
            event_type: row.try_get(5)?,
            severity: row.try_get(6)?,
            outcome: row.try_get(7)?,
            subject: row.try_get(8)?,
            tenant: row.try_get(9)?,
            line: row.try_get(10)?,
        })
    }
}

/// The string at `path` in the event, as its column keeps it.
fn text(event: &Value, path: &[&str]) -> Option<String> {
    path.iter()
        .try_fold(event, |v, key| v.get(key))
        .and_then(Value::as_str)
        .map(column_text)
}

impl SourceLine for RowLine {
    fn text(&self) -> &str {
        &self.line
    }

    fn location(&self) -> String {
        self.location.clone()
    }

    fn agrees(&self, r: &ParsedRecord) -> Result<(), String> {
        let e = &r.event;
        let time = e
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(crate::time::parse_rfc3339_ms);
        let severity = e.get("severity").map(serde_name);
        let outcome = e.get("outcome").map(serde_name);
        let mismatches = [
            ("kind", self.kind != RECORD),
            ("seq", u64::try_from(self.seq).ok() != Some(r.seq)),
            ("hash", self.hash != hex(&r.hash)),
            ("prev", self.prev.as_deref() != Some(hex(&r.prev).as_str())),
            (
                "time_ms",
                time.is_some_and(|t| u64::try_from(self.time_ms).ok() != Some(t)),
            ),
            ("event_type", self.event_type != text(e, &["type"])),
            ("severity", self.severity != severity),
            ("outcome", self.outcome != outcome),
            ("subject", self.subject != text(e, &["actor", "subject"])),
            ("tenant", self.tenant != text(e, &["actor", "tenant"])),
        ];
        let wrong: Vec<&str> = mismatches
            .iter()
            .filter(|(_, bad)| *bad)
            .map(|(name, _)| *name)
            .collect();
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "the row's {} column{} disagree{} with its line",
                wrong.join(", "),
                if wrong.len() > 1 { "s" } else { "" },
                if wrong.len() > 1 { "" } else { "s" },
            ))
        }
    }
}

impl PostgresTable {
    /// Verifies the table with the public key only: the same checker and
    /// the same report as [`verify`](crate::verify()) on a file set, over
    /// the rows in sequence order (streamed, not loaded whole). It also
    /// checks each record's columns against its line, so an edited column is
    /// reported as [`Modified`](crate::TamperKind::Modified).
    ///
    /// A batch is one transaction, so a table never holds half a batch: the
    /// `live` option changes nothing here. Blocking I/O: call it from
    /// `spawn_blocking` in an async handler.
    pub fn verify(&self, key: &VerifyingKey, options: VerifyOptions) -> io::Result<VerifyReport> {
        let name = self.name();
        self.with_client(|client| {
            let sql = self.table.all_rows();
            let rows = client
                .query_raw(&sql, std::iter::empty::<&(dyn ToSql + Sync)>())
                .map_err(|e| self.error("could not read", &e))?;
            let lines = ::postgres::fallible_iterator::FallibleIterator::iterator(rows)
                .map(|row| row.and_then(|row| RowLine::from_row(&name, &row)));
            check(lines, key, options).map_err(|e| self.error("could not read", &e))
        })
    }

    /// The records matching `query`, oldest first: the same filter and the
    /// same answer as [`query`](crate::query()) on a file set. The
    /// database narrows the rows by their columns (time, tenant, type,
    /// outcome, and the subject unless it is looked for among encrypted
    /// ones); each line is then matched again, so the answer comes from the
    /// lines, not the columns.
    pub fn query(&self, query: &Query, keys: Option<&SubjectKeys>) -> io::Result<Vec<QueryRecord>> {
        let actor_key = actor_key(query, keys);
        let to_i64 = |ms: Option<u64>| ms.map(|ms| i64::try_from(ms).unwrap_or(i64::MAX));
        let from = to_i64(query.from_ms);
        let to = to_i64(query.to_ms);
        // An encrypted subject is matched by its key id, and a value the
        // column cannot hold whole by the line: neither narrows in SQL.
        let subject = query
            .actor
            .as_deref()
            .filter(|_| actor_key.is_none())
            .and_then(exact_column);
        let tenant = query.tenant.as_deref().and_then(exact_column);
        let (exact, prefix) = match query.event_type.as_deref() {
            Some(t) => match t.strip_suffix('*') {
                Some(p) => (None, exact_column(p)),
                None => (exact_column(t), None),
            },
            None => (None, None),
        };
        let outcome = query.outcome.map(|o| serde_name(&o));
        let lines: Vec<String> = self.with_client(|client| {
            let rows = client
                .query(
                    &self.table.select_records(),
                    &[&from, &to, &subject, &tenant, &exact, &prefix, &outcome],
                )
                .map_err(|e| self.error("could not query", &e))?;
            rows.iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()
                .map_err(|e| self.error("could not query", &e))
        })?;
        Ok(lines
            .iter()
            .filter_map(|line| select(line, query, actor_key.as_deref(), keys))
            .collect())
    }
}
