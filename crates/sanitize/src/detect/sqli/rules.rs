//! The bad-fingerprint rules.
//!
//! Rather than a table of known-bad fingerprints, the rules are generative:
//! an injection is a *break* followed by a *continuation*.
//!
//! - The break: in a quoted context, the string the input closes (`s`),
//!   optionally followed by closing parentheses; outside quotes, a number
//!   (a numeric parameter) or a closing parenthesis.
//! - The continuation: a union (`U E`), a stacked statement (`; E`), a
//!   boolean that compares (`& 1 o 1`, `& s o s`) or calls (`& f`), a
//!   comparison closed by the query's own quote (`o s` at the end), a clause
//!   (`order by`, `having`, `where`), an attack-only function, or a comment
//!   cutting off the rest of the query.
//!
//! A few shapes are bad wherever they appear (`union select`,
//! `select @@version`, attack-only names such as `xp_cmdshell`). The strict
//! level adds shapes that prose can take but an id or sort key cannot.

use super::fold::is_operand;
use super::lexer::{Quote, Token, class};

/// How many folded tokens the rules look at.
pub(crate) const FINGERPRINT_LEN: usize = 8;

/// A match: the rule's name and how many folded tokens it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) start: usize,
    pub(crate) len: usize,
}

/// Judges a folded token stream lexed in context `quote` from text `s`.
/// `raw` are the tokens before folding, `t` after.
pub(crate) fn judge(
    s: &[u8],
    raw: &[Token],
    t: &[Token],
    quote: Quote,
    strict: bool,
) -> Option<Hit> {
    let c: Vec<u8> = t.iter().take(FINGERPRINT_LEN).map(|t| t.class).collect();
    let at = |i: usize| c.get(i).copied().unwrap_or(0);
    // The break.
    let mut p = match (quote, at(0)) {
        (Quote::Single | Quote::Double, class::STRING) => 1,
        (Quote::None, class::NUMBER) => 1,
        (Quote::None, class::CLOSE) => 0,
        (Quote::None, class::BAREWORD) if at(1) == class::CLOSE => 1,
        _ => usize::MAX,
    };
    if p != usize::MAX && quote != Quote::None && quoted_word(s, t, quote) {
        // `"LIKE" stamp`, `select 'and'`: a word in quotes, not a break.
        p = usize::MAX;
    }
    if p != usize::MAX {
        let bare = at(0) == class::BAREWORD;
        if at(p) == class::CLOSE {
            p += 1;
        }
        // `1' in boolean mode) ...`: the end of a MySQL full-text search.
        if at(p) == class::COMPARE
            && t.get(p + 1)
                .is_some_and(|a| &s[a.start..a.end] == b"boolean")
            && t.get(p + 2).is_some_and(|a| &s[a.start..a.end] == b"mode")
        {
            p += 3;
            if at(p) == class::CLOSE {
                p += 1;
            }
        }
        // `1') as alias where ...`: a derived table's alias.
        if t.get(p).is_some_and(|a| &s[a.start..a.end] == b"as") && at(p + 1) == class::BAREWORD {
            p += 2;
        }
        let quoted = quote != Quote::None;
        if let Some(len) = continuation(s, t, &c, p, quoted && !bare, strict)
            && (!bare || len >= 2)
        {
            return Some(Hit {
                start: 0,
                len: p + len,
            });
        }
    }
    if let Some(i) = raw_tautology(s, raw) {
        // Report the folded token holding it.
        let start = t.iter().position(|x| x.end > raw[i].start).unwrap_or(0);
        return Some(Hit { start, len: 1 });
    }
    let all: Vec<u8> = t.iter().map(|t| t.class).collect();
    anywhere(s, t, &all, strict)
}

/// The index of the first token of a tautology among unfolded tokens.
fn raw_tautology(s: &[u8], raw: &[Token]) -> Option<usize> {
    (1..raw.len().saturating_sub(1))
        .find(|&i| {
            raw[i].class == class::COMPARE && tautology(s, &raw[i - 1], &raw[i], raw.get(i + 1))
        })
        .map(|i| i - 1)
}

/// A continuation starting at folded token `p`, and its length.
fn continuation(
    s: &[u8],
    t: &[Token],
    c: &[u8],
    p: usize,
    quoted: bool,
    strict: bool,
) -> Option<usize> {
    let at = |i: usize| c.get(p + i).copied().unwrap_or(0);
    let end = |i: usize| p + i >= c.len();
    let value = |i: usize| is_operand(at(i));
    match at(0) {
        class::UNION if matches!(at(1), class::STATEMENT | class::OPEN) => Some(2),
        class::SEMICOLON if at(1) == class::STATEMENT && statement_follows(s, t, p + 1) => Some(2),
        class::SEMICOLON if matches!(at(1), class::EVIL | class::FUNCTION) => Some(2),
        class::UNION if at(1) == class::NUMBER => Some(2),
        class::UNION if !quoted && (end(1) || at(1) == class::COMMENT) => Some(1),
        class::SEMICOLON if quoted && at(1) == class::COMMENT => Some(2),
        class::LOGIC => {
            let (q, off) = if at(1) == class::OPEN { (2, 1) } else { (1, 0) };
            if at(q) == class::EVIL || (at(q) == class::FUNCTION && (quoted || at(q + 1) != 0)) {
                return Some(q + 1);
            }
            if value(q) && at(q + 1) == class::COMPARE && (value(q + 2) || at(q + 2) == class::OPEN)
            {
                return Some(q + 3);
            }
            if value(q) && matches!(at(q + 1), class::COMMENT | class::SEMICOLON) {
                return Some(q + 2);
            }
            let literal = matches!(at(q), class::NUMBER | class::VARIABLE)
                || (at(q) == class::STRING && t.get(p + q).is_some_and(|x| x.closed));
            if quoted && literal && (end(q + 1) || matches!(at(q + 1), class::LOGIC | class::CLOSE))
            {
                return Some(q + 1);
            }
            if matches!(at(q), class::STATEMENT) {
                return Some(q + 1);
            }
            // `x' and 'y`: the query's own closing quote ends the last string.
            if quoted
                && at(q) == class::STRING
                && end(q + 1)
                && closes_with_context_quote(s, t, p + q)
            {
                return Some(q + 1);
            }
            let _ = off;
            None
        }
        class::COMPARE => {
            // `'='`, `1'='1`, `' = 1 --`, `'=(select`.
            if at(1) == class::OPEN && matches!(at(2), class::STATEMENT | class::EVIL) {
                return Some(3);
            }
            if value(1) {
                let closes = at(1) == class::STRING && end(2) && !t[p + 1].closed;
                if (quoted && closes)
                    || matches!(
                        at(2),
                        class::LOGIC | class::COMMENT | class::SEMICOLON | class::UNION
                    )
                    || (quoted && at(2) == class::CLOSE)
                    || (strict && end(2))
                {
                    return Some(2);
                }
            }
            None
        }
        class::KEYWORD => {
            let word = t.get(p).map_or(&b""[..], |k| &s[k.start..k.end]);
            let lone = matches!(word, b"from" | b"values" | b"offset" | b"limit");
            if quoted && !lone {
                return Some(1);
            }
            // `where` needs a condition: a lone word closing the value is
            // prose at the default level (`2 where possible`).
            if word == b"where" && !strict && at(1) == class::BAREWORD && end(2) {
                return None;
            }
            if !lone && (value(1) || at(1) == class::EVIL) {
                return Some(2);
            }
            None
        }
        class::STATEMENT if strict || (quoted && statement_follows(s, t, p)) => Some(1),
        class::EVIL => Some(1),
        class::ARITH if matches!(at(1), class::EVIL) => Some(2),
        class::ARITH
            if quoted
                && value(1)
                && ((matches!(
                    at(2),
                    class::LOGIC | class::COMPARE | class::COMMENT | class::SEMICOLON
                ) && t.get(p).is_some_and(|o| {
                    matches!(
                        &s[o.start..o.end],
                        b"+" | b"-"
                            | b"||"
                            | b"*"
                            | b"/"
                            | b"%"
                            | b"^"
                            | b"<<"
                            | b">>"
                            | b"div"
                            | b"mod"
                    ) || (matches!(&s[o.start..o.end], b"&" | b"|")
                        && matches!(at(1), class::NUMBER | class::STRING))
                })) || (at(1) == class::STRING
                    && end(2)
                    && !t[p + 1].closed
                    && t[p + 1].start < s.len()
                    && s[t[p + 1].start] == s[t[0].end.saturating_sub(1)]
                    && t.get(p).is_some_and(|o| &s[o.start..o.end] != b"&"))) =>
        {
            Some(2)
        }
        class::ARITH if at(1) == class::OPEN && matches!(at(2), class::STATEMENT) => Some(3),
        class::COMMENT if (quoted || strict) && !prose_dashes(s, t, p) => Some(1),
        _ => None,
    }
}

/// Shapes that are bad wherever they appear.
fn anywhere(s: &[u8], t: &[Token], c: &[u8], strict: bool) -> Option<Hit> {
    if c.first() == Some(&class::OPEN)
        && c.get(1) == Some(&class::STATEMENT)
        && c.get(2)
            .is_some_and(|&x| is_operand(x) || matches!(x, class::OPEN | class::ARITH))
    {
        // A value that is a subquery: `(select count(*) from ...)`.
        return Some(Hit { start: 0, len: 3 });
    }
    if let Some(hit) = whole_value(s, t, c) {
        return Some(hit);
    }
    for i in 0..c.len() {
        if c[i] == class::OPEN && c.get(i + 1) == Some(&class::STATEMENT) && subquery(s, t, i + 1) {
            return Some(Hit { start: i, len: 3 });
        }
        if c[i] == class::KEYWORD
            && t.get(i)
                .is_some_and(|k| s[k.start..k.end].starts_with(b"into"))
        {
            return Some(Hit { start: i, len: 1 });
        }
        if c[i] == class::KEYWORD
            && t.get(i)
                .is_some_and(|k| s[k.start..k.end].starts_with(b"case"))
            && c.get(i + 1).is_some_and(|&x| is_operand(x))
            && c.get(i + 2) == Some(&class::COMPARE)
        {
            return Some(Hit { start: i, len: 3 });
        }
        let next = c.get(i + 1).copied().unwrap_or(0);
        let hit = |len| Some(Hit { start: i, len });
        match (c[i], next) {
            (class::UNION, class::STATEMENT) => return hit(2),
            (class::UNION, class::OPEN) if c.get(i + 2) == Some(&class::STATEMENT) => {
                return hit(3);
            }
            (class::STATEMENT, class::EVIL | class::VARIABLE) => return hit(2),
            (class::STATEMENT, class::ARITH) if c.get(i + 2) == Some(&class::KEYWORD) => {
                return hit(3);
            }
            (class::EVIL, _) => return hit(1),
            (class::LOGIC, class::NUMBER | class::STRING)
                if c.get(i + 2) == Some(&class::COMPARE)
                    && matches!(c.get(i + 3), Some(&(class::NUMBER | class::STRING))) =>
            {
                return hit(4);
            }
            (class::SEMICOLON, class::STATEMENT) if strict => return hit(2),
            (class::LOGIC, _)
                if strict && is_operand(next) && c.get(i + 2) == Some(&class::COMPARE) =>
            {
                return hit(3);
            }
            _ => {}
        }
    }
    None
}

/// `4587=4587`, `'a'='a'`: a comparison of a literal with itself, true by
/// construction, which only an injection needs.
fn tautology(s: &[u8], left: &Token, op: &Token, right: Option<&Token>) -> bool {
    let Some(right) = right else { return false };
    let literal = |t: &Token| matches!(t.class, class::NUMBER | class::STRING);
    let text = |t: &Token| {
        let raw = &s[t.start..t.end];
        if t.class == class::STRING {
            // Each end loses its own quote: `"a"`, `'a'`, the closed `a'`
            // and the open `'a` all read `a`.
            let raw = raw.trim_ascii_start();
            let raw = raw
                .strip_prefix(b"'")
                .or_else(|| raw.strip_prefix(b"\""))
                .unwrap_or(raw);
            raw.strip_suffix(b"'")
                .or_else(|| raw.strip_suffix(b"\""))
                .unwrap_or(raw)
                .to_vec()
        } else {
            raw.to_vec()
        }
    };
    literal(left)
        && literal(right)
        && left.class == right.class
        && matches!(&s[op.start..op.end], b"=" | b"like" | b"==" | b"<=>")
        && text(left) == text(right)
}

/// Whether the first word after the break is quoted by the context's quote
/// on both sides (`"like"`, `'and'`): the input quotes a word, it does not
/// close a literal.
fn quoted_word(s: &[u8], t: &[Token], quote: Quote) -> bool {
    let Some(q) = quote.byte() else { return false };
    let Some(word) = t.get(1) else { return false };
    let is_word = word.class != class::LOGIC
        && word.end > word.start
        && s[word.start..word.end]
            .iter()
            .all(|c| c.is_ascii_alphabetic());
    is_word
        && word.start > 0
        && s[word.start - 1] == q
        && matches!(s.get(word.end), Some(&c) if c == q || c == b'\'' || c == b'"')
}

/// A statement after `;` that reads as one: `drop table`, `exec xp_...`,
/// `select 1`, not `exec will create the case`.
fn statement_follows(s: &[u8], t: &[Token], i: usize) -> bool {
    let Some(stmt) = t.get(i) else { return false };
    let word = &s[stmt.start..stmt.end];
    let next = t.get(i + 1);
    let next_word = next.map_or(&b""[..], |n| &s[n.start..n.end]);
    match word {
        b"drop" | b"create" | b"alter" | b"truncate" | b"rename" => matches!(
            next_word,
            b"table"
                | b"database"
                | b"procedure"
                | b"function"
                | b"view"
                | b"index"
                | b"user"
                | b"login"
                | b"schema"
                | b"trigger"
        ),
        b"call" => next.is_some_and(|n| matches!(n.class, class::FUNCTION | class::EVIL)),
        b"exec" | b"execute" => next.is_some_and(|n| {
            matches!(
                n.class,
                class::EVIL | class::VARIABLE | class::STRING | class::OPEN
            ) || (n.class == class::BAREWORD
                && t.get(i + 2).is_none_or(|m| {
                    matches!(
                        m.class,
                        class::STRING
                            | class::VARIABLE
                            | class::NUMBER
                            | class::SEMICOLON
                            | class::COMMENT
                    )
                }))
        }),
        _ => {
            next.is_none_or(|n| n.class != class::BAREWORD)
                || t.get(i + 2).is_none_or(|n| n.class != class::BAREWORD)
        }
    }
}

/// `--infant`: two dashes glued to a word are a search term, not a comment.
fn prose_dashes(s: &[u8], t: &[Token], p: usize) -> bool {
    t.get(p).is_some_and(|c| {
        s[c.start..].starts_with(b"--") && s.get(c.start + 2).is_some_and(u8::is_ascii_alphabetic)
    })
}

/// Shapes of the whole value (outside quotes): a query (`select 1 from t
/// where`), a parenthesised expression or call cut off by a comment
/// (`(cos(1)) --`), a number cut off by a bare comment (`417652--`).
fn whole_value(s: &[u8], t: &[Token], c: &[u8]) -> Option<Hit> {
    let at = |i: usize| c.get(i).copied().unwrap_or(0);
    let n = c.len();
    let all = Some(Hit { start: 0, len: n });
    if at(0) == class::STATEMENT
        && matches!(
            at(1),
            class::NUMBER | class::STRING | class::VARIABLE | class::FUNCTION | class::EVIL
        )
        && at(2) == class::KEYWORD
        && at(3) == class::BAREWORD
        && (n == 4 || !matches!(at(4), class::BAREWORD | class::NUMBER))
    {
        return all;
    }
    if s.trim_ascii_start().first() == Some(&b'(')
        && at(n.saturating_sub(1)) == class::COMMENT
        && c.iter().any(|&x| {
            matches!(
                x,
                class::LOGIC | class::COMPARE | class::STATEMENT | class::ARITH
            )
        })
    {
        // `( 'a' or 1 ) --`: an expression cut off by a comment.
        return all;
    }
    if t.first().is_some_and(|f| &s[f.start..f.end] == b"select") {
        // `select x, f(y) from t ...`: a query, unless two plain words
        // follow each other before `from` (prose: "select your plan from").
        if let Some(from) = t.iter().position(|k| &s[k.start..k.end] == b"from")
            && from >= 2
            && at(from + 1) == class::BAREWORD
            && !t[1..from]
                .windows(2)
                .any(|w| w[0].class == class::BAREWORD && w[1].class == class::BAREWORD)
        {
            return Some(Hit {
                start: 0,
                len: from + 2,
            });
        }
    }
    if n == 2 && at(0) == class::VARIABLE && at(1) == class::COMMENT {
        return all;
    }
    if n == 2 && at(1) == class::COMMENT && is_operand(at(0)) {
        let first = t.first()?;
        let comment = t.get(1)?;
        let grouped = s.get(first.start) == Some(&b'(') || at(0) == class::FUNCTION;
        let bare = comment.start == first.end
            && s[comment.start..comment.end]
                .iter()
                .all(|c| matches!(c, b'-' | b'#' | b'/' | b'*' | b' '));
        let plain = s[first.start..first.end].iter().all(u8::is_ascii_digit);
        if grouped || (at(0) == class::NUMBER && plain && bare) {
            return all;
        }
    }
    None
}

/// Whether the `select` at folded index `i` (after a `(`) starts a
/// subquery: a literal, call, `*` or another parenthesis follows, or a
/// name followed by `from`, a comma or an operator.
fn subquery(s: &[u8], t: &[Token], i: usize) -> bool {
    let word = t.get(i).map_or(&b""[..], |k| &s[k.start..k.end]);
    if word != b"select" {
        return false;
    }
    match t.get(i + 1).map(|n| n.class) {
        Some(
            class::NUMBER
            | class::STRING
            | class::VARIABLE
            | class::FUNCTION
            | class::EVIL
            | class::OPEN
            | class::ARITH
            | class::KEYWORD,
        ) => true,
        Some(class::BAREWORD) => t.get(i + 2).is_some_and(|n| {
            matches!(
                n.class,
                class::KEYWORD | class::COMMA | class::COMPARE | class::LOGIC
            )
        }),
        _ => false,
    }
}

/// Whether the string at folded index `i` is unclosed and opened with the
/// context's quote, and the break string holds no quote of the other kind
/// (`x' and 'y`, not `'a calendar" and "b`).
fn closes_with_context_quote(s: &[u8], t: &[Token], i: usize) -> bool {
    let (Some(first), Some(last)) = (t.first(), t.get(i)) else {
        return false;
    };
    let Some(&q) = s.get(first.end.saturating_sub(1)) else {
        return false;
    };
    let other = if q == b'\'' { b'"' } else { b'\'' };
    !last.closed && s.get(last.start) == Some(&q) && !s[first.start..first.end].contains(&other)
}
