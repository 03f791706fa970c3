//! The JSON of an [`AuditEvent`] written by hand, byte for byte what its
//! `Serialize` derive writes through `serde_json`.
//!
//! The writer encodes every record it seals, and that encoding bounds the
//! trail's throughput. The derive goes through serde's generic machinery and
//! escapes every key and string byte by byte; here the keys are literals and
//! a string with nothing to escape (nearly all of them) is copied whole.
//! Anything that does need escaping, and every number, is still written by
//! `serde_json`, so the bytes (and so the hashes) cannot drift from it; the
//! tests below hold the two to the same output.

use super::{Actor, AuditEvent, Client, HttpFacts, Outcome, Severity, Target};
use serde_json::{Map, Value};

/// Appends the JSON of `event` to `out`, exactly as `serde_json::to_writer` would.
pub(crate) fn write_event(event: &AuditEvent, out: &mut Vec<u8>) {
    let mut o = Object::open(out);
    if let Some(action) = &event.action {
        o.key(b"action");
        write_str(action, o.out);
    }
    if let Some(actor) = &event.actor {
        o.key(b"actor");
        write_actor(actor, o.out);
    }
    if let Some(client) = &event.client {
        o.key(b"client");
        write_client(client, o.out);
    }
    o.opt_str(b"correlation_id", event.correlation_id.as_deref());
    if let Some(http) = &event.http {
        o.key(b"http");
        write_http(http, o.out);
    }
    o.key(b"id");
    write_str(&event.id, o.out);
    if !event.metadata.is_empty() {
        o.key(b"metadata");
        write_map(&event.metadata, o.out);
    }
    o.key(b"outcome");
    write_str(outcome_name(event.outcome), o.out);
    o.opt_str(b"reason", event.reason.as_deref());
    o.opt_str(b"request_id", event.request_id.as_deref());
    o.key(b"severity");
    write_str(severity_name(event.severity), o.out);
    o.opt_str(b"source", event.source.as_deref());
    if !event.tags.is_empty() {
        o.key(b"tags");
        o.out.push(b'[');
        for (i, tag) in event.tags.iter().enumerate() {
            if i > 0 {
                o.out.push(b',');
            }
            write_str(tag, o.out);
        }
        o.out.push(b']');
    }
    if let Some(target) = &event.target {
        o.key(b"target");
        write_target(target, o.out);
    }
    o.key(b"timestamp");
    write_str(&event.timestamp, o.out);
    o.key(b"type");
    write_str(&event.event_type, o.out);
    o.key(b"version");
    write_number(event.version, o.out);
    o.close();
}

fn write_actor(actor: &Actor, out: &mut Vec<u8>) {
    let mut o = Object::open(out);
    o.opt_str(b"email", actor.email.as_deref());
    o.opt_str(b"org", actor.org.as_deref());
    o.opt_str(b"session", actor.session.as_deref());
    o.opt_str(b"subject", actor.subject.as_deref());
    o.opt_str(b"tenant", actor.tenant.as_deref());
    o.close();
}

fn write_client(client: &Client, out: &mut Vec<u8>) {
    let mut o = Object::open(out);
    o.opt_str(b"ip", client.ip.as_deref());
    o.opt_str(b"user_agent", client.user_agent.as_deref());
    o.close();
}

fn write_http(http: &HttpFacts, out: &mut Vec<u8>) {
    let mut o = Object::open(out);
    if let Some(latency) = http.latency_us {
        o.key(b"latency_us");
        write_number(latency, o.out);
    }
    o.key(b"method");
    write_str(&http.method, o.out);
    o.key(b"route");
    write_str(&http.route, o.out);
    if let Some(status) = http.status {
        o.key(b"status");
        write_number(status, o.out);
    }
    o.close();
}

fn write_target(target: &Target, out: &mut Vec<u8>) {
    let mut o = Object::open(out);
    o.opt_str(b"id", target.id.as_deref());
    o.opt_str(b"kind", target.kind.as_deref());
    o.close();
}

fn write_map(map: &Map<String, Value>, out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(key, out);
        out.push(b':');
        write_value(value, out);
    }
    out.push(b'}');
}

fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::String(s) => write_str(s, out),
        Value::Object(map) => write_map(map, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        // Numbers (and the literals) exactly as serde_json prints them.
        other => write_number(other, out),
    }
}

/// `value` through `serde_json`; writing into a `Vec` cannot fail.
fn write_number(value: impl serde::Serialize, out: &mut Vec<u8>) {
    let _ = serde_json::to_writer(&mut *out, &value);
}

/// A JSON string. One pass over the bytes (without early exit, so it runs
/// a word at a time) tells whether anything needs escaping; if not the
/// bytes are copied as they are, which is what serde_json writes for them.
fn write_str(s: &str, out: &mut Vec<u8>) {
    let bytes = s.as_bytes();
    let escape = bytes.iter().fold(false, |acc, &b| {
        acc | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if escape {
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
    }
}

fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Success => "success",
        Outcome::Failure => "failure",
        Outcome::Unknown => "unknown",
    }
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "info",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

/// An object being written: commas between members, braces around them.
struct Object<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Object<'a> {
    fn open(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Object { out, first: true }
    }

    /// Starts a member named `name` (plain ASCII, nothing to escape).
    fn key(&mut self, name: &[u8]) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(name);
        self.out.extend_from_slice(b"\":");
    }

    fn opt_str(&mut self, name: &[u8], value: Option<&str>) {
        if let Some(value) = value {
            self.key(name);
            write_str(value, self.out);
        }
    }

    fn close(self) {
        self.out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types;
    use proptest::prelude::*;
    use serde_json::json;

    fn by_hand(event: &AuditEvent) -> String {
        let mut out = Vec::new();
        write_event(event, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_bare_event_matches_serde() {
        let event = AuditEvent::new(types::DATA_READ);
        assert_eq!(by_hand(&event), serde_json::to_string(&event).unwrap());
    }

    #[test]
    fn every_field_matches_serde() {
        let mut event = AuditEvent::new(types::AUTHZ_DENIED)
            .action("items:delete")
            .actor(Actor {
                email: Some("a@example.com".into()),
                org: Some("o".into()),
                session: Some("s".into()),
                subject: Some("alice".into()),
                tenant: Some("acme".into()),
            })
            .client_ip("203.0.113.9")
            .user_agent("curl/8 \"quoted\" \\ back\u{1}\u{7f}")
            .correlation_id("c-1")
            .http(HttpFacts {
                latency_us: Some(12),
                method: "DELETE".into(),
                route: "/items/{id}".into(),
                status: Some(403),
            })
            .outcome(Outcome::Failure)
            .reason("no grant\n\ttab")
            .request_id("r-1")
            .severity(Severity::Critical)
            .source("rampart::rbac")
            .tag("custom")
            .target("invoice", "7")
            .meta("n", -3)
            .meta("f", 1.5)
            .meta("big", u64::MAX)
            .meta(
                "nested",
                json!({"z": [null, true, false, "é\u{0}"], "a": {}}),
            )
            .meta("esc\"key", "v");
        event.complete();
        assert_eq!(by_hand(&event), serde_json::to_string(&event).unwrap());
        // Empty nested objects are written as serde writes them too.
        let empty = AuditEvent::new(types::DATA_READ)
            .actor(Actor::default())
            .http(HttpFacts::default());
        assert_eq!(by_hand(&empty), serde_json::to_string(&empty).unwrap());
    }

    #[test]
    fn every_outcome_and_severity_is_named_as_serde_names_it() {
        for outcome in [Outcome::Success, Outcome::Failure, Outcome::Unknown] {
            assert_eq!(
                json!(outcome_name(outcome)),
                serde_json::to_value(outcome).unwrap()
            );
        }
        for severity in [
            Severity::Info,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ] {
            assert_eq!(
                json!(severity_name(severity)),
                serde_json::to_value(severity).unwrap()
            );
        }
    }

    proptest! {
        #[test]
        fn any_text_matches_serde(
            texts in proptest::collection::vec(any::<String>(), 1..6),
            number in any::<f64>(),
            n in any::<i64>(),
        ) {
            let mut event = AuditEvent::new(texts[0].clone())
                .subject(texts[texts.len() - 1].clone())
                .reason(texts[0].clone());
            for (i, t) in texts.iter().enumerate() {
                event = event.meta(t.clone(), json!({"i": i, "t": t, "x": [number, n]}));
            }
            prop_assert_eq!(by_hand(&event), serde_json::to_string(&event).unwrap());
        }
    }
}
