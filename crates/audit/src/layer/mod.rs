//! `AuditLayer`: one audit event per request.

mod context;
mod service;

pub use context::{AuditContext, CapturePrincipal, CapturePrincipalLayer};
pub use service::{Audit, ResponseFuture};

use crate::pipeline::AuditLog;
use rampart_core::{EventSink, Rejection, SecurityEvent};
use std::fmt;
use std::sync::Arc;
use tower_layer::Layer;

/// Which requests get an event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordMode {
    /// Every request. The default.
    #[default]
    All,
    /// Requests with a method other than GET, HEAD, OPTIONS and TRACE, and every failure.
    Mutating,
    /// Responses with status 400 or above, gRPC responses whose head carries
    /// a `grpc-status` other than `0` (OK), and inner errors.
    Failures,
}

/// What a registered rejection type told the layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RejectionFacts {
    pub kind: &'static str,
    pub reason: String,
    pub title: String,
}

type Reader = Arc<dyn Fn(&http::Extensions) -> Option<RejectionFacts> + Send + Sync>;

#[derive(Clone)]
pub(crate) struct Config {
    pub log: AuditLog,
    pub mode: RecordMode,
    pub readers: Vec<Reader>,
}

/// Records one [`AuditEvent`](crate::AuditEvent) per request through an
/// [`AuditLog`]: method, path (or the route a handler named), final status
/// (and the `grpc-status` of a gRPC refusal, which counts as a failure),
/// latency, request id, client address and user agent, the `Principal` that
/// inner layers captured (see [`AuditContext`]), and the typed rejection of
/// any guard that refused. It is also an [`EventSink`], so the other layers'
/// events land in the same chain.
///
/// Place it outside the guards whose refusals it should see, inside
/// `RequestIdLayer` and `ClientIpLayer`. The typed rejections it reads are
/// those registered with [`AuditLayer::rejection`]: rampart-audit depends on
/// no other rampart crate, so the application names them
/// (`.rejection::<AuthRejection>().rejection::<PermissionRejection>()`).
///
/// Latency is measured to the response head, not the end of the body.
///
/// ```
/// use rampart_audit::{AuditLayer, AuditLog, MemorySink, RecordMode, SigningKey};
/// use rampart_core::SharedSink;
/// use std::sync::Arc;
///
/// let (key, _) = SigningKey::generate()?;
/// let log = AuditLog::builder(MemorySink::new(), key).build()?;
/// let audit = AuditLayer::new(log).record(RecordMode::All);
/// let sink: SharedSink = Arc::new(audit.clone()); // give this to the other layers
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct AuditLayer {
    config: Arc<Config>,
}

impl fmt::Debug for AuditLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditLayer")
            .field("mode", &self.config.mode)
            .field("rejections", &self.config.readers.len())
            .finish_non_exhaustive()
    }
}

impl AuditLayer {
    /// A layer recording every request into `log`.
    pub fn new(log: AuditLog) -> Self {
        Self {
            config: Arc::new(Config {
                log,
                mode: RecordMode::All,
                readers: Vec::new(),
            }),
        }
    }

    fn config_mut(&mut self) -> &mut Config {
        Arc::make_mut(&mut self.config)
    }

    /// Which requests get an event. Default [`RecordMode::All`].
    #[must_use]
    pub fn record(mut self, mode: RecordMode) -> Self {
        self.config_mut().mode = mode;
        self
    }

    /// Reads rejections of type `R` from response extensions: the event gets
    /// `decision: deny`, the rejection's type and its `Debug` text as reason.
    #[must_use]
    pub fn rejection<R: Rejection + fmt::Debug>(mut self) -> Self {
        let reader: Reader = Arc::new(|ext: &http::Extensions| {
            ext.get::<R>().map(|r| {
                let name = std::any::type_name::<R>();
                RejectionFacts {
                    kind: name.rsplit("::").next().unwrap_or(name),
                    reason: format!("{r:?}"),
                    title: r.to_problem().title().to_owned(),
                }
            })
        });
        self.config_mut().readers.push(reader);
        self
    }

    /// The log it writes to.
    pub fn log(&self) -> &AuditLog {
        &self.config.log
    }
}

impl<S> Layer<S> for AuditLayer {
    type Service = Audit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Audit::new(inner, self.config.clone())
    }
}

impl EventSink for AuditLayer {
    fn emit(&self, event: SecurityEvent) {
        self.config.log.emit(event);
    }
}
