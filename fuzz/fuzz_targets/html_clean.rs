//! HTML cleaning over arbitrary markup: never panics; the text-only preset
//! leaves no markup at all; the basic preset leaves only its own tags, no
//! attribute but `href` and `rel`, and no `href` a browser would run; the
//! rich preset leaves no script-capable element and no event handler.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_sanitize::clean::HtmlCleaner;
use std::sync::LazyLock;

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
const NEVER: &[&str] = &[
    "script", "style", "iframe", "object", "embed", "svg", "math", "form", "input", "button",
    "textarea", "select", "link", "meta", "base", "frame", "frameset", "template", "noscript",
];

static CLEANERS: LazyLock<[HtmlCleaner; 3]> = LazyLock::new(|| {
    [
        HtmlCleaner::text_only(),
        HtmlCleaner::basic(),
        HtmlCleaner::rich(),
    ]
});

struct Tag {
    name: String,
    attributes: Vec<(String, String)>,
}

/// The tags of serialised HTML. The serialiser escapes `<` in text and `"`
/// in attribute values, so every `<` starts a tag and every value ends at
/// the next `"`.
fn tags(html: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    for chunk in html.split('<').skip(1) {
        let chunk = chunk.strip_prefix('/').unwrap_or(chunk);
        let end = chunk
            .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
            .unwrap_or(chunk.len());
        let name = chunk[..end].to_ascii_lowercase();
        let mut rest = &chunk[end..];
        let mut attributes = Vec::new();
        loop {
            rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
            if rest.is_empty() || rest.starts_with('>') {
                break;
            }
            let stop = rest
                .find(|c: char| c == '=' || c.is_ascii_whitespace() || c == '>')
                .unwrap_or(rest.len());
            let attr = rest[..stop].to_ascii_lowercase();
            rest = &rest[stop..];
            let mut value = String::new();
            if let Some(quoted) = rest.strip_prefix("=\"") {
                let close = quoted.find('"').unwrap_or(quoted.len());
                value = quoted[..close]
                    .replace("&quot;", "\"")
                    .replace("&nbsp;", "\u{a0}")
                    .replace("&amp;", "&");
                rest = quoted.get(close + 1..).unwrap_or("");
            }
            attributes.push((attr, value));
        }
        out.push(Tag { name, attributes });
    }
    out
}

/// The scheme a browser reads in a URL attribute, as the URL standard parses
/// it (leading and trailing C0 controls and spaces dropped, tabs and newlines
/// removed anywhere): a letter, then letters, digits, `+`, `-` or `.`, before
/// a colon. Anything else is a relative URL.
fn scheme(url: &str) -> Option<String> {
    let trimmed = url.trim_matches(|c: char| c <= ' ');
    let compact: String = trimmed
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let (head, _) = compact.split_once(':')?;
    let mut chars = head.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then(|| head.to_ascii_lowercase())
}

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let [text_only, basic, rich] = &*CLEANERS;

    let text = text_only.clean(&input);
    assert!(
        !text.contains('<'),
        "markup survived the text-only preset: {text:?}"
    );

    for tag in tags(&basic.clean(&input)) {
        assert!(
            BASIC_TAGS.contains(&tag.name.as_str()),
            "basic kept <{}>",
            tag.name
        );
        for (attr, value) in &tag.attributes {
            assert!(
                attr == "href" || attr == "rel",
                "basic kept {attr} on <{}>",
                tag.name
            );
            if attr == "href"
                && let Some(scheme) = scheme(value)
            {
                assert!(
                    matches!(scheme.as_str(), "http" | "https" | "mailto"),
                    "basic kept href {value:?}"
                );
            }
        }
    }

    for tag in tags(&rich.clean(&input)) {
        assert!(
            !NEVER.contains(&tag.name.as_str()),
            "rich kept <{}>",
            tag.name
        );
        for (attr, value) in &tag.attributes {
            assert!(
                !attr.starts_with("on"),
                "rich kept {attr} on <{}>",
                tag.name
            );
            if matches!(
                attr.as_str(),
                "href" | "src" | "cite" | "action" | "formaction"
            ) && let Some(scheme) = scheme(value)
            {
                assert!(
                    matches!(scheme.as_str(), "http" | "https" | "mailto"),
                    "rich kept {attr}={value:?}"
                );
            }
        }
    }
});
