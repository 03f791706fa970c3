//! The audit event: one schema for every record in the trail.

mod catalogue;
mod convert;
mod encode;

pub use catalogue::{
    Outcome, Severity, default_severity, default_tags, target_is_subject, target_kinds, types,
};
pub(crate) use encode::write_event;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::time::SystemTime;

/// The version of the [`AuditEvent`] schema this crate writes. A reader meeting
/// a higher version knows fields may have been added.
pub const SCHEMA_VERSION: u16 = 1;

/// Who acted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    /// An e-mail address, when the application records one. Personal data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The organisation inside the tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// The session or refresh-token family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// The stable subject identifier (a JWT's `sub`). Personal data: pseudonymised
    /// when the log has a key store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The tenant acted in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
}

/// Where the request came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Client {
    /// The client address (a string, since it may be pseudonymised). Personal data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The `User-Agent`. Personal data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

/// What was acted on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// The resource id. Personal data when `kind` names a subject
    /// ([`target_is_subject`]): then encrypted under that subject's key when
    /// the log has a key store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The resource type (`invoice`, `role_binding`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// Facts about the HTTP exchange, for events recorded by the layer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HttpFacts {
    /// Time until the response head, in microseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_us: Option<u64>,
    /// The request method.
    pub method: String,
    /// The route template (`/items/{id}`) when known, else the path.
    pub route: String,
    /// The final status code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

/// One audit event.
///
/// Field names are stable (they are part of the hashed record) and map onto
/// the Elastic Common Schema as the crate documentation's table shows.
/// Fields here and in the nested types are declared in the byte order of
/// their JSON names, so serde writes them already in canonical order and the
/// writer hashes without re-sorting. `id` and `timestamp` are filled when the
/// event is written, from the time it was made, unless set before.
///
/// ```
/// use rampart_audit::{AuditEvent, Outcome, Severity, types};
///
/// let event = AuditEvent::new(types::AUTHZ_DENIED)
///     .subject("bob")
///     .tenant("acme")
///     .outcome(Outcome::Failure)
///     .reason("no role grants items:delete");
/// assert_eq!(event.severity, Severity::Medium);
/// // Tags, id and timestamp are filled off the request path, when written.
/// assert!(rampart_audit::default_tags(&event.event_type).contains(&"pci-dss:10.2.1.4"));
/// let json = serde_json::to_value(&event).unwrap();
/// assert_eq!(json["type"], "authz.denied");
/// assert_eq!(json["actor"]["subject"], "bob");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuditEvent {
    /// The action attempted (`items:delete`, `login`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Who acted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
    /// Where from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<Client>,
    /// An id tying events of one business operation across services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// HTTP facts, for request events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpFacts>,
    /// A UUIDv7: unique and sortable by creation time.
    pub id: String,
    /// Further detail, redacted before it is written.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
    /// Whether the action succeeded.
    pub outcome: Outcome,
    /// Why the outcome is what it is (a denial's reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The request id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// How much attention it deserves; defaults from the type.
    pub severity: Severity,
    /// The component that reported it (`rampart::auth`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Compliance tags (`soc2:cc6.1`, `pci-dss:10.2.1.4`, `gdpr:art-30`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// On what.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    /// When, RFC 3339 UTC with milliseconds.
    pub timestamp: String,
    /// The event type, dotted (`auth.login.failure`); see [`types`].
    #[serde(rename = "type")]
    pub event_type: String,
    /// Schema version ([`SCHEMA_VERSION`]).
    pub version: u16,
    #[serde(skip)]
    made: MadeAt,
}

/// When an event was made, in ms since the epoch: kept out of the JSON and
/// out of equality, used to fill `id` and `timestamp` when it is written.
#[derive(Debug, Clone, Copy, Default)]
struct MadeAt(u64);

impl PartialEq for MadeAt {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl AuditEvent {
    /// An event of `event_type` now, with the type's default severity and tags
    /// and an unknown outcome.
    pub fn new(event_type: impl Into<String>) -> Self {
        Self::made_at(event_type.into(), crate::time::unix_ms(SystemTime::now()))
    }

    /// An event of `event_type` made at `ms` since the epoch: [`AuditEvent::new`]
    /// without reading the clock, for events that carry their own time.
    pub(crate) fn made_at(event_type: String, ms: u64) -> Self {
        Self {
            version: SCHEMA_VERSION,
            id: String::new(),
            timestamp: String::new(),
            severity: default_severity(&event_type),
            tags: Vec::new(),
            event_type,
            outcome: Outcome::Unknown,
            action: None,
            reason: None,
            actor: None,
            client: None,
            target: None,
            request_id: None,
            correlation_id: None,
            http: None,
            source: None,
            metadata: Map::new(),
            made: MadeAt(ms),
        }
    }

    /// The time as milliseconds since the epoch, if the timestamp is well formed.
    pub fn unix_ms(&self) -> Option<u64> {
        if self.timestamp.is_empty() {
            return Some(self.made.0);
        }
        crate::time::parse_rfc3339_ms(&self.timestamp)
    }

    /// Sets the time.
    #[must_use]
    pub fn at(mut self, time: SystemTime) -> Self {
        self.made = MadeAt(crate::time::unix_ms(time));
        self.timestamp.clear();
        self
    }

    /// Fills what is left to the writer, off the request path: a UUIDv7 id
    /// and the RFC 3339 timestamp from the time the event was made, and the
    /// type's default compliance tags ahead of any added ones.
    pub(crate) fn complete(&mut self) {
        if self.timestamp.is_empty() {
            self.timestamp = crate::time::format_rfc3339_ms(self.made.0);
        }
        if self.id.is_empty() {
            let ts = uuid::Timestamp::from_unix(
                uuid::NoContext,
                self.made.0 / 1000,
                u32::try_from(self.made.0 % 1000).unwrap_or(0) * 1_000_000,
            );
            self.id = uuid::Uuid::new_v7(ts).to_string();
        }
        let defaults = default_tags(&self.event_type);
        if !defaults.iter().all(|d| self.tags.iter().any(|t| t == d)) {
            let mut tags: Vec<String> = defaults.iter().map(|t| (*t).to_owned()).collect();
            tags.extend(
                std::mem::take(&mut self.tags)
                    .into_iter()
                    .filter(|t| !defaults.contains(&t.as_str())),
            );
            self.tags = tags;
        }
    }

    /// Overrides the severity.
    #[must_use]
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Sets the outcome.
    #[must_use]
    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    /// Sets the action.
    #[must_use]
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }

    /// Sets the reason.
    #[must_use]
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Sets the actor's subject.
    #[must_use]
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.actor.get_or_insert_with(Actor::default).subject = Some(subject.into());
        self
    }

    /// Sets the actor's tenant.
    #[must_use]
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.actor.get_or_insert_with(Actor::default).tenant = Some(tenant.into());
        self
    }

    /// Sets the whole actor.
    #[must_use]
    pub fn actor(mut self, actor: Actor) -> Self {
        self.actor = Some(actor);
        self
    }

    /// Sets the client address.
    #[must_use]
    pub fn client_ip(mut self, ip: impl ToString) -> Self {
        self.client.get_or_insert_with(Client::default).ip = Some(ip.to_string());
        self
    }

    /// Sets the client's `User-Agent`.
    #[must_use]
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.client.get_or_insert_with(Client::default).user_agent = Some(user_agent.into());
        self
    }

    /// Sets the target resource.
    #[must_use]
    pub fn target(mut self, kind: impl Into<String>, id: impl Into<String>) -> Self {
        self.target = Some(Target {
            kind: Some(kind.into()),
            id: Some(id.into()),
        });
        self
    }

    /// Sets the request id.
    #[must_use]
    pub fn request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    /// Sets the correlation id.
    #[must_use]
    pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = Some(id.into());
        self
    }

    /// Sets the HTTP facts.
    #[must_use]
    pub fn http(mut self, http: HttpFacts) -> Self {
        self.http = Some(http);
        self
    }

    /// Sets the reporting component.
    #[must_use]
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Adds a compliance tag beside the defaults (which are added when written).
    #[must_use]
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// Adds a metadata entry. Keys naming secrets are redacted when written.
    #[must_use]
    pub fn meta(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }
}
