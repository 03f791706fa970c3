//! Every spelling of an IP address a host component may carry.
//!
//! `inet_aton` and the WHATWG URL parser accept far more than dotted decimal:
//! `2130706433`, `0177.0.0.1`, `0x7f.1` and `127.1` all mean 127.0.0.1. An
//! SSRF check that compares strings misses them, so hosts are normalised to an
//! [`IpAddr`] here before any range is checked. The `url` crate already does
//! this for `http`/`https`; this parser also covers hosts that reach us
//! outside a URL (a redirect target logged by a proxy, a configured hostname)
//! and IPv6 zone identifiers, which `url` refuses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The IP address a host string denotes, in any literal form, or `None` when
/// it is a name (or not a valid host at all).
///
/// Accepted: dotted IPv4 with one to four parts, each decimal, octal (leading
/// `0`) or hexadecimal (`0x`), as `inet_aton` reads them (`127.1`,
/// `0x7f.0.0.1`, `0177.0.0.01`, `2130706433`); IPv6 with or without brackets,
/// with an embedded IPv4 tail and with a zone id (`fe80::1%eth0`,
/// `[fe80::1%25eth0]`). A single trailing dot, as in a fully qualified name,
/// is ignored.
///
/// ```
/// use std::net::{IpAddr, Ipv4Addr};
/// use rampart_sanitize::validate::parse_ip_literal;
///
/// let loopback = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
/// assert_eq!(parse_ip_literal("2130706433"), loopback);
/// assert_eq!(parse_ip_literal("0177.0.0.1"), loopback);
/// assert_eq!(parse_ip_literal("0x7f.1"), loopback);
/// assert_eq!(parse_ip_literal("example.com"), None);
/// ```
pub fn parse_ip_literal(host: &str) -> Option<IpAddr> {
    let host = host.trim_end_matches('.');
    if let Some(inner) = host.strip_prefix('[') {
        return parse_ipv6(inner.strip_suffix(']')?).map(IpAddr::V6);
    }
    if host.contains(':') {
        return parse_ipv6(host).map(IpAddr::V6);
    }
    parse_ipv4(host).map(IpAddr::V4)
}

/// IPv6, dropping a zone id (`%eth0`, or `%25eth0` as RFC 6874 writes it in
/// a URL): the zone picks an interface, not a different address.
fn parse_ipv6(text: &str) -> Option<Ipv6Addr> {
    let (address, zone) = match text.split_once('%') {
        Some((address, zone)) => (address, Some(zone)),
        None => (text, None),
    };
    if let Some(zone) = zone {
        let zone = zone.strip_prefix("25").unwrap_or(zone);
        let valid = !zone.is_empty()
            && zone
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !valid {
            return None;
        }
    }
    address.parse().ok()
}

/// IPv4 the way `inet_aton` reads it: up to four parts, the last filling the
/// remaining bytes.
fn parse_ipv4(text: &str) -> Option<Ipv4Addr> {
    let mut parts = [0u64; 4];
    let mut count = 0;
    for part in text.split('.') {
        if count == 4 {
            return None;
        }
        parts[count] = parse_number(part)?;
        count += 1;
    }
    let (head, last) = parts[..count].split_at(count - 1);
    if head.iter().any(|&p| p > 0xff) {
        return None;
    }
    // 32, 24, 16 or 8 bits left for the last part.
    let tail_bits = 8 * (5 - count as u32);
    let last = last[0];
    if last >> tail_bits != 0 {
        return None;
    }
    let mut value = last;
    for (i, &part) in head.iter().enumerate() {
        value |= part << (24 - 8 * i as u32);
    }
    u32::try_from(value).ok().map(Ipv4Addr::from)
}

/// One part: `0x` hexadecimal, leading-zero octal, or decimal. Digits only,
/// no sign, no whitespace; at most 32 bits.
fn parse_number(part: &str) -> Option<u64> {
    let (digits, radix) =
        if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
            (hex, 16)
        } else if part.len() > 1 && part.starts_with('0') {
            (&part[1..], 8)
        } else {
            (part, 10)
        };
    if digits.is_empty() {
        // "0x" alone is 0 for inet_aton; a bare "" part is invalid.
        return (radix == 16).then_some(0);
    }
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let value = u64::from_str_radix(digits, radix).ok()?;
    (value <= u64::from(u32::MAX)).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> Option<Ipv4Addr> {
        match parse_ip_literal(text) {
            Some(IpAddr::V4(ip)) => Some(ip),
            _ => None,
        }
    }

    #[test]
    fn every_ipv4_spelling_of_loopback_is_loopback() {
        for text in [
            "127.0.0.1",
            "2130706433",
            "0177.0.0.1",
            "0177.0000.0000.0001",
            "0x7f.0.0.1",
            "0x7f.1",
            "0x7f000001",
            "127.1",
            "127.0.1",
            "127.0.0.1.",
        ] {
            assert_eq!(v4(text), Some(Ipv4Addr::LOCALHOST), "{text}");
        }
    }

    #[test]
    fn metadata_address_in_its_disguises() {
        let metadata = Some(Ipv4Addr::new(169, 254, 169, 254));
        for text in [
            "2852039166",
            "0xA9FEA9FE",
            "0xA9.0xFE.0xA9.0xFE",
            "0251.0376.0251.0376",
            "0251.00376.000251.0000376",
            "0251.254.169.254",
        ] {
            assert_eq!(v4(text), metadata, "{text}");
        }
    }

    #[test]
    fn malformed_numbers_are_names_not_addresses() {
        for text in [
            "",
            ".",
            "1.2.3.4.5",
            "256.1.1.1",
            "1.2.3.256",
            "1.2.65536",
            "425.510.425.510",
            "0x41414141A9FEA9FE",
            "4294967296",
            "o177.0.0.1",
            "q177.0.0.1",
            "08.0.0.1",
            "1..2",
            "+1.2.3.4",
            " 1.2.3.4",
            "example.com",
        ] {
            assert_eq!(parse_ip_literal(text), None, "{text:?}");
        }
    }

    #[test]
    fn ipv6_forms_including_zone_ids() {
        let link_local: Ipv6Addr = "fe80::1".parse().unwrap();
        for text in ["fe80::1", "[fe80::1]", "fe80::1%eth0", "[fe80::1%25eth0]"] {
            assert_eq!(
                parse_ip_literal(text),
                Some(IpAddr::V6(link_local)),
                "{text}"
            );
        }
        assert_eq!(
            parse_ip_literal("[::ffff:127.0.0.1]"),
            Some(IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped()))
        );
        for bad in [
            "[fe80::1",
            "fe80::1%",
            "fe80::1%25",
            "fe80::1%e/th",
            "[::g]",
        ] {
            assert_eq!(parse_ip_literal(bad), None, "{bad}");
        }
    }

    #[test]
    fn part_limits_are_exact() {
        assert_eq!(v4("255.255.255.255"), Some(Ipv4Addr::BROADCAST));
        assert_eq!(v4("255.16777215"), Some(Ipv4Addr::new(255, 255, 255, 255)));
        assert_eq!(v4("1.2.65535"), Some(Ipv4Addr::new(1, 2, 255, 255)));
        assert_eq!(v4("1.2.3.255"), Some(Ipv4Addr::new(1, 2, 3, 255)));
        assert_eq!(v4("1.16777216"), None);
        assert_eq!(v4("1.2.65536"), None);
        assert_eq!(v4("4294967295"), Some(Ipv4Addr::BROADCAST));
        assert_eq!(v4("256.0.0.0"), None);
        assert_eq!(v4("0.256.0"), None);
        // inet_aton and WHATWG take any number of leading zeros.
        let zeros = format!("{}177.0.0.1", "0".repeat(100));
        assert_eq!(v4(&zeros), Some(Ipv4Addr::LOCALHOST));
    }

    #[test]
    fn a_bare_hex_prefix_is_zero_like_inet_aton() {
        assert_eq!(v4("0x.0x.0x.0x"), Some(Ipv4Addr::UNSPECIFIED));
        assert_eq!(v4("0"), Some(Ipv4Addr::UNSPECIFIED));
    }

    proptest::proptest! {
        #[test]
        fn every_numeric_spelling_agrees(v in proptest::prelude::any::<u32>()) {
            let ip = Some(IpAddr::V4(Ipv4Addr::from(v)));
            let [a, b, c, d] = v.to_be_bytes();
            proptest::prop_assert_eq!(parse_ip_literal(&v.to_string()), ip);
            proptest::prop_assert_eq!(parse_ip_literal(&format!("0x{v:x}")), ip);
            proptest::prop_assert_eq!(parse_ip_literal(&format!("0{v:o}")), ip);
            proptest::prop_assert_eq!(parse_ip_literal(&format!("{a}.{b}.{c}.{d}")), ip);
            proptest::prop_assert_eq!(parse_ip_literal(&format!("0{a:o}.0x{b:x}.{c}.0{d:o}")), ip);
            let low16 = u32::from(c) << 8 | u32::from(d);
            proptest::prop_assert_eq!(parse_ip_literal(&format!("{a}.{b}.{low16}")), ip);
            let low24 = u32::from(b) << 16 | low16;
            proptest::prop_assert_eq!(parse_ip_literal(&format!("{a}.{low24}")), ip);
        }

        #[test]
        fn ipv6_agrees_with_the_standard_library(v in proptest::prelude::any::<u128>()) {
            let ip = Ipv6Addr::from(v);
            proptest::prop_assert_eq!(parse_ip_literal(&format!("[{ip}]")), Some(IpAddr::V6(ip)));
            proptest::prop_assert_eq!(parse_ip_literal(&format!("{ip}%eth0")), Some(IpAddr::V6(ip)));
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,40}") {
            let _ = parse_ip_literal(&s);
        }
    }
}
