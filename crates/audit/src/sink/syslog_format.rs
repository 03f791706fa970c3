//! RFC 5424 messages for the trail, framed by octet counting (RFC 6587 §3.4.1).
//!
//! One message per record:
//!
//! ```text
//! <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID seq="42" hash="…" type="authz.denied"] BOM{json line}
//! ```
//!
//! PRI is the facility × 8 plus the severity mapped from the event's; MSGID
//! is the event type (`checkpoint` for a checkpoint); MSG is the record's
//! JSON line unchanged, so a collector can verify the chain from what it
//! received, and the structured data repeats `seq` and `hash` so it can
//! index and de-duplicate without parsing the JSON.

use crate::event::Severity;
use crate::sink::Entry;
use std::io::Write;

/// The RFC 5424 severity of an audit severity.
pub(crate) fn syslog_severity(severity: Severity) -> u8 {
    match severity {
        Severity::Critical => 2, // crit
        Severity::High => 3,     // err
        Severity::Medium => 4,   // warning
        Severity::Low => 5,      // notice
        Severity::Info => 6,     // info
    }
}

/// The header fields that stay the same for every message.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    pub facility: u8,
    pub hostname: String,
    pub app_name: String,
    pub procid: String,
    pub sd_id: String,
}

/// Whether `s` is 1..=max printable US-ASCII characters without space, as
/// RFC 5424 header fields must be, and none of `forbidden`.
pub(crate) fn is_header_field(s: &str, max: usize, forbidden: &[u8]) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| (33..=126).contains(&b) && !forbidden.contains(&b))
}

/// Appends one framed message for `entry` to `out`.
pub(crate) fn frame(header: &Header, entry: &Entry, out: &mut Vec<u8>, scratch: &mut Vec<u8>) {
    scratch.clear();
    let (severity, timestamp, msgid, seq, hash, kind, line): (_, _, _, _, &str, _, _);
    let owned_line;
    let owned_time;
    match entry {
        Entry::Record(r) => {
            severity = syslog_severity(r.event.severity);
            // The writer fills the timestamp; one set by hand that does not
            // parse is left out rather than allowed to break the header.
            timestamp = if crate::time::parse_rfc3339_ms(&r.event.timestamp).is_some() {
                r.event.timestamp.as_str()
            } else {
                "-"
            };
            msgid = r.event.event_type.as_str();
            seq = r.seq;
            owned_time = crate::canonical::hex(&r.hash);
            hash = &owned_time;
            kind = Some(r.event.event_type.as_str());
            line = r.line.as_str();
        }
        Entry::Checkpoint(c) => {
            severity = 6;
            owned_time = crate::time::format_rfc3339_ms(c.time_ms);
            timestamp = &owned_time;
            msgid = "checkpoint";
            seq = c.seq;
            hash = &c.hash;
            kind = None;
            owned_line = c.to_line();
            line = &owned_line;
        }
    }
    let pri = u16::from(header.facility) * 8 + u16::from(severity);
    let _ = write!(
        scratch,
        "<{pri}>1 {timestamp} {} {} {} ",
        header.hostname, header.app_name, header.procid
    );
    push_msgid(msgid, scratch);
    let _ = write!(scratch, " [{} seq=\"{seq}\" hash=\"", header.sd_id);
    push_param(hash, scratch);
    scratch.push(b'"');
    if let Some(kind) = kind {
        scratch.extend_from_slice(b" type=\"");
        push_param(kind, scratch);
        scratch.push(b'"');
    }
    scratch.extend_from_slice(b"] \xEF\xBB\xBF");
    scratch.extend_from_slice(line.as_bytes());
    let _ = write!(out, "{} ", scratch.len());
    out.extend_from_slice(scratch);
}

/// MSGID: at most 32 printable ASCII characters; others become `_`.
fn push_msgid(msgid: &str, out: &mut Vec<u8>) {
    if msgid.is_empty() {
        out.push(b'-');
        return;
    }
    out.extend(
        msgid
            .bytes()
            .take(32)
            .map(|b| if (33..=126).contains(&b) { b } else { b'_' }),
    );
}

/// A PARAM-VALUE: `"`, `\` and `]` escaped with a backslash (RFC 5424 §6.3.3).
fn push_param(value: &str, out: &mut Vec<u8>) {
    for b in value.bytes() {
        if matches!(b, b'"' | b'\\' | b']') {
            out.push(b'\\');
        }
        out.push(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{ChainHead, seal};
    use crate::event::AuditEvent;

    fn header() -> Header {
        Header {
            facility: 13,
            hostname: "host".into(),
            app_name: "app".into(),
            procid: "7".into(),
            sd_id: "audit@32473".into(),
        }
    }

    fn one(entry: &Entry) -> String {
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        frame(&header(), entry, &mut out, &mut scratch);
        let text = String::from_utf8(out).unwrap();
        let (len, msg) = text.split_once(' ').unwrap();
        assert_eq!(len.parse::<usize>().unwrap(), msg.len(), "octet count");
        msg.to_owned()
    }

    #[test]
    fn a_record_becomes_one_rfc5424_message_carrying_its_line() {
        let mut head = ChainHead::GENESIS;
        let event = AuditEvent::new("evil type]\"\\ x\n").at(crate::time::from_unix_ms(1_000));
        let record = seal(&mut head, event).unwrap();
        let msg = one(&Entry::Record(record.clone()));
        // Facility 13 (log audit) × 8 + info (6).
        assert!(
            msg.starts_with("<110>1 1970-01-01T00:00:01.000Z host app 7 evil_type]\"\\_x_ [audit@32473 seq=\"1\" hash=\""),
            "{msg}"
        );
        assert!(
            msg.contains(" type=\"evil type\\]\\\"\\\\ x\n\"] \u{feff}{"),
            "{msg}"
        );
        assert!(msg.ends_with(&record.line));
        assert!(msg.contains(&crate::canonical::hex(&record.hash)));
    }

    #[test]
    fn severities_map_and_a_bad_timestamp_is_nil() {
        let mut head = ChainHead::GENESIS;
        let mut event = AuditEvent::new(crate::types::AUTH_TOKEN_REUSED);
        event.timestamp = "yesterday at noon".into();
        let record = seal(&mut head, event).unwrap();
        let msg = one(&Entry::Record(record));
        assert!(msg.starts_with("<106>1 - host"), "{msg}"); // 13*8 + crit
        assert_eq!(syslog_severity(Severity::Medium), 4);
        assert!(!is_header_field("a b", 48, &[]));
        assert!(!is_header_field("", 48, &[]));
        assert!(!is_header_field("a=b", 32, b"="));
        assert!(is_header_field("rampart-audit", 48, &[]));
    }
}
