//! Output encoders: untrusted text placed into HTML or a URL.
//!
//! Cleaning is for input that is meant to be HTML; everything else is text,
//! and text is encoded for the exact place it lands, at output time.

use std::borrow::Cow;
use std::fmt::Write;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Text for an HTML element's content: `& < > " '` become entities.
///
/// ```
/// use rampart_sanitize::encode::html_text;
/// assert_eq!(html_text("<b>Tom & \"Jerry\"</b>"), "&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;");
/// assert_eq!(html_text("plain"), "plain");
/// ```
pub fn html_text(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Text for a quoted HTML attribute value: every ASCII character but
/// letters and digits becomes `&#xHH;` (OWASP's rule), so the value cannot
/// end the quote, the tag, or, unquoted, the attribute. Non-ASCII passes
/// through. It does not make a URL safe in `href`: check the URL too.
///
/// ```
/// use rampart_sanitize::encode::html_attribute;
/// assert_eq!(html_attribute("a\" onmouseover=x"), "a&#x22;&#x20;onmouseover&#x3d;x");
/// ```
pub fn html_attribute(text: &str) -> Cow<'_, str> {
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || !c.is_ascii())
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || !c.is_ascii() {
            out.push(c);
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "&#x{:x};", u32::from(c));
        }
    }
    Cow::Owned(out)
}

/// RFC 3986 unreserved characters stay; everything else is percent-encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Text for one URL component (a path segment or a query key or value):
/// everything but RFC 3986 unreserved characters is percent-encoded, UTF-8
/// first, so `/`, `?`, `&`, `=` and `#` cannot change the URL's structure.
///
/// ```
/// use rampart_sanitize::encode::url_component;
/// assert_eq!(url_component("a b/c?d=e&f#g"), "a%20b%2Fc%3Fd%3De%26f%23g");
/// assert_eq!(url_component("café"), "caf%C3%A9");
/// ```
pub fn url_component(text: &str) -> Cow<'_, str> {
    utf8_percent_encode(text, COMPONENT).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_text_escapes_the_five_and_borrows_otherwise() {
        assert!(matches!(html_text("héllo world"), Cow::Borrowed(_)));
        assert_eq!(html_text("'\"<>&"), "&#x27;&quot;&lt;&gt;&amp;");
        assert_eq!(
            html_text("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
    }

    #[test]
    fn attributes_escape_every_ascii_symbol() {
        assert!(matches!(html_attribute("abcXYZ09é"), Cow::Borrowed(_)));
        assert_eq!(
            html_attribute("x' onerror='a"),
            "x&#x27;&#x20;onerror&#x3d;&#x27;a"
        );
        assert_eq!(html_attribute("`\t\n/"), "&#x60;&#x9;&#xa;&#x2f;");
        let encoded = html_attribute("\"><script>");
        assert!(!encoded.contains(['"', '<', '>']));
    }

    #[test]
    fn url_components_keep_only_unreserved() {
        assert_eq!(url_component("AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(url_component("../x"), "..%2Fx");
        assert_eq!(url_component("\r\n"), "%0D%0A");
        assert_eq!(
            url_component("javascript:alert(1)"),
            "javascript%3Aalert%281%29"
        );
    }

    proptest::proptest! {
        #[test]
        fn encoded_text_never_holds_markup(s in "\\PC*") {
            let text = html_text(&s);
            proptest::prop_assert!(!text.contains(['<', '>', '"', '\'']));
            let attr = html_attribute(&s);
            proptest::prop_assert!(!attr.contains(['<', '>', '"', '\'', ' ', '=', '`']));
            let url = url_component(&s);
            proptest::prop_assert!(url.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)));
            let decoded = percent_encoding::percent_decode_str(&url).decode_utf8().unwrap();
            proptest::prop_assert_eq!(decoded, s.as_str());
        }
    }
}
