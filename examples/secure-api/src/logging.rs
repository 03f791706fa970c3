//! Untrusted text in log lines.
//!
//! A username, path or header written raw into a log lets its sender forge
//! lines (`\r\n` and a fake timestamp) or repaint a terminal (ANSI escapes).
//! Every request-derived string the app logs goes through [`untrusted`]:
//! control and invisible characters come out as Rust escapes (`\r`, `\u{1b}`),
//! and the text is cut to a length a log line can hold.

use std::fmt;

/// The most characters of an untrusted string a log line shows.
pub const MAX_LOGGED_CHARS: usize = 64;

/// Wraps `text` for a `%` tracing field or a `{}` format argument.
pub fn untrusted(text: &str) -> Untrusted<'_> {
    Untrusted(text)
}

/// Displays a string with control characters escaped and at most
/// [`MAX_LOGGED_CHARS`] characters, then `…`.
#[derive(Debug, Clone, Copy)]
pub struct Untrusted<'a>(&'a str);

impl fmt::Display for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chars = self.0.chars();
        for c in chars.by_ref().take(MAX_LOGGED_CHARS) {
            // `escape_debug` escapes control, format (bidi overrides) and
            // unassigned characters and leaves printable text alone.
            write!(f, "{}", c.escape_debug())?;
        }
        if chars.next().is_some() {
            f.write_str("…")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_escapes_are_escaped() {
        let shown = untrusted("bob\r\n2026-01-01 INFO admin logged in\x1b[31m\u{202e}").to_string();
        assert!(!shown.chars().any(char::is_control), "{shown}");
        assert!(!shown.contains('\u{202e}'), "{shown}");
        assert!(shown.starts_with(r"bob\r\n2026"), "{shown}");
        assert!(shown.contains(r"\u{1b}[31m"), "{shown}");
        assert_eq!(untrusted("plain name").to_string(), "plain name");
    }

    #[test]
    fn long_text_is_cut() {
        let shown = untrusted(&"a".repeat(10_000)).to_string();
        assert_eq!(shown, format!("{}…", "a".repeat(MAX_LOGGED_CHARS)));
        assert_eq!(
            untrusted(&"é".repeat(MAX_LOGGED_CHARS))
                .to_string()
                .chars()
                .count(),
            MAX_LOGGED_CHARS
        );
    }
}
