//! One Unicode form for passwords, so the same password typed on two
//! keyboards is the same password.
//!
//! NIST SP 800-63B (§3.1.1.2) asks verifiers that accept Unicode to normalise
//! with NFKC or NFKD before hashing, and to count each code point as one
//! character. rampart uses **NFKC**: fullwidth `Ｐ` becomes `P`, `e` + a
//! combining acute becomes `é`, a ligature `ﬁ` becomes `fi`. Lengths are
//! counted in Unicode scalar values of the NFKC form, so an emoji counts as
//! one character, as a user counts it, and `é` counts once whichever way it
//! was typed.
//!
//! [`PasswordVerifier`](super::PasswordVerifier) hashes and verifies the
//! bytes it is given and does not normalise on its own, so hashes stored
//! before an application adopted [`normalize`] keep verifying. Applications
//! starting fresh should hash and verify `normalize(password)` everywhere.

use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

/// The NFKC form of `password`, wiped from memory when dropped.
///
/// ```
/// use rampart::auth::password::normalize;
///
/// // "é" typed as one code point or as "e" + combining acute: one password.
/// assert_eq!(*normalize("caf\u{e9}"), *normalize("cafe\u{301}"));
/// ```
pub fn normalize(password: &str) -> Zeroizing<String> {
    Zeroizing::new(password.nfkc().collect())
}

/// The NFKC form in lower case: the key for case-insensitive comparisons
/// (blocklist, user details).
pub(crate) fn fold(text: &str) -> String {
    text.nfkc().flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility_forms_and_combining_marks_collapse() {
        assert_eq!(*normalize("\u{ff30}w"), "Pw");
        assert_eq!(*normalize("\u{fb01}"), "fi");
        assert_eq!(normalize("cafe\u{301}").chars().count(), 4);
        assert_eq!(fold("P\u{c4}SS"), "p\u{e4}ss");
        assert_eq!(normalize("\u{1f510}").chars().count(), 1);
    }
}
