//! A masking policy for JSON records: which fields are masked for whom.

use crate::mask;
use rampart_core::Principal;
use serde_json::{Map, Value};

/// How one field is masked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Mask {
    /// Replaced by `****`.
    Full,
    /// All but the last N characters masked.
    KeepLast(usize),
    /// [`mask::account`].
    Account,
    /// [`mask::card`].
    Card,
    /// [`mask::ssn`].
    Ssn,
    /// [`mask::email`].
    Email,
    /// [`mask::phone`].
    Phone,
}

impl Mask {
    /// The masked form of `value`.
    pub fn apply(&self, value: &str) -> String {
        match self {
            Self::Full => "****".to_owned(),
            Self::KeepLast(n) => mask::keep_last(value, *n),
            Self::Account => mask::account(value),
            Self::Card => mask::card(value),
            Self::Ssn => mask::ssn(value),
            Self::Email => mask::email(value),
            Self::Phone => mask::phone(value),
        }
    }
}

/// The rule of one field: its mask, and who sees it unmasked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct FieldRule {
    /// The field name (a top-level key of the record).
    pub field: String,
    /// The mask applied for everyone else.
    pub mask: Mask,
    /// Roles that see the value unmasked. Default: none.
    #[serde(default)]
    pub reveal_to_roles: Vec<String>,
    /// Whether the record's owner sees it unmasked. Default: false.
    #[serde(default)]
    pub reveal_to_owner: bool,
}

impl FieldRule {
    /// Masks `field` with `mask` for everyone.
    pub fn new(field: impl Into<String>, mask: Mask) -> Self {
        Self {
            field: field.into(),
            mask,
            reveal_to_roles: Vec::new(),
            reveal_to_owner: false,
        }
    }

    /// Shows the value to holders of `role`.
    #[must_use]
    pub fn reveal_to_role(mut self, role: impl Into<String>) -> Self {
        self.reveal_to_roles.push(role.into());
        self
    }

    /// Shows the value to the record's owner.
    #[must_use]
    pub fn reveal_to_owner(mut self) -> Self {
        self.reveal_to_owner = true;
        self
    }

    fn may_see(&self, viewer: &Principal, owner: Option<&str>) -> bool {
        (self.reveal_to_owner && owner.is_some_and(|o| o == viewer.subject()))
            || self.reveal_to_roles.iter().any(|r| viewer.has_role(r))
    }
}

/// Masks fields of JSON records unless the viewer may see them.
///
/// ```
/// use rampart_core::{AuthMethod, Principal};
/// use rampart_crypto::{FieldRule, Mask, MaskingPolicy};
/// use serde_json::json;
///
/// let policy = MaskingPolicy::new()
///     .rule(FieldRule::new("ssn", Mask::Ssn).reveal_to_role("admin"))
///     .rule(FieldRule::new("email", Mask::Email).reveal_to_owner());
/// let bob = Principal::new("bob", AuthMethod::Jwt);
/// let mut record = json!({"ssn": "123-45-6789", "email": "bob@example.com"});
/// policy.apply(&mut record, &bob, Some("bob"));
/// assert_eq!(record, json!({"ssn": "***-**-6789", "email": "bob@example.com"}));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MaskingPolicy {
    /// The rules, one per field.
    #[serde(default)]
    pub rules: Vec<FieldRule>,
}

impl MaskingPolicy {
    /// A policy masking nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a rule (replacing an earlier rule for the same field).
    #[must_use]
    pub fn rule(mut self, rule: FieldRule) -> Self {
        self.rules.retain(|r| r.field != rule.field);
        self.rules.push(rule);
        self
    }

    /// Masks `record` (an object, or an array of objects) in place for
    /// `viewer`; `owner` is the subject who owns the record, if any.
    /// `null` stays `null`; numbers are masked as their text; arrays and
    /// objects under a masked field become `"****"`.
    pub fn apply(&self, record: &mut Value, viewer: &Principal, owner: Option<&str>) {
        match record {
            Value::Object(map) => self.apply_object(map, viewer, owner),
            Value::Array(items) => {
                for item in items {
                    self.apply(item, viewer, owner);
                }
            }
            _ => {}
        }
    }

    fn apply_object(&self, map: &mut Map<String, Value>, viewer: &Principal, owner: Option<&str>) {
        for rule in &self.rules {
            let Some(value) = map.get_mut(&rule.field) else {
                continue;
            };
            if rule.may_see(viewer, owner) {
                continue;
            }
            let masked = match value {
                Value::Null => continue,
                Value::String(s) => rule.mask.apply(s),
                Value::Number(n) => rule.mask.apply(&n.to_string()),
                Value::Bool(_) | Value::Array(_) | Value::Object(_) => "****".to_owned(),
            };
            *value = Value::String(masked);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::AuthMethod;
    use serde_json::json;

    fn policy() -> MaskingPolicy {
        MaskingPolicy::new()
            .rule(FieldRule::new("ssn", Mask::Ssn).reveal_to_role("admin"))
            .rule(FieldRule::new("email", Mask::Email).reveal_to_owner())
            .rule(FieldRule::new("card", Mask::Card))
            .rule(FieldRule::new("pin", Mask::Full))
            .rule(FieldRule::new("acct", Mask::KeepLast(2)))
    }

    #[test]
    fn masks_unless_role_or_owner() {
        let record = json!({"ssn": "123-45-6789", "email": "eve@example.com",
            "card": "4111111111111111", "pin": 1234, "acct": 987654, "other": "kept", "nested": null});
        let mut as_stranger = record.clone();
        policy().apply(
            &mut as_stranger,
            &Principal::new("eve", AuthMethod::Jwt),
            Some("bob"),
        );
        assert_eq!(
            as_stranger,
            json!({"ssn": "***-**-6789", "email": "e***@example.com", "card": "************1111",
                "pin": "****", "acct": "****54", "other": "kept", "nested": null})
        );
        let admin = Principal::new("root", AuthMethod::Jwt).with_roles(["admin"]);
        let mut as_admin = record.clone();
        policy().apply(&mut as_admin, &admin, Some("bob"));
        assert_eq!(as_admin["ssn"], "123-45-6789");
        assert_eq!(as_admin["email"], "e***@example.com");
        let mut as_owner = json!([record.clone(), record]);
        policy().apply(
            &mut as_owner,
            &Principal::new("bob", AuthMethod::Jwt),
            Some("bob"),
        );
        assert_eq!(as_owner[1]["email"], "eve@example.com");
        assert_eq!(as_owner[1]["ssn"], "***-**-6789");
    }

    #[test]
    fn structured_values_and_config_form() {
        let mut r = json!({"pin": {"a": 1}, "ssn": [1], "card": true});
        policy().apply(&mut r, &Principal::new("x", AuthMethod::Jwt), None);
        assert_eq!(r, json!({"pin": "****", "ssn": "****", "card": "****"}));
        let parsed: MaskingPolicy = serde_json::from_value(json!({"rules": [
            {"field": "ssn", "mask": "ssn", "reveal_to_roles": ["admin"]},
            {"field": "acct", "mask": {"keep_last": 4}, "reveal_to_owner": true}
        ]}))
        .unwrap();
        assert_eq!(parsed.rules[1].mask, Mask::KeepLast(4));
        assert!(parsed.rules[1].reveal_to_owner);
    }
}
