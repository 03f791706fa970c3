//! The table: its name, its schema and the statements that read and write it.

use std::fmt;

/// The table used when none is named.
pub const DEFAULT_TABLE: &str = "rampart_audit";

/// A validated table name: `name` or `schema.name`, each part lower-case
/// ASCII letters, digits and `_`, not starting with a digit, at most 48
/// bytes (index names add a suffix and PostgreSQL cuts identifiers at 63).
///
/// The name is spliced into SQL (identifiers cannot be bound as
/// parameters), which is why it is validated this strictly and then quoted.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Table {
    schema: Option<String>,
    name: String,
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

fn identifier(part: &str, whole: &str) -> Result<String, String> {
    let ok = !part.is_empty()
        && part.len() <= 48
        && part
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !part.as_bytes()[0].is_ascii_digit();
    if ok {
        Ok(part.to_owned())
    } else {
        Err(format!(
            "table name {whole:?} is not a plain identifier: use `name` or `schema.name`, \
             each of lower-case letters, digits and _ (not starting with a digit, at most 48 bytes)"
        ))
    }
}

impl Table {
    /// Validates `text` as a table name.
    pub(crate) fn parse(text: &str) -> Result<Table, String> {
        match text.split_once('.') {
            Some((schema, name)) => Ok(Table {
                schema: Some(identifier(schema, text)?),
                name: identifier(name, text)?,
            }),
            None => Ok(Table {
                schema: None,
                name: identifier(text, text)?,
            }),
        }
    }

    /// The name as given, for messages.
    pub(crate) fn display(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}", self.name),
            None => self.name.clone(),
        }
    }

    /// The quoted, qualified name for SQL.
    fn sql(&self) -> String {
        match &self.schema {
            Some(s) => format!("\"{s}\".\"{}\"", self.name),
            None => format!("\"{}\"", self.name),
        }
    }

    /// The statements creating the table and its indexes when absent, under
    /// a transaction-scoped advisory lock so that two writers starting at
    /// once do not race on the catalogue.
    ///
    /// Rows hold records (`kind` 0), checkpoints (1) and anchors (2). `line`
    /// is the exact JSON line the hash covers (TEXT: JSONB would reorder and
    /// re-space it); `doc` is a JSONB copy for ad-hoc queries, generated so
    /// it cannot drift from the line (null for a line escaping NUL, which
    /// JSONB refuses). The other columns are copies the queries filter on,
    /// and verification checks them against the line.
    /// A record's sequence number is unique, and every row is identified by
    /// its sequence number, kind and the SHA-256 of its line, so that a batch
    /// written again inserts nothing twice.
    pub(crate) fn create(&self) -> String {
        let t = self.sql();
        let n = &self.name;
        let lock = self.lock_args("schema");
        format!(
            "BEGIN;
SELECT pg_advisory_xact_lock({lock});
CREATE TABLE IF NOT EXISTS {t} (
    seq        BIGINT   NOT NULL CHECK (seq >= 0),
    kind       SMALLINT NOT NULL CHECK (kind IN (0, 1, 2)),
    line_sha   BYTEA    NOT NULL,
    hash       TEXT     NOT NULL,
    prev       TEXT,
    time_ms    BIGINT   NOT NULL,
    time       TIMESTAMPTZ GENERATED ALWAYS AS (to_timestamp(time_ms / 1000.0)) STORED,
    event_type TEXT,
    severity   TEXT,
    outcome    TEXT,
    subject    TEXT,
    tenant     TEXT,
    line       TEXT     NOT NULL,
    doc        JSONB    GENERATED ALWAYS AS (
                   CASE WHEN strpos(line, '\\u0000') > 0 THEN NULL ELSE line::jsonb END
               ) STORED,
    PRIMARY KEY (seq, kind, line_sha)
);
CREATE UNIQUE INDEX IF NOT EXISTS \"{n}_record_seq\" ON {t} (seq) WHERE kind = 0;
CREATE INDEX IF NOT EXISTS \"{n}_time\" ON {t} (time_ms) WHERE kind = 0;
CREATE INDEX IF NOT EXISTS \"{n}_subject\" ON {t} (subject, time_ms) WHERE kind = 0;
CREATE INDEX IF NOT EXISTS \"{n}_tenant\" ON {t} (tenant, time_ms) WHERE kind = 0;
CREATE INDEX IF NOT EXISTS \"{n}_type\" ON {t} (event_type, time_ms) WHERE kind = 0;
COMMIT;"
        )
    }

    /// The two keys of an advisory lock on this table for `purpose`.
    fn lock_args(&self, purpose: &str) -> String {
        // Both strings are validated identifiers or constants: no quote can occur.
        format!(
            "hashtext('rampart-audit {purpose}'), hashtext('{}')",
            self.display()
        )
    }

    /// Takes the writer's session lock: one writer per table, as one per file.
    pub(crate) fn try_lock_writer(&self) -> String {
        format!("SELECT pg_try_advisory_lock({})", self.lock_args("writer"))
    }

    /// Inserts a batch (arrays, one per column) and returns what was new.
    pub(crate) fn insert(&self) -> String {
        format!(
            "INSERT INTO {} (seq, kind, line_sha, hash, prev, time_ms, event_type, severity, outcome, subject, tenant, line)
SELECT seq, kind, sha256(convert_to(line, 'UTF8')), hash, prev, time_ms, event_type, severity, outcome, subject, tenant, line
FROM unnest($1::int8[], $2::int2[], $3::text[], $4::text[], $5::int8[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
    AS b(seq, kind, hash, prev, time_ms, event_type, severity, outcome, subject, tenant, line)
ON CONFLICT DO NOTHING
RETURNING seq, kind",
            self.sql()
        )
    }

    /// The hashes already stored for record sequence numbers `$1`.
    pub(crate) fn stored_hashes(&self) -> String {
        format!(
            "SELECT seq, hash FROM {} WHERE kind = 0 AND seq = ANY($1::int8[])",
            self.sql()
        )
    }

    /// The last record's line.
    pub(crate) fn last_record(&self) -> String {
        format!(
            "SELECT line FROM {} WHERE kind = 0 ORDER BY seq DESC LIMIT 1",
            self.sql()
        )
    }

    /// The last checkpoint or anchor's line.
    pub(crate) fn last_checkpoint(&self) -> String {
        format!(
            "SELECT line FROM {} WHERE kind <> 0 ORDER BY seq DESC, kind, time_ms DESC LIMIT 1",
            self.sql()
        )
    }

    /// Every row in chain order: by sequence number, a record before the
    /// checkpoints that cover it (and the anchor a continuation starts from).
    pub(crate) fn all_rows(&self) -> String {
        format!(
            "SELECT seq, kind, hash, prev, time_ms, event_type, severity, outcome, subject, tenant, line
FROM {} ORDER BY seq, kind, time_ms, line_sha",
            self.sql()
        )
    }

    /// The records matching the bound filters, in chain order. `$1`–`$7`:
    /// from (ms), to (ms), subject, tenant, type (exact), type prefix,
    /// outcome; a null parameter does not filter.
    pub(crate) fn select_records(&self) -> String {
        format!(
            "SELECT line FROM {} WHERE kind = 0
  AND ($1::int8 IS NULL OR time_ms >= $1)
  AND ($2::int8 IS NULL OR time_ms < $2)
  AND ($3::text IS NULL OR subject = $3)
  AND ($4::text IS NULL OR tenant = $4)
  AND ($5::text IS NULL OR event_type = $5)
  AND ($6::text IS NULL OR left(event_type, length($6)) = $6)
  AND ($7::text IS NULL OR outcome = $7)
ORDER BY seq",
            self.sql()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_identifiers_pass_and_anything_else_is_refused() {
        for good in ["rampart_audit", "audit.events", "_t1", "a"] {
            assert!(Table::parse(good).is_ok(), "{good}");
        }
        assert_eq!(
            Table::parse("audit.events").unwrap().sql(),
            "\"audit\".\"events\""
        );
        for bad in [
            "",
            "Audit",
            "1abc",
            "a-b",
            "a.b.c",
            ".a",
            "a.",
            "a;drop table x",
            "a\"b",
            "a'b",
            "tábla",
            &"x".repeat(49),
        ] {
            let err = Table::parse(bad).unwrap_err();
            assert!(err.contains("plain identifier"), "{bad}: {err}");
        }
    }
}
