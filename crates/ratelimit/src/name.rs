//! Limit names, interned.
//!
//! Every decision names the limits that applied, and a decision is made on
//! every request. A reference-counted name would be incremented and
//! decremented by every core for every request, bouncing one cache line
//! between them; an interned `&'static str` costs nothing to hand out.
//! Names come from code or configuration, so the set is small: each
//! distinct name is kept once for the life of the process.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

static NAMES: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);

/// The process-wide copy of `name`.
pub(crate) fn intern(name: &str) -> &'static str {
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    let names = names.get_or_insert_with(HashSet::new);
    if let Some(&known) = names.get(name) {
        return known;
    }
    let leaked: &'static str = Box::leak(Box::from(name));
    names.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::intern;

    #[test]
    fn one_copy_per_distinct_name() {
        let a = intern("rampart-name-test");
        let b = intern(&String::from("rampart-name-test"));
        assert!(std::ptr::eq(a, b));
        assert_eq!(a, "rampart-name-test");
        assert!(!std::ptr::eq(a, intern("rampart-name-test-2")));
    }
}
