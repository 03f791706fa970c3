//! DOMPurify's test fixtures through every cleaning preset: each output must
//! be free of script elements, event handlers and script URLs. The check
//! reads the output's tags (ammonia serialises with quoted attributes and
//! escapes `<` in text), not DOMPurify's expected strings.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_sanitize::clean::HtmlCleaner;
use serde_json::Value;

/// Elements that run script or load active content.
const ACTIVE_ELEMENTS: &[&str] = &[
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "form",
    "meta",
    "link",
    "style",
    "svg",
    "math",
    "template",
    "noscript",
    "xmp",
    "plaintext",
];

/// Attributes that hold URLs.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "background",
    "poster",
    "cite",
];

/// `(name, [(attribute, value)])` of every start tag in `html`.
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let bytes = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        i += 1;
        let start = i;
        while i < bytes.len()
            && !bytes[i].is_ascii_whitespace()
            && bytes[i] != b'>'
            && bytes[i] != b'/'
        {
            i += 1;
        }
        let name = html[start..i].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
                i += 1;
            }
            if i >= bytes.len() || bytes[i] == b'>' {
                i += 1;
                break;
            }
            let a = i;
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !b"=>/".contains(&bytes[i])
            {
                i += 1;
            }
            let attr = html[a..i].to_ascii_lowercase();
            let mut value = String::new();
            if i < bytes.len() && bytes[i] == b'=' {
                i += 1;
                assert_eq!(bytes.get(i), Some(&b'"'), "unquoted attribute in {html}");
                let v = i + 1;
                let end = html[v..].find('"').map_or(bytes.len(), |e| v + e);
                value = html[v..end].to_owned();
                i = end + 1;
            }
            attrs.push((attr, value));
        }
        if !name.starts_with('/') && !name.is_empty() {
            out.push((name, attrs));
        }
    }
    out
}

/// A URL value with entities and whitespace a browser would ignore removed.
fn scheme_of(value: &str) -> String {
    let decoded = value
        .replace("&amp;", "&")
        .replace("&colon;", ":")
        .replace("&#58;", ":")
        .replace("&#x3a;", ":");
    decoded
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn assert_inert(preset: &str, input: &str, output: &str) {
    for (name, attrs) in tags(output) {
        assert!(
            !ACTIVE_ELEMENTS.contains(&name.as_str()),
            "{preset}: <{name}> kept\n in: {input}\nout: {output}"
        );
        for (attr, value) in attrs {
            assert!(
                !attr.starts_with("on"),
                "{preset}: handler {attr} kept\n in: {input}\nout: {output}"
            );
            assert_ne!(attr, "style", "{preset}: style kept in {output}");
            if URL_ATTRIBUTES.contains(&attr.as_str()) {
                let url = scheme_of(&value);
                for scheme in ["javascript:", "vbscript:", "data:"] {
                    assert!(
                        !url.starts_with(scheme),
                        "{preset}: {attr}={value} kept\n in: {input}\nout: {output}"
                    );
                }
            }
        }
    }
}

#[test]
fn dompurify_fixtures_come_out_inert_under_every_preset() {
    let corpus = rampart_test_support::corpus("sanitize/dompurify_fixtures.jsonl");
    let presets = [
        ("text_only", HtmlCleaner::text_only()),
        ("basic", HtmlCleaner::basic()),
        ("rich", HtmlCleaner::rich()),
    ];
    let mut fixtures = 0;
    let mut links = 0;
    for line in corpus.lines().filter(|l| !l.trim().is_empty()) {
        let record: Value = serde_json::from_str(line).unwrap();
        let Some(input) = record["payload"].as_str() else {
            continue;
        };
        fixtures += 1;
        for (name, cleaner) in &presets {
            let output = cleaner.clean(input);
            assert_inert(name, input, &output);
            if *name == "text_only" {
                assert!(tags(&output).is_empty(), "text_only kept a tag: {output}");
            }
            for (tag, attrs) in tags(&output) {
                if tag == "a" {
                    links += 1;
                    assert!(
                        attrs
                            .iter()
                            .any(|(a, v)| a == "rel" && v == "noopener noreferrer"),
                        "{name}: link without rel: {output}"
                    );
                }
            }
        }
    }
    println!(
        "{fixtures} DOMPurify fixtures x 3 presets inert; {links} links all rel=noopener noreferrer"
    );
    assert!(fixtures > 200, "the corpus shrank: {fixtures}");
}

#[test]
fn the_tag_reader_sees_what_it_must() {
    let found = tags(r#"<p>x</p><a href="javascript:1" onclick="y">z</a><br/>"#);
    assert_eq!(found.len(), 3);
    assert_eq!(found[1].0, "a");
    assert_eq!(found[1].1[1], ("onclick".into(), "y".into()));
    assert_eq!(scheme_of(" Java\tScript&colon;x"), "javascript:x");
}
