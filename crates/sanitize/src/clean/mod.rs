//! HTML cleaning for user-written rich text, on ammonia.
//!
//! ammonia parses with html5ever, the same algorithm browsers use, so what
//! it keeps is what a browser will see; rampart only chooses presets. Every
//! preset allows `http`, `https` and `mailto` URLs only, and links get
//! `rel="noopener noreferrer"`.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

/// Which preset an [`HtmlCleaner`] was built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CleanPreset {
    /// No markup at all: tags are removed, their text kept (escaped).
    TextOnly,
    /// Inline emphasis, paragraphs, lists, quotes, code and links.
    Basic,
    /// ammonia's default set: headings, tables, images, definitions...
    Rich,
}

const URL_SCHEMES: [&str; 3] = ["http", "https", "mailto"];
const LINK_REL: &str = "noopener noreferrer";

const BASIC_TAGS: &[&str] = &[
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "em",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "u",
    "ul",
];

/// Cleans untrusted HTML down to a preset's tags and attributes.
///
/// ```
/// use rampart_sanitize::clean::HtmlCleaner;
///
/// let cleaner = HtmlCleaner::basic();
/// let html = cleaner.clean(r#"<p onclick="x()">Hi <a href="javascript:alert(1)">there</a><script>alert(1)</script></p>"#);
/// assert_eq!(html, r#"<p>Hi <a rel="noopener noreferrer">there</a></p>"#);
/// assert_eq!(HtmlCleaner::text_only().clean("<b>bold</b> & <i>x</i>"), "bold &amp; x");
/// ```
#[derive(Clone)]
pub struct HtmlCleaner {
    preset: CleanPreset,
    builder: Arc<ammonia::Builder<'static>>,
}

impl fmt::Debug for HtmlCleaner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HtmlCleaner")
            .field("preset", &self.preset)
            .finish_non_exhaustive()
    }
}

impl HtmlCleaner {
    /// Text only: every tag removed (the content of `script` and `style`
    /// with it), the text kept.
    pub fn text_only() -> Self {
        Self::from_builder(CleanPreset::TextOnly, ammonia::Builder::empty())
    }

    /// Emphasis, paragraphs, lists, quotes, code and links: no attribute
    /// but a link's `href` (and the `rel` written on it).
    pub fn basic() -> Self {
        let mut builder = ammonia::Builder::empty();
        builder
            .tags(BASIC_TAGS.iter().copied().collect())
            // `Builder::empty` empties the tags only: without this, ammonia's
            // generic `lang` and `title` would pass on every tag.
            .generic_attributes(HashSet::new())
            .tag_attributes(HashMap::from([("a", HashSet::from(["href"]))]))
            .url_schemes(URL_SCHEMES.into_iter().collect())
            .link_rel(Some(LINK_REL));
        Self::from_builder(CleanPreset::Basic, builder)
    }

    /// ammonia's default tag and attribute set (headings, tables, images,
    /// definitions...), restricted to `http`, `https` and `mailto` URLs.
    pub fn rich() -> Self {
        let mut builder = ammonia::Builder::default();
        builder
            .url_schemes(URL_SCHEMES.into_iter().collect())
            .link_rel(Some(LINK_REL));
        Self::from_builder(CleanPreset::Rich, builder)
    }

    fn from_builder(preset: CleanPreset, mut builder: ammonia::Builder<'static>) -> Self {
        builder.attribute_filter(|element, attribute, value| {
            if is_url_attribute(element, attribute) {
                browser_url(value)
            } else {
                Some(value.into())
            }
        });
        Self {
            preset,
            builder: Arc::new(builder),
        }
    }

    /// The preset this cleaner was built from.
    pub fn preset(&self) -> CleanPreset {
        self.preset
    }

    /// The cleaned HTML, safe to place in an HTML body.
    pub fn clean(&self, html: &str) -> String {
        self.builder.clean(html).to_string()
    }
}

/// Attributes a browser reads as URLs (ammonia's list and a few more).
fn is_url_attribute(element: &str, attribute: &str) -> bool {
    matches!(
        attribute,
        "href"
            | "xlink:href"
            | "src"
            | "action"
            | "formaction"
            | "poster"
            | "cite"
            | "background"
            | "longdesc"
            | "ping"
            | "srcset"
    ) || (element == "object" && attribute == "data")
}

/// The URL as a browser reads it, or `None` when its scheme is not allowed.
///
/// ammonia judges the raw value, but browsers strip leading and trailing
/// spaces and control characters and drop tabs and newlines anywhere, so
/// `" javascript:alert(1)"` reaches ammonia as a relative URL and a browser
/// as a script URL. The value is trimmed the browser's way, and its scheme
/// is judged with every whitespace and control character removed (as
/// DOMPurify does, covering older browsers that also skipped Unicode
/// spaces such as U+2028).
fn browser_url(value: &str) -> Option<std::borrow::Cow<'_, str>> {
    let squeezed: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '\u{180e}' | '\u{200b}'))
        .collect();
    if let Some(end) = squeezed.find(':') {
        let scheme = &squeezed[..end];
        let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if is_scheme && !URL_SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(scheme)) {
            return None;
        }
    }
    let trimmed = value.trim_matches(|c: char| c <= ' ');
    if trimmed.contains(['\t', '\n', '\r']) {
        Some(trimmed.replace(['\t', '\n', '\r'], "").into())
    } else {
        Some(trimmed.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_keep_what_they_promise() {
        let input = r#"<h1>T</h1><p><b>b</b> <a href="https://x.example/">l</a></p><img src="https://x.example/i.png" alt="i"><table><tr><td>c</td></tr></table>"#;
        assert_eq!(HtmlCleaner::text_only().clean(input), "Tb lc");
        assert_eq!(
            HtmlCleaner::basic().clean(input),
            r#"T<p><b>b</b> <a href="https://x.example/" rel="noopener noreferrer">l</a></p>c"#
        );
        let rich = HtmlCleaner::rich().clean(input);
        assert!(rich.starts_with("<h1>T</h1>"), "{rich}");
        assert!(
            rich.contains(r#"<img src="https://x.example/i.png" alt="i">"#),
            "{rich}"
        );
        assert!(rich.contains("<td>c</td>"), "{rich}");
        assert!(rich.contains(r#"rel="noopener noreferrer""#), "{rich}");
    }

    #[test]
    fn basic_keeps_no_attribute_but_href() {
        // Found by the `html_clean` fuzz target: `title` and `lang` passed.
        let input = r#"<b href="javascript:alert(1)" title="t" lang="en">b</b> <p title="x" lang="fr" dir="rtl">p</p> <a href="/x" title="t" lang="en">a</a>"#;
        assert_eq!(
            HtmlCleaner::basic().clean(input),
            r#"<b>b</b> <p>p</p> <a href="/x" rel="noopener noreferrer">a</a>"#
        );
        // The rich preset keeps ammonia's generic attributes on purpose.
        assert!(HtmlCleaner::rich().clean(input).contains(r#"title="x""#));
    }

    #[test]
    fn scripts_handlers_and_dangerous_urls_go() {
        for cleaner in [
            HtmlCleaner::text_only(),
            HtmlCleaner::basic(),
            HtmlCleaner::rich(),
        ] {
            for attack in [
                "<script>alert(1)</script>",
                "<img src=x onerror=alert(1)>",
                "<a href=\"javascript:alert(1)\">x</a>",
                "<a href=\"JaVaScRiPt&colon;alert(1)\">x</a>",
                "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
                "<svg onload=alert(1)>",
                "<iframe src=\"https://evil.example\"></iframe>",
                "<style>body{}</style><p style=\"x:expression(alert(1))\">x</p>",
                "<a href=\"vbscript:msgbox(1)\">x</a>",
                "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
            ] {
                let out = cleaner.clean(attack).to_ascii_lowercase();
                for bad in [
                    "<script",
                    "onerror",
                    "onload",
                    "javascript:",
                    "vbscript:",
                    "data:",
                    "<iframe",
                    "style=",
                    "<svg",
                    "<style",
                ] {
                    assert!(
                        !out.contains(bad),
                        "{:?} {attack} -> {out}",
                        cleaner.preset()
                    );
                }
            }
        }
    }

    #[test]
    fn urls_are_judged_as_browsers_read_them() {
        for attack in [
            "<a href=' javascript:alert(1)'>x</a>",
            "<a href='java\tscript:alert(1)'>x</a>",
            "<a href='java&#10;script:alert(1)'>x</a>",
            "<a href='\u{1}javascript:alert(1)'>x</a>",
            "<a href='  JAVASCRIPT:alert(1)  '>x</a>",
            "<a href='\u{2028}javascript:alert(1)'>x</a>",
            "<a href='\u{3000}java script:alert(1)'>x</a>",
        ] {
            for cleaner in [HtmlCleaner::basic(), HtmlCleaner::rich()] {
                let out = cleaner.clean(attack);
                assert!(!out.contains("href"), "{attack} -> {out}");
            }
        }
        assert_eq!(
            HtmlCleaner::basic().clean("<a href=' https://a.example/x '>x</a>"),
            r#"<a href="https://a.example/x" rel="noopener noreferrer">x</a>"#
        );
        assert_eq!(browser_url("/a:b").as_deref(), Some("/a:b"));
        assert_eq!(browser_url("?q=a:b").as_deref(), Some("?q=a:b"));
        assert_eq!(browser_url("1:2"), Some("1:2".into()));
    }

    #[test]
    fn relative_and_mailto_links_survive() {
        let out = HtmlCleaner::basic()
            .clean(r#"<a href="/help">h</a> <a href="mailto:a@b.example">m</a>"#);
        assert_eq!(
            out,
            r#"<a href="/help" rel="noopener noreferrer">h</a> <a href="mailto:a@b.example" rel="noopener noreferrer">m</a>"#
        );
    }
}
