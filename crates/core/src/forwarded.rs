//! Parsing of the hop lists in `Forwarded` (RFC 7239) and `X-Forwarded-For`.
//!
//! Each parser yields the hops left to right, `None` for a hop it cannot read
//! as an IP address (garbage, `unknown`, an obfuscated `_node` name). The
//! caller decides what an unreadable hop means; [`crate::TrustedProxies`]
//! stops at it and falls back to the peer address.

use http::HeaderMap;
use http::header::{FORWARDED, HeaderName};
use std::net::{IpAddr, SocketAddr};

/// The de-facto `X-Forwarded-For` header.
pub(crate) const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// Hops of every `Forwarded` header, in order. `None` when the header is absent.
/// A header that is not visible ASCII yields a single unreadable hop.
pub(crate) fn forwarded_hops(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let mut values = headers.get_all(FORWARDED).iter().peekable();
    values.peek()?;
    let mut hops = Vec::new();
    for value in values {
        let Ok(text) = value.to_str() else {
            hops.push(None);
            continue;
        };
        for element in split_outside_quotes(text, ',') {
            hops.push(forwarded_element_for(element));
        }
    }
    Some(hops)
}

/// Hops of every `X-Forwarded-For` header, in order. `None` when the header is absent.
pub(crate) fn x_forwarded_for_hops(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let mut values = headers.get_all(X_FORWARDED_FOR).iter().peekable();
    values.peek()?;
    let mut hops = Vec::new();
    for value in values {
        let Ok(text) = value.to_str() else {
            hops.push(None);
            continue;
        };
        hops.extend(text.split(',').map(|hop| parse_node(hop.trim())));
    }
    Some(hops)
}

/// The `for=` node of one `Forwarded` element (`for=192.0.2.60;proto=http;by=...`).
/// An element without `for=`, or with two of them, is unreadable.
fn forwarded_element_for(element: &str) -> Option<IpAddr> {
    let mut found = None;
    for pair in split_outside_quotes(element, ';') {
        let (name, value) = pair.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("for") {
            if found.is_some() {
                return None;
            }
            found = Some(value.trim());
        }
    }
    let value = found?;
    let node = match value.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"')?,
        None => value,
    };
    parse_node(node)
}

/// An IP address, optionally with a port, optionally IPv6 in brackets.
/// IPv4-mapped IPv6 addresses come back as IPv4 so one trust rule covers both.
pub(crate) fn parse_node(node: &str) -> Option<IpAddr> {
    if node.is_empty() {
        return None;
    }
    let ip = if let Ok(ip) = node.parse::<IpAddr>() {
        ip
    } else if let Ok(sock) = node.parse::<SocketAddr>() {
        sock.ip()
    } else if let Some(inner) = node.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        inner.parse::<std::net::Ipv6Addr>().ok()?.into()
    } else {
        return None;
    };
    Some(ip.to_canonical())
}

/// Splits on `sep` except inside double quotes (RFC 7239 quoted-string values).
fn split_outside_quotes(text: &str, sep: char) -> impl Iterator<Item = &str> {
    let mut in_quotes = false;
    let mut escaped = false;
    let mut start = 0;
    let mut parts = Vec::new();
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            c if c == sep && !in_quotes => {
                parts.push(text[start..i].trim());
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(text[start..].trim());
    parts.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn reads_every_node_form() {
        assert_eq!(parse_node("192.0.2.1"), ip("192.0.2.1"));
        assert_eq!(parse_node("192.0.2.1:8080"), ip("192.0.2.1"));
        assert_eq!(parse_node("2001:db8::1"), ip("2001:db8::1"));
        assert_eq!(parse_node("[2001:db8::1]"), ip("2001:db8::1"));
        assert_eq!(parse_node("[2001:db8::1]:443"), ip("2001:db8::1"));
        assert_eq!(parse_node("::ffff:192.0.2.7"), ip("192.0.2.7"));
        assert_eq!(parse_node("unknown"), None);
        assert_eq!(parse_node("_hidden"), None);
        assert_eq!(parse_node(""), None);
        assert_eq!(parse_node("1.2.3.4.5"), None);
    }

    #[test]
    fn forwarded_elements_and_quotes() {
        let mut headers = HeaderMap::new();
        headers.insert(
            FORWARDED,
            HeaderValue::from_static(
                r#"for=192.0.2.60;proto=http;by=203.0.113.43, For="[2001:db8:cafe::17]:4711", for=unknown"#,
            ),
        );
        assert_eq!(
            forwarded_hops(&headers),
            Some(vec![ip("192.0.2.60"), ip("2001:db8:cafe::17"), None])
        );
    }

    #[test]
    fn forwarded_element_with_two_for_is_unreadable() {
        assert_eq!(forwarded_element_for("for=1.1.1.1;for=2.2.2.2"), None);
        assert_eq!(forwarded_element_for("proto=https"), None);
        assert_eq!(forwarded_element_for("for=\"1.1.1.1"), None);
    }

    #[test]
    fn x_forwarded_for_joins_repeated_headers() {
        let mut headers = HeaderMap::new();
        headers.append(
            X_FORWARDED_FOR,
            HeaderValue::from_static("1.1.1.1, 2.2.2.2"),
        );
        headers.append(X_FORWARDED_FOR, HeaderValue::from_static("3.3.3.3"));
        assert_eq!(
            x_forwarded_for_hops(&headers),
            Some(vec![ip("1.1.1.1"), ip("2.2.2.2"), ip("3.3.3.3")])
        );
        assert_eq!(x_forwarded_for_hops(&HeaderMap::new()), None);
    }
}
