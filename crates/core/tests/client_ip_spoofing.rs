//! A client cannot choose its own `ClientIp` through forwarding headers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use rampart_core::{ForwardingHeader, TrustedProxies};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fn proxies() -> TrustedProxies {
    TrustedProxies::new(["10.0.0.0/8", "fd00::/8"]).unwrap()
}

/// Addresses outside the trusted networks: the real client.
fn untrusted_ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>()
            .prop_map(|n| IpAddr::V4(Ipv4Addr::from(n)))
            .prop_filter("trusted", |ip| !proxies().is_trusted(*ip)),
        any::<u128>()
            .prop_map(|n| IpAddr::V6(Ipv6Addr::from(n)))
            .prop_filter("trusted", |ip| !proxies().is_trusted(*ip)),
    ]
}

fn trusted_ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 3]>().prop_map(|[a, b, c]| IpAddr::V4(Ipv4Addr::new(10, a, b, c))),
        any::<u64>().prop_map(|n| IpAddr::V6(Ipv6Addr::from((0xfd00_u128 << 112) | u128::from(n)))),
    ]
}

/// What an attacker may put in front: addresses (including our own proxies'),
/// garbage, separators, quotes and header-looking text.
fn forged_text() -> impl Strategy<Value = String> {
    prop_oneof![
        untrusted_ip().prop_map(|ip| ip.to_string()),
        trusted_ip().prop_map(|ip| ip.to_string()),
        "[ -~]{0,40}",
        Just("for=1.2.3.4".to_owned()),
        Just("\"".to_owned()),
        Just("unknown".to_owned()),
    ]
}

fn header(value: String) -> Option<HeaderValue> {
    HeaderValue::from_str(&value).ok()
}

proptest! {
    #[test]
    fn untrusted_peer_is_always_the_client(
        peer in untrusted_ip(),
        forged in proptest::collection::vec(forged_text(), 0..6),
    ) {
        let mut headers = HeaderMap::new();
        if let Some(v) = header(forged.join(", ")) {
            headers.insert("x-forwarded-for", v.clone());
            headers.insert("forwarded", v);
        }
        prop_assert_eq!(proxies().resolve(peer, &headers), peer);
        let fwd = proxies().header(ForwardingHeader::Forwarded);
        prop_assert_eq!(fwd.resolve(peer, &headers), peer);
    }

    #[test]
    fn x_forwarded_for_prefix_cannot_change_the_client(
        forged in proptest::collection::vec(forged_text(), 0..6),
        client in untrusted_ip(),
        chain in proptest::collection::vec(trusted_ip(), 0..3),
        peer in trusted_ip(),
        separate_lines in any::<bool>(),
    ) {
        let mut headers = HeaderMap::new();
        let appended: Vec<String> = std::iter::once(client.to_string())
            .chain(chain.iter().map(ToString::to_string))
            .collect();
        let forged_value = forged.join(", ");
        if separate_lines {
            if let Some(v) = header(forged_value) {
                headers.append("x-forwarded-for", v);
            }
            headers.append("x-forwarded-for", header(appended.join(", ")).unwrap());
        } else {
            let whole = if forged.is_empty() {
                appended.join(", ")
            } else {
                format!("{}, {}", forged_value, appended.join(", "))
            };
            match header(whole) {
                Some(v) => { headers.insert("x-forwarded-for", v); }
                None => return Ok(()),
            }
        }
        let resolved = proxies().resolve(peer, &headers);
        // A garbage prefix never reaches past the client's own hop.
        prop_assert_eq!(resolved, client);
    }

    #[test]
    fn forwarded_prefix_cannot_change_the_client(
        forged in proptest::collection::vec(forged_text(), 0..6),
        client in untrusted_ip(),
        peer in trusted_ip(),
    ) {
        let node = match client {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("\"[{v6}]:1234\""),
        };
        let mut headers = HeaderMap::new();
        if let Some(v) = header(forged.join(", ")) {
            headers.append("forwarded", v);
        }
        headers.append("forwarded", header(format!("for={node};proto=https")).unwrap());
        let resolved = proxies().header(ForwardingHeader::Forwarded).resolve(peer, &headers);
        prop_assert_eq!(resolved, client);
    }

    #[test]
    fn arbitrary_header_bytes_yield_peer_or_a_listed_hop(
        bytes in proptest::collection::vec(any::<u8>(), 0..80),
        peer in trusted_ip(),
    ) {
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_bytes(&bytes) {
            headers.insert("x-forwarded-for", v);
        }
        let resolved = proxies().resolve(peer, &headers);
        let text = String::from_utf8_lossy(&bytes);
        let listed = text.split(',').any(|hop| {
            hop.trim().parse::<IpAddr>().map(|ip| ip.to_canonical() == resolved).unwrap_or(false)
                || hop.trim().parse::<std::net::SocketAddr>().map(|s| s.ip().to_canonical() == resolved).unwrap_or(false)
                || hop.trim().trim_start_matches('[').split(']').next()
                    .and_then(|h| h.parse::<IpAddr>().ok())
                    .map(|ip| ip.to_canonical() == resolved).unwrap_or(false)
        });
        prop_assert!(resolved == peer || listed, "resolved {resolved} from {text:?}");
    }
}
