//! TLS for the syslog sink (RFC 5425), on rustls.

use super::syslog::Conn;
use crate::error::ConfigError;
use rustls::pki_types::ServerName;
use std::io;
use std::net::TcpStream;
use std::sync::Arc;

/// The client side of a TLS connection to the collector.
#[derive(Debug, Clone)]
pub(super) struct Tls {
    pub config: Arc<rustls::ClientConfig>,
    pub server_name: String,
}

impl Tls {
    fn name(&self) -> Result<ServerName<'static>, ConfigError> {
        ServerName::try_from(self.server_name.clone()).map_err(|_| {
            ConfigError::Invalid(format!(
                "syslog sink: {:?} is not a DNS name or IP address",
                self.server_name
            ))
        })
    }

    pub fn check(&self) -> Result<(), ConfigError> {
        self.name().map(|_| ())
    }

    /// Wraps `stream` and completes the handshake, so a collector with the
    /// wrong certificate fails the connection rather than the first write.
    pub fn wrap(&self, mut stream: TcpStream) -> io::Result<Conn> {
        let name = self
            .name()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        let mut conn =
            rustls::ClientConnection::new(self.config.clone(), name).map_err(io::Error::other)?;
        while conn.is_handshaking() {
            conn.complete_io(&mut stream)?;
        }
        Ok(Conn::Tls(Box::new(rustls::StreamOwned::new(conn, stream))))
    }
}

/// Whether a TLS connection to the collector is still open: reads whatever
/// the server sent without blocking, and answers false on end of stream, an
/// error, an alert or the server's close.
pub(super) fn alive(stream: &mut rustls::StreamOwned<rustls::ClientConnection, TcpStream>) -> bool {
    if stream.sock.set_nonblocking(true).is_err() {
        return false;
    }
    let open = loop {
        match stream.conn.read_tls(&mut stream.sock) {
            Ok(0) => break false,
            Ok(_) => match stream.conn.process_new_packets() {
                Ok(state) if state.peer_has_closed() => break false,
                Ok(state) => {
                    // A collector has nothing to say; discard anything it does.
                    let mut sink = vec![0u8; state.plaintext_bytes_to_read()];
                    let _ = std::io::Read::read(&mut stream.conn.reader(), &mut sink);
                }
                Err(_) => break false,
            },
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break true,
            Err(_) => break false,
        }
    };
    stream.sock.set_nonblocking(false).is_ok() && open
}
