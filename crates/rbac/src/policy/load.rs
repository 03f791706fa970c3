//! Reading and validating a policy.

use super::{Entry, Policy, PolicyConfig, RoleDef};
use crate::Permission;
use crate::error::PolicyError;
use std::collections::HashMap;

impl Policy {
    /// Parses a TOML policy (the format shown on [`PolicyConfig`]).
    pub fn from_toml(text: &str) -> Result<Self, PolicyError> {
        let config: PolicyConfig =
            toml::from_str(text).map_err(|e| PolicyError::Toml(e.to_string()))?;
        Self::from_config(config)
    }

    /// Parses a JSON policy with the same shape as the TOML one.
    pub fn from_json(text: &str) -> Result<Self, PolicyError> {
        let config: PolicyConfig =
            serde_json::from_str(text).map_err(|e| PolicyError::Json(e.to_string()))?;
        Self::from_config(config)
    }

    /// Validates a policy already deserialised, e.g. as a section of the
    /// application's config file.
    pub fn from_config(config: PolicyConfig) -> Result<Self, PolicyError> {
        let index: HashMap<&str, usize> = config
            .roles
            .keys()
            .enumerate()
            .map(|(i, name)| (name.as_str(), i))
            .collect();
        let mut roles = Vec::with_capacity(config.roles.len());
        for (name, role) in &config.roles {
            if !valid_role_name(name) {
                return Err(PolicyError::RoleName {
                    entry: format!("roles.{name}"),
                    role: name.clone(),
                });
            }
            let mut parents = Vec::with_capacity(role.inherits.len());
            for (i, parent) in role.inherits.iter().enumerate() {
                let Some(&p) = index.get(parent.as_str()) else {
                    return Err(PolicyError::UnknownRole {
                        entry: format!("roles.{name}.inherits[{i}]"),
                        role: parent.clone(),
                    });
                };
                if !parents.contains(&p) {
                    parents.push(p);
                }
            }
            roles.push(RoleDef {
                name: name.clone(),
                parents,
                allow: entries(name, "permissions", &role.permissions)?,
                deny: entries(name, "deny", &role.deny)?,
            });
        }
        if let Some(cycle) = find_cycle(&roles) {
            return Err(PolicyError::Cycle { cycle });
        }
        for (i, binding) in config.bindings.iter().enumerate() {
            let entry = format!("bindings[{i}]");
            if binding.subject.is_empty() {
                return Err(PolicyError::Binding {
                    entry,
                    reason: "`subject` is empty",
                });
            }
            if !index.contains_key(binding.role.as_str()) {
                return Err(PolicyError::UnknownRole {
                    entry: format!("{entry}.role"),
                    role: binding.role.clone(),
                });
            }
            if binding.tenant.as_deref() == Some("") || binding.org.as_deref() == Some("") {
                return Err(PolicyError::Binding {
                    entry,
                    reason: "`tenant` and `org` must be omitted or non-empty",
                });
            }
        }
        Ok(Self {
            roles,
            bindings: config.bindings.clone(),
            config,
        })
    }
}

fn entries(role: &str, field: &str, perms: &[String]) -> Result<Vec<Entry>, PolicyError> {
    perms
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let location = format!("roles.{role}.{field}[{i}]");
            match Permission::parse(text) {
                Ok(permission) => Ok(Entry {
                    permission,
                    location,
                }),
                Err(source) => Err(PolicyError::Permission {
                    entry: location,
                    source,
                }),
            }
        })
        .collect()
}

pub(crate) fn valid_role_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Depth-first search with three colours; on a back edge, the grey path from the
/// target to the current role is the cycle.
fn find_cycle(roles: &[RoleDef]) -> Option<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        White,
        Grey,
        Black,
    }
    let mut colour = vec![Colour::White; roles.len()];
    let mut path: Vec<usize> = Vec::new();
    for start in 0..roles.len() {
        if colour[start] != Colour::White {
            continue;
        }
        // Explicit stack of (role, next parent index) so deep chains cannot overflow.
        let mut stack = vec![(start, 0usize)];
        colour[start] = Colour::Grey;
        path.push(start);
        while let Some(&mut (role, ref mut next)) = stack.last_mut() {
            if let Some(&parent) = roles[role].parents.get(*next) {
                *next += 1;
                match colour[parent] {
                    Colour::Grey => {
                        let from = path.iter().position(|&r| r == parent).unwrap_or(0);
                        let mut names: Vec<&str> = path[from..]
                            .iter()
                            .map(|&r| roles[r].name.as_str())
                            .collect();
                        names.push(&roles[parent].name);
                        return Some(names.join(" -> "));
                    }
                    Colour::White => {
                        colour[parent] = Colour::Grey;
                        path.push(parent);
                        stack.push((parent, 0));
                    }
                    Colour::Black => {}
                }
            } else {
                colour[role] = Colour::Black;
                path.pop();
                stack.pop();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{BindingConfig, RoleConfig};

    #[test]
    fn unknown_parent_names_the_entry() {
        let err = Policy::from_toml(
            r#"
            [roles.editor]
            inherits = ["viewer"]
        "#,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"roles.editor.inherits[0]: role "viewer" is not defined in the policy"#
        );
    }

    #[test]
    fn cycle_is_named() {
        let err = Policy::from_toml(
            r#"
            [roles.a]
            inherits = ["b"]
            [roles.b]
            inherits = ["c"]
            [roles.c]
            inherits = ["a"]
            [roles.d]
            inherits = ["a"]
        "#,
        )
        .unwrap_err();
        let PolicyError::Cycle { cycle } = &err else {
            panic!("{err}")
        };
        assert_eq!(cycle, "a -> b -> c -> a");
    }

    #[test]
    fn self_inheritance_is_a_cycle() {
        let err =
            Policy::from_config(PolicyConfig::new().role("a", RoleConfig::new().inherits(["a"])))
                .unwrap_err();
        assert!(matches!(err, PolicyError::Cycle { ref cycle } if cycle == "a -> a"));
    }

    #[test]
    fn diamonds_are_not_cycles() {
        Policy::from_toml(
            r#"
            [roles.base]
            [roles.left]
            inherits = ["base"]
            [roles.right]
            inherits = ["base"]
            [roles.top]
            inherits = ["left", "right"]
        "#,
        )
        .unwrap();
    }

    #[test]
    fn bad_deny_entry_is_located() {
        let err = Policy::from_json(r#"{"roles":{"x":{"deny":["ok:fine","bad"]}}}"#).unwrap_err();
        assert!(err.to_string().starts_with("roles.x.deny[1]: "), "{err}");
    }

    #[test]
    fn syntax_errors_and_unknown_fields_are_reported() {
        let err = Policy::from_toml("[roles.x]\npermisions = []").unwrap_err();
        assert!(
            matches!(err, PolicyError::Toml(ref m) if m.contains("permisions")),
            "{err}"
        );
        assert!(matches!(Policy::from_json("{"), Err(PolicyError::Json(_))));
    }

    #[test]
    fn bindings_must_name_defined_roles() {
        let cfg = PolicyConfig::new()
            .role("viewer", RoleConfig::new())
            .binding(BindingConfig::new("alice", "viewer"))
            .binding(BindingConfig::new("bob", "ghost").in_tenant("A"));
        let err = Policy::from_config(cfg).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"bindings[1].role: role "ghost" is not defined in the policy"#
        );
        let cfg = PolicyConfig::new()
            .role("viewer", RoleConfig::new())
            .binding(BindingConfig::new("", "viewer"));
        assert!(
            Policy::from_config(cfg)
                .unwrap_err()
                .to_string()
                .contains("bindings[0]")
        );
    }

    #[test]
    fn invalid_role_name_is_refused() {
        let err =
            Policy::from_config(PolicyConfig::new().role("a b", RoleConfig::new())).unwrap_err();
        assert!(matches!(err, PolicyError::RoleName { .. }));
    }
}
