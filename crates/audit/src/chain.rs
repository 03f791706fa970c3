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

use crate::canonical::{sha256, unhex32, write_canonical};
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
///
/// This runs once per record on the writer thread, which is what bounds the
/// trail's throughput, so it builds the line in one buffer with no
/// intermediate copies: `{"hash":"<placeholder>","event":…}` is written
/// first, the hash is computed over `{` and everything after the placeholder
/// (exactly the canonical body, see below), then written into the placeholder.
pub(crate) fn seal(
    head: &mut ChainHead,
    event: impl Into<Box<AuditEvent>>,
) -> Result<SealedRecord, serde_json::Error> {
    let mut event = event.into();
    if event.id.is_empty()
        && let Some(ms) = event.unix_ms()
        && let Some(random) = crate::canonical::random10()
    {
        // The UUIDv7 `complete` would make, from pooled randomness rather
        // than one system call per event.
        let id = uuid::Builder::from_unix_timestamp_millis(ms, &random).into_uuid();
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        event.id = id.hyphenated().encode_lower(&mut text).to_owned();
    }
    event.complete();
    let seq = head.seq + 1;
    // The canonical body written directly: members in key order (`event`,
    // `prev`, `seq`, `v`), the event's own fields declared in key order and
    // its metadata a sorted map, so `{` + `body` equals `write_canonical` of
    // the record's value (a test holds it to that) without building the value.
    const HASH_AT: usize = b"{\"hash\":\"".len();
    const BODY_AT: usize = HASH_AT + 64 + b"\",".len();
    let mut line = Vec::with_capacity(768);
    line.extend_from_slice(b"{\"hash\":\"");
    line.extend_from_slice(&[b'0'; 64]);
    line.extend_from_slice(b"\",\"event\":");
    crate::event::write_event(&event, &mut line);
    line.extend_from_slice(b",\"prev\":\"");
    push_hex(&head.hash, &mut line);
    line.extend_from_slice(b"\",\"seq\":");
    push_decimal(seq, &mut line);
    line.extend_from_slice(b",\"v\":");
    push_decimal(RECORD_VERSION, &mut line);
    line.push(b'}');
    // The comma before the body stands in for its opening brace while the
    // body is hashed in one call (no digest context to allocate).
    line[BODY_AT - 1] = b'{';
    let hash = sha256(&line[BODY_AT - 1..]);
    line[BODY_AT - 1] = b',';
    hex_into(&hash, &mut line[HASH_AT..HASH_AT + 64]);
    let line =
        String::from_utf8(line).map_err(|e| serde_json::Error::io(std::io::Error::other(e)))?;
    *head = ChainHead { seq, hash };
    Ok(SealedRecord {
        seq,
        hash,
        event,
        line,
    })
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

fn push_hex(bytes: &[u8], out: &mut Vec<u8>) {
    for b in bytes {
        out.push(HEX_DIGITS[usize::from(b >> 4)]);
        out.push(HEX_DIGITS[usize::from(b & 0xf)]);
    }
}

/// Lower-case hex of `bytes` into `out`, which is twice as long.
fn hex_into(bytes: &[u8], out: &mut [u8]) {
    for (b, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        pair[0] = HEX_DIGITS[usize::from(b >> 4)];
        pair[1] = HEX_DIGITS[usize::from(b & 0xf)];
    }
}

/// `n` in decimal, as `serde_json` prints a `u64`.
fn push_decimal(mut n: u64, out: &mut Vec<u8>) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
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
    fn the_line_layout_is_the_one_existing_logs_have() {
        // A record sealed by the earlier writer (which built the canonical
        // body and the line separately): its bytes must come out the same.
        let mut head = ChainHead {
            seq: 41,
            hash: [7; 32],
        };
        let mut event = AuditEvent::new(types::DATA_READ)
            .subject("alice")
            .meta("n", 1);
        event.id = "0190b6f2-7c1a-7d4e-8f00-000000000001".into();
        event.timestamp = "2026-01-02T03:04:05.678Z".into();
        let record = seal(&mut head, event).unwrap();
        let body = format!(
            "{{\"event\":{{\"actor\":{{\"subject\":\"alice\"}},\"id\":\"0190b6f2-7c1a-7d4e-8f00-000000000001\",\"metadata\":{{\"n\":1}},\"outcome\":\"unknown\",\"severity\":\"info\",\"tags\":[\"soc2:cc6.1\",\"pci-dss:10.2.1.1\",\"gdpr:art-30\"],\"timestamp\":\"2026-01-02T03:04:05.678Z\",\"type\":\"data.read\",\"version\":1}},\"prev\":\"{}\",\"seq\":42,\"v\":1}}",
            "07".repeat(32)
        );
        let hash = sha256(body.as_bytes());
        assert_eq!(record.hash, hash);
        assert_eq!(
            record.line,
            format!(
                "{{\"hash\":\"{}\",{}",
                crate::canonical::hex(&hash),
                &body[1..]
            )
        );
        assert_eq!(head, ChainHead { seq: 42, hash });
        let mut out = Vec::new();
        for n in [0, 9, 10, 1234567890, u64::MAX] {
            out.clear();
            push_decimal(n, &mut out);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }

    #[test]
    fn ids_are_uuid_v7_from_the_event_time_and_unique() {
        let mut head = ChainHead::GENESIS;
        let at = crate::time::from_unix_ms(1_700_000_000_123);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let r = seal(&mut head, AuditEvent::new(types::DATA_READ).at(at)).unwrap();
            let id = uuid::Uuid::parse_str(&r.event.id).unwrap();
            assert_eq!(id.get_version_num(), 7);
            let (secs, nanos) = id.get_timestamp().unwrap().to_unix();
            assert_eq!(
                secs * 1000 + u64::from(nanos / 1_000_000),
                1_700_000_000_123
            );
            assert!(seen.insert(id), "unique");
        }
    }

    #[test]
    fn malformed_lines_are_errors() {
        for bad in ["", "[]", "{}", "{\"hash\":\"zz\"}", "{\"checkpoint\":1}"] {
            assert!(parse_line(bad).is_err(), "{bad}");
        }
    }
}
