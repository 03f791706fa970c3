//! Addresses as text, on the request path.

use std::net::IpAddr;

/// `ip` as its usual text (`203.0.113.9`, `2001:db8::1`), as `to_string`
/// writes it.
///
/// Rate-limit keys and audit records spell the client address on every
/// request; the formatting machinery behind `to_string` costs about ten
/// times what writing an IPv4 address's four numbers directly does.
///
/// ```
/// use rampart_core::ip_text;
///
/// assert_eq!(ip_text("203.0.113.9".parse().unwrap()), "203.0.113.9");
/// assert_eq!(ip_text("2001:db8::1".parse().unwrap()), "2001:db8::1");
/// ```
pub fn ip_text(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let mut out = String::with_capacity(15);
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_decimal(&mut out, octet);
            }
            out
        }
        IpAddr::V6(_) => ip.to_string(),
    }
}

fn push_decimal(out: &mut String, n: u8) {
    if n >= 100 {
        out.push(char::from(b'0' + n / 100));
    }
    if n >= 10 {
        out.push(char::from(b'0' + n / 10 % 10));
    }
    out.push(char::from(b'0' + n % 10));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn every_octet_value_is_written_as_to_string_does() {
        for n in 0..=255u8 {
            let ip = IpAddr::V4(Ipv4Addr::new(n, 0, 255 - n, n / 7));
            assert_eq!(ip_text(ip), ip.to_string());
        }
    }

    proptest! {
        #[test]
        fn agrees_with_to_string(v4 in any::<u32>(), v6 in any::<u128>()) {
            let a = IpAddr::V4(Ipv4Addr::from(v4));
            prop_assert_eq!(ip_text(a), a.to_string());
            let b = IpAddr::V6(Ipv6Addr::from(v6));
            prop_assert_eq!(ip_text(b), b.to_string());
        }
    }
}
