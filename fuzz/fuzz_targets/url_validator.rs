//! The outbound URL policy over arbitrary input: never panics, and never
//! accepts a URL whose host is, in any spelling, an internal address.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_sanitize::validate::{UrlPolicy, blocked_range, parse_ip_literal};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    // The literal parser alone, on the raw text and on every piece that
    // could be a host.
    for piece in std::iter::once(input).chain(input.split(['/', '@', '?', '#'])) {
        if let Some(ip) = parse_ip_literal(piece) {
            let _ = blocked_range(ip);
        }
    }
    let policy = UrlPolicy::new().allow_schemes(["http", "https", "ftp", "ws", "wss", "gopher"]);
    if let Ok(checked) = policy.check(input) {
        if let Some(ip) = checked.ip() {
            assert!(blocked_range(ip).is_none(), "accepted {ip} in {input:?}");
        }
        if let Some(host) = checked.domain() {
            assert!(parse_ip_literal(host).is_none(), "accepted literal {host} in {input:?}");
        }
        // A checked URL re-checks the same once serialised.
        assert!(policy.check(checked.url().as_str()).is_ok(), "{input:?} re-check failed");
    }
});
