use super::*;

fn hit(s: &str) -> bool {
    XssDetector::default().scan(s).is_some()
}

#[test]
fn tags_handlers_and_urls() {
    for s in [
        "<script>alert(1)</script>",
        "<ScRiPt src=//evil.js>",
        "<img src=x onerror=alert(1)>",
        "<img/src=x/onerror=alert(1)>",
        "<svg onload=alert(1)>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "\" onmouseover=\"alert(1)",
        "' autofocus onfocus=alert(1) x='",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"java\tscript:alert(1)\">x</a>",
        "<iframe src=\"data:text/html;base64,PHNjcmlwdD4=\">",
        "<div style=\"width: expression(alert(1))\">",
        "<div style=\"background:url(javascript:alert(1))\">",
        "<div style=\"-moz-binding:url(x.xml#xss)\">",
        "<div style=\"behavior: url(x.htc)\">",
        "';alert(String.fromCharCode(88))//",
        "\"-confirm`1`-\"",
        "<x onclick=document.cookie>",
    ] {
        assert!(hit(s), "{s}");
    }
}

#[test]
fn encoded_variants() {
    for s in [
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "%253Cscript%253E",
        "&lt;img src=x onerror=alert(1)&gt;",
        "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">",
        "<a href=\"&#x6A;avascript&colon;alert(1)\">",
        "<div style=\"x:\\65xpression(alert(1))\">",
        "\u{ff1c}script\u{ff1e}alert(1)",
        "<scr\0ipt>alert(1)</script>",
    ] {
        assert!(hit(s), "{s}");
    }
}

#[test]
fn ordinary_text_passes() {
    for s in [
        "I <3 my cat",
        "2 < 3 and 5 > 4",
        "Learn JavaScript: the good parts",
        "Meet me at the station; online=yes",
        "Use <b> for bold? no, use **bold**",
        "regular expression (regex) basics",
        "https://example.com/search?q=open+source&page=2",
        "Please print (or save) the form",
        "Alert: the meeting moved",
        "one onion=two onions",
    ] {
        assert!(!hit(s), "{s}");
    }
}

#[test]
fn strict_flags_any_tag() {
    let strict = XssDetector::new(Strictness::Strict);
    assert!(strict.scan("<b>bold</b>").is_some());
    assert!(!hit("<b>bold</b>"));
}

#[test]
fn a_bare_handler_name_is_flagged_and_other_words_are_not() {
    for s in [
        "onmouseover",
        " onerror ",
        "ONLOAD",
        "fscommand",
        "onfscommand",
    ] {
        assert_eq!(
            XssDetector::default()
                .scan(s)
                .map(|f| f.fingerprint().to_owned()),
            Some("event-handler-name".to_owned()),
            "{s}"
        );
    }
    for s in [
        "mouseover",
        "items",
        "on",
        "one",
        "online",
        "fscommands",
        "page",
    ] {
        assert!(!hit(s), "{s}");
    }
}
