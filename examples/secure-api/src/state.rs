//! What the handlers share.

use crate::items::ItemStore;
use crate::users::UserDirectory;
use rampart_auth::JwtAuthority;
use rampart_ratelimit::LoginThrottle;
use rampart_rbac::Authorizer;
use std::sync::Arc;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Token issuing, refresh rotation, revocation.
    pub auth: JwtAuthority,
    /// Who may log in.
    pub users: Arc<UserDirectory>,
    /// The demo resource.
    pub items: Arc<ItemStore>,
    /// The policy, for decisions a route guard cannot make alone (which
    /// tenants' items a caller sees).
    pub authz: Authorizer,
    /// Failed sign-ins per username and per address.
    pub login_throttle: LoginThrottle,
    /// The second factor: TOTP enrolments, backup codes, wrong-code lockouts.
    pub mfa: rampart_auth::mfa::Mfa,
    /// The audit trail, when one is configured.
    pub audit: Option<rampart_audit::AuditTrail>,
    /// Encrypted personal data behind `/api/profile`.
    pub profiles: Arc<crate::profile::ProfileStore>,
    /// Where handlers report security events (the trail, and `tracing`).
    pub events: rampart_core::SharedSink,
}
