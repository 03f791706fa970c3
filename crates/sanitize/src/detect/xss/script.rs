//! Script context: the calls and properties a payload needs.
//!
//! A value that reaches a script block or an event handler needs no tag:
//! `';alert(1)//` is enough. These are the functions and properties every
//! proof of concept and most real payloads use, followed by what makes them
//! code (a call, a template literal, an assignment).

use super::Hit;
use crate::detect::keywords::Keywords;
use crate::detect::precheck::ByteSet;
use std::sync::LazyLock;

static PROPERTIES: LazyLock<Keywords> = LazyLock::new(|| Keywords::new(SINK_PROPERTIES));

/// Functions whose call, right after the name, marks script.
const SINK_CALLS: &[&str] = &[
    "alert",
    "confirm",
    "prompt",
    "eval",
    "settimeout",
    "setinterval",
    "execscript",
    "fromcharcode",
    "atob",
    "constructor",
    "import",
    "msgbox",
    "write",
    "writeln",
    "open",
    "fetch",
    "xmlhttprequest",
    "activexobject",
    "function",
    "print",
    "postmessage",
];

/// Properties only script reads or writes.
pub(crate) const SINK_PROPERTIES: &[&str] = &[
    "document.cookie",
    "document.domain",
    "document.write",
    "document.location",
    "window.location",
    "location.href",
    "location.hash",
    ".innerhtml",
    ".outerhtml",
    "document.body",
    "window.name",
    "top.location",
    "self.location",
    "parent.location",
    "window.open",
    "document.forms",
    "window.eval",
    "top[",
    "self[",
    "window[",
    "parent[",
    "frames[",
    "this[",
    "globalthis",
];

/// Scans `s` (lower-cased, compacted) in script context; `bytes` are the
/// bytes `s` holds.
pub(crate) fn scan(s: &str, strict: bool, bytes: &ByteSet) -> Option<Hit> {
    let b = s.as_bytes();
    if let Some((prop, p)) = PROPERTIES.first(s) {
        return Hit::new("script-property", p, p + prop.len());
    }
    if bytes.has(b'{')
        && let Some(p) = s.find("&{")
    {
        // Netscape's JavaScript entities: `&{code};`.
        if s[p..].contains('}') {
            return Hit::new("script-entity", p, p + 2);
        }
    }
    // A navigation assigns: without `=` there is none.
    let targets: &[&str] = if bytes.has(b'=') {
        &["location", "location.href", "document.location"]
    } else {
        &[]
    };
    for &target in targets {
        if let Some(p) = s.find(target) {
            let rest = s[p + target.len()..].trim_start();
            let word_start = p == 0 || !b[p - 1].is_ascii_alphanumeric();
            if word_start
                && rest.starts_with('=')
                && !rest.starts_with("==")
                && rest[1..].trim_start().starts_with(['"', '\'', '`'])
            {
                return Hit::new("script-navigation", p, p + target.len());
            }
        }
    }
    // A call needs one of these right after the name.
    let mut i = if bytes.any(b"()`/") { 0 } else { b.len() };
    while i < b.len() {
        if !b[i].is_ascii_alphabetic()
            || (i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        {
            i += 1;
            continue;
        }
        let end = i + b[i..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        let word = &s[i..end];
        // A call needs `(`, `)(` or a template literal after the name,
        // possibly after an inline comment.
        let callable = matches!(b.get(end), Some(b'(' | b')' | b'`' | b'/'));
        if callable && SINK_CALLS.contains(&word) && is_call(b, end, word, strict) {
            return Hit::new("script-call", i, end + 1);
        }
        i = end;
    }
    None
}

/// `globalthis`: the one property in [`SINK_PROPERTIES`] spelt with
/// letters only, found wherever it appears as [`scan`] finds it.
pub(crate) fn global_this(s: &str, bytes: &ByteSet) -> Option<Hit> {
    if !bytes.may_contain("globalthis") {
        return None;
    }
    let p = s.find("globalthis")?;
    Hit::new("script-property", p, p + "globalthis".len())
}

/// Whether a call follows a sink name at `end`: `(` or a template literal
/// right after it (or after an inline comment), or `)(` / `.call(`
/// indirections. Words that are also English (`open`, `print`, `write`,
/// `function`) count only when the argument is not prose.
fn is_call(b: &[u8], end: usize, word: &str, strict: bool) -> bool {
    let mut k = end;
    if b.get(k..k + 2) == Some(b"/*")
        && let Some(p) = b[k..].windows(2).position(|w| w == b"*/")
    {
        k += p + 2;
    }
    let common = matches!(
        word,
        "open" | "print" | "write" | "writeln" | "function" | "import" | "fetch"
    );
    match b.get(k) {
        Some(b'`') => true,
        Some(b'(') => {
            let arg = &b[k + 1..];
            if !common || strict {
                return true;
            }
            // `open(...)` in prose has words inside; in script, quotes,
            // numbers, or nothing.
            matches!(
                arg.first(),
                Some(b'\'' | b'"' | b'`' | b')' | b'/' | b'0'..=b'9')
            )
        }
        Some(b')') if !common => b.get(k + 1) == Some(&b'('),
        _ => false,
    }
}
