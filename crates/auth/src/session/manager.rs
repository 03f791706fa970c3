//! The plain session API: create, load, rotate, save, end.

use super::active::{ActiveSession, SessionData, SessionInfo, session_principal};
use super::client::{ClientInfo, device_summary, ip_prefix};
use super::cookie::CookieSettings;
use super::id::{SessionKey, SessionToken, subject_tag};
use super::policy::{SessionPolicies, SessionPolicy};
use super::store::{Created, SharedSessionStore, StoredSession, Touched, UserLimit};
use crate::error::StoreError;
use crate::refresh::TokenManager;
use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rampart_core::{
    EventKind, Principal, SecurityEvent, Severity, SharedClock, SharedSink, SystemClock,
    TracingSink,
};
use std::sync::Arc;

pub(crate) const SOURCE: &str = "rampart::auth";

/// Why a session could not be created or rotated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The store could not be asked; answer `503`.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The user holds the maximum number of sessions and the policy refuses
    /// new ones: ask them to sign out elsewhere.
    #[error("too many active sessions: sign out on another device first")]
    LimitReached,
    /// The session ended (timed out, signed out elsewhere) meanwhile.
    #[error("the session has ended")]
    Ended,
    /// [`elevate`](SessionManager::elevate) was given another subject than
    /// the session's: sign the new subject in with `login` instead.
    #[error("a session's subject cannot change: sign the new subject in with `login`")]
    SubjectChanged,
}

/// What a cookie led to.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Lookup {
    /// A live session, now marked used.
    Active(Box<ActiveSession>),
    /// Not a value rampart wrote.
    Malformed,
    /// No such session (signed out, evicted, or never existed).
    Unknown,
    /// It timed out (idle or absolute) and is now deleted.
    Expired,
    /// It came from another device or network than it was bound to, and is
    /// now deleted.
    BindingMismatch,
}

struct Inner {
    store: SharedSessionStore,
    policies: SessionPolicies,
    cookie: CookieSettings,
    clock: SharedClock,
    sink: SharedSink,
}

/// Server-side sessions for cookie-based applications.
///
/// Built on the ideas of tower-sessions (a store trait, a handle in the
/// request, the cookie written after the handler), with what a security
/// middleware adds:
///
/// - **Hashed ids.** The cookie holds 256 random bits; the store keeps only
///   their SHA-256, so a leaked store dump (or a Redis `MONITOR`) gives no
///   usable cookie.
/// - **Two timeouts.** Idle (default 30 min) *and* absolute (default 12 h),
///   decided by the [`Clock`](rampart_core::Clock), and enforced atomically by
///   the store on every lookup.
/// - **Fixation defence.** [`login`](Self::login) always issues a fresh id
///   and ends the pre-login one; [`rotate`](Self::rotate) does the same on a
///   privilege change, keeping the data.
/// - **Concurrency limit.** At most N live sessions per user (default 3),
///   evicting the oldest or refusing the newest, atomically.
/// - **Binding.** Optionally to the user agent and to the /24 or /64 of the
///   sign-in's address; a mismatch ends the session and raises an event.
/// - **Per-tenant policies** through [`SessionPolicies`].
/// - **Log out everywhere:** [`log_out_everywhere`](Self::log_out_everywhere)
///   ends every session and, given the [`TokenManager`], every JWT.
///
/// ```
/// use rampart::auth::session::{ClientInfo, Lookup, MemorySessionStore, SessionManager};
/// use rampart::core::{AuthMethod, Principal};
/// use std::sync::Arc;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let sessions = SessionManager::builder(Arc::new(MemorySessionStore::new())).build();
/// let client = ClientInfo::default();
/// let alice = Principal::new("alice", AuthMethod::Session).with_roles(["editor"]);
/// let session = sessions.login(None, alice, &client).await?;
/// let cookie = sessions.cookie().set_cookie(session.token().expose(), 1800);
/// # let _ = cookie;
/// match sessions.load(session.token().expose(), &client).await? {
///     Lookup::Active(s) => assert_eq!(s.subject(), Some("alice")),
///     other => panic!("{other:?}"),
/// }
/// sessions.log_out_everywhere("alice", None).await?;
/// assert!(matches!(sessions.load(session.token().expose(), &client).await?, Lookup::Unknown));
/// # Ok(()) }
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(run())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SessionManager {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SessionManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionManager")
            .field("policies", &self.inner.policies)
            .field("cookie", &self.inner.cookie)
            .finish_non_exhaustive()
    }
}

/// Builds a [`SessionManager`].
#[must_use]
pub struct SessionManagerBuilder {
    store: SharedSessionStore,
    policies: SessionPolicies,
    cookie: CookieSettings,
    clock: SharedClock,
    sink: SharedSink,
}

impl SessionManagerBuilder {
    /// The policies (one, or one per tenant). Default: [`SessionPolicy::default`].
    pub fn policies(mut self, policies: impl Into<SessionPolicies>) -> Self {
        self.policies = policies.into();
        self
    }

    /// The cookie. Default: [`CookieSettings::default`] (`__Host-session`).
    pub fn cookie(mut self, cookie: CookieSettings) -> Self {
        self.cookie = cookie;
        self
    }

    /// Where time comes from. Default: the system clock.
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Where session events go. Default: the tracing sink.
    pub fn event_sink(mut self, sink: SharedSink) -> Self {
        self.sink = sink;
        self
    }

    /// The manager.
    pub fn build(self) -> SessionManager {
        SessionManager {
            inner: Arc::new(Inner {
                store: self.store,
                policies: self.policies,
                cookie: self.cookie,
                clock: self.clock,
                sink: self.sink,
            }),
        }
    }
}

fn sha256(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest(&SHA256, text.as_bytes()).as_ref())
}

impl SessionManager {
    /// A manager keeping sessions in `store`.
    pub fn builder(store: SharedSessionStore) -> SessionManagerBuilder {
        SessionManagerBuilder {
            store,
            policies: SessionPolicies::default(),
            cookie: CookieSettings::default(),
            clock: SystemClock::shared(),
            sink: TracingSink::shared(),
        }
    }

    /// The cookie settings.
    pub fn cookie(&self) -> &CookieSettings {
        &self.inner.cookie
    }

    /// The policies.
    pub fn policies(&self) -> &SessionPolicies {
        &self.inner.policies
    }

    pub(crate) fn sink(&self) -> &SharedSink {
        &self.inner.sink
    }

    pub(crate) fn now(&self) -> u64 {
        self.inner.clock.unix_secs()
    }

    pub(crate) fn emit(&self, event: SecurityEvent, client: &ClientInfo) {
        let mut event = event.at(self.inner.clock.now());
        event.client_ip = client.ip;
        event.request_id.clone_from(&client.request_id);
        self.inner.sink.emit(event);
    }

    fn record(
        &self,
        token: &SessionToken,
        subject: Option<&str>,
        policy: &SessionPolicy,
        data: &SessionData,
    ) -> StoredSession {
        let now = self.now();
        StoredSession {
            key: token.key(),
            subject: subject.map(str::to_owned),
            created: now,
            last_seen: now,
            idle_secs: policy.idle_timeout().as_secs(),
            deadline: now.saturating_add(policy.absolute_timeout().as_secs()),
            data: data.to_json(),
        }
    }

    /// A new session before sign-in (to keep a cart, a login CSRF value...),
    /// under the default policy and without a per-user limit.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the store fails.
    pub async fn start(&self, client: &ClientInfo) -> Result<ActiveSession, SessionError> {
        let token = SessionToken::generate(None)?;
        let policy = self.inner.policies.for_tenant(None);
        let mut data = SessionData::default();
        bind(&mut data, &policy, client);
        let stored = self.record(&token, None, &policy, &data);
        self.inner.store.create(&stored, None, self.now()).await?;
        Ok(ActiveSession::new(token, stored))
    }

    /// Signs `principal` in: a new session with a new id under the policy of
    /// its tenant, respecting the per-user limit. `previous` (the pre-login
    /// session, if any) ends, and its values are carried over, so a
    /// fixated id is worthless.
    ///
    /// # Errors
    /// [`SessionError::LimitReached`] when the policy refuses one more
    /// session; [`SessionError::Store`] when the store fails.
    pub async fn login(
        &self,
        previous: Option<&ActiveSession>,
        principal: Principal,
        client: &ClientInfo,
    ) -> Result<ActiveSession, SessionError> {
        let subject = principal.subject().to_owned();
        let policy = self.inner.policies.for_tenant(principal.tenant());
        let token = SessionToken::generate(Some(&subject))?;
        let mut data = SessionData {
            values: previous.map(|p| p.data.values.clone()).unwrap_or_default(),
            ..SessionData::default()
        };
        bind(&mut data, &policy, client);
        data.principal = Some(session_principal(&principal, token.key().handle()));
        let stored = self.record(&token, Some(&subject), &policy, &data);
        let limit = (policy.max_per_user() > 0).then(|| UserLimit {
            max: policy.max_per_user(),
            action: policy.on_limit(),
        });
        let created = self.inner.store.create(&stored, limit, self.now()).await?;
        let evicted = match created {
            Created::Stored { evicted } => evicted,
            Created::Refused => {
                self.emit(
                    event(
                        EventKind::AuthenticationFailed,
                        "session limit reached",
                        &principal,
                    )
                    .with_field("session_event", "limit_refused")
                    .with_field("limit", policy.max_per_user()),
                    client,
                );
                return Err(SessionError::LimitReached);
            }
        };
        for key in &evicted {
            self.emit(
                event(
                    EventKind::TokenRevoked,
                    "session evicted by the per-user limit",
                    &principal,
                )
                .with_field("session_event", "limit_evicted")
                .with_field("session", key.handle().to_owned()),
                client,
            );
        }
        if let Some(prev) = previous {
            self.inner.store.delete(prev.key()).await?;
        }
        let session = ActiveSession::new(token, stored);
        self.emit(
            event(
                EventKind::AuthenticationSucceeded,
                "session created",
                &principal,
            )
            .with_field("session_event", "created")
            .with_field("session", session.handle().to_owned()),
            client,
        );
        Ok(session)
    }

    /// Loads the session named by a cookie value and marks it used. Times
    /// out, binding mismatches and unknown ids all end in no session; the
    /// first two raise an event.
    ///
    /// # Errors
    /// A [`StoreError`] when the store fails.
    pub async fn load(&self, cookie: &str, client: &ClientInfo) -> Result<Lookup, StoreError> {
        let Some(token) = SessionToken::parse(cookie) else {
            return Ok(Lookup::Malformed);
        };
        let key = token.key();
        match self.inner.store.touch(&key, self.now()).await? {
            Touched::Missing => Ok(Lookup::Unknown),
            Touched::Expired(stored) => {
                let data = SessionData::parse(&stored.data);
                if let Some(p) = &data.principal {
                    self.emit(
                        event(EventKind::AuthenticationFailed, "session expired", p)
                            .with_severity(Severity::Info)
                            .with_field("session_event", "expired")
                            .with_field("session", key.handle().to_owned()),
                        client,
                    );
                }
                Ok(Lookup::Expired)
            }
            Touched::Live(stored) => {
                let session = ActiveSession::new(token, stored);
                if let Some(what) = mismatch(&session.data, client) {
                    self.inner.store.delete(&key).await?;
                    let mut e = SecurityEvent::new(
                        EventKind::AuthenticationFailed,
                        SOURCE,
                        "session binding mismatch",
                    )
                    .with_severity(Severity::Critical)
                    .with_field("session_event", "binding_mismatch")
                    .with_field("binding", what)
                    .with_field("session", key.handle().to_owned());
                    if let Some(s) = session.subject() {
                        e = e.with_subject(s);
                    }
                    self.emit(e, client);
                    return Ok(Lookup::BindingMismatch);
                }
                Ok(Lookup::Active(Box::new(session)))
            }
        }
    }

    /// Gives the session a new id, keeping its data and timeouts; the old id
    /// stops working at once. Call it on every privilege change (role granted,
    /// MFA passed, password changed).
    ///
    /// # Errors
    /// [`SessionError::Ended`] if the session is gone; [`SessionError::Store`].
    pub async fn rotate(&self, session: &ActiveSession) -> Result<ActiveSession, SessionError> {
        let token = SessionToken::generate(session.subject())?;
        let token = if session.subject().is_none() {
            // Before sign-in the tag is random: keep it, stay in the same slot.
            regenerate_with_tag(&session.key().tag)?.unwrap_or(token)
        } else {
            token
        };
        let mut stored = session.stored.clone();
        stored.key = token.key();
        let mut data = session.data.clone();
        if let Some(p) = &data.principal {
            data.principal = Some(session_principal(p, stored.key.handle()));
        }
        stored.data = data.to_json();
        if !self.inner.store.replace(session.key(), &stored).await? {
            return Err(SessionError::Ended);
        }
        let mut e = SecurityEvent::new(
            EventKind::AuthenticationSucceeded,
            SOURCE,
            "session id rotated",
        )
        .with_severity(Severity::Info)
        .with_field("session_event", "rotated")
        .with_field("session", stored.key.handle().to_owned());
        if let Some(s) = session.subject() {
            e = e.with_subject(s);
        }
        self.emit(e, &ClientInfo::default());
        Ok(ActiveSession::new(token, stored))
    }

    /// Rotates and replaces the principal (a role change, MFA passed).
    ///
    /// # Errors
    /// As [`rotate`](Self::rotate); [`SessionError::SubjectChanged`] when
    /// `principal` is not the session's subject.
    pub async fn elevate(
        &self,
        session: &ActiveSession,
        principal: Principal,
    ) -> Result<ActiveSession, SessionError> {
        if session.subject() != Some(principal.subject()) {
            return Err(SessionError::SubjectChanged);
        }
        let mut changed = session.clone();
        changed.set_principal(principal);
        self.rotate(&changed).await
    }

    /// Keeps the session's values; `false` if it has ended meanwhile.
    ///
    /// # Errors
    /// A [`StoreError`] when the store fails.
    pub async fn save(&self, session: &ActiveSession) -> Result<bool, StoreError> {
        self.inner
            .store
            .save(session.key(), &session.stored.data)
            .await
    }

    /// Ends one session (sign-out); `false` if it was already gone.
    ///
    /// # Errors
    /// A [`StoreError`] when the store fails.
    pub async fn destroy(&self, session: &ActiveSession) -> Result<bool, StoreError> {
        self.inner.store.delete(session.key()).await
    }

    /// The live sessions of `subject`, oldest first.
    ///
    /// # Errors
    /// A [`StoreError`] when the store fails.
    pub async fn list(&self, subject: &str) -> Result<Vec<SessionInfo>, StoreError> {
        Ok(self
            .owned(subject)
            .await?
            .iter()
            .map(SessionInfo::from_stored)
            .collect())
    }

    async fn owned(&self, subject: &str) -> Result<Vec<StoredSession>, StoreError> {
        let all = self
            .inner
            .store
            .list(&subject_tag(subject), self.now())
            .await?;
        Ok(all
            .into_iter()
            .filter(|s| s.subject.as_deref() == Some(subject))
            .collect())
    }

    /// Ends the session of `subject` whose [handle](SessionInfo::handle) is
    /// `handle` ("sign out that device"); `false` if there is none.
    ///
    /// # Errors
    /// A [`StoreError`] when the store fails.
    pub async fn destroy_handle(&self, subject: &str, handle: &str) -> Result<bool, StoreError> {
        let found: Option<SessionKey> = self
            .owned(subject)
            .await?
            .into_iter()
            .find(|s| s.key.handle() == handle)
            .map(|s| s.key);
        match found {
            Some(key) => self.inner.store.delete(&key).await,
            None => Ok(false),
        }
    }

    /// Ends every session of `subject`; answers how many there were.
    ///
    /// # Errors
    /// A [`StoreError`] when the store fails.
    pub async fn destroy_all(&self, subject: &str) -> Result<usize, StoreError> {
        let n = self.inner.store.delete_all(&subject_tag(subject)).await?;
        self.emit(
            SecurityEvent::new(EventKind::TokenRevoked, SOURCE, "all sessions ended")
                .with_subject(subject)
                .with_field("session_event", "destroy_all")
                .with_field("count", n),
            &ClientInfo::default(),
        );
        Ok(n)
    }

    /// "Log out everywhere", and what to call when an account is disabled:
    /// every session of `subject` ends, and with `tokens`, every access and
    /// refresh token issued to it so far is revoked
    /// ([`TokenManager::logout_everywhere`]). Answers the sessions ended.
    ///
    /// Pair it with an [`AccountStatusCheck`](crate::AccountStatusCheck) on
    /// the layers (and [`forget`](crate::AccountStatusCheck::forget) the
    /// subject there) so requests already in flight stop too.
    ///
    /// # Errors
    /// A [`StoreError`] when a store fails; call again, it is idempotent.
    pub async fn log_out_everywhere(
        &self,
        subject: &str,
        tokens: Option<&TokenManager>,
    ) -> Result<usize, StoreError> {
        let n = self.destroy_all(subject).await?;
        if let Some(tokens) = tokens {
            tokens.logout_everywhere(subject).await?;
        }
        Ok(n)
    }
}

/// A token with the same routing tag as `tag` (anonymous rotation).
fn regenerate_with_tag(tag: &str) -> Result<Option<SessionToken>, StoreError> {
    let fresh = SessionToken::generate(None)?;
    let value = fresh.expose();
    let id = value.split_once('.').map(|(_, id)| id).unwrap_or_default();
    Ok(SessionToken::parse(&format!("{tag}.{id}")))
}

fn event(kind: EventKind, reason: &'static str, p: &Principal) -> SecurityEvent {
    let mut e = SecurityEvent::new(kind, SOURCE, reason).with_subject(p.subject());
    if let Some(t) = p.tenant() {
        e = e.with_tenant(t);
    }
    e
}

fn bind(data: &mut SessionData, policy: &SessionPolicy, client: &ClientInfo) {
    data.device = client.user_agent.as_deref().map(device_summary);
    data.ip_prefix = client.ip.map(ip_prefix);
    if policy.binds_user_agent() {
        data.ua_hash = Some(sha256(client.user_agent.as_deref().unwrap_or_default()));
    }
    data.bind_ip = policy.binds_ip_prefix();
}

/// Which binding the client breaks, if any.
fn mismatch(data: &SessionData, client: &ClientInfo) -> Option<&'static str> {
    if let Some(ua) = &data.ua_hash
        && *ua != sha256(client.user_agent.as_deref().unwrap_or_default())
    {
        return Some("user_agent");
    }
    if data.bind_ip && data.ip_prefix != client.ip.map(ip_prefix) {
        return Some("ip_prefix");
    }
    None
}
