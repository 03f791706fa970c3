//! CSP source expressions (`'self'`, `https:`, `https://cdn.example.com`, nonces, hashes).

use std::fmt;

/// One source expression in a CSP source list.
///
/// Parsed and checked when the policy is built, so a typo such as `self`
/// without quotes (which a browser reads as a host named "self") or a stray
/// `;` (which would start a new directive) is a build error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// `'none'`: nothing; must stand alone in its directive.
    None,
    /// `'self'`: the page's own origin.
    SelfOrigin,
    /// `'unsafe-inline'`.
    UnsafeInline,
    /// `'unsafe-eval'`.
    UnsafeEval,
    /// `'unsafe-hashes'`.
    UnsafeHashes,
    /// `'wasm-unsafe-eval'`.
    WasmUnsafeEval,
    /// `'strict-dynamic'`.
    StrictDynamic,
    /// `'report-sample'`.
    ReportSample,
    /// `'inline-speculation-rules'`.
    InlineSpeculationRules,
    /// The per-request nonce: `'nonce-…'`, filled in fresh for every response.
    Nonce,
    /// `'sha256-…'`, `'sha384-…'` or `'sha512-…'` of an inline script or style.
    Hash(String),
    /// A scheme such as `https:` or `data:`.
    Scheme(String),
    /// A host source such as `https://cdn.example.com` or `*.example.com`.
    Host(String),
}

impl Source {
    /// Parses a source as written in a policy (`'self'`, `'nonce'` for the
    /// per-request nonce, `https:`, `https://cdn.example.com`...).
    ///
    /// # Errors
    /// A reason when the text is not a valid source expression.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        if text.is_empty() {
            return Err("empty source");
        }
        if text.bytes().any(|b| {
            b.is_ascii_whitespace()
                || matches!(b, b';' | b',' | b'{' | b'}')
                || !(0x21..0x7f).contains(&b)
        }) {
            return Err(
                "whitespace, ';', ',', braces and non-ASCII characters cannot appear in a source",
            );
        }
        if let Some(inner) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
            return Self::keyword(inner);
        }
        if text.contains('\'') {
            return Err("keywords are written in single quotes, e.g. 'self'");
        }
        if matches!(
            text.to_ascii_lowercase().as_str(),
            "self" | "none" | "unsafe-inline" | "unsafe-eval" | "strict-dynamic"
        ) {
            return Err("keywords must be quoted: a bare word is read as a host name");
        }
        if let Some(scheme) = text.strip_suffix(':') {
            let mut chars = scheme.chars();
            let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            return if valid {
                Ok(Self::Scheme(text.to_ascii_lowercase()))
            } else {
                Err("not a valid scheme source")
            };
        }
        validate_host_source(text)?;
        Ok(Self::Host(text.to_owned()))
    }

    fn keyword(inner: &str) -> Result<Self, &'static str> {
        let lower = inner.to_ascii_lowercase();
        Ok(match lower.as_str() {
            "none" => Self::None,
            "self" => Self::SelfOrigin,
            "unsafe-inline" => Self::UnsafeInline,
            "unsafe-eval" => Self::UnsafeEval,
            "unsafe-hashes" => Self::UnsafeHashes,
            "wasm-unsafe-eval" => Self::WasmUnsafeEval,
            "strict-dynamic" => Self::StrictDynamic,
            "report-sample" => Self::ReportSample,
            "inline-speculation-rules" => Self::InlineSpeculationRules,
            "nonce" => Self::Nonce,
            _ => {
                let Some((algo, digest)) = inner.split_once('-') else {
                    return Err("unknown keyword");
                };
                if lower.starts_with("nonce-") {
                    return Err(
                        "a fixed nonce defeats the purpose: write 'nonce' for a fresh one per response",
                    );
                }
                if !matches!(algo, "sha256" | "sha384" | "sha512") {
                    return Err("unknown keyword");
                }
                if !is_base64(digest) {
                    return Err("a hash source's digest must be base64");
                }
                Self::Hash(format!("{algo}-{digest}"))
            }
        })
    }

    /// Whether this is the per-request nonce.
    pub fn is_nonce(&self) -> bool {
        matches!(self, Self::Nonce)
    }
}

impl fmt::Display for Source {
    /// The source as written in the header; [`Source::Nonce`] shows as `'nonce-{nonce}'`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("'none'"),
            Self::SelfOrigin => f.write_str("'self'"),
            Self::UnsafeInline => f.write_str("'unsafe-inline'"),
            Self::UnsafeEval => f.write_str("'unsafe-eval'"),
            Self::UnsafeHashes => f.write_str("'unsafe-hashes'"),
            Self::WasmUnsafeEval => f.write_str("'wasm-unsafe-eval'"),
            Self::StrictDynamic => f.write_str("'strict-dynamic'"),
            Self::ReportSample => f.write_str("'report-sample'"),
            Self::InlineSpeculationRules => f.write_str("'inline-speculation-rules'"),
            Self::Nonce => f.write_str("'nonce-{nonce}'"),
            Self::Hash(h) => write!(f, "'{h}'"),
            Self::Scheme(s) | Self::Host(s) => f.write_str(s),
        }
    }
}

fn is_base64(text: &str) -> bool {
    let body = text.trim_end_matches('=');
    !body.is_empty()
        && text.len() - body.len() <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_'))
}

/// CSP host-source: `[scheme://]host[:port][/path]`, host possibly starting with `*.`.
fn validate_host_source(text: &str) -> Result<(), &'static str> {
    let rest = match text.split_once("://") {
        Some((scheme, rest)) => {
            if scheme.is_empty()
                || !scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
            {
                return Err("not a valid scheme in host source");
            }
            rest
        }
        None => text,
    };
    let (authority, _path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    if let Some(port) = port
        && port != "*"
        && (port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("not a valid port");
    }
    if host == "*" {
        return Ok(());
    }
    let host = host.strip_prefix("*.").unwrap_or(host);
    let valid_labels = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if valid_labels {
        Ok(())
    } else {
        Err("not a valid host source")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_schemes_hosts_and_hashes() {
        assert_eq!(Source::parse("'self'"), Ok(Source::SelfOrigin));
        assert_eq!(Source::parse("'NONE'"), Ok(Source::None));
        assert_eq!(Source::parse("'nonce'"), Ok(Source::Nonce));
        assert_eq!(Source::parse("data:"), Ok(Source::Scheme("data:".into())));
        assert_eq!(
            Source::parse("https://cdn.example.com:443/js/"),
            Ok(Source::Host("https://cdn.example.com:443/js/".into()))
        );
        assert_eq!(
            Source::parse("*.example.com"),
            Ok(Source::Host("*.example.com".into()))
        );
        assert_eq!(
            Source::parse("'sha256-B2yPHKaXnvFWtRChIbabYmUBFZdVfKKXHbWtWidDVF8='"),
            Ok(Source::Hash(
                "sha256-B2yPHKaXnvFWtRChIbabYmUBFZdVfKKXHbWtWidDVF8=".into()
            ))
        );
    }

    #[test]
    fn rejects_what_a_browser_would_misread() {
        for bad in [
            "self",
            "'unknown'",
            "https://a.com; script-src *",
            "https://a.com,b",
            "'nonce-abc'",
            "'sha1-abc'",
            "'sha256-***'",
            "exa mple.com",
            "https://bad_host",
            "https://a.com:port",
            "",
            "caf\u{e9}.com",
            "it's",
            "https://cdn.example.com/{nonce}/",
        ] {
            assert!(Source::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
