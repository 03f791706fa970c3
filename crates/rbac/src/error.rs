//! What can go wrong loading a policy, building an authorizer or reaching a store.

/// A permission or required action string that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PermissionError {
    /// Not `resource:action` or `resource:action:scope`.
    #[error("permission {input:?} is not `resource:action` or `resource:action:scope`")]
    Shape {
        /// The string as given.
        input: String,
    },
    /// A segment holds characters outside `[A-Za-z0-9_.-]` or is empty.
    #[error(
        "permission {input:?}: {what} {segment:?} must be `*` or non-empty ASCII letters, digits, `_`, `-`, `.`"
    )]
    Name {
        /// The string as given.
        input: String,
        /// Which segment (`resource`, `action`, `scope`).
        what: &'static str,
        /// The offending segment.
        segment: String,
    },
    /// A required action must name one resource and one action, without wildcard or scope.
    #[error(
        "required action {input:?} must be `resource:action` without `*` or a scope; scopes belong in the policy (e.g. `reports:read:own_tenant`) and the resource's tenant comes from the request"
    )]
    Required {
        /// The string as given.
        input: String,
    },
    /// A check names a resource kind (`reports:export`) other than the kind of
    /// the resource it is asked about.
    #[error(
        "required action {input:?} names resource {named:?}, but the resource checked is of kind {kind:?}; pass the action alone (`export`) or make them agree"
    )]
    KindMismatch {
        /// The string as given.
        input: String,
        /// The resource kind the string names.
        named: String,
        /// The kind of the resource checked.
        kind: String,
    },
}

/// A policy that cannot be loaded. The message names the offending entry
/// (`roles.editor.permissions[1]`), so it can be fixed without guessing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The TOML text does not parse or does not have the policy's shape.
    #[error("policy TOML is invalid: {0}")]
    Toml(String),
    /// The JSON text does not parse or does not have the policy's shape.
    #[error("policy JSON is invalid: {0}")]
    Json(String),
    /// A permission string in an entry is malformed.
    #[error("{entry}: {source}")]
    Permission {
        /// Where, e.g. `roles.editor.permissions[1]`.
        entry: String,
        /// What is wrong with it.
        source: PermissionError,
    },
    /// A role inherits from, or a binding names, a role the policy does not define.
    #[error("{entry}: role {role:?} is not defined in the policy")]
    UnknownRole {
        /// Where, e.g. `roles.editor.inherits[0]`.
        entry: String,
        /// The missing role.
        role: String,
    },
    /// A role name is empty or holds characters outside `[A-Za-z0-9_.-]`.
    #[error("{entry}: role name {role:?} must be non-empty ASCII letters, digits, `_`, `-`, `.`")]
    RoleName {
        /// Where.
        entry: String,
        /// The offending name.
        role: String,
    },
    /// Roles inherit from each other in a loop.
    #[error("roles inherit in a cycle: {cycle}; break it by removing one `inherits` entry")]
    Cycle {
        /// The loop, e.g. `a -> b -> c -> a`.
        cycle: String,
    },
    /// A binding is malformed.
    #[error("{entry}: {reason}")]
    Binding {
        /// Where, e.g. `bindings[2]`.
        entry: String,
        /// What is wrong.
        reason: &'static str,
    },
}

/// An authorizer that cannot be built from what it was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The policy is invalid.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The policy uses a custom scope that no resolver was registered for.
    #[error(
        "{entry}: scope {scope:?} is not built in (own, own_tenant, own_org); register a resolver with `Authorizer::builder().scope({scope:?}, ...)`"
    )]
    UnresolvedScope {
        /// Where it is used, e.g. `roles.user.permissions[0]`.
        entry: String,
        /// The scope's name.
        scope: String,
    },
    /// No policy was given to the builder.
    #[error("no policy given: call `Authorizer::builder().policy(...)`")]
    MissingPolicy,
}

/// A grant or role store that could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend (Redis, a database) failed or is unreachable.
    #[error("{store} store failed: {message}")]
    Backend {
        /// Which store (`redis grants`, ...).
        store: &'static str,
        /// The backend's message (never holds credentials).
        message: String,
    },
    /// The store holds a record this version cannot read.
    #[error("{store} store holds an unreadable record at {key}: {message}")]
    Corrupt {
        /// Which store.
        store: &'static str,
        /// The record's key.
        key: String,
        /// Why it cannot be read.
        message: String,
    },
    /// The request to the store is invalid (an empty subject, say).
    #[error("{0}")]
    Invalid(&'static str),
    /// The change cannot be made here: the authorizer has no store of that kind,
    /// or the store is read-only.
    #[error("{0}")]
    Unsupported(&'static str),
}
