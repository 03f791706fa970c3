//! An outbound HTTP client that cannot be pointed at internal addresses.
//!
//! Three gaps let SSRF through a naive "validate the URL, then fetch it":
//! the host name resolving to an internal address, the name resolving
//! differently at connect time than at check time (DNS rebinding), and a
//! redirect to an internal address. [`SafeClient`] closes all three: the URL
//! is checked as written, reqwest's resolver is replaced by one that checks
//! every address it returns (so the connection goes to exactly the checked
//! addresses), and every redirect hop is checked again. Proxies are turned
//! off, since a proxy would resolve the name itself.

use std::net::SocketAddr;
use std::sync::Arc;

use rampart_core::{EventKind, SecurityEvent, Severity, SharedSink, TracingSink};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::Policy;

use super::{Resolver, SystemResolver, UrlError, UrlPolicy};

/// Redirect hops followed before giving up.
pub const MAX_REDIRECTS: usize = 5;

/// Why a [`SafeClient`] request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SafeClientError {
    /// The URL, a redirect target or a resolved address was refused.
    #[error("outbound request refused: {0}")]
    Refused(#[from] UrlError),
    /// More than [`MAX_REDIRECTS`] redirects.
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
    /// The request failed for another reason (connection, TLS, timeout).
    #[error("outbound request failed: {0}")]
    Http(reqwest::Error),
}

impl From<reqwest::Error> for SafeClientError {
    fn from(error: reqwest::Error) -> Self {
        // A refusal from the resolver or the redirect policy comes back
        // wrapped in reqwest's error; dig it out so callers see why.
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        while let Some(e) = source {
            if let Some(refused) = e.downcast_ref::<UrlError>() {
                return Self::Refused(refused.clone());
            }
            if e.downcast_ref::<TooManyRedirects>().is_some() {
                return Self::TooManyRedirects;
            }
            source = e.source();
        }
        Self::Http(error)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("too many redirects")]
struct TooManyRedirects;

/// A reqwest client that only reaches addresses a [`UrlPolicy`] allows.
///
/// ```no_run
/// use rampart_sanitize::validate::{SafeClient, UrlPolicy};
///
/// # async fn run() -> Result<(), rampart_sanitize::validate::SafeClientError> {
/// let client = SafeClient::new(UrlPolicy::new())?;
/// // A user-supplied webhook URL: refused if it, anything it resolves to,
/// // or any redirect it answers with is internal.
/// let response = client.get("https://hooks.example.com/notify").await?;
/// # let _ = response;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SafeClient {
    client: reqwest::Client,
    policy: Arc<UrlPolicy>,
    events: SharedSink,
}

impl std::fmt::Debug for SafeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SafeClient")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl SafeClient {
    /// A client on the system resolver, with reqwest's other defaults.
    ///
    /// # Errors
    /// When reqwest cannot build its client (TLS backend initialisation).
    pub fn new(policy: UrlPolicy) -> Result<Self, SafeClientError> {
        Self::from_builder(reqwest::Client::builder(), policy, SystemResolver)
    }

    /// A client resolving names through `resolver`.
    ///
    /// # Errors
    /// When reqwest cannot build its client.
    pub fn with_resolver(
        policy: UrlPolicy,
        resolver: impl Resolver,
    ) -> Result<Self, SafeClientError> {
        Self::from_builder(reqwest::Client::builder(), policy, resolver)
    }

    /// A client from your own reqwest builder (timeouts, TLS roots, user
    /// agent...). Its resolver, redirect policy and proxies are replaced.
    ///
    /// # Errors
    /// When reqwest cannot build its client.
    pub fn from_builder(
        builder: reqwest::ClientBuilder,
        policy: UrlPolicy,
        resolver: impl Resolver,
    ) -> Result<Self, SafeClientError> {
        let policy = Arc::new(policy);
        let checking = CheckingResolver {
            policy: Arc::clone(&policy),
            resolver: Arc::new(resolver),
        };
        let redirect_policy = Arc::clone(&policy);
        let client = builder
            .no_proxy()
            .dns_resolver(Arc::new(checking))
            .redirect(Policy::custom(move |attempt| {
                if attempt.previous().len() > MAX_REDIRECTS {
                    return attempt.error(TooManyRedirects);
                }
                match redirect_policy.check_url(attempt.url().clone()) {
                    Ok(_) => attempt.follow(),
                    Err(refused) => attempt.error(refused),
                }
            }))
            .build()
            .map_err(SafeClientError::Http)?;
        Ok(Self {
            client,
            policy,
            events: TracingSink::shared(),
        })
    }

    /// Where refusals are reported, as [`EventKind::AttackDetected`] with
    /// `attack = "ssrf"` and the refusal's `code` (default: the tracing
    /// sink). An internal target is critical, a malformed URL a warning.
    #[must_use]
    pub fn event_sink(mut self, sink: SharedSink) -> Self {
        self.events = sink;
        self
    }

    fn refuse(&self, error: SafeClientError) -> SafeClientError {
        if let SafeClientError::Refused(refused) = &error {
            let mut event = SecurityEvent::new(
                EventKind::AttackDetected,
                "rampart::sanitize",
                format!("outbound request refused: {refused}"),
            )
            .with_field("attack", "ssrf")
            .with_field("code", refused.code());
            if !refused.is_internal_target() {
                event = event.with_severity(Severity::Warning);
            }
            self.events.emit(event);
        }
        error
    }

    /// The policy every URL is checked against.
    pub fn policy(&self) -> &UrlPolicy {
        &self.policy
    }

    /// A request builder for `url`, after checking it as written. Send it
    /// with [`SafeClient::send`] so its errors are classified.
    ///
    /// # Errors
    /// [`SafeClientError::Refused`] when the URL breaks the policy.
    pub fn request(
        &self,
        method: reqwest::Method,
        url: &str,
    ) -> Result<reqwest::RequestBuilder, SafeClientError> {
        let checked = self
            .policy
            .check(url)
            .map_err(|e| self.refuse(SafeClientError::Refused(e)))?;
        Ok(self.client.request(method, checked.into_url()))
    }

    /// `GET url`.
    ///
    /// # Errors
    /// [`SafeClientError::Refused`] when the URL, an address its host
    /// resolves to or a redirect hop is not allowed; otherwise reqwest's error.
    pub async fn get(&self, url: &str) -> Result<reqwest::Response, SafeClientError> {
        self.send(self.request(reqwest::Method::GET, url)?).await
    }

    /// Sends a request built on this client, checking its URL first.
    ///
    /// # Errors
    /// As [`SafeClient::get`].
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, SafeClientError> {
        let request = request.build().map_err(SafeClientError::Http)?;
        self.execute(request).await
    }

    /// Executes a request, checking its URL first.
    ///
    /// # Errors
    /// As [`SafeClient::get`].
    pub async fn execute(
        &self,
        request: reqwest::Request,
    ) -> Result<reqwest::Response, SafeClientError> {
        self.policy
            .check_url(request.url().clone())
            .map_err(|e| self.refuse(SafeClientError::Refused(e)))?;
        self.client
            .execute(request)
            .await
            .map_err(|e| self.refuse(SafeClientError::from(e)))
    }
}

/// reqwest's resolver hook: resolve once, check every answer, hand reqwest
/// exactly those addresses.
struct CheckingResolver {
    policy: Arc<UrlPolicy>,
    resolver: Arc<dyn Resolver>,
}

impl Resolve for CheckingResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        let resolver = Arc::clone(&self.resolver);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let ips = policy.resolve_checked(&host, &*resolver).await?;
            // Port 0: reqwest puts in the URL's port.
            let addrs: Addrs = Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}
