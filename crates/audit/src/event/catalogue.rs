//! The event catalogue: type names, their default severity and compliance tags.

use serde::{Deserialize, Serialize};

/// How much attention an event deserves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Routine: a successful login, a read.
    Info,
    /// Usually benign refusals: a rate limit.
    Low,
    /// Refusals worth a look: a denied permission, a failed login.
    Medium,
    /// Changes to who may do what, or likely attacks.
    High,
    /// Evidence of compromise or of the audit trail itself failing.
    Critical,
}

/// Whether the action succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It happened.
    Success,
    /// It was refused or failed.
    Failure,
    /// Not known (an observation rather than an action).
    Unknown,
}

/// The event types rampart records. Applications may use their own names;
/// those get the defaults of their first segment (`admin.*`, `data.*`...).
pub mod types {
    /// A credential was accepted.
    pub const AUTH_LOGIN_SUCCESS: &str = "auth.login.success";
    /// A sign-in was refused: unknown user, wrong password or second factor.
    pub const AUTH_LOGIN_FAILURE: &str = "auth.login.failure";
    /// A bearer or refresh token was missing, malformed, expired or forged.
    /// Apart from sign-in failures, so that the brute-force rules do not
    /// count a client replaying a stale token.
    pub const AUTH_TOKEN_REJECTED: &str = "auth.token.rejected";
    /// A token, token family or subject was revoked.
    pub const AUTH_TOKEN_REVOKED: &str = "auth.token.revoked";
    /// A refresh token was presented twice (likely theft).
    pub const AUTH_TOKEN_REUSED: &str = "auth.token.reused";
    /// An account was locked after repeated failures.
    pub const AUTH_ACCOUNT_LOCKED: &str = "auth.account.locked";
    /// A user enrolled a second factor.
    pub const AUTH_MFA_ENROLLED: &str = "auth.mfa.enrolled";
    /// A user's second factor was reset.
    pub const AUTH_MFA_RESET: &str = "auth.mfa.reset";
    /// An authorization check denied the request.
    pub const AUTHZ_DENIED: &str = "authz.denied";
    /// A rate limit refused the request.
    pub const RATELIMIT_LIMITED: &str = "ratelimit.limited";
    /// Input matched an attack detector.
    pub const INPUT_ATTACK_DETECTED: &str = "input.attack_detected";
    /// A cross-site request was refused.
    pub const REQUEST_CSRF_REJECTED: &str = "request.csrf_rejected";
    /// A cross-origin request came from an origin not allowed.
    pub const REQUEST_CORS_REJECTED: &str = "request.cors_rejected";
    /// Data was read.
    pub const DATA_READ: &str = "data.read";
    /// Data was created or changed.
    pub const DATA_WRITE: &str = "data.write";
    /// Data was deleted.
    pub const DATA_DELETE: &str = "data.delete";
    /// A role binding or grant was added.
    pub const ADMIN_ROLE_GRANTED: &str = "admin.role.granted";
    /// A role binding or grant was removed.
    pub const ADMIN_ROLE_REVOKED: &str = "admin.role.revoked";
    /// A subject was given a permission on one resource instance (a grant).
    pub const ADMIN_PERMISSION_GRANTED: &str = "admin.permission.granted";
    /// A subject's permission on one resource instance was revoked or lapsed.
    pub const ADMIN_PERMISSION_REVOKED: &str = "admin.permission.revoked";
    /// A policy was reloaded.
    pub const ADMIN_POLICY_RELOADED: &str = "admin.policy.reloaded";
    /// A signing or encryption key was rotated.
    pub const ADMIN_KEY_ROTATED: &str = "admin.key.rotated";
    /// Security configuration changed at run time.
    pub const ADMIN_CONFIG_CHANGED: &str = "admin.config.changed";
    /// A backing store failed and the configured fail mode applied.
    pub const SYSTEM_STORE_FAILURE: &str = "system.store_failure";
    /// The audit writer started.
    pub const AUDIT_STARTED: &str = "audit.started";
    /// The audit writer resumed after an unclean stop; the record says what was lost.
    pub const AUDIT_GAP: &str = "audit.gap";
    /// A subject's personal data was erased (their key destroyed).
    pub const AUDIT_SUBJECT_ERASED: &str = "audit.subject_erased";
    /// Repeated failed sign-ins for one subject or from one address.
    pub const SECURITY_ALERT_BRUTE_FORCE: &str = "security.alert.brute_force";
    /// Input matched an attack detector.
    pub const SECURITY_ALERT_ATTACK: &str = "security.alert.attack";
    /// One client kept hitting its rate limits.
    pub const SECURITY_ALERT_RATE_LIMIT_ABUSE: &str = "security.alert.rate_limit_abuse";
    /// One subject was denied again and again.
    pub const SECURITY_ALERT_REPEATED_DENIALS: &str = "security.alert.repeated_denials";
    /// An event type arrived far above its rolling baseline.
    pub const SECURITY_ALERT_RATE_ANOMALY: &str = "security.alert.rate_anomaly";
    /// One subject or client touched many distinct endpoints (scanning).
    pub const SECURITY_ALERT_SCANNING: &str = "security.alert.scanning";
    /// One subject acted in many distinct tenants.
    pub const SECURITY_ALERT_CROSS_TENANT: &str = "security.alert.cross_tenant";
    /// One subject read many distinct records (exfiltration).
    pub const SECURITY_ALERT_EXFILTRATION: &str = "security.alert.exfiltration";
    /// Activity outside the configured working hours.
    pub const SECURITY_ALERT_OFF_HOURS: &str = "security.alert.off_hours";
    /// A role or permission change whose target is the actor's own account.
    pub const SECURITY_ALERT_PRIVILEGE_ESCALATION: &str = "security.alert.privilege_escalation";
    /// An automated response blocked a client address (or failed to).
    pub const SECURITY_RESPONSE_BLOCK_CLIENT: &str = "security.response.block_client";
    /// An automated response locked an account (or failed to).
    pub const SECURITY_RESPONSE_LOCK_ACCOUNT: &str = "security.response.lock_account";
    /// An automated response revoked a subject's tokens (or failed to).
    pub const SECURITY_RESPONSE_REVOKE_TOKENS: &str = "security.response.revoke_tokens";
    /// Retention removed old log files (or failed to); the record names them
    /// and where the retained chain begins.
    pub const AUDIT_RETENTION_PRUNED: &str = "audit.retention.pruned";
}

/// Target kinds ([`Target::kind`](crate::Target)) whose id names a subject.
/// Such an id is that subject's personal data, so with
/// [`SubjectKeys`](crate::SubjectKeys) it is encrypted under that subject's own
/// key: erasing the subject makes it unreadable wherever it was the target.
pub mod target_kinds {
    /// A subject (a JWT `sub`). rampart's privilege-change records
    /// (`admin.role.*`, `admin.permission.*`) name whose privileges changed so.
    pub const SUBJECT: &str = "subject";
    /// A user account, for applications that call their subjects users.
    pub const USER: &str = "user";
    /// A principal, for applications that call them so.
    pub const PRINCIPAL: &str = "principal";
}

/// Whether a target of `kind` is a subject (see [`target_kinds`]). Case is
/// ignored, so a careless `User` is not written in clear.
///
/// ```
/// use rampart_audit::target_is_subject;
///
/// assert!(target_is_subject("subject"));
/// assert!(target_is_subject("User"));
/// assert!(!target_is_subject("role_binding"));
/// ```
pub fn target_is_subject(kind: &str) -> bool {
    use target_kinds::*;
    [SUBJECT, USER, PRINCIPAL]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(kind))
}

/// The default severity of an event type.
pub fn default_severity(event_type: &str) -> Severity {
    use types::*;
    match event_type {
        AUTH_TOKEN_REUSED | AUDIT_GAP | SECURITY_ALERT_PRIVILEGE_ESCALATION => Severity::Critical,
        SECURITY_ALERT_RATE_LIMIT_ABUSE
        | SECURITY_ALERT_RATE_ANOMALY
        | SECURITY_ALERT_OFF_HOURS => Severity::Medium,
        t if t.starts_with("security.alert.") || t.starts_with("security.response.") => {
            Severity::High
        }
        INPUT_ATTACK_DETECTED | AUTH_ACCOUNT_LOCKED | AUTH_MFA_RESET | SYSTEM_STORE_FAILURE => {
            Severity::High
        }
        AUTH_LOGIN_FAILURE
        | AUTH_TOKEN_REJECTED
        | AUTHZ_DENIED
        | REQUEST_CSRF_REJECTED
        | AUTH_TOKEN_REVOKED
        | AUDIT_SUBJECT_ERASED
        | AUDIT_RETENTION_PRUNED => Severity::Medium,
        RATELIMIT_LIMITED | REQUEST_CORS_REJECTED | DATA_DELETE => Severity::Low,
        t if t.starts_with("admin.") => Severity::High,
        _ => Severity::Info,
    }
}

/// The default compliance tags of an event type: SOC 2 common criteria, PCI
/// DSS v4 requirement 10.2.1.x, and GDPR articles.
pub fn default_tags(event_type: &str) -> &'static [&'static str] {
    use types::*;
    match event_type {
        AUTH_LOGIN_SUCCESS => &["soc2:cc6.1", "pci-dss:10.2.1"],
        AUTH_LOGIN_FAILURE | AUTH_TOKEN_REJECTED | AUTHZ_DENIED | REQUEST_CSRF_REJECTED => {
            &["soc2:cc6.1", "pci-dss:10.2.1.4"]
        }
        AUTH_TOKEN_REVOKED | AUTH_TOKEN_REUSED | AUTH_ACCOUNT_LOCKED | AUTH_MFA_ENROLLED
        | AUTH_MFA_RESET => &["soc2:cc6.1", "soc2:cc6.2", "pci-dss:10.2.1.5"],
        RATELIMIT_LIMITED | INPUT_ATTACK_DETECTED | REQUEST_CORS_REJECTED => {
            &["soc2:cc7.2", "pci-dss:10.2.1.4"]
        }
        DATA_READ => &["soc2:cc6.1", "pci-dss:10.2.1.1", "gdpr:art-30"],
        DATA_WRITE | DATA_DELETE => &["soc2:cc6.1", "pci-dss:10.2.1.1", "gdpr:art-30"],
        SYSTEM_STORE_FAILURE => &["soc2:cc7.2"],
        AUDIT_STARTED | AUDIT_GAP | AUDIT_RETENTION_PRUNED => &["soc2:cc7.2", "pci-dss:10.2.1.6"],
        AUDIT_SUBJECT_ERASED => &["gdpr:art-17", "pci-dss:10.2.1.7"],
        // Automated review of the trail (PCI DSS 10.4.1.1) raising anomalies (CC7.2, CC7.3).
        t if t.starts_with("security.alert.") => &["soc2:cc7.2", "soc2:cc7.3", "pci-dss:10.4.1.1"],
        // Responding to alerts from security monitoring (CC7.4, PCI DSS 12.10.5).
        t if t.starts_with("security.response.") => &["soc2:cc7.4", "pci-dss:12.10.5"],
        t if t.starts_with("admin.") => {
            &["soc2:cc6.2", "soc2:cc6.3", "soc2:cc8.1", "pci-dss:10.2.1.2"]
        }
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privilege_changes_are_high_and_tagged_as_admin_actions() {
        for t in [
            types::ADMIN_ROLE_GRANTED,
            types::ADMIN_ROLE_REVOKED,
            types::ADMIN_PERMISSION_GRANTED,
            types::ADMIN_PERMISSION_REVOKED,
            types::ADMIN_POLICY_RELOADED,
            types::ADMIN_KEY_ROTATED,
            "admin.tenant.created",
        ] {
            assert_eq!(default_severity(t), Severity::High, "{t}");
            assert!(default_tags(t).contains(&"pci-dss:10.2.1.2"), "{t}");
        }
    }

    #[test]
    fn failures_and_attacks_rank_above_routine() {
        assert!(default_severity(types::AUTH_TOKEN_REUSED) > default_severity(types::AUTHZ_DENIED));
        assert!(default_severity(types::AUTHZ_DENIED) > default_severity(types::RATELIMIT_LIMITED));
        assert!(
            default_severity(types::RATELIMIT_LIMITED)
                > default_severity(types::AUTH_LOGIN_SUCCESS)
        );
        assert_eq!(default_severity("custom.thing"), Severity::Info);
        assert_eq!(
            default_severity(types::SECURITY_ALERT_PRIVILEGE_ESCALATION),
            Severity::Critical
        );
        assert_eq!(
            default_severity(types::SECURITY_ALERT_BRUTE_FORCE),
            Severity::High
        );
        assert_eq!(
            default_severity(types::SECURITY_RESPONSE_BLOCK_CLIENT),
            Severity::High
        );
        assert_eq!(
            default_severity(types::SECURITY_ALERT_OFF_HOURS),
            Severity::Medium
        );
        assert!(default_tags("security.alert.custom").contains(&"pci-dss:10.4.1.1"));
        assert!(default_tags(types::SECURITY_RESPONSE_REVOKE_TOKENS).contains(&"soc2:cc7.4"));
        assert!(default_tags("custom.thing").is_empty());
    }
}
