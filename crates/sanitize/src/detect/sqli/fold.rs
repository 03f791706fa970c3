//! Folding: reduce a token stream to the shape that matters.
//!
//! Like libinjection's folding, this removes what does not change whether a
//! value breaks out of its literal: unary signs and `not`, arithmetic
//! between operands (`1+1` is one operand), qualified names (`a.b.c`), the
//! arguments of a function call (`concat(0x3a,user())` is one call), runs
//! of parentheses, adjacent strings and comma lists. What is left is short,
//! so a handful of generative rules can judge it.

use super::lexer::{Token, class};

/// Whether a class can stand where a value stands.
pub(crate) fn is_operand(c: u8) -> bool {
    matches!(
        c,
        class::STRING
            | class::NUMBER
            | class::VARIABLE
            | class::BAREWORD
            | class::FUNCTION
            | class::EVIL
    )
}

/// Folds `tokens` of the text `s`. In a quoted context (`quoted`) the
/// first string, the one the input closes, is kept apart from arithmetic
/// after it: `' - '` is a probe, not one string.
pub(crate) fn fold(s: &[u8], tokens: &[Token], quoted: bool) -> Vec<Token> {
    let calls = collapse_calls(&names(tokens));
    merge_parens(&simplify(s, &calls, quoted))
}

/// Drops `not` and merges dotted names (`master..xp_cmdshell`, `a.b`).
fn names(tokens: &[Token]) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        if t.class == class::NOT {
            i += 1;
            continue;
        }
        if t.class == class::DOT
            && let Some(last) = out.last_mut()
            && is_name(last.class)
        {
            // Skip any further dots, then absorb the name after them.
            let mut j = i;
            while j < tokens.len() && tokens[j].class == class::DOT {
                j += 1;
            }
            if let Some(next) = tokens.get(j).filter(|n| is_name(n.class)) {
                last.end = next.end;
                last.class = stronger(last.class, next.class);
                i = j + 1;
                continue;
            }
        }
        out.push(t);
        i += 1;
    }
    out
}

fn is_name(c: u8) -> bool {
    matches!(
        c,
        class::BAREWORD | class::FUNCTION | class::EVIL | class::VARIABLE
    )
}

/// The class of `a` joined with `b`: an attack-only name wins, else the
/// left-hand side's class (`md5(1)^'1'` is a call, `a.b` a name).
fn stronger(a: u8, b: u8) -> u8 {
    if a == class::EVIL || b == class::EVIL {
        class::EVIL
    } else if a == class::BAREWORD {
        b
    } else {
        a
    }
}

/// Replaces each complete `f( ... )` by one token: `X` when the function
/// or anything inside it is an attack-only name, a statement or a union
/// (a subquery inside a call), else `f`.
fn collapse_calls(tokens: &[Token]) -> Vec<Token> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        if matches!(t.class, class::FUNCTION | class::EVIL)
            && tokens.get(i + 1).is_some_and(|n| n.class == class::OPEN)
            && let Some(close) = matching_close(tokens, i + 1)
        {
            let inner = &tokens[i + 2..close];
            let evil = t.class == class::EVIL
                || inner
                    .iter()
                    .any(|x| matches!(x.class, class::EVIL | class::STATEMENT | class::UNION));
            out.push(Token {
                class: if evil { class::EVIL } else { class::FUNCTION },
                start: t.start,
                end: tokens[close].end,
                closed: true,
            });
            i = close + 1;
            continue;
        }
        out.push(t);
        i += 1;
    }
    out
}

fn matching_close(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (j, t) in tokens.iter().enumerate().skip(open) {
        match t.class {
            class::OPEN => depth += 1,
            class::CLOSE => {
                depth -= 1;
                if depth == 0 {
                    return Some(j);
                }
            }
            _ => {}
        }
    }
    None
}

/// Unary signs, arithmetic, runs of parentheses, adjacent strings and
/// comma-separated operands.
fn simplify(s: &[u8], tokens: &[Token], quoted: bool) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        let last = out.last().map(|l: &Token| l.class);
        match t.class {
            class::ARITH => {
                let after_operand = last.is_some_and(|c| is_operand(c) || c == class::CLOSE);
                let sign = matches!(s.get(t.start), Some(b'+' | b'-' | b'~'));
                if !after_operand && sign {
                    // A unary sign: `-1`, `+ 'a'`.
                    i += 1;
                    continue;
                }
                if after_operand && last.is_some_and(is_operand) && !(quoted && out.len() == 1) {
                    // Skip unary signs before the right-hand operand.
                    let mut j = i + 1;
                    while tokens.get(j).is_some_and(|n| {
                        n.class == class::ARITH
                            && matches!(s.get(n.start), Some(b'+' | b'-' | b'~'))
                    }) {
                        j += 1;
                    }
                    if let Some(next) = tokens.get(j).filter(|n| is_operand(n.class))
                        && let Some(l) = out.last_mut()
                    {
                        l.end = next.end;
                        l.class = stronger(l.class, next.class);
                        l.closed = next.closed || next.class != class::STRING;
                        i = j + 1;
                        continue;
                    }
                }
                out.push(t);
            }
            class::STRING if last == Some(class::STRING) => {
                if let Some(l) = out.last_mut() {
                    l.end = t.end;
                    l.closed = t.closed;
                }
            }
            class::COMMENT if i + 1 < tokens.len() => {
                // A line comment with more after it hides nothing: drop it.
            }
            class::CLOSE
                if out.len() >= 2
                    && out[out.len() - 2].class == class::OPEN
                    && last.is_some_and(is_operand) =>
            {
                // `(x)` is `x`.
                let inner = out.pop();
                if let (Some(inner), Some(open)) = (inner, out.last_mut()) {
                    *open = Token {
                        class: inner.class,
                        start: open.start,
                        end: t.end,
                        closed: inner.closed,
                    };
                }
            }
            class::COMMA
                if last.is_some_and(is_operand)
                    && tokens.get(i + 1).is_some_and(|n| is_operand(n.class)) =>
            {
                let next = tokens[i + 1];
                if let Some(l) = out.last_mut() {
                    l.end = next.end;
                    l.class = stronger(l.class, next.class);
                }
                i += 2;
                continue;
            }
            _ => out.push(t),
        }
        i += 1;
    }
    out
}

/// Runs of `(` or `)` become one token.
fn merge_parens(tokens: &[Token]) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    for t in tokens {
        match out.last_mut() {
            Some(l) if l.class == t.class && matches!(t.class, class::OPEN | class::CLOSE) => {
                l.end = t.end
            }
            _ => out.push(*t),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::lexer::{Quote, lex};
    use super::*;

    fn fp(s: &str, q: Quote) -> String {
        fold(s.as_bytes(), &lex(s, q), q != Quote::None)
            .iter()
            .map(|t| t.class as char)
            .collect()
    }

    #[test]
    fn folding_reduces_to_the_shape() {
        assert_eq!(
            fp("-1 union select 1,2,concat(user(),0x3a),4--", Quote::None),
            "1UE1c"
        );
        assert_eq!(fp("1+1-2 or not 1=1", Quote::None), "1&1o1");
        assert_eq!(fp("'*''''", Quote::Single), "sas");
        assert_eq!(fp("(((1)))", Quote::None), "1");
        assert_eq!(fp("1 # note\n and 2=2", Quote::None), "1&1o1");
        assert_eq!(fp("1)) and ((1=1", Quote::None), "1)&(1o1");
        assert_eq!(fp("exec master..xp_cmdshell 'dir'", Quote::None), "EXs");
        assert_eq!(fp("ascii(substring((select 1),1,1))>5", Quote::None), "Xo1");
        assert_eq!(fp("count(*)", Quote::None), "f");
    }

    #[test]
    fn a_dot_joins_names_only_and_adjacent_strings_are_one() {
        assert_eq!(fp("'a'.b", Quote::None), "s.n");
        assert_eq!(fp("'a' 'b' or 1", Quote::None), "s&1");
    }

    #[test]
    fn only_signs_are_skipped_before_a_right_hand_operand() {
        assert_eq!(fp("1+-1 or 1", Quote::None), "1&1");
        assert_eq!(fp("1+*2", Quote::None), "1aa1");
    }

    #[test]
    fn a_comma_joins_operands_only_when_one_follows() {
        assert_eq!(fp("1,", Quote::None), "1,");
        assert_eq!(fp("1,2 or 1", Quote::None), "1&1");
        assert_eq!(fp("1,sleep(5)", Quote::None), "X");
    }
}
