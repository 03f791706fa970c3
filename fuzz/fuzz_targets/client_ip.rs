//! Client address resolution over arbitrary forwarding headers: never panics,
//! and answers either the peer or an address written in the header.
#![no_main]

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use rampart_core::{ForwardingHeader, TrustedProxies};
use std::net::IpAddr;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = HeaderValue::from_bytes(data) else {
        return;
    };
    let peer: IpAddr = [10, 0, 0, 1].into();
    let mut headers = HeaderMap::new();
    headers.insert("x-forwarded-for", value.clone());
    headers.insert("forwarded", value);
    let Ok(proxies) = TrustedProxies::new(["10.0.0.0/8", "fd00::/8"]) else {
        return;
    };
    for header in [ForwardingHeader::XForwardedFor, ForwardingHeader::Forwarded] {
        let resolved = proxies.clone().header(header).resolve(peer, &headers);
        assert!(
            resolved == peer || written_in(data, resolved),
            "resolved {resolved} is neither the peer nor in the header"
        );
    }
});

/// Whether `ip` is written somewhere in the header, in any of the forms a hop may take
/// (between optional whitespace, spaces or tabs, as RFC 9110 allows around list items).
fn written_in(data: &[u8], ip: IpAddr) -> bool {
    let text = String::from_utf8_lossy(data);
    text.split([',', ';', '=', '"', ' ', '\t'])
        .flat_map(|token| [token, token.trim_start_matches('[').split(']').next().unwrap_or("")])
        .any(|token| {
            token.parse::<IpAddr>().map(|t| t.to_canonical() == ip).unwrap_or(false)
                || token
                    .parse::<std::net::SocketAddr>()
                    .map(|s| s.ip().to_canonical() == ip)
                    .unwrap_or(false)
        })
}
