//! The answer of a check, with what decided it.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

/// Whether an action is allowed, and why.
///
/// The reason is for the audit trail and for whoever debugs the policy; it names
/// roles and rules, so it is never shown to the client (the layer answers a
/// generic 403).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    allowed: bool,
    reason: Reason,
}

impl Decision {
    pub(crate) fn allow(reason: Reason) -> Self {
        Self {
            allowed: true,
            reason,
        }
    }

    pub(crate) fn deny(reason: Reason) -> Self {
        Self {
            allowed: false,
            reason,
        }
    }

    /// Whether the action is allowed.
    pub fn is_allowed(&self) -> bool {
        self.allowed
    }

    /// Why.
    pub fn reason(&self) -> &Reason {
        &self.reason
    }

    /// The rule that decided, when a rule did.
    pub fn rule(&self) -> Option<&MatchedRule> {
        match &self.reason {
            Reason::Rule(rule) | Reason::ScopeNotSatisfied(rule) => Some(rule),
            _ => None,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.allowed {
            "allowed: "
        } else {
            "denied: "
        })?;
        fmt::Display::fmt(&self.reason, f)
    }
}

/// What decided a [`Decision`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// A rule matched: an allow rule for an allowed decision, a `deny` rule (which
    /// overrides every allow and grant) for a denied one.
    Rule(MatchedRule),
    /// A grant on this very resource allowed it.
    Grant(GrantBasis),
    /// No role of the principal has a permission covering the action.
    NoPermission,
    /// A permission covers the action but its scope excludes this resource (another
    /// tenant's, say). The rule is the first such one, for debugging.
    ScopeNotSatisfied(MatchedRule),
    /// A role or grant store failed and the authorizer fails closed.
    StoreUnavailable,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Rule(rule) => write!(f, "{rule}"),
            Reason::Grant(grant) => {
                write!(
                    f,
                    "grant on {}/{} to {}",
                    grant.resource_type, grant.resource_id, grant.subject
                )?;
                match &grant.tenant {
                    Some(t) => write!(f, " in tenant {t}"),
                    None => f.write_str(" in every tenant"),
                }
            }
            Reason::NoPermission => f.write_str("no role of the principal covers the action"),
            Reason::ScopeNotSatisfied(rule) => {
                write!(f, "scope of {rule} does not include the resource")
            }
            Reason::StoreUnavailable => f.write_str("a role or grant store failed (fail closed)"),
        }
    }
}

/// A policy rule that took part in a decision.
///
/// Cloning is a reference-count increment: decisions carry it without allocating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedRule(pub(crate) Arc<RuleInfo>);

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RuleInfo {
    pub(crate) held: Arc<str>,
    pub(crate) defined_in: Arc<str>,
    pub(crate) permission: Box<str>,
    pub(crate) location: Box<str>,
    pub(crate) deny: bool,
    pub(crate) binding: Option<Box<str>>,
}

impl MatchedRule {
    /// The role the principal holds that brought the rule (`editor`).
    pub fn role(&self) -> &str {
        &self.0.held
    }

    /// The role that defines the rule (`viewer`, inherited by `editor`).
    pub fn defined_in(&self) -> &str {
        &self.0.defined_in
    }

    /// The permission as written (`items:read`).
    pub fn permission(&self) -> &str {
        &self.0.permission
    }

    /// Where it is written (`roles.viewer.permissions[0]`).
    pub fn location(&self) -> &str {
        &self.0.location
    }

    /// Whether it is a `deny` rule.
    pub fn is_deny(&self) -> bool {
        self.0.deny
    }

    /// The static binding that gave the role, when it came from the policy's
    /// `bindings` (`bindings[0]`) rather than from the principal.
    pub fn binding(&self) -> Option<&str> {
        self.0.binding.as_deref()
    }
}

impl fmt::Display for MatchedRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.0.deny { "deny" } else { "permission" };
        write!(f, "{kind} {} ({})", self.0.permission, self.0.location)?;
        if self.0.held != self.0.defined_in {
            write!(f, " inherited through role {}", self.0.held)?;
        }
        if let Some(binding) = &self.0.binding {
            write!(f, " bound by {binding}")?;
        }
        Ok(())
    }
}

/// The grant that allowed an action.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GrantBasis {
    /// The tenant it was given in, `None` for a global grant.
    pub tenant: Option<String>,
    /// Who holds it.
    pub subject: String,
    /// The kind of resource.
    pub resource_type: String,
    /// The resource's id.
    pub resource_id: String,
    /// When it lapses, if ever.
    pub expires_at: Option<SystemTime>,
}
