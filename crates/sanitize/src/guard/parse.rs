//! Splitting the parts of a request into named values, each decoded once
//! in its own context.

use percent_encoding::percent_decode;
use std::borrow::Cow;

/// `a=1&b=2` (query strings and form bodies): pairs with `+` as space and
/// percent-decoding applied once, as a framework's extractor would. Invalid
/// UTF-8 is read lossily (never dropped).
pub(crate) fn form_pairs(s: &[u8]) -> Vec<(String, String)> {
    s.split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &[u8]) -> String {
    let plus: Cow<'_, [u8]> = if s.contains(&b'+') {
        Cow::Owned(
            s.iter()
                .map(|&b| if b == b'+' { b' ' } else { b })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    };
    percent_decode(&plus).decode_utf8_lossy().into_owned()
}

/// Encodes pairs back into `a=1&b=2` form.
pub(crate) fn form_encode(pairs: &[(String, String)]) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const FORM: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'*')
        .remove(b'-')
        .remove(b'.')
        .remove(b'_');
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, FORM),
                utf8_percent_encode(v, FORM)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Path segments, each percent-decoded once (lossy).
pub(crate) fn path_segments(path: &str) -> impl Iterator<Item = String> + '_ {
    path.split('/').filter(|s| !s.is_empty()).map(|s| {
        percent_decode(s.as_bytes())
            .decode_utf8_lossy()
            .into_owned()
    })
}

/// `a=1; b=2` cookie pairs, values percent-decoded once (lossy).
pub(crate) fn cookies(header: &[u8]) -> Vec<(String, String)> {
    header
        .split(|&b| b == b';')
        .filter_map(|c| {
            let c = c.trim_ascii();
            let i = c.iter().position(|&b| b == b'=')?;
            let name = String::from_utf8_lossy(&c[..i]).trim().to_owned();
            let value = c[i + 1..].trim_ascii();
            let value = value
                .strip_prefix(b"\"")
                .and_then(|v| v.strip_suffix(b"\""))
                .unwrap_or(value);
            Some((name, percent_decode(value).decode_utf8_lossy().into_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_once_with_plus_as_space() {
        assert_eq!(
            form_pairs(b"q=a+b%27&x&=v&%2527=1"),
            vec![
                ("q".into(), "a b'".into()),
                ("x".into(), "".into()),
                ("".into(), "v".into()),
                ("%27".into(), "1".into()),
            ]
        );
        assert_eq!(form_pairs(b"a=%ff")[0].1, "\u{fffd}");
    }

    #[test]
    fn encoding_round_trips() {
        let pairs = vec![("q".to_owned(), "a b&c=d'é".to_owned())];
        assert_eq!(form_pairs(form_encode(&pairs).as_bytes()), pairs);
    }

    #[test]
    fn cookies_and_segments() {
        assert_eq!(
            cookies(b"a=1; b=\"x%20y\";bad; c="),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("c".into(), "".into())
            ]
        );
        assert_eq!(
            path_segments("/api/items/%2e%2e").collect::<Vec<_>>(),
            ["api", "items", ".."]
        );
    }
}
