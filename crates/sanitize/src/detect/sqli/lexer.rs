//! A SQL lexer for untrusted fragments, in the spirit of libinjection.
//!
//! The input is not a whole query but a value about to be pasted into one,
//! so it is lexed as SQL starting in one of three contexts: outside any
//! literal, or inside a single- or double-quoted string whose opening quote
//! is in the application's query. Each token gets a one-character class;
//! the folded sequence of classes is the fingerprint the rules judge.
//!
//! The lexer is hand-written rather than built on regular expressions: it
//! must accept anything (unterminated strings and comments, MySQL's
//! `/*! */` executable comments, stray bytes), never fail, and run in one
//! linear pass.

use super::words::{WordClass, classify};

/// Where the input starts, relative to the query it is pasted into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quote {
    /// Outside any literal (a numeric parameter, an identifier).
    None,
    /// Inside `'...'`.
    Single,
    /// Inside `"..."`.
    Double,
}

impl Quote {
    pub(crate) fn byte(self) -> Option<u8> {
        match self {
            Quote::None => None,
            Quote::Single => Some(b'\''),
            Quote::Double => Some(b'"'),
        }
    }
}

/// Token classes. The byte is the fingerprint character.
pub(crate) mod class {
    /// A string literal.
    pub const STRING: u8 = b's';
    /// A number (decimal, hex, binary, with exponent).
    pub const NUMBER: u8 = b'1';
    /// `@var` or `@@system_var`.
    pub const VARIABLE: u8 = b'v';
    /// A word that is no keyword.
    pub const BAREWORD: u8 = b'n';
    /// A function call name (word directly followed by `(`, or a known function).
    pub const FUNCTION: u8 = b'f';
    /// A clause keyword (`from`, `where`, `order by`, `having`...).
    pub const KEYWORD: u8 = b'k';
    /// `union`, `intersect`, `except`.
    pub const UNION: u8 = b'U';
    /// A statement (`select`, `insert`, `drop`, `exec`...).
    pub const STATEMENT: u8 = b'E';
    /// A name only an attack uses (`xp_cmdshell`, `information_schema`, `sleep`...).
    pub const EVIL: u8 = b'X';
    /// `and`, `or`, `xor`, `&&`, `||`.
    pub const LOGIC: u8 = b'&';
    /// A comparison: `=`, `<>`, `like`, `regexp`, `is`, `in`, `between`...
    pub const COMPARE: u8 = b'o';
    /// Arithmetic or bitwise: `+ - * / % ^ | & ~ div mod`.
    pub const ARITH: u8 = b'a';
    /// `not` and `!`.
    pub const NOT: u8 = b'!';
    /// `(`.
    pub const OPEN: u8 = b'(';
    /// `)`.
    pub const CLOSE: u8 = b')';
    /// `,`.
    pub const COMMA: u8 = b',';
    /// `;`.
    pub const SEMICOLON: u8 = b';';
    /// `.`.
    pub const DOT: u8 = b'.';
    /// A comment running to the end of the line (`--`, `#`) or, unclosed, of the input (`/*`).
    pub const COMMENT: u8 = b'c';
    /// A byte that has no place in SQL (`{`, `?`, `[`...).
    pub const OTHER: u8 = b'?';
}

/// One token: class and byte range in the lexed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) class: u8,
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// For strings: whether the closing quote was present.
    pub(crate) closed: bool,
}

/// At most this many tokens are produced; the rules look at the start of
/// the value, and bounding the work keeps a megabyte-long value cheap.
pub(crate) const MAX_TOKENS: usize = 64;

/// Lexes `s` (already lower-cased) starting in context `quote`.
pub(crate) fn lex(s: &str, quote: Quote) -> Vec<Token> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(16);
    let mut i = 0;
    if let Some(q) = quote.byte() {
        let (end, closed) = string_end(b, 0, q);
        out.push(Token {
            class: class::STRING,
            start: 0,
            end,
            closed,
        });
        i = end;
    }
    while i < b.len() && out.len() < MAX_TOKENS {
        let c = b[i];
        let tok = |class, end| Token {
            class,
            start: i,
            end,
            closed: true,
        };
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0 | 0xa0 => i += 1,
            b'\'' | b'"' => {
                let (end, closed) = string_end(b, i + 1, c);
                out.push(Token {
                    class: class::STRING,
                    start: i,
                    end,
                    closed,
                });
                i = end;
            }
            b'`' => {
                // A quoted identifier.
                let end = b[i + 1..]
                    .iter()
                    .position(|&x| x == b'`')
                    .map_or(b.len(), |p| i + p + 2);
                out.push(tok(class::BAREWORD, end));
                i = end;
            }
            b'#' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                // `#2`: a number sign in prose, not a MySQL comment.
                out.push(tok(class::OTHER, i + 1));
                i += 1;
            }
            b'#' => {
                let end = line_end(b, i);
                out.push(tok(class::COMMENT, end));
                i = end;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                let end = line_end(b, i);
                out.push(tok(class::COMMENT, end));
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                if b.get(i + 2) == Some(&b'!') {
                    // MySQL executes the inside of `/*!50000 ... */`: skip the
                    // marker and its version and lex the contents.
                    i += 3;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    continue;
                }
                match find(b, i + 2, b"*/") {
                    // A closed inline comment separates tokens like a space.
                    Some(p) => i = p + 2,
                    None => {
                        out.push(tok(class::COMMENT, b.len()));
                        i = b.len();
                    }
                }
            }
            b'*' if b.get(i + 1) == Some(&b'/') => i += 2,
            b'(' => {
                out.push(tok(class::OPEN, i + 1));
                i += 1;
            }
            b')' => {
                out.push(tok(class::CLOSE, i + 1));
                i += 1;
            }
            b',' => {
                out.push(tok(class::COMMA, i + 1));
                i += 1;
            }
            b';' => {
                out.push(tok(class::SEMICOLON, i + 1));
                i += 1;
            }
            b'@' => {
                let mut end = i + 1;
                while end < b.len() && b[end] == b'@' {
                    end += 1;
                }
                let name_end = word_end(b, end);
                if name_end == end {
                    out.push(tok(class::OTHER, end));
                } else {
                    out.push(tok(class::VARIABLE, name_end));
                }
                i = name_end;
            }
            b'.' if b.get(i + 1).is_some_and(u8::is_ascii_digit)
                && !out
                    .last()
                    .is_some_and(|t: &Token| t.end == i && is_word_class(t.class)) =>
            {
                let end = number_end(b, i);
                out.push(tok(class::NUMBER, end));
                i = end;
            }
            b'.' => {
                out.push(tok(class::DOT, i + 1));
                i += 1;
            }
            b'0'..=b'9' => {
                let end = number_end(b, i);
                let wend = word_end(b, i);
                let glued = if wend > end {
                    classify(&s[end..wend])
                } else {
                    WordClass::Plain
                };
                if wend > end
                    && !matches!(
                        glued,
                        WordClass::Plain | WordClass::Function | WordClass::Pair(_)
                    )
                {
                    // `182union`: MySQL reads a number, then the keyword.
                    out.push(tok(class::NUMBER, end));
                    i = end;
                } else if wend > end {
                    // `1950s`, `22997112x`: a word starting with digits.
                    out.push(tok(class::BAREWORD, wend));
                    i = wend;
                } else {
                    out.push(tok(class::NUMBER, end));
                    i = end;
                }
            }
            _ if is_word_byte(c) => {
                let end = word_end(b, i);
                let t = word_token(s, b, i, end);
                i = t.end;
                out.push(t);
            }
            _ => {
                let (class, len) = operator(&b[i..]);
                out.push(tok(class, i + len));
                i += len;
            }
        }
    }
    out
}

fn is_word_class(c: u8) -> bool {
    matches!(
        c,
        class::BAREWORD | class::FUNCTION | class::EVIL | class::KEYWORD
    )
}

/// The token for the word `s[start..end]`, which may extend over a second
/// word (`order by`, `union all`, `waitfor delay`).
fn word_token(s: &str, b: &[u8], start: usize, end: usize) -> Token {
    let word = &s[start..end];
    let followed_by_paren = b.get(end) == Some(&b'(');
    let mut end = end;
    let class = match classify(word) {
        WordClass::Keyword => class::KEYWORD,
        WordClass::Union => {
            // `union all select`, `union distinct select`: one token.
            let (next, next_end) = next_word(s, b, end);
            if matches!(next, "all" | "distinct") {
                end = next_end;
            }
            class::UNION
        }
        WordClass::Statement => class::STATEMENT,
        WordClass::Logic => class::LOGIC,
        WordClass::Compare => class::COMPARE,
        WordClass::Arith => class::ARITH,
        WordClass::Not => class::NOT,
        // `sleep` and `benchmark` are words too; only a call is an attack.
        WordClass::Evil if matches!(word, "sleep" | "benchmark") && !paren_follows(b, end) => {
            class::BAREWORD
        }
        WordClass::Evil => class::EVIL,
        WordClass::Function if paren_follows(b, end) => class::FUNCTION,
        WordClass::Function => class::BAREWORD,
        WordClass::Value => class::NUMBER,
        WordClass::Pair(second) => {
            let (next, next_end) = next_word(s, b, end);
            if next == second {
                end = next_end;
                if word == "sounds" {
                    class::COMPARE
                } else {
                    class::KEYWORD
                }
            } else if followed_by_paren {
                class::FUNCTION
            } else {
                class::BAREWORD
            }
        }
        WordClass::Plain if followed_by_paren => class::FUNCTION,
        WordClass::Plain => class::BAREWORD,
    };
    Token {
        class,
        start,
        end,
        closed: true,
    }
}

/// Whether a `(` follows position `i`, after optional spaces.
fn paren_follows(b: &[u8], mut i: usize) -> bool {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    b.get(i) == Some(&b'(')
}

/// The word after position `i` (skipping spaces and inline comments) and its end.
fn next_word<'s>(s: &'s str, b: &[u8], mut i: usize) -> (&'s str, usize) {
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b.get(i) == Some(&b'/') && b.get(i + 1) == Some(&b'*') && b.get(i + 2) != Some(&b'!') {
            match find(b, i + 2, b"*/") {
                Some(p) => i = p + 2,
                None => return ("", i),
            }
        } else {
            break;
        }
    }
    let end = word_end(b, i);
    (&s[i..end], end)
}

pub(crate) fn is_word_byte(c: u8) -> bool {
    WORD_BYTES[usize::from(c)]
}

/// Letters, digits, `_`, `$` and every byte outside ASCII: one load per
/// byte, as every byte of every value passes through here.
static WORD_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
        c += 1;
    }
    table
};

fn word_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_word_byte(b[i]) {
        i += 1;
    }
    i
}

fn number_end(b: &[u8], start: usize) -> usize {
    let mut i = start;
    if b.get(i) == Some(&b'0') && matches!(b.get(i + 1), Some(b'x' | b'b')) {
        let hexadecimal = b[i + 1] == b'x';
        let mut j = i + 2;
        while j < b.len()
            && (if hexadecimal {
                b[j].is_ascii_hexdigit()
            } else {
                matches!(b[j], b'0' | b'1')
            })
        {
            j += 1;
        }
        if j > i + 2 {
            return j;
        }
    }
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if b.get(i) == Some(&b'e') {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            i = j;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    i
}

/// The end of a string opened before `start` with quote `q`, and whether it closed.
/// A doubled quote and a backslash escape do not close it.
fn string_end(b: &[u8], start: usize, q: u8) -> (usize, bool) {
    let mut i = start;
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return (i + 1, true);
        }
        i += 1;
    }
    (b.len(), false)
}

/// The end of a line comment starting at `i`: the next newline or the end.
fn line_end(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| i + p)
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The class and length of the operator at the start of `b`.
fn operator(b: &[u8]) -> (u8, usize) {
    let two = b.get(..2).unwrap_or(b);
    match two {
        b"&&" | b"||" => return (class::LOGIC, 2),
        b"<=" | b">=" | b"<>" | b"!=" | b":=" | b"==" => {
            if b.get(..3) == Some(b"<=>") {
                return (class::COMPARE, 3);
            }
            return (class::COMPARE, 2);
        }
        b"::" | b"<<" | b">>" => return (class::ARITH, 2),
        _ => {}
    }
    match b[0] {
        b'=' | b'<' | b'>' => (class::COMPARE, 1),
        b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'|' | b'&' | b'~' => (class::ARITH, 1),
        b'!' => (class::NOT, 1),
        _ => (class::OTHER, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(s: &str, q: Quote) -> String {
        lex(s, q).iter().map(|t| t.class as char).collect()
    }

    #[test]
    fn classes_of_common_shapes() {
        assert_eq!(classes("1 or 1=1", Quote::None), "1&1o1");
        assert_eq!(classes("' or 'a'='a", Quote::Single), "s&sos");
        assert_eq!(
            classes("x' union all select 1,2--", Quote::Single),
            "sUE1,1c"
        );
        assert_eq!(classes("sleep(5)", Quote::None), "X(1)");
        assert_eq!(classes("1 order by 2", Quote::None), "1k1");
        assert_eq!(classes("@@version", Quote::None), "v");
        assert_eq!(classes("un/**/ion", Quote::None), "nn");
        assert_eq!(classes("/*!50000union*/ select", Quote::None), "UE");
        assert_eq!(classes("0x41 1.5e3 .5", Quote::None), "111");
        assert_eq!(classes("1950s", Quote::None), "n");
    }

    #[test]
    fn strings_in_quote_context_start_at_the_input() {
        let t = lex("abc' or 1", Quote::Single);
        assert_eq!(
            (t[0].class, t[0].end, t[0].closed),
            (class::STRING, 4, true)
        );
        let t = lex("it''s fine", Quote::Single);
        assert_eq!(t.len(), 1);
        assert!(!t[0].closed);
    }

    #[test]
    fn unterminated_things_do_not_fail() {
        assert_eq!(classes("'abc", Quote::None), "s");
        assert_eq!(classes("/* abc", Quote::None), "c");
        assert_eq!(classes("`abc", Quote::None), "n");
        assert_eq!(classes("@", Quote::None), "?");
        assert_eq!(classes("1 --", Quote::None), "1c");
    }

    #[test]
    fn token_count_is_bounded() {
        let long = "1,".repeat(10_000);
        assert_eq!(lex(&long, Quote::None).len(), MAX_TOKENS);
    }
}
