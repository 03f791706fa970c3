//! Permission strings: `resource:action[:scope]` with `*` per segment.

use crate::error::PermissionError;
use std::fmt;
use std::str::FromStr;

/// One segment of a permission: a name, or `*` for any.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// `*`: matches every value.
    Any,
    /// Matches exactly this value.
    Exact(Box<str>),
}

impl Segment {
    /// Whether this segment admits `value`.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Segment::Any => true,
            Segment::Exact(name) => &**name == value,
        }
    }

    fn parse(raw: &str, what: &'static str, input: &str) -> Result<Self, PermissionError> {
        if raw == "*" {
            return Ok(Segment::Any);
        }
        validate_name(raw, what, input)?;
        Ok(Segment::Exact(raw.into()))
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Segment::Any => f.write_str("*"),
            Segment::Exact(name) => f.write_str(name),
        }
    }
}

/// Which instances of a resource a permission covers.
///
/// Scopes are how one role definition serves every tenant: `tenant_admin` gets
/// `user:*:own_tenant` once, and the check compares the resource's tenant with the
/// caller's, instead of the policy listing a role per tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// No scope (or `*`): every instance.
    All,
    /// `own`: the caller owns the resource (its owner is the caller's subject), or the
    /// resource is the caller's own tenant or organisation entity.
    Own,
    /// `own_tenant`: the resource is in the caller's tenant.
    OwnTenant,
    /// `own_org`: the resource is in the caller's organisation.
    OwnOrg,
    /// Any other name: decided by the [`crate::ScopeResolver`] registered under it.
    Custom(Box<str>),
}

impl Scope {
    fn parse(raw: &str, input: &str) -> Result<Self, PermissionError> {
        Ok(match raw {
            "*" => Scope::All,
            "own" => Scope::Own,
            "own_tenant" => Scope::OwnTenant,
            "own_org" => Scope::OwnOrg,
            other => {
                validate_name(other, "scope", input)?;
                Scope::Custom(other.into())
            }
        })
    }

    /// The scope as written in a policy (`""` for [`Scope::All`]).
    pub fn as_str(&self) -> &str {
        match self {
            Scope::All => "",
            Scope::Own => "own",
            Scope::OwnTenant => "own_tenant",
            Scope::OwnOrg => "own_org",
            Scope::Custom(name) => name,
        }
    }
}

/// A parsed permission: `resource:action` or `resource:action:scope`.
///
/// ```
/// use rampart::rbac::{Permission, Scope};
///
/// let p: Permission = "reports:read:own_tenant".parse()?;
/// assert!(p.covers("reports", "read"));
/// assert!(!p.covers("reports", "delete"));
/// assert_eq!(p.scope(), &Scope::OwnTenant);
///
/// let any_read: Permission = "*:read".parse()?;
/// assert!(any_read.covers("invoices", "read"));
/// # Ok::<(), rampart::rbac::PermissionError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Permission {
    resource: Segment,
    action: Segment,
    scope: Scope,
}

impl Permission {
    /// Parses `input`. `*` alone means every action on every resource.
    pub fn parse(input: &str) -> Result<Self, PermissionError> {
        if input == "*" {
            return Ok(Self {
                resource: Segment::Any,
                action: Segment::Any,
                scope: Scope::All,
            });
        }
        let mut parts = input.split(':');
        let resource = parts.next().unwrap_or_default();
        let Some(action) = parts.next() else {
            return Err(PermissionError::Shape {
                input: input.to_owned(),
            });
        };
        let scope = parts.next();
        if parts.next().is_some() {
            return Err(PermissionError::Shape {
                input: input.to_owned(),
            });
        }
        Ok(Self {
            resource: Segment::parse(resource, "resource", input)?,
            action: Segment::parse(action, "action", input)?,
            scope: match scope {
                Some(s) => Scope::parse(s, input)?,
                None => Scope::All,
            },
        })
    }

    /// The resource segment.
    pub fn resource(&self) -> &Segment {
        &self.resource
    }

    /// The action segment.
    pub fn action(&self) -> &Segment {
        &self.action
    }

    /// The scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Whether the resource and action segments admit `action` on `resource`
    /// (the scope is decided against a concrete resource by the authorizer).
    pub fn covers(&self, resource: &str, action: &str) -> bool {
        self.resource.matches(resource) && self.action.matches(action)
    }
}

impl FromStr for Permission {
    type Err = PermissionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.resource == Segment::Any && self.action == Segment::Any && self.scope == Scope::All
        {
            return f.write_str("*");
        }
        write!(f, "{}:{}", self.resource, self.action)?;
        if self.scope != Scope::All {
            write!(f, ":{}", self.scope.as_str())?;
        }
        Ok(())
    }
}

/// An action required on a kind of resource: `resource:action`, no wildcards, no
/// scope. What a route demands; the policy's permissions say who may do it.
///
/// ```
/// use rampart::rbac::Action;
///
/// let a = Action::parse("items:read")?;
/// assert_eq!((a.resource(), a.action()), ("items", "read"));
/// assert!(Action::parse("items:read:own").is_err());
/// # Ok::<(), rampart::rbac::PermissionError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Action {
    resource: Box<str>,
    action: Box<str>,
}

impl Action {
    /// Parses `resource:action`.
    pub fn parse(input: &str) -> Result<Self, PermissionError> {
        let (Some(resource), action) = split_required(input)? else {
            return Err(PermissionError::Required {
                input: input.to_owned(),
            });
        };
        Ok(Self {
            resource: resource.into(),
            action: action.into(),
        })
    }

    /// The kind of resource (`items`).
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The action on it (`read`).
    pub fn action(&self) -> &str {
        &self.action
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.resource, self.action)
    }
}

/// Reads a required action, `resource:action` or the action alone (`read`):
/// the one reading of what a check or a route demands, shared by
/// [`Action::parse`] (hence `RequirePermission::new`) and `Authorizer::check`,
/// so a string one accepts the other does too. Borrows: the check's hot path
/// parses without allocating.
pub(crate) fn split_required(input: &str) -> Result<(Option<&str>, &str), PermissionError> {
    let (resource, action) = match input.split_once(':') {
        Some((resource, action)) => (Some(resource), action),
        None => (None, input),
    };
    if action.contains(':') || resource == Some("*") || action == "*" {
        return Err(PermissionError::Required {
            input: input.to_owned(),
        });
    }
    if let Some(resource) = resource {
        validate_name(resource, "resource", input)?;
    }
    validate_name(action, "action", input)?;
    Ok((resource, action))
}

// Names are restricted so that a permission string has exactly one reading and
// can be logged and put in a SQL comment or a Redis key without escaping.
fn validate_name(raw: &str, what: &'static str, input: &str) -> Result<(), PermissionError> {
    let valid = !raw.is_empty()
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if valid {
        Ok(())
    } else {
        Err(PermissionError::Name {
            input: input.to_owned(),
            what,
            segment: raw.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_three_shapes() {
        let p = Permission::parse("items:read").unwrap();
        assert_eq!(p.scope(), &Scope::All);
        let p = Permission::parse("user:*:own_org").unwrap();
        assert_eq!(p.action(), &Segment::Any);
        assert_eq!(p.scope(), &Scope::OwnOrg);
        let p = Permission::parse("prediction:read:assigned_companies").unwrap();
        assert_eq!(p.scope(), &Scope::Custom("assigned_companies".into()));
        let p = Permission::parse("*").unwrap();
        assert!(p.covers("anything", "at_all"));
        assert_eq!(
            Permission::parse("items:read:*").unwrap().scope(),
            &Scope::All
        );
    }

    #[test]
    fn rejects_malformed_strings_and_says_why() {
        for bad in [
            "",
            "items",
            "items:",
            ":read",
            "a:b:c:d",
            "it ems:read",
            "items:re*d",
        ] {
            let err = Permission::parse(bad).unwrap_err();
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn action_refuses_wildcards_and_scopes() {
        assert!(Action::parse("items:*").is_err());
        assert!(Action::parse("*:read").is_err());
        assert!(Action::parse("items").is_err());
        let err = Action::parse("reports:read:own_tenant").unwrap_err();
        assert!(err.to_string().contains("scope"), "{err}");
        // A wildcard on either side is told it is a wildcard, not a bad name.
        for wild in ["items:*", "*:read", "*:*"] {
            assert!(
                matches!(Action::parse(wild), Err(PermissionError::Required { .. })),
                "{wild}"
            );
        }
    }

    #[test]
    fn one_parser_reads_required_actions() {
        assert_eq!(split_required("read"), Ok((None, "read")));
        assert_eq!(
            split_required("reports:export"),
            Ok((Some("reports"), "export"))
        );
        for bad in [
            "", "a:", ":a", "::", "a b:c", "a:b:c", "*:read", "items:*", "*",
        ] {
            let err = split_required(bad).unwrap_err();
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
            assert_eq!(Action::parse(bad).unwrap_err(), err, "{bad}");
        }
    }

    fn name() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9_]{0,8}"
    }

    proptest! {
        #[test]
        fn display_round_trips(r in name(), a in name(), s in proptest::option::of(name()),
                               wild_r: bool, wild_a: bool) {
            let r = if wild_r { "*".to_owned() } else { r };
            let a = if wild_a { "*".to_owned() } else { a };
            let text = match &s { Some(s) => format!("{r}:{a}:{s}"), None => format!("{r}:{a}") };
            let p = Permission::parse(&text).unwrap();
            let again = Permission::parse(&p.to_string()).unwrap();
            prop_assert_eq!(p, again);
        }

        #[test]
        fn wildcard_segments_cover_everything_exact_ones_only_themselves(
            r in name(), a in name(), other in name()
        ) {
            let exact = Permission::parse(&format!("{r}:{a}")).unwrap();
            prop_assert!(exact.covers(&r, &a));
            prop_assert_eq!(exact.covers(&other, &a), other == r);
            prop_assert_eq!(exact.covers(&r, &other), other == a);
            let any_action = Permission::parse(&format!("{r}:*")).unwrap();
            prop_assert!(any_action.covers(&r, &other));
            let any_resource = Permission::parse(&format!("*:{a}")).unwrap();
            prop_assert!(any_resource.covers(&other, &a));
            prop_assert!(Permission::parse("*").unwrap().covers(&other, &a));
        }

        #[test]
        fn parse_never_panics(s in ".{0,40}") {
            let _ = Permission::parse(&s);
            let _ = Action::parse(&s);
        }
    }
}
