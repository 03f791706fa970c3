//! XML bodies without document type declarations (XXE).
//!
//! External entities read files and reach internal hosts; internal ones
//! expand exponentially ("billion laughs"). Both need a DOCTYPE, and no API
//! body needs one, so any `<!DOCTYPE` or `<!ENTITY` is refused. The scan
//! decodes UTF-16 (with or without a byte order mark) first, since
//! `<\0!\0D\0` hides from a byte search, and refuses encodings in which the
//! markup could hide (UTF-32, EBCDIC, UTF-7 and anything but UTF-8, UTF-16,
//! ASCII and Latin-1 declared in the XML declaration).

/// Why an XML body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlError {
    /// A `<!DOCTYPE` declaration.
    #[error("XML document type declarations (DOCTYPE) are not accepted")]
    Doctype,
    /// An `<!ENTITY` declaration.
    #[error("XML entity declarations are not accepted")]
    Entity,
    /// An encoding the scan does not read.
    #[error("XML encoding `{0}` is not accepted; send UTF-8 or UTF-16")]
    UnsupportedEncoding(String),
}

impl XmlError {
    /// A stable snake_case code for problem details and audit events.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Doctype => "xml_doctype",
            Self::Entity => "xml_entity",
            Self::UnsupportedEncoding(_) => "xml_encoding",
        }
    }
}

const ACCEPTED_ENCODINGS: &[&str] = &[
    "utf-8",
    "utf8",
    "utf-16",
    "utf-16le",
    "utf-16be",
    "us-ascii",
    "ascii",
    "iso-8859-1",
    "latin1",
];

/// Refuses XML carrying a DOCTYPE or ENTITY declaration.
///
/// # Errors
/// [`XmlError`] saying which.
///
/// ```
/// use rampart_sanitize::validate::check_xml;
///
/// assert!(check_xml(b"<?xml version=\"1.0\"?><a>1</a>").is_ok());
/// let xxe = b"<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>";
/// assert_eq!(check_xml(xxe).unwrap_err().code(), "xml_doctype");
/// ```
pub fn check_xml(body: &[u8]) -> Result<(), XmlError> {
    let text = decode(body)?;
    check_declared_encoding(&text)?;
    let lower = text.to_ascii_lowercase();
    if lower.contains("<!doctype") {
        return Err(XmlError::Doctype);
    }
    if lower.contains("<!entity") {
        return Err(XmlError::Entity);
    }
    Ok(())
}

/// The body as text: UTF-16 (by BOM or by the `<` of the first character)
/// decoded, UTF-32 and EBCDIC refused, anything else read byte for byte.
fn decode(body: &[u8]) -> Result<String, XmlError> {
    let utf16 = |little: bool, bytes: &[u8]| {
        let units = bytes.chunks(2).map(|pair| match pair {
            [a, b] if little => u16::from_le_bytes([*a, *b]),
            [a, b] => u16::from_be_bytes([*a, *b]),
            [a] => u16::from(*a),
            _ => 0,
        });
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect::<String>()
    };
    match body {
        [0, 0, 0xFE, 0xFF, ..]
        | [0xFF, 0xFE, 0, 0, ..]
        | [0, 0, 0, b'<', ..]
        | [b'<', 0, 0, 0, ..] => Err(XmlError::UnsupportedEncoding("UTF-32".into())),
        [0x4C, 0x6F, 0xA7, 0x94, ..] => Err(XmlError::UnsupportedEncoding("EBCDIC".into())),
        [0xFF, 0xFE, rest @ ..] => Ok(utf16(true, rest)),
        [0xFE, 0xFF, rest @ ..] => Ok(utf16(false, rest)),
        [b'<', 0, ..] => Ok(utf16(true, body)),
        [0, b'<', ..] => Ok(utf16(false, body)),
        [0xEF, 0xBB, 0xBF, rest @ ..] => Ok(String::from_utf8_lossy(rest).into_owned()),
        _ => Ok(String::from_utf8_lossy(body).into_owned()),
    }
}

/// The `encoding` of the XML declaration, if any, must be one read here.
fn check_declared_encoding(text: &str) -> Result<(), XmlError> {
    let trimmed = text.trim_start();
    let Some(declaration) = trimmed.strip_prefix("<?xml") else {
        return Ok(());
    };
    let declaration = declaration.split("?>").next().unwrap_or_default();
    let lower = declaration.to_ascii_lowercase();
    let Some(at) = lower.find("encoding") else {
        return Ok(());
    };
    let rest = lower[at + "encoding".len()..].trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest).trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'');
    let value = match quote {
        Some(q) => rest[1..].split(q).next().unwrap_or_default(),
        None => rest.split_whitespace().next().unwrap_or_default(),
    };
    if ACCEPTED_ENCODINGS.contains(&value) {
        Ok(())
    } else {
        Err(XmlError::UnsupportedEncoding(
            value.chars().take(40).collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, little: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend_from_slice(if little { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
        }
        for unit in text.encode_utf16() {
            out.extend_from_slice(&if little {
                unit.to_le_bytes()
            } else {
                unit.to_be_bytes()
            });
        }
        out
    }

    const XXE: &str = "<?xml version=\"1.0\"?>\n<!DOCTYPE foo [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n<foo>&xxe;</foo>";

    #[test]
    fn plain_documents_pass() {
        for ok in [
            "<a/>",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a b='1'>text &amp; more</a>",
            "<?xml version='1.0' encoding='iso-8859-1' standalone='yes'?><a/>",
            "<a><![CDATA[ doctype is just a word ]]></a>",
            "",
        ] {
            assert!(check_xml(ok.as_bytes()).is_ok(), "{ok}");
        }
        assert!(
            check_xml(&utf16(
                "<?xml version=\"1.0\" encoding=\"UTF-16\"?><a/>",
                true,
                true
            ))
            .is_ok()
        );
        assert!(check_xml(b"\xEF\xBB\xBF<a/>").is_ok());
    }

    #[test]
    fn doctype_and_entities_are_refused_in_any_case_and_encoding() {
        assert_eq!(check_xml(XXE.as_bytes()), Err(XmlError::Doctype));
        assert_eq!(check_xml(b"<!doctype html><a/>"), Err(XmlError::Doctype));
        assert_eq!(check_xml(b"<a/><!DocType x>"), Err(XmlError::Doctype));
        assert_eq!(check_xml(b"<!ENTITY x 'y'>"), Err(XmlError::Entity));
        for (little, bom) in [(true, true), (false, true), (true, false), (false, false)] {
            assert_eq!(
                check_xml(&utf16(XXE, little, bom)),
                Err(XmlError::Doctype),
                "little={little} bom={bom}"
            );
        }
        let mut with_bom = b"\xEF\xBB\xBF".to_vec();
        with_bom.extend_from_slice(XXE.as_bytes());
        assert_eq!(check_xml(&with_bom), Err(XmlError::Doctype));
    }

    #[test]
    fn encodings_markup_can_hide_in_are_refused() {
        let utf7 = b"<?xml version=\"1.0\" encoding=\"UTF-7\"?>+ADw-!DOCTYPE foo+AD4-";
        assert_eq!(
            check_xml(utf7),
            Err(XmlError::UnsupportedEncoding("utf-7".into()))
        );
        assert_eq!(
            check_xml(b"\0\0\0<\0\0\0a").unwrap_err().code(),
            "xml_encoding"
        );
        assert_eq!(
            check_xml(b"\xFF\xFE\0\0<\0\0\0").unwrap_err().code(),
            "xml_encoding"
        );
        assert_eq!(
            check_xml(b"\x4C\x6F\xA7\x94\x93\x40").unwrap_err().code(),
            "xml_encoding"
        );
        assert_eq!(
            check_xml(b"<?xml version='1.0' encoding=ibm037?><a/>")
                .unwrap_err()
                .code(),
            "xml_encoding"
        );
    }

    #[test]
    fn odd_bytes_never_panic() {
        for junk in [
            &b"\xFF"[..],
            b"\xFE",
            b"<",
            b"<\0",
            b"\0<\0",
            b"<?xml",
            b"<?xml encoding",
            b"<?xml encoding='",
        ] {
            let _ = check_xml(junk);
        }
    }
}
