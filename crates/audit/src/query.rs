//! Query a log and export what matched, as JSONL or CSV.

use crate::canonical::hex;
use crate::chain::{Line, parse_line};
use crate::erasure::{SubjectKeys, encrypted_under};
use crate::event::{AuditEvent, Outcome};
use crate::files::read_log_set;
use serde::Serialize;
use std::io::{self, Write};
use std::path::Path;

/// Which records to return. Every set criterion must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Query {
    /// At or after this time (ms since the epoch).
    pub from_ms: Option<u64>,
    /// Before this time (ms since the epoch).
    pub to_ms: Option<u64>,
    /// The actor's subject. Found in encrypted records too, when the subject
    /// keys are given and the subject was not erased.
    pub actor: Option<String>,
    /// The actor's tenant.
    pub tenant: Option<String>,
    /// The event type; a trailing `*` matches a prefix (`auth.*`).
    pub event_type: Option<String>,
    /// The outcome.
    pub outcome: Option<Outcome>,
}

/// A record that matched: its chain position and its event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryRecord {
    /// The sequence number.
    pub seq: u64,
    /// The record's hash, hex.
    pub hash: String,
    /// The event (personal data decrypted where the keys allow).
    pub event: AuditEvent,
}

impl Query {
    fn matches(&self, event: &AuditEvent, actor_key: Option<&str>) -> bool {
        let time = event.unix_ms();
        if let Some(from) = self.from_ms
            && time.is_none_or(|t| t < from)
        {
            return false;
        }
        if let Some(to) = self.to_ms
            && time.is_none_or(|t| t >= to)
        {
            return false;
        }
        let actor = event.actor.as_ref();
        if let Some(want) = &self.actor {
            let subject = actor.and_then(|a| a.subject.as_deref());
            let found = subject == Some(want.as_str())
                || actor_key.is_some_and(|k| subject.is_some_and(|s| encrypted_under(s, k)));
            if !found {
                return false;
            }
        }
        if let Some(tenant) = &self.tenant
            && actor.and_then(|a| a.tenant.as_deref()) != Some(tenant.as_str())
        {
            return false;
        }
        if let Some(t) = &self.event_type {
            let ok = match t.strip_suffix('*') {
                Some(prefix) => event.event_type.starts_with(prefix),
                None => &event.event_type == t,
            };
            if !ok {
                return false;
            }
        }
        self.outcome.is_none_or(|o| o == event.outcome)
    }
}

/// The records of the log at `path` (and its rotated files) matching `query`,
/// oldest first. Lines that are not readable records are skipped: run
/// [`verify`](crate::verify()) to learn about them.
pub fn query(
    path: impl AsRef<Path>,
    query: &Query,
    keys: Option<&SubjectKeys>,
) -> io::Result<Vec<QueryRecord>> {
    let actor_key = actor_key(query, keys);
    Ok(read_log_set(path.as_ref())?
        .iter()
        .filter_map(|line| select(&line.text, query, actor_key.as_deref(), keys))
        .collect())
}

/// The key id an encrypted actor is found under, when the query names an
/// actor and the subject keys hold one for it.
pub(crate) fn actor_key(query: &Query, keys: Option<&SubjectKeys>) -> Option<String> {
    match (&query.actor, keys) {
        (Some(actor), Some(keys)) => keys.key_id(actor),
        _ => None,
    }
}

/// The record in `line` if it is one and matches `query`, personal data
/// revealed where `keys` allow: the one filter behind every source, so a
/// table's query answers exactly what the file's would.
pub(crate) fn select(
    line: &str,
    query: &Query,
    actor_key: Option<&str>,
    keys: Option<&SubjectKeys>,
) -> Option<QueryRecord> {
    let Ok(Line::Record(rec)) = parse_line(line) else {
        return None;
    };
    let mut event = serde_json::from_value::<AuditEvent>(rec.event).ok()?;
    if !query.matches(&event, actor_key) {
        return None;
    }
    if let Some(keys) = keys {
        keys.present(&mut event);
    }
    Some(QueryRecord {
        seq: rec.seq,
        hash: hex(&rec.hash),
        event,
    })
}

/// Writes `records` as JSON lines.
pub fn export_jsonl(records: &[QueryRecord], mut out: impl Write) -> io::Result<()> {
    for r in records {
        serde_json::to_writer(&mut out, r)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// The CSV columns [`export_csv`] writes.
pub const CSV_COLUMNS: &[&str] = &[
    "seq",
    "timestamp",
    "id",
    "type",
    "severity",
    "outcome",
    "actor",
    "tenant",
    "client_ip",
    "action",
    "target_kind",
    "target_id",
    "reason",
    "request_id",
    "method",
    "route",
    "status",
    "latency_us",
];

/// Writes `records` as CSV (RFC 4180) with a header row. Cells that a
/// spreadsheet would run as a formula (starting `=`, `+`, `-`, `@`, tab or
/// carriage return) are prefixed with `'`, since audit data holds what
/// clients sent.
pub fn export_csv(records: &[QueryRecord], mut out: impl Write) -> io::Result<()> {
    writeln!(out, "{}", CSV_COLUMNS.join(","))?;
    for r in records {
        let e = &r.event;
        let actor = e.actor.as_ref();
        let client = e.client.as_ref();
        let target = e.target.as_ref();
        let http = e.http.as_ref();
        let json = |v: &dyn erased::Name| v.name();
        let cells: Vec<String> = vec![
            r.seq.to_string(),
            e.timestamp.clone(),
            e.id.clone(),
            e.event_type.clone(),
            json(&e.severity),
            json(&e.outcome),
            actor.and_then(|a| a.subject.clone()).unwrap_or_default(),
            actor.and_then(|a| a.tenant.clone()).unwrap_or_default(),
            client.and_then(|c| c.ip.clone()).unwrap_or_default(),
            e.action.clone().unwrap_or_default(),
            target.and_then(|t| t.kind.clone()).unwrap_or_default(),
            target.and_then(|t| t.id.clone()).unwrap_or_default(),
            e.reason.clone().unwrap_or_default(),
            e.request_id.clone().unwrap_or_default(),
            http.map(|h| h.method.clone()).unwrap_or_default(),
            http.map(|h| h.route.clone()).unwrap_or_default(),
            http.and_then(|h| h.status)
                .map(|s| s.to_string())
                .unwrap_or_default(),
            http.and_then(|h| h.latency_us)
                .map(|s| s.to_string())
                .unwrap_or_default(),
        ];
        let row: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        writeln!(out, "{}", row.join(","))?;
    }
    Ok(())
}

mod erased {
    /// The serde name of a unit enum value.
    pub trait Name {
        fn name(&self) -> String;
    }
    impl<T: serde::Serialize> Name for T {
        fn name(&self) -> String {
            super::serde_name(self)
        }
    }
}

/// The serde name of a unit enum value (`failure`, `high`), or empty.
pub(crate) fn serde_name<T: Serialize + ?Sized>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn csv_cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("-1+2"), "'-1+2");
        assert_eq!(csv_cell("line\nbreak"), "\"line\nbreak\"");
    }
}
