//! Tricky but innocent text: every detector at the default level must let
//! it through. Each line is something a real form, search box or comment
//! field receives.

use rampart_sanitize::{Detectors, Strictness};

const BENIGN: &[&str] = &[
    "O'Brien",
    "Miles O'Brien-Smith",
    "D'Angelo & Sons",
    "Select your plan -- now",
    "drop me a line; cat lovers welcome",
    "1 & 2",
    "Tom & Jerry; salt & pepper",
    "rock 'n' roll",
    "It's 5 o'clock somewhere",
    "I'd like to order by phone",
    "The union selected a new leader",
    "Where is the 2 or 3 bedroom flat?",
    "She said \"yes\" and \"no\"",
    "Use `git log --oneline` to see history",
    "In SQL, avoid string concatenation for queries",
    "Call printf(\"%d\", x) to print a number",
    "if (a < b && c > d) { return; }",
    "https://example.com/search?q=open+source&page=2&sort=asc",
    "https://shop.example/items?id=42&ref=home#reviews",
    "john.doe+newsletter@example.co.uk",
    "first.last@sub.example.org",
    "# Heading\n\n- item one\n- item two\n\n**bold** and _italic_",
    "[link](https://example.com) and `code`",
    "Price: $5 - $10 (excl. VAT)",
    "50% off; today only!",
    "C:/Users/ann/Documents/report.docx",
    "Wait... what?!",
    "version 1.2.3..1.3.0",
    "I <3 my cat",
    "2 < 3 > 1",
    "Meet at 10:30; bring ID",
    "Dear team,\nthe report is attached.\nThanks",
    "Learn JavaScript: the good parts",
    "regular expression (regex) basics",
    "Please print (or save) the form",
    "Alert: the meeting moved",
    "Perl and Python are both fine",
    "Sleep well, see you at 8",
    "a | b | c",
    "R&D; sort of",
    "AT&T",
    "1/2 cup sugar, 3/4 cup flour",
    "Route 66 diner",
    "Order #1234 shipped",
    "Room 101; floor 1",
    "3 x 4 = 12",
    "the 'select' button",
    "\"Not for sale\" and \"as is\"",
    "Ben & Jerry's",
    "the onion=tears problem",
    "costs $5, $ne... never mind",
];

#[test]
fn tricky_innocent_text_passes_every_detector() {
    let all = Detectors::new(Strictness::Default);
    let flagged: Vec<_> = BENIGN
        .iter()
        .filter_map(|s| all.scan(s).map(|f| format!("{s:?}: {f}")))
        .collect();
    assert!(
        flagged.is_empty(),
        "false positives:\n{}",
        flagged.join("\n")
    );
}

#[test]
fn the_strict_level_is_stricter() {
    let strict = Detectors::new(Strictness::Strict);
    for s in ["1 -- first", "<b>bold</b>", "ls docs", "/usr/local/data"] {
        assert!(strict.scan(s).is_some(), "{s}");
    }
}
