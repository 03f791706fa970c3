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
    forwarded_elements(headers, forwarded_element_for)
}

/// `read` applied to every element of every `Forwarded` header, in order;
/// `None` when the header is absent. A header that is not visible ASCII
/// counts as one unreadable element.
fn forwarded_elements<T>(
    headers: &HeaderMap,
    read: impl Fn(&str) -> Option<T>,
) -> Option<Vec<Option<T>>> {
    let mut values = headers.get_all(FORWARDED).iter().peekable();
    values.peek()?;
    let mut elements = Vec::new();
    for value in values {
        let Ok(text) = value.to_str() else {
            elements.push(None);
            continue;
        };
        elements.extend(split_outside_quotes(text, ',').map(&read));
    }
    Some(elements)
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
    let node = forwarded_parameter(element, "for")?;
    parse_node(node)
}

/// The value of parameter `name` in one `Forwarded` element, unquoted; `None`
/// when it is absent, given twice, or badly quoted.
fn forwarded_parameter<'a>(element: &'a str, name: &str) -> Option<&'a str> {
    let mut found = None;
    for pair in split_outside_quotes(element, ';') {
        let (key, value) = pair.split_once('=')?;
        if key.trim().eq_ignore_ascii_case(name) {
            if found.is_some() {
                return None;
            }
            found = Some(value.trim());
        }
    }
    let value = found?;
    match value.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"'),
        None => Some(value),
    }
}

/// The scheme a client used to reach the first proxy, as a forwarding header
/// reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ForwardedProto {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

impl ForwardedProto {
    /// `http` or `https`, in any case; anything else is unreadable.
    fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("https") {
            Some(Self::Https)
        } else if text.eq_ignore_ascii_case("http") {
            Some(Self::Http)
        } else {
            None
        }
    }
}

/// The `proto=` of every `Forwarded` element, in the order of
/// [`forwarded_hops`]. `None` when the header is absent.
pub(crate) fn forwarded_protos(headers: &HeaderMap) -> Option<Vec<Option<ForwardedProto>>> {
    forwarded_elements(headers, |element| {
        forwarded_parameter(element, "proto").and_then(ForwardedProto::parse)
    })
}

/// The de-facto `X-Forwarded-Proto` header.
pub(crate) const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

/// Every value of every `X-Forwarded-Proto` header, in order. `None` when the
/// header is absent.
pub(crate) fn x_forwarded_protos(headers: &HeaderMap) -> Option<Vec<Option<ForwardedProto>>> {
    let mut values = headers.get_all(X_FORWARDED_PROTO).iter().peekable();
    values.peek()?;
    let mut protos = Vec::new();
    for value in values {
        match value.to_str() {
            Ok(text) => protos.extend(text.split(',').map(ForwardedProto::parse)),
            Err(_) => protos.push(None),
        }
    }
    Some(protos)
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
    fn forwarded_protos_follow_the_elements() {
        let mut headers = HeaderMap::new();
        headers.insert(
            FORWARDED,
            HeaderValue::from_static(
                r#"for=192.0.2.60;proto=https, for=10.0.0.1;Proto="HTTP", for=10.0.0.2, for=1.1.1.1;proto=ftp;proto=https"#,
            ),
        );
        assert_eq!(
            forwarded_protos(&headers),
            Some(vec![
                Some(ForwardedProto::Https),
                Some(ForwardedProto::Http),
                None,
                None
            ])
        );
        assert_eq!(forwarded_protos(&HeaderMap::new()), None);
    }

    #[test]
    fn x_forwarded_proto_reads_each_value() {
        let mut headers = HeaderMap::new();
        headers.append(X_FORWARDED_PROTO, HeaderValue::from_static("https, http"));
        headers.append(X_FORWARDED_PROTO, HeaderValue::from_static("wss"));
        assert_eq!(
            x_forwarded_protos(&headers),
            Some(vec![
                Some(ForwardedProto::Https),
                Some(ForwardedProto::Http),
                None
            ])
        );
        assert_eq!(x_forwarded_protos(&HeaderMap::new()), None);
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
