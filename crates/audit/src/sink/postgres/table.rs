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
    /// Every row is identified by its sequence number, kind and the SHA-256
    /// of its line, so that a batch written again inserts nothing twice.
    ///
    /// The table is partitioned by `segment`, the month (`YYYYMM`) the
    /// writer wrote the row in, never going back, so that retention drops
    /// whole partitions and every partition after the first starts with a
    /// signed anchor. Partitioning by the events' own time would not do: an
    /// event may reach the writer after one of a later month, and dropping
    /// its partition would cut the chain in the middle. PostgreSQL cannot
    /// keep a unique index across partitions without the partition key, so
    /// the writer checks that a sequence number is stored once itself.
    ///
    /// A table made before partitioning (a plain table, with a unique
    /// sequence number index) gets the `segment` column and is otherwise
    /// used as it is.
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
    segment    INTEGER  NOT NULL DEFAULT 0 CHECK (segment >= 0),
    PRIMARY KEY (seq, kind, line_sha, segment)
) PARTITION BY LIST (segment);
ALTER TABLE {t} ADD COLUMN IF NOT EXISTS segment INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS \"{n}_record_seq\" ON {t} (seq) WHERE kind = 0;
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

    /// Whether the table is partitioned (made by this version) rather than
    /// a plain table made before partitioning.
    pub(crate) fn is_partitioned(&self) -> String {
        format!(
            "SELECT coalesce((SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass('{}')), false)",
            self.sql()
        )
    }

    /// The partition holding `segment`, quoted and qualified for SQL.
    fn partition_sql(&self, segment: i32) -> String {
        let name = format!("{}_s{segment}", self.name);
        match &self.schema {
            Some(s) => format!("\"{s}\".\"{name}\""),
            None => format!("\"{name}\""),
        }
    }

    /// The partition's name as given, for reports.
    pub(crate) fn partition_display(&self, segment: i32) -> String {
        format!("{}_s{segment}", self.display())
    }

    /// Creates the partition for `segment` when absent.
    pub(crate) fn create_segment(&self, segment: i32) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {} PARTITION OF {} FOR VALUES IN ({segment})",
            self.partition_sql(segment),
            self.sql()
        )
    }

    /// Drops the partition for `segment`.
    pub(crate) fn drop_segment(&self, segment: i32) -> String {
        format!("DROP TABLE IF EXISTS {}", self.partition_sql(segment))
    }

    /// The names of the table's partitions.
    pub(crate) fn partitions(&self) -> String {
        format!(
            "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = to_regclass('{}')",
            self.sql()
        )
    }

    /// The segment a partition name holds, if it is one of this table's.
    pub(crate) fn segment_of(&self, partition: &str) -> Option<i32> {
        let digits = partition.strip_prefix(&self.name)?.strip_prefix("_s")?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    }

    /// Per event type in segment `$1`: the newest record time and the
    /// first and last record sequence numbers.
    pub(crate) fn segment_summary(&self) -> String {
        format!(
            "SELECT event_type, max(time_ms), min(seq), max(seq) FROM {}
WHERE segment = $1 AND kind = 0 GROUP BY event_type",
            self.sql()
        )
    }

    /// The kind of the first row of segment `$1` in chain order.
    pub(crate) fn segment_first_kind(&self) -> String {
        format!(
            "SELECT kind FROM {} WHERE segment = $1 ORDER BY seq, kind, time_ms, line_sha LIMIT 1",
            self.sql()
        )
    }

    /// Takes the writer's session lock: one writer per table, as one per file.
    pub(crate) fn try_lock_writer(&self) -> String {
        format!("SELECT pg_try_advisory_lock({})", self.lock_args("writer"))
    }

    /// Inserts a batch (arrays, one per column) and returns what was new.
    pub(crate) fn insert(&self) -> String {
        format!(
            "INSERT INTO {} (seq, kind, line_sha, hash, prev, time_ms, event_type, severity, outcome, subject, tenant, line, segment)
SELECT seq, kind, sha256(convert_to(line, 'UTF8')), hash, prev, time_ms, event_type, severity, outcome, subject, tenant, line, $12::int4
FROM unnest($1::int8[], $2::int2[], $3::text[], $4::text[], $5::int8[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
    AS b(seq, kind, hash, prev, time_ms, event_type, severity, outcome, subject, tenant, line)
ON CONFLICT DO NOTHING
RETURNING seq, kind",
            self.sql()
        )
    }

    /// The session's staging table for batches loaded with `COPY`, emptied
    /// at the end of every transaction.
    pub(crate) fn create_incoming() -> &'static str {
        "CREATE TEMP TABLE IF NOT EXISTS rampart_audit_incoming (
    seq int8, kind int2, hash text, prev text, time_ms int8, event_type text,
    severity text, outcome text, subject text, tenant text, line text
) ON COMMIT DELETE ROWS"
    }

    /// Loads a batch into the staging table.
    pub(crate) fn copy_incoming() -> &'static str {
        "COPY pg_temp.rampart_audit_incoming FROM STDIN (FORMAT csv)"
    }

    /// Moves the staged batch into the table (segment `$1`), as
    /// [`insert`](Self::insert) does, and returns what was new.
    pub(crate) fn insert_incoming(&self) -> String {
        format!(
            "INSERT INTO {} (seq, kind, line_sha, hash, prev, time_ms, event_type, severity, outcome, subject, tenant, line, segment)
SELECT seq, kind, sha256(convert_to(line, 'UTF8')), hash, prev, time_ms, event_type, severity, outcome, subject, tenant, line, $1::int4
FROM pg_temp.rampart_audit_incoming
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

    #[test]
    fn partitions_are_named_after_the_table_and_read_back_strictly() {
        let t = Table::parse("audit.events").unwrap();
        assert_eq!(t.partition_sql(202_612), "\"audit\".\"events_s202612\"");
        assert_eq!(t.partition_display(202_612), "audit.events_s202612");
        assert_eq!(t.segment_of("events_s202612"), Some(202_612));
        for other in [
            "events",
            "events_s",
            "events_sx1",
            "events_s2026-1",
            "other_s202612",
            "events_archive_s202612",
        ] {
            assert_eq!(t.segment_of(other), None, "{other}");
        }
    }
}
