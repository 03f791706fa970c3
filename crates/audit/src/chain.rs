//! The hash chain: each record carries its sequence number, the previous
//! record's hash and its own.
//!
//! A record is one JSON line:
//!
//! ```text
//! {"hash":"<hex sha-256>","event":{…},"prev":"<hex>","seq":42,"v":1}
//! ```
//!
//! `hash` is SHA-256 over the [canonical encoding](crate#canonical-encoding) of
//! the line without its `hash` member. The first record has `seq` 1 and a
//! `prev` of 64 zeros. Checkpoints (see [`Checkpoint`](crate::Checkpoint)) are
//! lines of their own, outside the chain.

use crate::canonical::{hex, sha256, unhex32, write_canonical};
use crate::checkpoint::Checkpoint;
use crate::event::AuditEvent;
use serde_json::Value;

/// The record format version written in each record's `v`.
pub const RECORD_VERSION: u64 = 1;

/// Where a chain stands: the last record's sequence number and hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainHead {
    /// The last sequence number written (0 before the first record).
    pub seq: u64,
    /// The last record's hash (zeros before the first record).
    pub hash: [u8; 32],
}

impl ChainHead {
    /// The head of an empty chain.
    pub const GENESIS: ChainHead = ChainHead {
        seq: 0,
        hash: [0; 32],
    };
}

/// A record sealed into the chain, ready for a sink.
#[derive(Debug, Clone, PartialEq)]
pub struct SealedRecord {
    /// Its sequence number.
    pub seq: u64,
    /// Its hash.
    pub hash: [u8; 32],
    /// The event as written (after redaction and pseudonymisation).
    pub event: Box<AuditEvent>,
    /// The JSON line, without the trailing newline.
    pub line: String,
}

/// Seals `event` after `head`, returning the record and moving `head` on.
pub(crate) fn seal(
    head: &mut ChainHead,
    event: impl Into<Box<AuditEvent>>,
) -> Result<SealedRecord, serde_json::Error> {
    let mut event = event.into();
    event.complete();
    let seq = head.seq + 1;
    // The canonical body written directly: members in key order (`event`,
    // `prev`, `seq`, `v`), the event's own fields declared in key order and
    // its metadata a sorted map, so this equals `write_canonical` of the
    // record's value (a test holds it to that) without building the value.
    let mut canonical = Vec::with_capacity(640);
    canonical.extend_from_slice(b"{\"event\":");
    serde_json::to_writer(&mut canonical, &*event)?;
    canonical.extend_from_slice(b",\"prev\":\"");
    canonical.extend_from_slice(hex(&head.hash).as_bytes());
    canonical.extend_from_slice(format!("\",\"seq\":{seq},\"v\":{RECORD_VERSION}}}").as_bytes());
    let hash = sha256(&canonical);
    // The line is the canonical body with the hash spliced in first: `{"hash":"…",` + rest.
    let mut line = String::with_capacity(canonical.len() + 76);
    line.push_str("{\"hash\":\"");
    line.push_str(&hex(&hash));
    line.push_str("\",");
    line.push_str(std::str::from_utf8(&canonical[1..]).unwrap_or_default());
    *head = ChainHead { seq, hash };
    Ok(SealedRecord {
        seq,
        hash,
        event,
        line,
    })
}

/// One parsed line of a log.
#[derive(Debug, Clone)]
pub(crate) enum Line {
    Record(ParsedRecord),
    Checkpoint(Checkpoint),
}

/// A record as read back, with its hash recomputed.
#[derive(Debug, Clone)]
pub(crate) struct ParsedRecord {
    pub seq: u64,
    pub prev: [u8; 32],
    pub hash: [u8; 32],
    pub computed: [u8; 32],
    pub event: Value,
}

/// Why a line could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LineError {
    /// Not JSON, or not shaped like a record or checkpoint.
    Malformed(String),
}

/// Parses one line (without its newline).
pub(crate) fn parse_line(line: &str) -> Result<Line, LineError> {
    let value: Value =
        serde_json::from_str(line).map_err(|e| LineError::Malformed(e.to_string()))?;
    let Value::Object(mut map) = value else {
        return Err(LineError::Malformed("not a JSON object".into()));
    };
    if let Some(cp) = map.remove("checkpoint") {
        if !map.is_empty() {
            return Err(LineError::Malformed(
                "checkpoint line has other members".into(),
            ));
        }
        return serde_json::from_value(cp)
            .map(Line::Checkpoint)
            .map_err(|e| LineError::Malformed(format!("checkpoint: {e}")));
    }
    let hash = match map.remove("hash") {
        Some(Value::String(h)) => unhex32(&h),
        _ => None,
    }
    .ok_or_else(|| LineError::Malformed("missing or malformed hash".into()))?;
    let mut canonical = Vec::with_capacity(line.len());
    let body = Value::Object(map);
    write_canonical(&body, &mut canonical);
    let computed = sha256(&canonical);
    let Value::Object(mut map) = body else {
        return Err(LineError::Malformed("not a JSON object".into()));
    };
    let seq = map
        .get("seq")
        .and_then(Value::as_u64)
        .ok_or_else(|| LineError::Malformed("missing or malformed seq".into()))?;
    let prev = map
        .get("prev")
        .and_then(Value::as_str)
        .and_then(unhex32)
        .ok_or_else(|| LineError::Malformed("missing or malformed prev".into()))?;
    let event = map.remove("event").unwrap_or(Value::Null);
    Ok(Line::Record(ParsedRecord {
        seq,
        prev,
        hash,
        computed,
        event,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types;

    #[test]
    fn sealing_links_records_and_parsing_recomputes_the_hash() {
        let mut head = ChainHead::GENESIS;
        let a = seal(&mut head, AuditEvent::new(types::DATA_READ)).unwrap();
        let b = seal(&mut head, AuditEvent::new(types::DATA_WRITE)).unwrap();
        assert_eq!((a.seq, b.seq), (1, 2));
        assert_eq!(head.hash, b.hash);
        let Line::Record(pa) = parse_line(&a.line).unwrap() else {
            panic!()
        };
        let Line::Record(pb) = parse_line(&b.line).unwrap() else {
            panic!()
        };
        assert_eq!(pa.prev, [0; 32]);
        assert_eq!(pa.computed, pa.hash);
        assert_eq!(pb.prev, a.hash);
        assert_eq!(pb.computed, b.hash);
        assert_eq!(pb.event["type"], "data.write");
    }

    #[test]
    fn an_edited_line_no_longer_matches_its_hash() {
        let mut head = ChainHead::GENESIS;
        let a = seal(
            &mut head,
            AuditEvent::new(types::DATA_READ).subject("alice"),
        )
        .unwrap();
        let edited = a.line.replace("alice", "mallory");
        let Line::Record(p) = parse_line(&edited).unwrap() else {
            panic!()
        };
        assert_ne!(p.computed, p.hash);
    }

    proptest::proptest! {
        #[test]
        fn the_direct_encoding_is_the_canonical_one(
            subject in proptest::option::of("\\PC{0,12}"),
            keys in proptest::collection::vec("\\PC{0,8}", 0..6),
            number in proptest::num::f64::NORMAL,
            n in proptest::num::i64::ANY,
        ) {
            let mut event = AuditEvent::new(types::AUTHZ_DENIED)
                .user_agent("agent \"x\"\n")
                .target("k", "i")
                .tag("custom")
                .http(crate::HttpFacts { method: "GET".into(), route: "/r".into(), status: Some(403), latency_us: Some(7) });
            if let Some(s) = subject {
                event = event.subject(s).tenant("t");
            }
            for (i, k) in keys.iter().enumerate() {
                event = event.meta(k.clone(), serde_json::json!({"z": i, "a": [number, n, k], "m": {"y": null, "b": true}}));
            }
            let mut head = ChainHead::GENESIS;
            let record = seal(&mut head, event).unwrap();
            let Line::Record(parsed) = parse_line(&record.line).unwrap() else { panic!() };
            proptest::prop_assert_eq!(parsed.computed, record.hash);
        }
    }

    #[test]
    fn malformed_lines_are_errors() {
        for bad in ["", "[]", "{}", "{\"hash\":\"zz\"}", "{\"checkpoint\":1}"] {
            assert!(parse_line(bad).is_err(), "{bad}");
        }
    }
}
