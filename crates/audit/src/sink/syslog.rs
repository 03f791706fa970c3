//! Forwarding the trail to a SIEM as RFC 5424 syslog over TCP (RFC 6587
//! octet counting), with TLS (RFC 5425) behind the `syslog-tls` feature.

use super::syslog_format::{Header, frame, is_header_field};
use super::{AuditSink, Entry, SinkContext};
use crate::error::ConfigError;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Sends every record (and checkpoint) as one RFC 5424 message over TCP.
///
/// Each message's MSG is the record's JSON line as written to the file, its
/// structured data carries `seq`, `hash` and the event `type`, and its
/// severity follows the event's (critical → crit, high → err, medium →
/// warning, low → notice, info → info). Checkpoints go too, as MSGID
/// `checkpoint`, so the collector holds signed anchors from outside the host.
///
/// # Delivery: at least once, as far as TCP can tell
///
/// A batch is written with one `write_all`. When the connection fails, the
/// sink reconnects (up to `reconnect_attempts` times, with doubling backoff)
/// and sends the batch again from its start; if the attempts run out the
/// write fails and the audit writer retries the batch later, so the sink
/// itself never blocks forever. Plain syslog has no acknowledgement, and a
/// collector that dies with bytes in its socket buffer loses them without the
/// sender learning at once. The sink therefore checks the connection before
/// each batch and, whenever it has to reconnect, first re-sends the last batch
/// it had written on the old connection. Records may thus arrive twice
/// (de-duplicate on `seq`) but are not lost unless a connection dies unnoticed
/// for longer than one batch. For a record of everything, keep the file sink
/// beside this one ([`FanOut`](crate::FanOut)): the collector can spot gaps
/// in `seq`.
///
/// ```no_run
/// use rampart_audit::{AuditLog, FanOut, FileSink, FileSinkOptions, SigningKey, SyslogSink};
///
/// let syslog = SyslogSink::builder("siem.example.net:601")
///     .hostname("api-1.example.net")
///     .build()?;
/// let sink = FanOut::new()
///     .with(FileSink::new("audit.jsonl", FileSinkOptions::default()))
///     .with(syslog);
/// let (key, _) = SigningKey::generate()?;
/// let log = AuditLog::builder(sink, key).build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SyslogSink {
    target: String,
    header: Header,
    connect_timeout: Duration,
    write_timeout: Duration,
    attempts: u32,
    backoff: (Duration, Duration),
    #[cfg(feature = "syslog-tls")]
    tls: Option<super::syslog_tls::Tls>,
    conn: Option<Conn>,
    /// Whether a connection was ever used: a later one starts with a replay.
    used: bool,
    /// The last batch written on the current connection, framed.
    last: Vec<u8>,
    batch: Vec<u8>,
    scratch: Vec<u8>,
}

impl std::fmt::Debug for SyslogSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyslogSink")
            .field("target", &self.target)
            .field("connected", &self.conn.is_some())
            .finish_non_exhaustive()
    }
}

/// Builds a [`SyslogSink`]; every setting is checked in [`SyslogSinkBuilder::build`].
#[derive(Debug, Clone)]
#[must_use]
pub struct SyslogSinkBuilder {
    target: String,
    facility: u8,
    hostname: String,
    app_name: String,
    sd_id: String,
    connect_timeout: Duration,
    write_timeout: Duration,
    attempts: u32,
    backoff: (Duration, Duration),
    #[cfg(feature = "syslog-tls")]
    tls: Option<super::syslog_tls::Tls>,
}

impl SyslogSink {
    /// A builder for a collector at `target` (`host:port`). Resolved at each
    /// connection, so a collector moving behind a DNS name is followed.
    pub fn builder(target: impl Into<String>) -> SyslogSinkBuilder {
        SyslogSinkBuilder {
            target: target.into(),
            facility: 13,
            hostname: "-".into(),
            app_name: "rampart-audit".into(),
            sd_id: "rampart@32473".into(),
            connect_timeout: Duration::from_secs(5),
            write_timeout: Duration::from_secs(10),
            attempts: 3,
            backoff: (Duration::from_millis(50), Duration::from_secs(1)),
            #[cfg(feature = "syslog-tls")]
            tls: None,
        }
    }
}

impl SyslogSinkBuilder {
    /// The syslog facility, 0 to 23. Default 13, "log audit".
    pub fn facility(mut self, facility: u8) -> Self {
        self.facility = facility;
        self
    }

    /// HOSTNAME: this machine's name as the collector should see it
    /// (printable ASCII, no spaces, up to 255). Default `-` (unknown: the
    /// collector fills in the peer).
    pub fn hostname(mut self, hostname: impl Into<String>) -> Self {
        self.hostname = hostname.into();
        self
    }

    /// APP-NAME (printable ASCII, no spaces, up to 48). Default `rampart-audit`.
    pub fn app_name(mut self, app_name: impl Into<String>) -> Self {
        self.app_name = app_name.into();
        self
    }

    /// The SD-ID of the structured data element, `name@enterprise-number`.
    /// Default `rampart@32473`, under the example number RFC 5612 reserves
    /// for documentation: set your organisation's IANA number in production.
    pub fn sd_id(mut self, sd_id: impl Into<String>) -> Self {
        self.sd_id = sd_id.into();
        self
    }

    /// How long a connection attempt may take. Default 5 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a write may stall on a collector that does not read. Default 10 s.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Connection attempts per batch before the write fails (the audit writer
    /// then retries later), and the backoff between them, doubling from
    /// `first` up to `max`. Default 3, 50 ms to 1 s.
    pub fn reconnect(mut self, attempts: u32, first: Duration, max: Duration) -> Self {
        self.attempts = attempts;
        self.backoff = (first, max);
        self
    }

    /// Speaks TLS to the collector (RFC 5425), checking its certificate for
    /// `server_name` with `config` (build it on the aws-lc-rs provider, with
    /// the roots you trust).
    #[cfg(feature = "syslog-tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "syslog-tls")))]
    pub fn tls(
        mut self,
        config: std::sync::Arc<rustls::ClientConfig>,
        server_name: impl Into<String>,
    ) -> Self {
        self.tls = Some(super::syslog_tls::Tls {
            config,
            server_name: server_name.into(),
        });
        self
    }

    /// Checks the settings. Nothing is connected until the first batch.
    pub fn build(self) -> Result<SyslogSink, ConfigError> {
        let invalid = |what: &str| Err(ConfigError::Invalid(format!("syslog sink: {what}")));
        // Checked for shape only: resolving here would block on DNS, and a
        // name is resolved again at every connection anyway.
        let port_ok = self.target.rsplit_once(':').is_some_and(|(host, port)| {
            !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0)
        });
        if !port_ok || self.target.chars().any(char::is_whitespace) {
            return invalid("the target must be host:port");
        }
        if self.facility > 23 {
            return invalid("the facility must be 0 to 23");
        }
        if !is_header_field(&self.hostname, 255, &[]) {
            return invalid(
                "the hostname must be 1 to 255 printable ASCII characters without spaces",
            );
        }
        if !is_header_field(&self.app_name, 48, &[]) {
            return invalid(
                "the app name must be 1 to 48 printable ASCII characters without spaces",
            );
        }
        if !is_header_field(&self.sd_id, 32, b"=]\"") || !self.sd_id.contains('@') {
            return invalid(
                "the SD-ID must be name@number, up to 32 printable ASCII characters without =, ] or \"",
            );
        }
        if self.attempts == 0 || self.backoff.0.is_zero() || self.backoff.1 < self.backoff.0 {
            return invalid("reconnect needs at least one attempt and 0 < first <= max");
        }
        if self.connect_timeout.is_zero() || self.write_timeout.is_zero() {
            return invalid("timeouts must be above zero");
        }
        #[cfg(feature = "syslog-tls")]
        if let Some(tls) = &self.tls {
            tls.check()?;
        }
        Ok(SyslogSink {
            target: self.target,
            header: Header {
                facility: self.facility,
                hostname: self.hostname,
                app_name: self.app_name,
                procid: std::process::id().to_string(),
                sd_id: self.sd_id,
            },
            connect_timeout: self.connect_timeout,
            write_timeout: self.write_timeout,
            attempts: self.attempts,
            backoff: self.backoff,
            #[cfg(feature = "syslog-tls")]
            tls: self.tls,
            conn: None,
            used: false,
            last: Vec::new(),
            batch: Vec::with_capacity(64 * 1024),
            scratch: Vec::with_capacity(1024),
        })
    }
}

/// An open connection to the collector.
pub(super) enum Conn {
    Tcp(TcpStream),
    #[cfg(feature = "syslog-tls")]
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Conn {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Conn::Tcp(s) => s.write_all(bytes),
            #[cfg(feature = "syslog-tls")]
            Conn::Tls(s) => s.write_all(bytes).and_then(|()| s.flush()),
        }
    }

    /// Whether the collector still looks connected. It never speaks, so
    /// anything readable (end of stream, a reset) means the connection is
    /// going or gone; over TLS, records the server sends after the handshake
    /// (session tickets) are taken in and only a close or an alert counts.
    fn alive(&mut self) -> bool {
        let socket = match self {
            Conn::Tcp(s) => &*s,
            #[cfg(feature = "syslog-tls")]
            Conn::Tls(s) => return super::syslog_tls::alive(s),
        };
        if socket.set_nonblocking(true).is_err() {
            return false;
        }
        let quiet =
            matches!(socket.peek(&mut [0u8; 1]), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        socket.set_nonblocking(false).is_ok() && quiet
    }
}

impl SyslogSink {
    fn connect(&self) -> io::Result<Conn> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "the target resolved to no address");
        let addrs: Vec<SocketAddr> = self.target.to_socket_addrs()?.collect();
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, self.connect_timeout) {
                Ok(stream) => {
                    stream.set_write_timeout(Some(self.write_timeout))?;
                    stream.set_read_timeout(Some(self.write_timeout))?;
                    stream.set_nodelay(true)?;
                    #[cfg(feature = "syslog-tls")]
                    if let Some(tls) = &self.tls {
                        return tls.wrap(stream);
                    }
                    return Ok(Conn::Tcp(stream));
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// One try: (re)connect if needed, replay after a reconnection, send the batch.
    fn try_send(&mut self) -> io::Result<()> {
        if self.conn.as_mut().is_some_and(|c| !c.alive()) {
            self.conn = None;
        }
        if self.conn.is_none() {
            let mut conn = self.connect()?;
            if self.used && !self.last.is_empty() {
                // The old connection may have swallowed the last batch.
                conn.send(&self.last)?;
            }
            self.conn = Some(conn);
            self.used = true;
        }
        match &mut self.conn {
            Some(conn) => conn.send(&self.batch),
            None => Err(io::Error::other("syslog connection not open")),
        }
    }
}

impl AuditSink for SyslogSink {
    fn write(&mut self, entries: &[Entry], _ctx: &SinkContext<'_>) -> io::Result<()> {
        self.batch.clear();
        for entry in entries {
            frame(&self.header, entry, &mut self.batch, &mut self.scratch);
        }
        let mut backoff = self.backoff.0;
        let mut attempt = 1;
        loop {
            match self.try_send() {
                Ok(()) => {
                    std::mem::swap(&mut self.last, &mut self.batch);
                    return Ok(());
                }
                Err(e) => {
                    self.conn = None;
                    if attempt >= self.attempts {
                        return Err(e);
                    }
                    tracing::warn!(target: "rampart::audit", error = %e, collector = %self.target, "syslog collector unreachable; reconnecting");
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(self.backoff.1);
                    attempt += 1;
                }
            }
        }
    }
}
