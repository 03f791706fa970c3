//! Threat rules over the event stream, and automated responses.
//!
//! A [`RuleEngine`] watches every event written to an [`AuditLog`](crate::AuditLog)
//! and raises an [`Alert`] when a rule matches:
//!
//! - [`Threshold`]: N events of a type per key in a sliding window. The
//!   recommended set: 5 failed sign-ins per subject or 20 per address in 15
//!   minutes, any detected attack, 10 rate-limit refusals per client in 5
//!   minutes, 10 denials per subject in 15 minutes.
//! - [`RateBaseline`]: an event type arriving far above its rolling (EWMA) rate.
//! - [`DistinctValues`]: one subject touching many endpoints, tenants or
//!   records (scanning, exfiltration).
//! - [`OffHours`]: activity outside working hours, globally or per tenant.
//! - [`SelfEscalation`]: a role or permission change on one's own account.
//!
//! Each alert is written into the same hash chain as a `security.alert.*`
//! event, given to any [`AlertHandler`], and may trigger [`Respond`]
//! actions carried out by [`SecurityResponder`]s
//! from other crates (rampart-ratelimit's `LoginThrottle` blocks addresses,
//! rampart-auth's `RevocationResponder` locks accounts and revokes tokens).
//! Every action's outcome, including a responder's failure, is written as a
//! `security.response.*` event.
//!
//! # Cost and bounds
//!
//! Rules run on the audit writer's thread, after the request has moved on:
//! `record` still only enqueues. Each rule's state per key is fixed in size
//! and the number of keys is capped (default 100,000 per rule); under a
//! flood of distinct keys the keys with the least evidence are dropped
//! first. An alert mutes its key for one window: one alert per key per
//! window, whatever the event rate. Responses run on a thread of their own
//! (or an executor you give), with a timeout, so a slow or failing
//! responder never holds up the trail.
//!
//! # Time
//!
//! Windows, buckets and hours are read from the engine's [`Clock`](rampart_core::Clock)
//! when an event reaches the engine, not from the event's own timestamp,
//! so a client cannot move an event out of a window by backdating it.
//!
//! ```
//! use rampart_audit::rules::{Respond, RuleEngine};
//! use rampart_audit::{AuditEvent, AuditLog, MemorySink, SigningKey, types};
//! use rampart_core::{ResponseAction, ResponseOutcome};
//! use std::time::Duration;
//!
//! // A responder: in an application, a LoginThrottle or a RevocationResponder.
//! let blocked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
//! let seen = blocked.clone();
//! let responder = move |action: ResponseAction| {
//!     let seen = seen.clone();
//!     async move {
//!         seen.lock().unwrap().push(action);
//!         Ok(ResponseOutcome::Applied { detail: "blocked".into() })
//!     }
//! };
//! let rules = RuleEngine::builder() // the recommended rules
//!     .respond_to("failed_logins_per_ip", Respond::BlockClient(Duration::from_secs(3600)))
//!     .responder(responder)
//!     .build()?;
//! let sink = MemorySink::new();
//! let (key, _) = SigningKey::generate()?;
//! let log = AuditLog::builder(sink.clone(), key).rules(rules).build()?;
//! for i in 0..20 {
//!     log.record(
//!         AuditEvent::new(types::AUTH_LOGIN_FAILURE)
//!             .subject(format!("user{i}"))
//!             .client_ip("203.0.113.9"),
//!     )?;
//! }
//! log.shutdown()?; // waits for the response to be recorded
//! assert_eq!(blocked.lock().unwrap().len(), 1);
//! let lines = sink.lines().join("\n");
//! assert!(lines.contains("security.alert.brute_force"));
//! assert!(lines.contains("security.response.block_client"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod alert;
mod baseline;
mod dispatch;
mod distinct;
mod escalation;
mod hours;
mod keyed;
mod matcher;
mod respond;
mod threshold;

pub use alert::{Alert, AlertHandler, KeyBy};
pub use baseline::RateBaseline;
pub use dispatch::ResponseTask;
pub use distinct::{DistinctValues, ValueOf};
pub use escalation::SelfEscalation;
pub use hours::{Hours, OffHours};
pub use respond::Respond;
pub use threshold::Threshold;

use crate::error::ConfigError;
use crate::event::AuditEvent;
use dispatch::{Dispatcher, Job, Spawner};
use rampart_core::{SecurityResponder, SharedClock, SharedResponder, SystemClock};
use respond::Cause;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Keys a rule tracks unless told otherwise.
pub(crate) const DEFAULT_MAX_KEYS: usize = 100_000;

/// A rule over the event stream.
///
/// Rules live on one thread and own their state (`&mut self`), so they need
/// no locks. `observe` is called for every event except alerts and
/// responses themselves; it must be quick and keep bounded state.
pub trait Rule: Send + 'static {
    /// The rule's name, unique in an engine (responses are attached by it).
    fn name(&self) -> &str;

    /// Why the rule's settings cannot work, if they cannot; checked by
    /// [`RuleEngineBuilder::build`]. Default: they can.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }

    /// Looks at one event seen at `now_ms` (the engine's clock) and pushes
    /// any alert it raises.
    fn observe(&mut self, event: &AuditEvent, now_ms: u64, alerts: &mut Vec<Alert>);

    /// Keys currently tracked (for metrics and memory tests). Default 0.
    fn tracked_keys(&self) -> usize {
        0
    }

    /// Keys dropped to stay within the cap since the start. Default 0.
    fn evicted_keys(&self) -> u64 {
        0
    }
}

#[derive(Debug, Default)]
struct Counters {
    alerts: AtomicU64,
    responses_ok: AtomicU64,
    responses_failed: AtomicU64,
    tracked_keys: AtomicU64,
    evicted_keys: AtomicU64,
}

/// A live view of an engine's counters; clones share them, and the handle
/// keeps working after the engine is moved into an [`AuditLog`](crate::AuditLog).
#[derive(Debug, Clone, Default)]
pub struct RuleStats(Arc<Counters>);

impl RuleStats {
    /// Alerts raised.
    pub fn alerts(&self) -> u64 {
        self.0.alerts.load(Ordering::Relaxed)
    }

    /// Responder answers that took effect.
    pub fn responses_applied(&self) -> u64 {
        self.0.responses_ok.load(Ordering::Relaxed)
    }

    /// Responses that failed or were not taken.
    pub fn responses_failed(&self) -> u64 {
        self.0.responses_failed.load(Ordering::Relaxed)
    }

    /// Keys tracked by all rules after the last event.
    pub fn tracked_keys(&self) -> u64 {
        self.0.tracked_keys.load(Ordering::Relaxed)
    }

    /// Keys dropped by all rules to stay within their caps.
    pub fn evicted_keys(&self) -> u64 {
        self.0.evicted_keys.load(Ordering::Relaxed)
    }
}

/// Runs [`Rule`]s over events and turns their alerts into audit events and
/// responses. Give it to [`AuditLogBuilder::rules`](crate::AuditLogBuilder::rules),
/// or call [`observe`](Self::observe) yourself.
pub struct RuleEngine {
    rules: Vec<Box<dyn Rule>>,
    responses: HashMap<String, Vec<Respond>>,
    handlers: Vec<Box<dyn AlertHandler>>,
    dispatcher: Option<Dispatcher>,
    clock: SharedClock,
    stats: RuleStats,
    scratch: Vec<Alert>,
}

impl std::fmt::Debug for RuleEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleEngine")
            .field(
                "rules",
                &self.rules.iter().map(|r| r.name()).collect::<Vec<_>>(),
            )
            .field("responses", &self.responses)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// Builds a [`RuleEngine`].
#[must_use]
pub struct RuleEngineBuilder {
    rules: Vec<Box<dyn Rule>>,
    responses: Vec<(String, Respond)>,
    handlers: Vec<Box<dyn AlertHandler>>,
    responders: Vec<SharedResponder>,
    spawner: Option<Spawner>,
    clock: SharedClock,
    response_timeout: Duration,
    response_queue: usize,
}

impl std::fmt::Debug for RuleEngineBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleEngineBuilder")
            .field(
                "rules",
                &self.rules.iter().map(|r| r.name()).collect::<Vec<_>>(),
            )
            .field("responses", &self.responses)
            .field("responders", &self.responders.len())
            .finish_non_exhaustive()
    }
}

impl RuleEngine {
    /// A builder holding the recommended rules: the five [`Threshold`]
    /// presets and [`SelfEscalation`]. No responses until you attach them.
    pub fn builder() -> RuleEngineBuilder {
        RuleEngineBuilder {
            rules: vec![
                Box::new(Threshold::failed_logins_per_subject()),
                Box::new(Threshold::failed_logins_per_ip()),
                Box::new(Threshold::attack_detected()),
                Box::new(Threshold::rate_limited_per_client()),
                Box::new(Threshold::denials_per_subject()),
                Box::new(SelfEscalation::new()),
            ],
            responses: Vec::new(),
            handlers: Vec::new(),
            responders: Vec::new(),
            spawner: None,
            clock: SystemClock::shared(),
            response_timeout: Duration::from_secs(5),
            response_queue: 1024,
        }
    }

    /// A live view of the engine's counters.
    pub fn stats(&self) -> RuleStats {
        self.stats.clone()
    }

    /// Runs every rule over `event` and returns the alerts raised, after
    /// giving each to the handlers. Alerts and responses
    /// (`security.alert.*`, `security.response.*`) are not observed, so
    /// rules never feed on their own output.
    pub fn observe(&mut self, event: &AuditEvent) -> Vec<Alert> {
        if event.event_type.starts_with("security.alert.")
            || event.event_type.starts_with("security.response.")
        {
            return Vec::new();
        }
        let now = crate::time::unix_ms(self.clock.now());
        let mut alerts = std::mem::take(&mut self.scratch);
        let (mut tracked, mut evicted) = (0u64, 0u64);
        for rule in &mut self.rules {
            rule.observe(event, now, &mut alerts);
            tracked += rule.tracked_keys() as u64;
            evicted += rule.evicted_keys();
        }
        let c = &self.stats.0;
        c.tracked_keys.store(tracked, Ordering::Relaxed);
        c.evicted_keys.store(evicted, Ordering::Relaxed);
        c.alerts.fetch_add(alerts.len() as u64, Ordering::Relaxed);
        for alert in &alerts {
            for handler in &self.handlers {
                handler.on_alert(alert);
            }
        }
        let out = alerts.clone();
        alerts.clear();
        self.scratch = alerts;
        out
    }

    /// Observes `event` and appends the audit events that follow from it:
    /// each alert, then any response that could not be started. Responses
    /// started come back through [`Self::collect`].
    pub(crate) fn process(&mut self, event: &AuditEvent, out: &mut Vec<AuditEvent>) {
        for alert in self.observe(event) {
            let mut alert_event = alert.to_event();
            // Fixed now, so the responses can name the alert they answer.
            alert_event.complete();
            let cause = Cause::of(&alert, alert_event.id.clone());
            out.push(alert_event);
            let Some(responses) = self.responses.get(&alert.rule) else {
                continue;
            };
            for respond in responses {
                match (respond.action(&alert), self.dispatcher.as_mut()) {
                    (Ok(action), Some(dispatcher)) => dispatcher.dispatch(Job {
                        action,
                        cause: cause.clone(),
                    }),
                    (Ok(_), None) => {}
                    (Err(why), _) => {
                        self.stats
                            .0
                            .responses_failed
                            .fetch_add(1, Ordering::Relaxed);
                        out.push(respond::not_taken(respond, why, &cause, alert.at_ms));
                    }
                }
            }
        }
    }

    /// Whether responses are still running.
    pub(crate) fn busy(&self) -> bool {
        self.dispatcher.as_ref().is_some_and(Dispatcher::busy)
    }

    /// Appends the response events of the answers that have arrived.
    pub(crate) fn collect(&mut self, out: &mut Vec<AuditEvent>) {
        if let Some(d) = self.dispatcher.as_mut() {
            let done = d.answers();
            self.record(done, out);
        }
    }

    /// Waits for responses in flight (bounded by the response timeout) and
    /// appends their events.
    pub(crate) fn finish(&mut self, out: &mut Vec<AuditEvent>) {
        if let Some(d) = self.dispatcher.as_mut() {
            let done = d.finish();
            self.record(done, out);
        }
    }

    fn record(&self, done: Vec<dispatch::Done>, out: &mut Vec<AuditEvent>) {
        let now = crate::time::unix_ms(self.clock.now());
        for d in done {
            for event in respond::answered(&d.action, d.answers, &d.cause, now) {
                let counter = if event.outcome == crate::Outcome::Success {
                    &self.stats.0.responses_ok
                } else {
                    &self.stats.0.responses_failed
                };
                counter.fetch_add(1, Ordering::Relaxed);
                out.push(event);
            }
        }
    }
}

impl RuleEngineBuilder {
    /// Drops every rule added so far, the recommended ones included.
    pub fn clear_rules(mut self) -> Self {
        self.rules.clear();
        self
    }

    /// Adds a rule. Its name must be unique in the engine.
    pub fn rule(mut self, rule: impl Rule) -> Self {
        self.rules.push(Box::new(rule));
        self
    }

    /// When the rule named `rule` raises an alert, do `respond`. Several
    /// responses may be attached to one rule; they run in order.
    pub fn respond_to(mut self, rule: impl Into<String>, respond: Respond) -> Self {
        self.responses.push((rule.into(), respond));
        self
    }

    /// Attaches the usual responses to the recommended rules: block an
    /// address for an hour after 20 failed sign-ins from it, lock an account
    /// for 30 minutes after 5 failed sign-ins for it, and revoke the tokens
    /// of a subject who changed their own roles.
    pub fn recommended_responses(self) -> Self {
        self.respond_to(
            "failed_logins_per_ip",
            Respond::BlockClient(Duration::from_secs(3600)),
        )
        .respond_to(
            "failed_logins_per_subject",
            Respond::LockAccount(Duration::from_secs(1800)),
        )
        .respond_to("privilege_escalation", Respond::RevokeTokens)
    }

    /// Adds a responder; each action goes to every responder, which takes
    /// it or answers that it does not handle it. Without a responder,
    /// attached responses are recorded as failed ("no responder").
    pub fn responder(mut self, responder: impl SecurityResponder) -> Self {
        self.responders.push(Arc::new(responder));
        self
    }

    /// Adds a responder already shared with other components.
    pub fn shared_responder(mut self, responder: SharedResponder) -> Self {
        self.responders.push(responder);
        self
    }

    /// Hears every alert (called on the engine's thread; keep it quick).
    pub fn alert_handler(mut self, handler: impl AlertHandler) -> Self {
        self.handlers.push(Box::new(handler));
        self
    }

    /// Runs responses on an executor of your choice instead of the engine's
    /// own thread: needed when a responder's future needs a runtime (a Redis
    /// store on tokio). `spawn` must not block.
    ///
    /// ```
    /// # async fn demo() -> Result<(), rampart_audit::ConfigError> {
    /// use rampart_audit::rules::{ResponseTask, RuleEngine};
    ///
    /// let runtime = tokio::runtime::Handle::current();
    /// let rules = RuleEngine::builder()
    ///     .spawn_with(move |task: ResponseTask| {
    ///         runtime.spawn(task);
    ///     })
    ///     .build()?;
    /// # drop(rules); Ok(()) }
    /// ```
    ///
    /// The response timeout does not apply here (there is no timer to
    /// apply it with): give the responder's store its own timeouts.
    pub fn spawn_with(mut self, spawn: impl Fn(ResponseTask) + Send + Sync + 'static) -> Self {
        self.spawner = Some(Arc::new(spawn));
        self
    }

    /// How long one responder may take on its own thread before the
    /// action is recorded as failed (default 5 s). Shutdown waits for
    /// responses in flight up to twice this.
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// Responses waiting or running at most (default 1024); beyond, a
    /// response is recorded as failed without being attempted.
    pub fn response_queue(mut self, responses: usize) -> Self {
        self.response_queue = responses;
        self
    }

    /// The clock windows are read from (default the system clock).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Checks every rule and response and starts the response thread (when
    /// there are responders and no spawner).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the rule or response at fault: a
    /// setting out of range, two rules with one name, a response attached to
    /// a rule that does not exist.
    pub fn build(self) -> Result<RuleEngine, ConfigError> {
        let invalid = |msg: String| Err(ConfigError::Invalid(msg));
        let mut names = std::collections::HashSet::new();
        for rule in &self.rules {
            if let Err(why) = rule.check() {
                return invalid(format!("rule `{}`: {why}", rule.name()));
            }
            if !names.insert(rule.name().to_owned()) {
                return invalid(format!("two rules are named `{}`", rule.name()));
            }
        }
        let mut responses: HashMap<String, Vec<Respond>> = HashMap::new();
        for (rule, respond) in self.responses {
            if !names.contains(&rule) {
                return invalid(format!(
                    "a response is attached to `{rule}`, but no rule has that name"
                ));
            }
            if let Err(why) = respond.check() {
                return invalid(format!("response to `{rule}`: {why}"));
            }
            responses.entry(rule).or_default().push(respond);
        }
        if self.response_timeout.is_zero() || self.response_queue == 0 {
            return invalid("response_timeout and response_queue must be above zero".into());
        }
        let dispatcher = if responses.is_empty() {
            None
        } else {
            Some(Dispatcher::new(
                self.responders,
                self.spawner,
                self.response_queue,
                self.response_timeout,
            )?)
        };
        Ok(RuleEngine {
            rules: self.rules,
            responses,
            handlers: self.handlers,
            dispatcher,
            clock: self.clock,
            stats: RuleStats::default(),
            scratch: Vec::new(),
        })
    }
}
