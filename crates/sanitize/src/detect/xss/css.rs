//! CSS context: the properties and functions that run script or load
//! bindings in some browser.

use super::Hit;
use crate::detect::precheck::ByteSet;

/// Scans `s` (lower-cased, compacted, CSS escapes undone) as CSS; `bytes`
/// are the bytes `s` holds, and a needle with a byte outside them is not
/// searched for.
pub(crate) fn scan(s: &str, bytes: &ByteSet) -> Option<Hit> {
    for (needle, rule) in [
        ("-moz-binding", "css-binding"),
        ("behavior:", "css-behavior"),
        ("behaviour:", "css-behavior"),
    ] {
        // Searched for only when every byte of the needle occurs.
        if bytes.may_contain(needle)
            && let Some(p) = s.find(needle)
        {
            return Hit::new(rule, p, p + needle.len());
        }
    }
    let b = s.as_bytes();
    if !bytes.has(b'(') {
        // `expression(` and `url(` both need one.
        return import(s, bytes);
    }
    let mut from = 0;
    while let Some(p) = s[from..].find("expression") {
        let at = from + p;
        from = at + 10;
        // `expression(` or `expression/**/(`, in a declaration (after `:`).
        let mut k = at + 10;
        while k < b.len() && (b[k].is_ascii_whitespace()) {
            k += 1;
        }
        if b.get(k..k + 2) == Some(b"/*")
            && let Some(q) = s[k..].find("*/")
        {
            k += q + 2;
        }
        let declared = s[..at]
            .trim_end_matches(|c: char| c.is_ascii_whitespace())
            .ends_with([':', '"', '\'', '=']);
        if b.get(k) == Some(&b'(') && (declared || s[..at].contains(':')) {
            return Hit::new("css-expression", at, k + 1);
        }
    }
    let mut from = 0;
    while let Some(p) = s[from..].find("url(") {
        let at = from + p;
        from = at + 4;
        if super::html::is_script_url(&s[at + 4..]) {
            return Hit::new("css-script-url", at, at + 4);
        }
    }
    import(s, bytes)
}

/// `@import "..."` or `@import url(...)`.
fn import(s: &str, bytes: &ByteSet) -> Option<Hit> {
    if !bytes.has(b'@') {
        return None;
    }
    let p = s.find("@import")?;
    let rest = s[p + 7..].trim_start();
    if rest.starts_with(['"', '\'']) || rest.starts_with("url(") {
        return Hit::new("css-import", p, p + 7);
    }
    None
}
