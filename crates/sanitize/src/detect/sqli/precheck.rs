//! The SQL injection pre-check: whether any rule could match a view.
//!
//! Every rule in [`super::rules`] needs, after folding, a token of one of
//! the classes union, statement, clause keyword, logic, comparison,
//! arithmetic, comment, `;` or attack-only name, and folding never makes
//! such a token out of others (a call becomes attack-only only when one is
//! inside it). Those tokens come from the operator bytes in [`OPERATORS`]
//! and [`ARITHMETIC`], from `::` and `:=`, or from a word the table classes
//! as SQL. A view with none of them is skipped without lexing.
//!
//! Arithmetic alone is narrower: every rule that reads an arithmetic
//! operator also needs a token of another class above, except one — the
//! query's own quote closing a string that opens after the operator
//! (`1' - '`). So `+ - * / % ^ ~` count only where a quote follows one of
//! them, or where they make a comment (`--`, `/*`). Hyphens and slashes are
//! everywhere in ordinary values (dates, ids, product codes, addresses),
//! and this keeps them from costing a full lex.

use super::lexer::is_word_byte;
use super::words::{WordClass, classify_bytes};
use crate::detect::precheck::ByteSet;

/// Bytes the lexer reads as a comparison, logic, a comment or `;`
/// wherever they stand outside a string (`&` and `|` also as arithmetic).
const OPERATORS: &[u8] = b"=<>|&;#";

/// Bytes the lexer reads as arithmetic only, or as the start of a comment
/// (`--`, `/*`).
const ARITHMETIC: &[u8] = b"+-*/%^~";

/// Whether `text` (lower-cased) holds anything the SQL rules need.
pub(crate) fn may_hold(text: &str, bytes: &ByteSet) -> bool {
    const OPERATOR_SET: ByteSet = ByteSet::of(OPERATORS);
    const ARITHMETIC_SET: ByteSet = ByteSet::of(ARITHMETIC);
    bytes.intersects(&OPERATOR_SET)
        || (bytes.intersects(&ARITHMETIC_SET) && arithmetic_counts(text, bytes))
        || bytes.occurs(text, "::")
        || bytes.occurs(text, ":=")
        || has_sql_word(text.as_bytes())
}

/// Whether the arithmetic bytes of `text` can matter to a rule: a quote
/// after one of them (the string the query's quote closes), or a comment.
fn arithmetic_counts(text: &str, bytes: &ByteSet) -> bool {
    let b = text.as_bytes();
    const ARITHMETIC_SET: ByteSet = ByteSet::of(ARITHMETIC);
    let quoted_after = (bytes.has(b'\'') || bytes.has(b'"'))
        && b.iter()
            .position(|&c| ARITHMETIC_SET.has(c))
            .is_some_and(|first| b[first + 1..].iter().any(|&c| c == b'\'' || c == b'"'));
    quoted_after || bytes.occurs(text, "--") || bytes.occurs(text, "/*")
}

/// Whether a word the lexer could read starts a SQL token. The lexer's
/// words are runs of word bytes, split only after a number (`1union`,
/// `1.e5union`, `0x2eunion`), so every run and every suffix of a run that
/// starts after a digit or after the hex number opening the run is looked up.
pub(crate) fn has_sql_word(b: &[u8]) -> bool {
    let mut i = 0;
    while i < b.len() {
        if !is_word_byte(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = false;
        while i < b.len() && is_word_byte(b[i]) {
            digits |= b[i].is_ascii_digit();
            i += 1;
        }
        if is_sql(&b[start..i]) || (digits && sql_after_number(b, start, i)) {
            return true;
        }
    }
    false
}

/// Whether a suffix of the run `b[start..end]` that the lexer would
/// read as a word of its own (after a digit, or after the hex number
/// opening the run) is SQL.
fn sql_after_number(b: &[u8], start: usize, end: usize) -> bool {
    // Where a hex number opening the run ends (it may end in a letter).
    let hex_end = b[start..end]
        .strip_prefix(b"0x")
        .map(|h| start + 2 + h.iter().take_while(|c| c.is_ascii_hexdigit()).count());
    (start + 1..end).any(|k| {
        (b[k - 1].is_ascii_digit() || hex_end == Some(k))
            && !b[k].is_ascii_digit()
            && is_sql(&b[k..end])
    })
}

fn is_sql(word: &[u8]) -> bool {
    !matches!(
        classify_bytes(word),
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
            "1' - '",
            "x\" + \"",
            "a--",
            "a/*b",
            "1 ~ 'x'",
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
            "sku-0042",
            "2024-01-05",
            "o'brien's hand-made mug, 350 ml",
            "1 main st., apt. 4 - springfield",
            "a/b/c",
            "\"quoted\" 10% off - today",
            "x - y * z",
        ] {
            assert!(!may(s), "{s}");
        }
    }
}
