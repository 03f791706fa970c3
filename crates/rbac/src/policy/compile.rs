//! The policy compiled into lookup tables, so a check allocates nothing and
//! costs a few probes per role the principal holds.

use super::{Entry, Policy};
use crate::decision::{MatchedRule, Reason, RuleInfo};
use crate::error::ConfigError;
use crate::roles::RoleBinding;
use crate::scope::Context;
use crate::{Decision, Permission, Resource, Scope, ScopeResolver, Segment};
use foldhash::fast::RandomState;
use rampart_core::Principal;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

type Map<K, V> = HashMap<K, V, RandomState>;

/// Stands for `*` (and for a name the policy never mentions) in a table key.
const WILD: u32 = u32::MAX;

#[derive(Clone)]
pub(crate) enum CompiledScope {
    All,
    Own,
    OwnTenant,
    OwnOrg,
    Custom(Arc<dyn ScopeResolver>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleKind {
    Allow,
    Deny,
}

#[derive(Clone)]
pub(crate) struct Rule {
    pub(crate) kind: RuleKind,
    pub(crate) scope: CompiledScope,
    pub(crate) scope_name: Box<str>,
    pub(crate) info: MatchedRule,
}

/// One role with its inherited rules, bucketed by (resource id, action id), each
/// side [`WILD`] for a `*` segment. Sorted for binary search: the buckets per role
/// are few, and a sorted slice beats hashing a pair.
struct RoleTable {
    buckets: Box<[(u64, u32, u32)]>,
}

struct StaticBinding {
    tenant: Option<Box<str>>,
    org: Option<Box<str>>,
    rules: RoleTable,
}

pub(crate) struct CompiledPolicy {
    roles: Map<Box<str>, u32>,
    tables: Vec<RoleTable>,
    resources: Map<Box<str>, u32>,
    actions: Map<Box<str>, u32>,
    rules: Vec<Rule>,
    bindings: Map<Box<str>, Box<[StaticBinding]>>,
    has_denies: bool,
    policy: Arc<Policy>,
}

fn key(resource: u32, action: u32) -> u64 {
    (u64::from(resource) << 32) | u64::from(action)
}

impl CompiledPolicy {
    pub(crate) fn compile(
        policy: Arc<Policy>,
        resolvers: &HashMap<String, Arc<dyn ScopeResolver>>,
    ) -> Result<Self, ConfigError> {
        let defs = policy.roles();
        let mut resources: Map<Box<str>, u32> = Map::default();
        let mut actions: Map<Box<str>, u32> = Map::default();
        let intern = |map: &mut Map<Box<str>, u32>, seg: &Segment| -> u32 {
            match seg {
                Segment::Any => WILD,
                Segment::Exact(name) => {
                    let next = u32::try_from(map.len()).unwrap_or(WILD - 1);
                    *map.entry(name.clone()).or_insert(next)
                }
            }
        };
        let names: Vec<Arc<str>> = defs.iter().map(|r| Arc::from(r.name.as_str())).collect();
        let mut rules = Vec::new();
        let mut tables = Vec::with_capacity(defs.len());
        let mut has_denies = false;
        for (held, _) in defs.iter().enumerate() {
            let mut grouped: Vec<(u64, Rule)> = Vec::new();
            for ancestor in closure(policy.as_ref(), held) {
                let def = &defs[ancestor];
                let kinds = [(RuleKind::Deny, &def.deny), (RuleKind::Allow, &def.allow)];
                for (kind, entries) in kinds {
                    for entry in entries {
                        has_denies |= kind == RuleKind::Deny;
                        let rule = make_rule(
                            kind,
                            entry,
                            &names[held],
                            &names[ancestor],
                            None,
                            resolvers,
                        )?;
                        let r = intern(&mut resources, entry.permission.resource());
                        let a = intern(&mut actions, entry.permission.action());
                        grouped.push((key(r, a), rule));
                    }
                }
            }
            tables.push(table(grouped, &mut rules));
        }
        let mut bindings: Map<Box<str>, Vec<StaticBinding>> = Map::default();
        for (i, b) in policy.bindings().iter().enumerate() {
            let role = defs.iter().position(|d| d.name == b.role).unwrap_or(0);
            let label: Box<str> = format!("bindings[{i}]").into();
            // A binding gets its own copy of the role's rules, labelled with the
            // binding, so a decision says which binding brought the rule.
            let mut grouped = Vec::new();
            for ancestor in closure(policy.as_ref(), role) {
                let def = &defs[ancestor];
                let kinds = [(RuleKind::Deny, &def.deny), (RuleKind::Allow, &def.allow)];
                for (kind, entries) in kinds {
                    for entry in entries {
                        let rule = make_rule(
                            kind,
                            entry,
                            &names[role],
                            &names[ancestor],
                            Some(label.clone()),
                            resolvers,
                        )?;
                        let r = intern(&mut resources, entry.permission.resource());
                        let a = intern(&mut actions, entry.permission.action());
                        grouped.push((key(r, a), rule));
                    }
                }
            }
            bindings
                .entry(b.subject.as_str().into())
                .or_default()
                .push(StaticBinding {
                    tenant: b.tenant.as_deref().map(Into::into),
                    org: b.org.as_deref().map(Into::into),
                    rules: table(grouped, &mut rules),
                });
        }
        Ok(Self {
            roles: names
                .iter()
                .enumerate()
                .map(|(i, n)| (Box::from(&**n), u32::try_from(i).unwrap_or(0)))
                .collect(),
            tables,
            resources,
            actions,
            rules,
            bindings: bindings
                .into_iter()
                .map(|(k, v)| (k, v.into_boxed_slice()))
                .collect(),
            has_denies,
            policy,
        })
    }

    pub(crate) fn policy(&self) -> &Arc<Policy> {
        &self.policy
    }

    /// Whether any role has a `deny` rule (if not, the first allow decides).
    pub(crate) fn has_denies(&self) -> bool {
        self.has_denies
    }

    /// Whether `name` is a role of this policy.
    pub(crate) fn has_role(&self, name: &str) -> bool {
        self.roles.contains_key(name)
    }

    /// Decides `action` on `resource` for `principal`, with the roles of its token,
    /// the policy's static bindings, and `extra` bindings (from a role store).
    pub(crate) fn evaluate(
        &self,
        principal: &Principal,
        action: &str,
        resource: &Resource<'_>,
        extra: &[RoleBinding],
    ) -> Decision {
        let r = self.resources.get(resource.kind()).copied();
        let a = self.actions.get(action).copied();
        let mut found = Found::default();
        let own = Context {
            subject: principal.subject(),
            tenant: principal.tenant(),
            org: principal.org(),
        };
        for role in principal.roles() {
            if let Some(&id) = self.roles.get(role.as_str()) {
                let table = &self.tables[id as usize];
                if let Some(d) = self.eval(table, own, principal, r, a, resource, &mut found) {
                    return d;
                }
            }
        }
        if !self.bindings.is_empty()
            && let Some(bound) = self.bindings.get(principal.subject())
        {
            for b in bound.iter() {
                let Some(ctx) =
                    bound_context(principal, resource, b.tenant.as_deref(), b.org.as_deref())
                else {
                    continue;
                };
                if let Some(d) = self.eval(&b.rules, ctx, principal, r, a, resource, &mut found) {
                    return d;
                }
            }
        }
        for b in extra {
            let Some(&id) = self.roles.get(b.role.as_str()) else {
                continue;
            };
            let Some(ctx) =
                bound_context(principal, resource, b.tenant.as_deref(), b.org.as_deref())
            else {
                continue;
            };
            let table = &self.tables[id as usize];
            if let Some(d) = self.eval(table, ctx, principal, r, a, resource, &mut found) {
                return d;
            }
        }
        found.finish()
    }

    /// Every rule of the principal's roles (token, static and `extra` bindings)
    /// covering `action` on `kind`, with the context it applies in and the tenant
    /// or organisation its binding is limited to. For data filters, where the
    /// rows of several tenants may be reachable through several bindings.
    pub(crate) fn rules_for<'s, 'p>(
        &'s self,
        principal: &'p Principal,
        action: &str,
        kind: &str,
        extra: &'p [RoleBinding],
    ) -> Vec<Applied<'s, 'p>>
    where
        's: 'p,
    {
        let r = self.resources.get(kind).copied();
        let a = self.actions.get(action).copied();
        let mut out = Vec::new();
        let mut push = |table: &'s RoleTable, tenant: Option<&'p str>, org: Option<&'p str>| {
            let ctx = Context {
                subject: principal.subject(),
                tenant: tenant.or(principal.tenant()),
                org: org.or(principal.org()),
            };
            for range in probes(table, r, a) {
                out.extend(self.rules[range].iter().map(|rule| Applied {
                    rule,
                    ctx,
                    bound_tenant: tenant,
                    bound_org: org,
                }));
            }
        };
        for role in principal.roles() {
            if let Some(&id) = self.roles.get(role.as_str()) {
                push(&self.tables[id as usize], None, None);
            }
        }
        if let Some(bound) = self.bindings.get(principal.subject()) {
            for b in bound.iter() {
                push(&b.rules, b.tenant.as_deref(), b.org.as_deref());
            }
        }
        for b in extra {
            if let Some(&id) = self.roles.get(b.role.as_str()) {
                push(
                    &self.tables[id as usize],
                    b.tenant.as_deref(),
                    b.org.as_deref(),
                );
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn eval(
        &self,
        table: &RoleTable,
        ctx: Context<'_>,
        principal: &Principal,
        r: Option<u32>,
        a: Option<u32>,
        resource: &Resource<'_>,
        found: &mut Found,
    ) -> Option<Decision> {
        for range in probes(table, r, a) {
            for rule in &self.rules[range] {
                if !scope_admits(&rule.scope, ctx, principal, resource) {
                    if found.scope_miss.is_none() && rule.kind == RuleKind::Allow {
                        found.scope_miss = Some(rule.info.clone());
                    }
                    continue;
                }
                match rule.kind {
                    RuleKind::Deny => return Some(Decision::deny(Reason::Rule(rule.info.clone()))),
                    RuleKind::Allow if !self.has_denies => {
                        return Some(Decision::allow(Reason::Rule(rule.info.clone())));
                    }
                    RuleKind::Allow => {
                        if found.allow.is_none() {
                            found.allow = Some(rule.info.clone());
                        }
                    }
                }
            }
        }
        None
    }
}

/// The context a tenant- or org-bound role applies in, or `None` when the request
/// is outside the binding's tenant or organisation. The request's tenant is the
/// resource's when known, else the principal's.
fn bound_context<'p>(
    principal: &'p Principal,
    resource: &Resource<'_>,
    tenant: Option<&'p str>,
    org: Option<&'p str>,
) -> Option<Context<'p>> {
    if let Some(t) = tenant
        && resource.tenant().or(principal.tenant()) != Some(t)
    {
        return None;
    }
    if let Some(o) = org
        && resource.org().or(principal.org()) != Some(o)
    {
        return None;
    }
    Some(Context {
        subject: principal.subject(),
        tenant: tenant.or(principal.tenant()),
        org: org.or(principal.org()),
    })
}

pub(crate) fn scope_admits(
    scope: &CompiledScope,
    ctx: Context<'_>,
    principal: &Principal,
    resource: &Resource<'_>,
) -> bool {
    match scope {
        CompiledScope::All => true,
        CompiledScope::Own => ctx.own(resource),
        CompiledScope::OwnTenant => ctx.own_tenant(resource),
        CompiledScope::OwnOrg => ctx.own_org(resource),
        CompiledScope::Custom(resolver) => {
            // Custom scopes are tenant-bound like the built-in ones.
            let same_tenant = match (ctx.tenant, resource.tenant()) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            };
            same_tenant && resolver.permits(principal, resource)
        }
    }
}

/// A rule reached by a principal, for data filters.
pub(crate) struct Applied<'s, 'p> {
    pub(crate) rule: &'s Rule,
    pub(crate) ctx: Context<'p>,
    pub(crate) bound_tenant: Option<&'p str>,
    pub(crate) bound_org: Option<&'p str>,
}

#[derive(Default)]
struct Found {
    allow: Option<MatchedRule>,
    scope_miss: Option<MatchedRule>,
}

impl Found {
    fn finish(self) -> Decision {
        match (self.allow, self.scope_miss) {
            (Some(rule), _) => Decision::allow(Reason::Rule(rule)),
            (None, Some(rule)) => Decision::deny(Reason::ScopeNotSatisfied(rule)),
            (None, None) => Decision::deny(Reason::NoPermission),
        }
    }
}

/// The rule ranges of `table` that can cover (r, a): exact/exact, exact/`*`,
/// `*`/exact and `*`/`*`. A name the policy never mentions only meets `*`.
#[inline]
fn probes(
    table: &RoleTable,
    r: Option<u32>,
    a: Option<u32>,
) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let keys = [
        r.zip(a).map(|(r, a)| key(r, a)),
        r.map(|r| key(r, WILD)),
        a.map(|a| key(WILD, a)),
        Some(key(WILD, WILD)),
    ];
    keys.into_iter().flatten().filter_map(move |k| {
        table
            .buckets
            .binary_search_by_key(&k, |&(k, _, _)| k)
            .ok()
            .map(|i| {
                let (_, start, len) = table.buckets[i];
                start as usize..(start + len) as usize
            })
    })
}

fn table(mut grouped: Vec<(u64, Rule)>, rules: &mut Vec<Rule>) -> RoleTable {
    // Stable sort keeps denies before allows inside a bucket.
    grouped.sort_by_key(|(k, _)| *k);
    let mut buckets: Vec<(u64, u32, u32)> = Vec::new();
    for (k, rule) in grouped {
        let at = u32::try_from(rules.len()).unwrap_or(u32::MAX);
        rules.push(rule);
        match buckets.last_mut() {
            Some(last) if last.0 == k => last.2 += 1,
            _ => buckets.push((k, at, 1)),
        }
    }
    RoleTable {
        buckets: buckets.into_boxed_slice(),
    }
}

/// `role` and every role it inherits from, each once, `role` first.
fn closure(policy: &Policy, role: usize) -> Vec<usize> {
    let mut seen = BTreeSet::new();
    let mut order = Vec::new();
    let mut stack = vec![role];
    while let Some(r) = stack.pop() {
        if seen.insert(r) {
            order.push(r);
            stack.extend(policy.roles()[r].parents.iter().rev());
        }
    }
    order
}

fn make_rule(
    kind: RuleKind,
    entry: &Entry,
    held: &Arc<str>,
    defined_in: &Arc<str>,
    binding: Option<Box<str>>,
    resolvers: &HashMap<String, Arc<dyn ScopeResolver>>,
) -> Result<Rule, ConfigError> {
    let perm: &Permission = &entry.permission;
    let scope = match perm.scope() {
        Scope::All => CompiledScope::All,
        Scope::Own => CompiledScope::Own,
        Scope::OwnTenant => CompiledScope::OwnTenant,
        Scope::OwnOrg => CompiledScope::OwnOrg,
        Scope::Custom(name) => match resolvers.get(&**name) {
            Some(resolver) => CompiledScope::Custom(Arc::clone(resolver)),
            None => {
                return Err(ConfigError::UnresolvedScope {
                    entry: entry.location.clone(),
                    scope: name.to_string(),
                });
            }
        },
    };
    Ok(Rule {
        kind,
        scope,
        scope_name: perm.scope().as_str().into(),
        info: MatchedRule(Arc::new(RuleInfo {
            held: Arc::clone(held),
            defined_in: Arc::clone(defined_in),
            permission: perm.to_string().into(),
            location: entry.location.as_str().into(),
            deny: kind == RuleKind::Deny,
            binding,
        })),
    })
}
