//! Which event types a rule looks at.

/// A list of event type patterns: an exact type (`auth.login.failure`), a
/// prefix ending in `.*` (`admin.role.*`), or `*` for every type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Types(Vec<String>);

impl Types {
    pub(crate) fn new<I, S>(patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self(patterns.into_iter().map(Into::into).collect())
    }

    pub(crate) fn matches(&self, event_type: &str) -> bool {
        self.0.iter().any(|p| {
            if p == "*" {
                true
            } else if let Some(prefix) = p.strip_suffix('*') {
                prefix.ends_with('.') && event_type.starts_with(prefix)
            } else {
                p == event_type
            }
        })
    }

    /// Why the list cannot be used, if it cannot.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.0.is_empty() {
            return Err("it watches no event type".into());
        }
        if let Some(p) = self
            .0
            .iter()
            .find(|p| p.is_empty() || (p.contains('*') && *p != "*" && !p.ends_with(".*")))
        {
            return Err(format!(
                "event type pattern `{p}` is neither a type, a `prefix.*` nor `*`"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_prefix_and_everything() {
        let t = Types::new(["auth.login.failure", "admin.role.*"]);
        assert!(t.matches("auth.login.failure"));
        assert!(!t.matches("auth.login.failures"));
        assert!(t.matches("admin.role.granted"));
        assert!(!t.matches("admin.roles"));
        assert!(Types::new(["*"]).matches("anything"));
        assert!(t.check().is_ok());
        assert!(Types::new(["admin*"]).check().is_err());
        assert!(Types::new(Vec::<String>::new()).check().is_err());
        assert!(Types::new([""]).check().is_err());
    }
}
