//! Writes the trail to `tracing`, for a log pipeline that already collects it.

use super::{AuditSink, Entry, SinkContext};

/// Emits each record as an `INFO` event on target `rampart::audit` with the
/// record's JSON line in the `record` field (checkpoints in `checkpoint`).
///
/// Records hold what clients wrote (reasons, subjects, metadata), so every
/// value is recorded through its `Debug` form: one quoted, escaped field that
/// no newline, terminal escape sequence or `key=value` text inside it can
/// break out of to forge a line or a field.
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingSink;

impl AuditSink for TracingSink {
    fn write(&mut self, entries: &[Entry], _ctx: &SinkContext<'_>) -> std::io::Result<()> {
        for entry in entries {
            match entry {
                Entry::Record(r) => tracing::info!(
                    target: "rampart::audit",
                    seq = r.seq,
                    event_type = ?r.event.event_type,
                    record = ?r.line,
                    "audit record"
                ),
                Entry::Checkpoint(c) => tracing::info!(
                    target: "rampart::audit",
                    seq = c.seq,
                    checkpoint = ?c.to_line(),
                    "audit checkpoint"
                ),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{ChainHead, seal};
    use crate::{AuditEvent, SigningKey};
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn hostile_records_stay_one_line_of_quoted_fields() {
        let nonce = "tracing-sink-test-7f3a9c";
        let hostile = "x\n INFO rampart::audit: audit record seq=99 event_type=\"auth.login.success\" \u{1b}[2K";
        let mut head = ChainHead::GENESIS;
        let record = seal(
            &mut head,
            AuditEvent::new(format!("custom.{hostile}"))
                .subject(hostile)
                .reason(hostile)
                .meta("note", "seq=1 record=forged")
                .meta("nonce", nonce),
        )
        .unwrap();
        let (signer, _) = SigningKey::generate().unwrap();
        let ctx = SinkContext {
            batch: 1,
            signer: &signer,
            now_ms: 0,
        };
        let buf = Buf::default();
        let out = buf.clone();
        // A global subscriber: a thread-local one loses events when another
        // test thread caches "nobody listens here" for the same callsite.
        // Only this test installs one; lines are told apart by the nonce.
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || out.clone())
            .without_time()
            .with_ansi(false)
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        tracing::callsite::rebuild_interest_cache();
        TracingSink
            .write(&[Entry::Record(record.clone())], &ctx)
            .unwrap();
        let all = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let ours: Vec<&str> = all.lines().filter(|l| l.contains(nonce)).collect();
        assert_eq!(ours.len(), 1, "{all}");
        let printed = format!("{}\n", ours[0]);
        assert!(
            !printed.trim_end().chars().any(char::is_control),
            "{printed:?}"
        );
        let type_field = format!("event_type={:?}", record.event.event_type);
        let record_field = format!("record={:?}", record.line);
        assert!(printed.contains(&type_field), "{printed}");
        assert!(printed.contains(&record_field), "{printed}");
        let rest = printed.replace(&type_field, "").replace(&record_field, "");
        for forged in ["seq=99", "auth.login.success", "forged"] {
            assert!(!rest.contains(forged), "{forged} outside its field: {rest}");
        }
        assert!(rest.contains("seq=1"), "{rest}");
    }
}
