//! The SQL injection pre-check: whether any rule could match a view.
//!
//! Every rule in [`super::rules`] needs, after folding, a token of one of
//! the classes union, statement, clause keyword, logic, comparison,
//! arithmetic, comment, `;` or attack-only name, and folding never makes
//! such a token out of others (a call becomes attack-only only when one is
//! inside it). Those tokens come from the operator bytes in [`OPERATORS`],
//! from `::` and `:=`, or from a word the table classes as SQL. A view with
//! none of them is skipped without lexing.

use super::lexer::is_word_byte;
use super::words::{WordClass, classify};
use crate::detect::precheck::ByteSet;

/// Bytes the lexer reads as a comparison, arithmetic, logic, a comment or
/// `;` wherever they stand outside a string.
const OPERATORS: &[u8] = b"=<>+-*/%^|&~;#";

/// Whether `text` (lower-cased) holds anything the SQL rules need.
pub(crate) fn may_hold(text: &str, bytes: &ByteSet) -> bool {
    bytes.any(OPERATORS)
        || (bytes.has(b':') && (text.contains("::") || text.contains(":=")))
        || has_sql_word(text)
}

/// Whether a word the lexer could read starts a SQL token. The lexer's
/// words are runs of word bytes, split only after a number (`1union`,
/// `1.e5union`, `0x2eunion`), so every run and every suffix of a run that
/// starts after a digit or after the hex number opening the run is looked up.
fn has_sql_word(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !is_word_byte(b[i]) {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < b.len() && is_word_byte(b[end]) {
            end += 1;
        }
        let run = &text[i..end];
        // Where a hex number opening the run ends (it may end in a letter).
        let hex_end = run
            .strip_prefix("0x")
            .map(|h| i + 2 + h.bytes().take_while(u8::is_ascii_hexdigit).count());
        if is_sql(run)
            || (i + 1..end).any(|k| {
                (b[k - 1].is_ascii_digit() || hex_end == Some(k))
                    && !b[k].is_ascii_digit()
                    && is_sql(&text[k..end])
            })
        {
            return true;
        }
        i = end;
    }
    false
}

fn is_sql(word: &str) -> bool {
    !matches!(
        classify(word),
        WordClass::Plain | WordClass::Function | WordClass::Not | WordClass::Value
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn may(s: &str) -> bool {
        may_hold(s, &ByteSet::of(s.as_bytes()))
    }

    #[test]
    fn operators_and_sql_words_are_needed() {
        for s in [
            "1 or 1",
            "a=b",
            "x;y",
            "1union",
            "1.e5union",
            "a::int",
            "x:=1",
            "select",
            "name#",
            "waitfor",
            "0x2ewhere",
            "0x2eor 1",
        ] {
            assert!(may(s), "{s}");
        }
        for s in [
            "miles o'brien",
            "miles.obrien@example.com",
            "sku 0042",
            "a:b",
            "null",
            "not now",
            "count(x)",
        ] {
            assert!(!may(s), "{s}");
        }
    }
}
