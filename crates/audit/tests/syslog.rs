//! The syslog sink against a TCP collector in the test: RFC 6587 frames
//! parse back into RFC 5424 messages whose payloads verify as a chain, and a
//! collector that goes away mid-batch or between batches loses nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_audit::{
    AuditEvent, AuditLog, AuditSink, SigningKey, SinkContext, SyslogSink, VerifyOptions,
    VerifyingKey, types, verify,
};
use std::io::{BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// One parsed RFC 5424 message.
#[derive(Debug, Clone)]
struct Message {
    pri: u16,
    timestamp: String,
    hostname: String,
    app: String,
    msgid: String,
    sd: String,
    /// The MSG after its BOM: a record's or checkpoint's JSON line.
    line: String,
}

impl Message {
    fn seq(&self) -> u64 {
        let start = self.sd.find("seq=\"").unwrap() + 5;
        let end = self.sd[start..].find('"').unwrap() + start;
        self.sd[start..end].parse().unwrap()
    }

    fn is_checkpoint(&self) -> bool {
        self.msgid == "checkpoint"
    }
}

/// Reads one octet-counted frame; `None` at a clean end of stream.
fn read_frame(reader: &mut impl Read) -> Option<String> {
    let mut len = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match reader.read(&mut byte) {
            Ok(0) | Err(_) => return None,
            Ok(_) if byte[0] == b' ' => break,
            Ok(_) => {
                assert!(byte[0].is_ascii_digit(), "frame length digit");
                len.push(byte[0]);
            }
        }
    }
    let len: usize = String::from_utf8(len).unwrap().parse().unwrap();
    let mut msg = vec![0u8; len];
    reader.read_exact(&mut msg).ok()?;
    Some(String::from_utf8(msg).unwrap())
}

fn parse(msg: &str) -> Message {
    let (header, rest) = msg.split_once(" [").expect("structured data");
    let fields: Vec<&str> = header.split(' ').collect();
    assert_eq!(fields.len(), 6, "{header}");
    let (pri, version) = fields[0].split_once('>').unwrap();
    assert_eq!(version, "1");
    let (sd, payload) = rest.split_once("] \u{feff}").expect("BOM before MSG");
    Message {
        pri: pri.trim_start_matches('<').parse().unwrap(),
        timestamp: fields[1].into(),
        hostname: fields[2].into(),
        app: fields[3].into(),
        msgid: fields[5].into(),
        sd: sd.into(),
        line: payload.into(),
    }
}

/// Reads every frame of one connection until the peer closes it.
fn read_all(stream: TcpStream) -> Vec<Message> {
    let mut reader = BufReader::new(stream);
    std::iter::from_fn(|| read_frame(&mut reader))
        .map(|m| parse(&m))
        .collect()
}

fn log_to(addr: &str, key: SigningKey) -> AuditLog {
    let sink = SyslogSink::builder(addr)
        .hostname("api-1.example.net")
        .reconnect(5, Duration::from_millis(10), Duration::from_millis(100))
        .build()
        .unwrap();
    AuditLog::builder(sink, key)
        .retry_backoff(Duration::from_millis(10), Duration::from_millis(100))
        .build()
        .unwrap()
}

/// Writes the payloads to a file and verifies them as a log.
fn verify_payloads(
    name: &str,
    messages: &[Message],
    key: &VerifyingKey,
) -> rampart_audit::VerifyReport {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("syslog-{name}.jsonl"));
    let text: String = messages.iter().map(|m| format!("{}\n", m.line)).collect();
    std::fs::write(&path, text).unwrap();
    verify(&path, key, VerifyOptions::default().require_sealed(true)).unwrap()
}

#[test]
fn every_record_arrives_as_one_rfc5424_message_and_the_payloads_verify() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let collector = std::thread::spawn(move || read_all(listener.accept().unwrap().0));
    let (key, _) = SigningKey::generate().unwrap();
    let public = key.verifying_key();
    let log = log_to(&addr, key);
    log.record(AuditEvent::new(types::AUTH_TOKEN_REUSED).subject("bob"))
        .unwrap();
    for i in 0..50 {
        log.record(AuditEvent::new(types::DATA_READ).meta("i", i))
            .unwrap();
    }
    log.shutdown().unwrap();
    drop(log);
    let messages = collector.join().unwrap();

    let records: Vec<&Message> = messages.iter().filter(|m| !m.is_checkpoint()).collect();
    assert_eq!(records.len(), 51);
    assert_eq!(
        records.iter().map(|m| m.seq()).collect::<Vec<_>>(),
        (1..=51).collect::<Vec<_>>()
    );
    // Facility 13 (log audit): a reused token is critical (2), a read info (6).
    assert_eq!(records[0].pri, 13 * 8 + 2);
    assert_eq!(records[0].msgid, "auth.token.reused");
    assert_eq!(records[1].pri, 13 * 8 + 6);
    assert_eq!(records[1].hostname, "api-1.example.net");
    assert_eq!(records[1].app, "rampart-audit");
    assert!(records[1].timestamp.ends_with('Z'));
    let json: serde_json::Value = serde_json::from_str(&records[1].line).unwrap();
    assert!(
        records[1]
            .sd
            .contains(&format!("hash=\"{}\"", json["hash"].as_str().unwrap()))
    );
    assert!(records[1].sd.contains("type=\"data.read\""));
    assert!(
        messages.last().unwrap().is_checkpoint(),
        "the final checkpoint is forwarded"
    );
    let report = verify_payloads("verify", &messages, &public);
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!(report.events, 51);
}

#[test]
fn a_collector_closing_mid_batch_gets_the_whole_batch_again() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let collector = std::thread::spawn(move || {
        // The first connection reads a few frames and goes away with the
        // rest of a large batch unread (the kernel answers with a reset).
        let (first, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(first);
        let early: Vec<Message> = (0..10)
            .map(|_| parse(&read_frame(&mut reader).unwrap()))
            .collect();
        drop(reader);
        let (second, _) = listener.accept().unwrap();
        (early, read_all(second))
    });
    let (key, _) = SigningKey::generate().unwrap();
    let public = key.verifying_key();
    let sink = SyslogSink::builder(&addr)
        .reconnect(5, Duration::from_millis(10), Duration::from_millis(100))
        .build()
        .unwrap();
    // One batch of 20,000 records (about 14 MB of frames): more than the
    // socket buffers hold, so the write is still going when the reader leaves.
    let log = AuditLog::builder(sink, key)
        .batch_size(30_000)
        .linger(Duration::from_millis(500))
        .build()
        .unwrap();
    let big = "x".repeat(400);
    for i in 0..20_000 {
        log.record(
            AuditEvent::new(types::DATA_WRITE)
                .meta("i", i)
                .meta("pad", big.as_str()),
        )
        .unwrap();
    }
    log.shutdown().unwrap();
    drop(log);
    let (early, second) = collector.join().unwrap();
    assert_eq!(
        early.iter().map(Message::seq).collect::<Vec<_>>(),
        (1..=10).collect::<Vec<_>>()
    );
    // The second connection holds the whole chain from its start: nothing
    // lost, and the only duplicates are what the first one had read.
    let report = verify_payloads("mid-batch", &second, &public);
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!(report.events, 20_000);
}

#[test]
fn a_collector_gone_between_batches_gets_the_last_batch_replayed() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (closed_tx, closed_rx) = mpsc::channel();
    let collector = std::thread::spawn(move || {
        let (first, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(first);
        let batch: Vec<Message> = (0..10)
            .map(|_| parse(&read_frame(&mut reader).unwrap()))
            .collect();
        drop(reader); // everything was read: a clean close, unnoticed by the sender
        closed_tx.send(()).unwrap();
        let (second, _) = listener.accept().unwrap();
        (batch, read_all(second))
    });
    let (key, _) = SigningKey::generate().unwrap();
    let public = key.verifying_key();
    let log = log_to(&addr, key);
    for i in 0..10 {
        log.record(AuditEvent::new(types::DATA_READ).meta("i", i))
            .unwrap();
    }
    log.flush().unwrap();
    closed_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    for i in 10..20 {
        log.record(AuditEvent::new(types::DATA_READ).meta("i", i))
            .unwrap();
    }
    log.shutdown().unwrap();
    drop(log);
    let (first, second) = collector.join().unwrap();
    assert_eq!(
        first.iter().map(Message::seq).collect::<Vec<_>>(),
        (1..=10).collect::<Vec<_>>()
    );
    // At least once: the batch before the break is sent again.
    let seqs: Vec<u64> = second
        .iter()
        .filter(|m| !m.is_checkpoint())
        .map(Message::seq)
        .collect();
    assert_eq!(seqs, (1..=20).collect::<Vec<_>>());
    assert!(verify_payloads("between", &second, &public).ok);
}

#[test]
fn an_unreachable_collector_fails_the_write_after_bounded_attempts_then_catches_up() {
    // A port with nothing listening.
    let addr = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let mut sink = SyslogSink::builder(&addr)
        .reconnect(3, Duration::from_millis(20), Duration::from_millis(40))
        .build()
        .unwrap();
    let (key, _) = SigningKey::generate().unwrap();
    let ctx = SinkContext {
        batch: 1,
        signer: &key,
        now_ms: 0,
    };
    let started = Instant::now();
    assert!(sink.write(&[], &ctx).is_err());
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(60), "two backoffs: {took:?}");
    assert!(took < Duration::from_secs(5), "bounded: {took:?}");

    // Through a log the batch waits, retried, until a collector appears.
    let public = key.verifying_key();
    let log = log_to(&addr, key);
    for i in 0..5 {
        log.record(AuditEvent::new(types::AUTHZ_DENIED).meta("i", i))
            .unwrap();
    }
    std::thread::sleep(Duration::from_millis(200));
    assert!(log.metrics().failed > 0, "the failures are counted");
    let listener = TcpListener::bind(&addr).unwrap();
    let collector = std::thread::spawn(move || read_all(listener.accept().unwrap().0));
    log.shutdown().unwrap();
    drop(log);
    let messages = collector.join().unwrap();
    let report = verify_payloads("unreachable", &messages, &public);
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!(report.events, 5);
}

#[test]
fn bad_settings_are_refused_at_build() {
    for builder in [
        SyslogSink::builder("127.0.0.1:514").facility(24),
        SyslogSink::builder("127.0.0.1:514").hostname("two words"),
        SyslogSink::builder("127.0.0.1:514").hostname(""),
        SyslogSink::builder("127.0.0.1:514").app_name("x".repeat(49)),
        SyslogSink::builder("127.0.0.1:514").sd_id("no-at-sign"),
        SyslogSink::builder("127.0.0.1:514").sd_id("a=b@1"),
        SyslogSink::builder("127.0.0.1:514").reconnect(
            0,
            Duration::from_millis(1),
            Duration::from_millis(1),
        ),
        SyslogSink::builder("127.0.0.1:514").connect_timeout(Duration::ZERO),
        SyslogSink::builder("no port"),
        SyslogSink::builder("host:0"),
        SyslogSink::builder("host:99999"),
        SyslogSink::builder(":601"),
    ] {
        assert!(builder.build().is_err());
    }
    assert!(SyslogSink::builder("localhost:601").build().is_ok());
    assert!(SyslogSink::builder("[::1]:601").build().is_ok());
    // Not resolved at build: a name that does not resolve yet is accepted.
    assert!(SyslogSink::builder("collector.invalid:601").build().is_ok());
}

#[cfg(feature = "syslog-tls")]
mod tls {
    use super::*;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use std::sync::Arc;

    // A test CA and a `localhost` certificate it signed (testdata/README.md).
    const CA: &[u8] = include_bytes!("../../../testdata/audit/syslog-tls/ca.pem");
    const CERT: &[u8] = include_bytes!("../../../testdata/audit/syslog-tls/server.pem");
    const KEY: &[u8] = include_bytes!("../../../testdata/audit/syslog-tls/server.key");

    fn provider() -> Arc<rustls::crypto::CryptoProvider> {
        Arc::new(rustls::crypto::aws_lc_rs::default_provider())
    }

    fn client() -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(CA).unwrap())
            .unwrap();
        Arc::new(
            rustls::ClientConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    }

    /// Accepts `connections` TLS connections one after the other and reads
    /// every frame from each.
    fn collector(
        listener: TcpListener,
        connections: usize,
    ) -> std::thread::JoinHandle<Vec<Message>> {
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(
                    vec![CertificateDer::from_pem_slice(CERT).unwrap()],
                    PrivateKeyDer::from_pem_slice(KEY).unwrap(),
                )
                .unwrap(),
        );
        std::thread::spawn(move || {
            let mut all = Vec::new();
            for _ in 0..connections {
                let (tcp, _) = listener.accept().unwrap();
                let conn = rustls::ServerConnection::new(config.clone()).unwrap();
                let mut reader = BufReader::new(rustls::StreamOwned::new(conn, tcp));
                all.extend(std::iter::from_fn(|| read_frame(&mut reader)).map(|m| parse(&m)));
            }
            all
        })
    }

    #[test]
    fn records_travel_over_tls_in_separate_batches_without_replays() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let collector = collector(listener, 1);
        let (key, _) = SigningKey::generate().unwrap();
        let public = key.verifying_key();
        let sink = SyslogSink::builder(&addr)
            .tls(client(), "localhost")
            .build()
            .unwrap();
        let log = AuditLog::builder(sink, key).build().unwrap();
        // Several batches on one connection: the server's session tickets
        // arriving after the handshake must not read as a closed connection.
        for batch in 0..5 {
            for i in 0..10 {
                log.record(AuditEvent::new(types::DATA_READ).meta("i", batch * 10 + i))
                    .unwrap();
            }
            log.flush().unwrap();
        }
        log.shutdown().unwrap();
        drop(log);
        let messages = collector.join().unwrap();
        let seqs: Vec<u64> = messages
            .iter()
            .filter(|m| !m.is_checkpoint())
            .map(Message::seq)
            .collect();
        assert_eq!(seqs, (1..=50).collect::<Vec<_>>(), "each record once");
        let report = verify_payloads("tls", &messages, &public);
        assert!(report.ok, "{:?}", report.failure);
    }

    #[test]
    fn a_certificate_for_another_name_fails_the_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let _collector = collector(listener, 1);
        let mut sink = SyslogSink::builder(&addr)
            .tls(client(), "siem.example.net")
            .reconnect(1, Duration::from_millis(1), Duration::from_millis(1))
            .build()
            .unwrap();
        let (key, _) = SigningKey::generate().unwrap();
        let ctx = SinkContext {
            batch: 1,
            signer: &key,
            now_ms: 0,
        };
        let err = sink.write(&[], &ctx).unwrap_err();
        assert!(
            err.to_string().to_lowercase().contains("certificate"),
            "{err}"
        );
        assert!(
            SyslogSink::builder(&addr)
                .tls(client(), "not a name!")
                .build()
                .is_err(),
            "a bad server name is a build error"
        );
    }
}
