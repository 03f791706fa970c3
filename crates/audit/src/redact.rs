//! Redaction of metadata: values under keys that name secrets never reach the trail.

use serde_json::{Map, Value};

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// The key fragments redacted by default. A key is redacted when, lower-cased
/// with `-` read as `_`, it contains one of them (`access_token`, `X-Api-Key`,
/// `client_secret`, `Set-Cookie`).
pub const DEFAULT_REDACTED: &[&str] = &[
    "password",
    "passwd",
    "token",
    "secret",
    "authorization",
    "cookie",
    "api_key",
    "apikey",
    "private_key",
    "session_key",
    "otp",
    "totp",
    "backup_code",
];

/// Decides which metadata keys are redacted.
///
/// ```
/// use rampart_audit::Redactor;
/// use serde_json::json;
///
/// let redactor = Redactor::default().also(["iban"]);
/// let mut meta = json!({"Authorization": "Bearer abc", "nested": {"IBAN": "DE89…", "ok": 1}})
///     .as_object().unwrap().clone();
/// redactor.redact(&mut meta);
/// assert_eq!(meta["Authorization"], "[redacted]");
/// assert_eq!(meta["nested"]["IBAN"], "[redacted]");
/// assert_eq!(meta["nested"]["ok"], 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redactor {
    fragments: Vec<String>,
}

impl Default for Redactor {
    fn default() -> Self {
        Self {
            fragments: DEFAULT_REDACTED.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

impl Redactor {
    /// Redacts keys containing any of `fragments` as well as the defaults.
    #[must_use]
    pub fn also<I, S>(mut self, fragments: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.fragments
            .extend(fragments.into_iter().map(|f| normalise(&f.into())));
        self
    }

    /// Whether values under `key` are redacted.
    pub fn is_redacted(&self, key: &str) -> bool {
        // Compared in place rather than on a lower-cased copy: this runs for
        // every metadata key of every event.
        let key = key.as_bytes();
        self.fragments.iter().any(|f| {
            let f = f.as_bytes();
            f.len() <= key.len()
                && key
                    .windows(f.len())
                    .any(|w| w.iter().zip(f).all(|(&k, &c)| fold(k) == c))
        })
    }

    /// Redacts `metadata` in place, at every depth (inside arrays too).
    pub fn redact(&self, metadata: &mut Map<String, Value>) {
        for (key, value) in metadata.iter_mut() {
            if self.is_redacted(key) {
                *value = Value::String(REDACTED.to_owned());
            } else {
                self.redact_value(value);
            }
        }
    }

    fn redact_value(&self, value: &mut Value) {
        match value {
            Value::Object(map) => self.redact(map),
            Value::Array(items) => items.iter_mut().for_each(|v| self.redact_value(v)),
            _ => {}
        }
    }
}

fn normalise(key: &str) -> String {
    key.to_lowercase().replace('-', "_")
}

/// ASCII lower case with `-` read as `_`, as `normalise` spells fragments.
/// Non-ASCII fragments match only their exact lower-cased bytes.
fn fold(b: u8) -> u8 {
    match b {
        b'-' => b'_',
        other => other.to_ascii_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn redacts_secrets_at_any_depth_and_in_any_spelling() {
        let mut meta = json!({
            "password": "hunter2",
            "Set-Cookie": "sid=1",
            "x-api-key": "k",
            "CLIENT_SECRET": "s",
            "list": [{"refresh_token": "r"}, "plain"],
            "permission": "items:read",
        })
        .as_object()
        .unwrap()
        .clone();
        Redactor::default().redact(&mut meta);
        let text = serde_json::to_string(&meta).unwrap();
        for secret in ["hunter2", "sid=1", "\"k\"", "\"s\"", "\"r\""] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert_eq!(meta["permission"], "items:read");
        assert_eq!(meta["list"][1], "plain");
    }

    #[test]
    fn matching_ignores_ascii_case_and_dashes_anywhere_in_the_key() {
        let r = Redactor::default();
        for key in [
            "PassWord",
            "x-AUTHORIZATION-y",
            "refresh_Token",
            "api-key",
            "Cookie",
        ] {
            assert!(r.is_redacted(key), "{key}");
        }
        for key in ["", "pass", "tok", "route", "autho"] {
            assert!(!r.is_redacted(key), "{key}");
        }
    }

    #[test]
    fn configured_names_are_added_not_substituted() {
        let r = Redactor::default().also(["Card-Number"]);
        assert!(r.is_redacted("card_number"));
        assert!(r.is_redacted("password"));
        assert!(!r.is_redacted("route"));
    }
}
