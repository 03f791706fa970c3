//! [`WebAuthnMfaBuilder`]: the relying party and the limits of a [`WebAuthnMfa`].

use super::ceremony::Ceremonies;
use super::service::{Inner, WebAuthnMfa};
use super::store::{MemoryWebAuthnStore, SharedWebAuthnStore};
use crate::ConfigError;
use rampart_core::{SharedClock, SharedSink, SystemClock, TracingSink};
use std::sync::Arc;
use std::time::Duration;
use webauthn_rs::WebauthnBuilder;
use webauthn_rs::prelude::Url;

/// How long a ceremony may take by default: five minutes, the W3C's
/// recommended authenticator timeout (time to find the key and touch it).
pub const DEFAULT_CEREMONY_TIMEOUT: Duration = Duration::from_secs(300);

/// Credentials one user may register by default.
pub const DEFAULT_MAX_CREDENTIALS: usize = 10;

/// Ceremonies pending at once on one instance by default (each holds a few
/// hundred bytes until it is finished or expires).
pub const DEFAULT_MAX_PENDING: usize = 10_000;

/// Ceremonies one user may have pending at once (a few tabs); a newer one
/// drops their oldest.
pub const MAX_PENDING_PER_USER: usize = 4;

/// Builds a [`WebAuthnMfa`]; see each setter for its default.
#[must_use]
pub struct WebAuthnMfaBuilder {
    rp_id: String,
    rp_origin: String,
    rp_name: String,
    extra_origins: Vec<String>,
    store: Option<SharedWebAuthnStore>,
    clock: Option<SharedClock>,
    sink: Option<SharedSink>,
    timeout: Duration,
    max_credentials: usize,
    max_pending: usize,
}

impl std::fmt::Debug for WebAuthnMfaBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebAuthnMfaBuilder")
            .field("rp_id", &self.rp_id)
            .field("rp_origin", &self.rp_origin)
            .finish_non_exhaustive()
    }
}

impl WebAuthnMfaBuilder {
    pub(super) fn new(rp_id: String, rp_origin: String, rp_name: String) -> Self {
        Self {
            rp_id,
            rp_origin,
            rp_name,
            extra_origins: Vec::new(),
            store: None,
            clock: None,
            sink: None,
            timeout: DEFAULT_CEREMONY_TIMEOUT,
            max_credentials: DEFAULT_MAX_CREDENTIALS,
            max_pending: DEFAULT_MAX_PENDING,
        }
    }

    /// Another origin whose pages may run ceremonies (a second host under
    /// the same RP id). Default: only the RP origin.
    pub fn allowed_origin(mut self, origin: impl Into<String>) -> Self {
        self.extra_origins.push(origin.into());
        self
    }

    /// Where credentials live. Default: a fresh [`MemoryWebAuthnStore`]
    /// (one instance, lost at restart).
    pub fn store(mut self, store: SharedWebAuthnStore) -> Self {
        self.store = Some(store);
        self
    }

    /// The clock ceremony expiry and credential times are read from.
    /// Default: the system clock.
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Where registrations, removals, refusals and store failures are
    /// reported. Default: [`TracingSink`].
    pub fn event_sink(mut self, sink: SharedSink) -> Self {
        self.sink = Some(sink);
        self
    }

    /// How long a ceremony may take between start and finish; also the
    /// timeout the browser is told. Default [`DEFAULT_CEREMONY_TIMEOUT`];
    /// 10 seconds to 10 minutes.
    pub fn ceremony_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Credentials one user may register. Default [`DEFAULT_MAX_CREDENTIALS`].
    pub fn max_credentials(mut self, max: usize) -> Self {
        self.max_credentials = max;
        self
    }

    /// Ceremonies pending at once on this instance; beyond it starts answer
    /// [`Busy`](super::WebAuthnError::Busy). Default [`DEFAULT_MAX_PENDING`].
    pub fn max_pending(mut self, max: usize) -> Self {
        self.max_pending = max;
        self
    }

    /// Checks the relying party and limits and builds the service.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the first setting refused: an origin
    /// that is not a URL, an RP id that is not the origin's host or a parent
    /// domain of it, an origin that is neither `https` nor `http://localhost`,
    /// a timeout or limit out of range.
    pub fn build(self) -> Result<WebAuthnMfa, ConfigError> {
        let invalid = |name: &'static str, reason: String| ConfigError::Invalid { name, reason };
        let origin = parse_origin(&self.rp_origin).map_err(|r| invalid("rp_origin", r))?;
        let extra = self
            .extra_origins
            .iter()
            .map(|o| parse_origin(o))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|r| invalid("allowed_origin", r))?;
        if self.rp_name.trim().is_empty() {
            return Err(invalid(
                "rp_name",
                "a name users recognise is required".into(),
            ));
        }
        if !(Duration::from_secs(10)..=Duration::from_secs(600)).contains(&self.timeout) {
            return Err(invalid(
                "ceremony_timeout",
                "between 10 seconds and 10 minutes".into(),
            ));
        }
        if self.max_credentials == 0 || self.max_pending == 0 {
            return Err(invalid(
                "max_credentials/max_pending",
                "both must be at least 1".into(),
            ));
        }
        let mut builder = WebauthnBuilder::new(&self.rp_id, &origin).map_err(|_| {
            invalid(
                "rp_id",
                format!(
                    "`{}` must be the host of the RP origin or a parent domain of it",
                    self.rp_id
                ),
            )
        })?;
        for o in &extra {
            builder = builder.append_allowed_origin(o);
        }
        let webauthn = builder
            .rp_name(&self.rp_name)
            .timeout(self.timeout)
            .build()
            .map_err(|e| invalid("rp_id", e.to_string()))?;
        Ok(WebAuthnMfa {
            inner: Arc::new(Inner {
                webauthn,
                rp_id: self.rp_id,
                store: self
                    .store
                    .unwrap_or_else(|| Arc::new(MemoryWebAuthnStore::new())),
                clock: self.clock.unwrap_or_else(SystemClock::shared),
                sink: self.sink.unwrap_or_else(TracingSink::shared),
                timeout_secs: self.timeout.as_secs(),
                max_credentials: self.max_credentials,
                ceremonies: Ceremonies::new(self.max_pending, MAX_PENDING_PER_USER),
            }),
        })
    }
}

/// An origin a browser would send: `https://host[:port]`, or `http://` for
/// `localhost` only (browsers treat it as a secure context); no path.
fn parse_origin(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    let host = url.host_str().unwrap_or_default();
    let secure = url.scheme() == "https" || (url.scheme() == "http" && host == "localhost");
    if !secure {
        return Err(format!(
            "`{text}`: WebAuthn needs https (or http://localhost in development)"
        ));
    }
    if url.domain().is_none() {
        return Err(format!(
            "`{text}`: the origin must have a domain name, not an IP address"
        ));
    }
    if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "`{text}`: an origin has no path, query or fragment"
        ));
    }
    Ok(url)
}
