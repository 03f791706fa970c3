//! A TCP relay in front of a service (Redis) that can be cut and restored,
//! to stage an outage in the middle of a test.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// Forwards connections on a loopback port to the service at a `redis://`
/// style URL. [`cut`](Self::cut) drops every open connection and refuses new
/// ones, as a service that went down; [`restore`](Self::restore) lets
/// connections through again.
pub struct Relay {
    /// The service's URL with the relay's address in place of its own.
    pub url: String,
    down: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Relay {
    /// Starts relaying to the service `service_url` names (`scheme://[user@]host:port[/db]`).
    ///
    /// # Panics
    /// When no loopback port can be bound: the test cannot run at all.
    pub async fn start(service_url: &str) -> Self {
        let (scheme, rest) = service_url
            .split_once("://")
            .unwrap_or(("redis", service_url));
        let hostpart = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
        let authority = hostpart.split('/').next().unwrap_or(hostpart).to_owned();
        #[allow(clippy::expect_used)]
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port for the relay");
        #[allow(clippy::expect_used)]
        let local = listener.local_addr().expect("the relay's address");
        let url = format!(
            "{scheme}://{}",
            rest.replacen(&authority, &local.to_string(), 1)
        );
        let down = Arc::new(AtomicBool::new(false));
        let links = Arc::new(Mutex::new(Vec::new()));
        let (d, l) = (down.clone(), links.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if d.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let authority = authority.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(authority).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                l.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(link.abort_handle());
            }
        });
        Self { url, down, links }
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        for link in self
            .links
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
        {
            link.abort();
        }
    }

    /// Lets new connections through again.
    pub fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}
