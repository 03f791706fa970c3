//! HTML and attribute contexts: tags, event handlers, script URLs.

use super::Hit;
use crate::detect::precheck::ByteSet;

/// Tags that execute or load code by themselves, or switch the parser into
/// a context (SVG, MathML, XML) where more things do.
const EXECUTABLE_TAGS: &[&str] = &[
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "meta",
    "base",
    "style",
    "link",
    "xml",
    "import",
    "vmlframe",
    "svg",
    "math",
    "isindex",
    "bgsound",
    "layer",
    "ilayer",
    "portal",
    "xss",
    "handler",
    "listener",
    "animate",
    "set",
    "animatetransform",
    "discard",
];

/// Elements whose content is raw text: closing one from inside a value
/// lets the rest be parsed as markup.
const RAW_TEXT_TAGS: &[&str] = &[
    "title",
    "textarea",
    "style",
    "script",
    "xmp",
    "noscript",
    "noembed",
    "noframes",
    "iframe",
    "plaintext",
    "template",
];

/// Attributes whose value is a URL the browser may load or navigate to.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "lowsrc",
    "dynsrc",
    "background",
    "xlink:href",
    "from",
    "to",
    "values",
    "by",
    "poster",
    "codebase",
    "code",
    "archive",
    "srcset",
    "ping",
    "folder",
    "datasrc",
    "content",
    "ev:handler",
    "longdesc",
    "usemap",
    "cite",
    "profile",
    "icon",
    "manifest",
    "xmlns",
    "attributename",
];

/// How far a tag's attributes are followed (so a value full of `<` costs
/// linear time).
const MAX_TAG_SPAN: usize = 4096;

/// Scans `s` (lower-cased, compacted) in HTML and attribute contexts.
///
/// Two linear passes: every `<name` is checked as a tag name, then each
/// tag's attribute region is scanned once (regions do not overlap: the
/// scan resumes where the last region ended).
pub(crate) fn scan(s: &str, strict: bool) -> Option<Hit> {
    let b = s.as_bytes();
    let tags = tag_names(s);
    for &(lt, n, name_end) in &tags {
        let name = &s[n..name_end];
        let local = name.rsplit(':').next().unwrap_or(name);
        let prefix = name.split(':').next().unwrap_or(name);
        if EXECUTABLE_TAGS.contains(&local)
            || (local != name
                && matches!(prefix, "svg" | "xsl" | "xml" | "math" | "html" | "xhtml"))
            || (b[lt + 1] == b'?' && prefix.starts_with("xml"))
        {
            return Hit::new("executable-tag", lt, name_end);
        }
        if b[lt + 1] == b'/' && RAW_TEXT_TAGS.contains(&local) {
            return Hit::new("raw-text-breakout", lt, name_end);
        }
        if b[lt + 1] == b'!' && matches!(name, "entity" | "attlist" | "element") {
            return Hit::new("xml-entity", lt, name_end);
        }
        if b[lt + 1] == b'!' && name == "doctype" && s[name_end..].contains('[') {
            return Hit::new("xml-entity", lt, name_end);
        }
    }
    let mut scanned = 0;
    for &(lt, _, name_end) in &tags {
        let from = name_end.max(scanned);
        let region_end = tag_end(b, from);
        scanned = region_end;
        if let Some(hit) = attributes(s, from, region_end) {
            return Some(hit);
        }
        if strict && b[lt + 1] != b'!' {
            return Hit::new("html-tag", lt, name_end);
        }
    }
    breakout(s)
        .or_else(|| script_url(s))
        .or_else(|| bare_handler(s))
}

/// Every `<name`, `</name`, `<!name` and `<?name`: the position of `<`,
/// the start and the end of the name.
fn tag_names(s: &str) -> Vec<(usize, usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    for (lt, _) in b.iter().enumerate().filter(|(_, c)| **c == b'<') {
        let mut n = lt + 1;
        if matches!(b.get(n), Some(b'/' | b'?' | b'!')) {
            n += 1;
        }
        let name_end = n + b[n..]
            .iter()
            .take(64)
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b':' | b'-' | b'_'))
            .count();
        if name_end > n && b[n].is_ascii_alphabetic() {
            out.push((lt, n, name_end));
        }
    }
    out
}

/// DOM event names: a value that is exactly `on` + one of them is an
/// event-handler attribute name, which only an attribute-name injection
/// needs.
const EVENTS: &[&str] = &[
    "abort",
    "activate",
    "afterprint",
    "afterupdate",
    "animationend",
    "animationiteration",
    "animationstart",
    "auxclick",
    "beforeactivate",
    "beforecopy",
    "beforecut",
    "beforedeactivate",
    "beforeeditfocus",
    "beforeinput",
    "beforepaste",
    "beforeprint",
    "beforeunload",
    "beforeupdate",
    "begin",
    "blur",
    "bounce",
    "canplay",
    "canplaythrough",
    "cellchange",
    "change",
    "click",
    "close",
    "contextmenu",
    "controlselect",
    "copy",
    "cuechange",
    "cut",
    "dataavailable",
    "datasetchanged",
    "datasetcomplete",
    "dblclick",
    "deactivate",
    "drag",
    "dragdrop",
    "dragend",
    "dragenter",
    "dragleave",
    "dragover",
    "dragstart",
    "drop",
    "durationchange",
    "emptied",
    "end",
    "ended",
    "error",
    "errorupdate",
    "filterchange",
    "finish",
    "focus",
    "focusin",
    "focusout",
    "formdata",
    "fullscreenchange",
    "hashchange",
    "help",
    "input",
    "invalid",
    "keydown",
    "keypress",
    "keyup",
    "layoutcomplete",
    "load",
    "loadeddata",
    "loadedmetadata",
    "loadend",
    "loadstart",
    "losecapture",
    "mediacomplete",
    "mediaerror",
    "message",
    "mousedown",
    "mouseenter",
    "mouseleave",
    "mousemove",
    "mouseout",
    "mouseover",
    "mouseup",
    "mousewheel",
    "move",
    "moveend",
    "movestart",
    "offline",
    "online",
    "outofsync",
    "pagehide",
    "pageshow",
    "paste",
    "pause",
    "play",
    "playing",
    "pointerdown",
    "pointerenter",
    "pointerleave",
    "pointermove",
    "pointerout",
    "pointerover",
    "pointerup",
    "popstate",
    "progress",
    "propertychange",
    "ratechange",
    "readystatechange",
    "repeat",
    "reset",
    "resize",
    "resizeend",
    "resizestart",
    "resume",
    "reverse",
    "rowdelete",
    "rowenter",
    "rowexit",
    "rowinserted",
    "rowsdelete",
    "rowsinserted",
    "scroll",
    "search",
    "seek",
    "seeked",
    "seeking",
    "select",
    "selectionchange",
    "selectstart",
    "show",
    "stalled",
    "start",
    "stop",
    "storage",
    "submit",
    "suspend",
    "syncrestored",
    "timeerror",
    "timeupdate",
    "toggle",
    "touchend",
    "touchmove",
    "touchstart",
    "trackchange",
    "transitioncancel",
    "transitionend",
    "transitionrun",
    "transitionstart",
    "unhandledrejection",
    "unload",
    "urlflip",
    "volumechange",
    "waiting",
    "webkitanimationend",
    "webkittransitionend",
    "wheel",
    "fscommand",
];

/// A value that is just an event-handler name (`onmouseover`).
pub(crate) fn bare_handler(s: &str) -> Option<Hit> {
    let v = s.trim();
    // Every handler name but `fscommand` starts with `on`: other words
    // (most values) skip the list.
    let event = match v.strip_prefix("on") {
        Some(event) => event,
        None if v == "fscommand" => v,
        None => return None,
    };
    let start = s.len() - s.trim_start().len();
    (EVENTS.contains(&event) && (event.len() < v.len() || event == "fscommand"))
        .then(|| Hit::new("event-handler-name", start, start + v.len()))
        .flatten()
}

/// The end of a tag's attribute region: the `>` outside quotes, the end of
/// the text or [`MAX_TAG_SPAN`] bytes.
fn tag_end(b: &[u8], from: usize) -> usize {
    let limit = b.len().min(from + MAX_TAG_SPAN);
    let mut quote = 0u8;
    for (j, &c) in b.iter().enumerate().take(limit).skip(from) {
        match c {
            b'"' | b'\'' | b'`' if quote == 0 => quote = c,
            _ if c == quote => quote = 0,
            b'>' if quote == 0 => return j,
            _ => {}
        }
    }
    limit
}

/// Event handlers, script URLs, inline styles and `srcdoc` among the
/// attributes in `s[from..to]`.
fn attributes(s: &str, from: usize, to: usize) -> Option<Hit> {
    let b = s.as_bytes();
    let mut j = from;
    while j < to {
        let boundary = j == from
            || matches!(
                b[j - 1],
                b' ' | b'\t' | b'\n' | b'\r' | 0x0c | b'/' | b'"' | b'\'' | b'`' | b',' | b';'
            );
        if !boundary || !(b[j].is_ascii_alphabetic()) {
            j += 1;
            continue;
        }
        let name_end = j + b[j..to]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b':' | b'-' | b'_'))
            .count();
        let mut k = name_end;
        while k < to && b[k].is_ascii_whitespace() {
            k += 1;
        }
        if k < to && b[k] == b'=' {
            let name = &s[j..name_end];
            let value = attribute_value(s, k + 1, to);
            if is_event_handler(name) {
                return Hit::new("event-handler", j, k + 1);
            }
            if name == "srcdoc" {
                return Hit::new("srcdoc", j, k + 1);
            }
            if (URL_ATTRIBUTES.contains(&name) || name.starts_with("data-")) && is_script_url(value)
            {
                return Hit::new("script-url", j, to);
            }
            if name == "style" {
                // Inline CSS from a client: script in old engines, data
                // exfiltration and UI redress in all.
                return Hit::new("inline-style", j, to);
            }
        }
        j = name_end.max(j + 1);
    }
    None
}

/// The value after `=` at `from`: quoted or up to whitespace or `>`.
fn attribute_value(s: &str, from: usize, to: usize) -> &str {
    let b = s.as_bytes();
    let mut v = from;
    while v < to && b[v].is_ascii_whitespace() {
        v += 1;
    }
    match b.get(v) {
        Some(&q @ (b'"' | b'\'' | b'`')) => {
            let end = b[v + 1..to]
                .iter()
                .position(|&c| c == q)
                .map_or(to, |p| v + 1 + p);
            &s[(v + 1).min(end)..end]
        }
        _ => {
            let end = b[v..to]
                .iter()
                .position(|c| c.is_ascii_whitespace())
                .map_or(to, |p| v + p);
            &s[v.min(end)..end]
        }
    }
}

/// `on` followed by at least three letters: every event handler attribute.
fn is_event_handler(name: &str) -> bool {
    name.len() >= 5 && name.starts_with("on") && name[2..].bytes().all(|c| c.is_ascii_alphabetic())
}

/// An input that closes an attribute value and opens an event handler:
/// `" onmouseover=alert(1)`, `'autofocus/onfocus=x`.
fn breakout(s: &str) -> Option<Hit> {
    let b = s.as_bytes();
    let first_quote = b.iter().position(|c| matches!(c, b'"' | b'\'' | b'`'));
    let mut i = 0;
    while let Some(p) = find_on(b, i) {
        i = p + 2;
        let name_end = p + b[p..]
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .count();
        if !is_event_handler(&s[p..name_end]) {
            continue;
        }
        let mut k = name_end;
        while k < b.len() && b[k].is_ascii_whitespace() {
            k += 1;
        }
        if b.get(k) != Some(&b'=') {
            continue;
        }
        // What precedes: a quote (possibly after spaces or other attributes)
        // or a `/`, the separators an attribute context allows.
        let before = b[..p]
            .iter()
            .rev()
            .take(64)
            .find(|c| !c.is_ascii_whitespace());
        let quoted = first_quote.is_some_and(|q| q < p);
        let value = attribute_value(s, k + 1, b.len());
        let scripty = value
            .bytes()
            .any(|c| matches!(c, b'(' | b'`' | b'=' | b'.'))
            || value.is_empty()
            || super::script::scan(value, false, &ByteSet::of(value.as_bytes())).is_some();
        let separated = p == 0
            || matches!(
                b[p - 1],
                b' ' | b'\t' | b'\n' | b'\r' | 0x0c | b'/' | b'"' | b'\'' | b'`' | b';'
            );
        if separated && (matches!(before, Some(b'"' | b'\'' | b'`' | b'/')) || quoted || scripty) {
            return Hit::new("event-handler", p, k + 1);
        }
    }
    None
}

fn find_on(b: &[u8], from: usize) -> Option<usize> {
    b.get(from..)?
        .windows(2)
        .position(|w| w == b"on")
        .map(|p| p + from)
}

/// Schemes that run script when navigated to or loaded.
const SCRIPT_SCHEMES: &[&str] = &[
    "javascript:",
    "vbscript:",
    "livescript:",
    "mocha:",
    "jscript:",
    "ecmascript:",
];

/// A URL (whitespace and controls ignored, as browsers do) with a
/// scheme that runs script or a `data:` URL of a document type.
pub(crate) fn is_script_url(value: &str) -> bool {
    let squeezed: String = value
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .take(64)
        .collect();
    let v = squeezed.trim_start_matches(['"', '\'', '`', '(', '=']);
    SCRIPT_SCHEMES.iter().any(|scheme| v.starts_with(scheme)) || dangerous_data_url(v)
}

fn dangerous_data_url(v: &str) -> bool {
    v.strip_prefix("data:").is_some_and(|rest| {
        [
            "text/html",
            "image/svg",
            "application/xhtml",
            "text/xml",
            "application/xml",
            "text/javascript",
            "application/javascript",
            "application/x-shockwave",
            ",",
            ";base64",
        ]
        .iter()
        .any(|t| rest.starts_with(t))
    })
}

/// A script URL anywhere: at the start of the value, or after `=`, a quote
/// or `(`, with the tabs and newlines browsers strip from schemes removed.
fn script_url(s: &str) -> Option<Hit> {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(p) = b[i..].iter().position(|&c| c == b':') {
        let colon = i + p;
        i = colon + 1;
        // Collect the letters before the colon, skipping whitespace.
        let mut start = colon;
        let mut letters = 0;
        while start > 0 && letters < 12 {
            let c = b[start - 1];
            if c.is_ascii_alphabetic() {
                letters += 1;
            } else if !c.is_ascii_whitespace() {
                break;
            }
            start -= 1;
        }
        while start < colon && b[start].is_ascii_whitespace() {
            start += 1;
        }
        if letters == 0 {
            continue;
        }
        let scheme: String = s[start..colon]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let is_script = SCRIPT_SCHEMES
            .iter()
            .any(|x| scheme.ends_with(x.trim_end_matches(':')));
        let is_data = scheme == "data"
            && dangerous_data_url(
                &s[start..]
                    .chars()
                    .filter(|c| !c.is_ascii_whitespace())
                    .take(40)
                    .collect::<String>(),
            );
        if !is_script && !is_data {
            continue;
        }
        let after = &s[colon + 1..];
        let prose = after.starts_with(' ')
            && !after
                .chars()
                .take(48)
                .any(|c| matches!(c, '(' | '`' | '=' | ';'));
        if !prose || is_data {
            return Hit::new("script-url", start, colon + 1);
        }
    }
    None
}
