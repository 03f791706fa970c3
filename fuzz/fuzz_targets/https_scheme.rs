//! The scheme `HttpsOnly` believes, from arbitrary `Forwarded`,
//! `X-Forwarded-For` and `X-Forwarded-Proto` headers: never panics; a peer
//! that is not a trusted proxy never makes a request secure; a secure answer
//! is written in the headers; a redirect always points to HTTPS on the
//! configured host, and an unsafe method is never redirected.
#![no_main]

use http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use libfuzzer_sys::fuzz_target;
use rampart_core::{ForwardedProto, ForwardingHeader, TrustedProxies};
use rampart_headers::HttpsOnly;
use std::net::SocketAddr;

const NAMES: [&str; 4] = ["forwarded", "x-forwarded-for", "x-forwarded-proto", "host"];

fuzz_target!(|data: &[u8]| {
    // The input is split on 0xff: four header values, then the request target.
    let mut parts = data.split(|&b| b == 0xff);
    let mut builder = Request::builder();
    for name in NAMES {
        if let Some(value) = parts.next()
            && let Ok(value) = HeaderValue::from_bytes(value)
        {
            builder = builder.header(HeaderName::from_static(name), value);
        }
    }
    let target = parts
        .next()
        .and_then(|t| std::str::from_utf8(t).ok())
        .unwrap_or("/");
    let Ok(proxies) = TrustedProxies::new(["10.0.0.0/8"]) else {
        return;
    };
    let said_https = data.windows(5).any(|w| w.eq_ignore_ascii_case(b"https"));
    for header in [ForwardingHeader::XForwardedFor, ForwardingHeader::Forwarded] {
        let proxies = proxies.clone().header(header);
        for (peer, trusted) in [("10.1.2.3:443", true), ("198.51.100.4:5000", false)] {
            let Ok(peer) = peer.parse::<SocketAddr>() else {
                return;
            };
            for method in [Method::GET, Method::POST] {
                let Ok(mut request) = builder_clone(&builder, method.clone(), target) else {
                    continue;
                };
                request.extensions_mut().insert(peer);
                let proto = proxies.forwarded_proto(peer.ip(), request.headers());
                if !trusted {
                    assert_eq!(proto, None, "an untrusted peer's header was believed");
                }
                if proto == Some(ForwardedProto::Https) {
                    assert!(said_https, "https believed but never written");
                }
                let Ok(canonical) = HttpsOnly::new()
                    .trusted_proxies(proxies.clone())
                    .canonical_host("www.example.com")
                else {
                    return;
                };
                let secure_uri = request.uri().scheme_str() == Some("https");
                assert_eq!(
                    canonical.is_secure(&request),
                    secure_uri || proto == Some(ForwardedProto::Https)
                );
                let own_host = HttpsOnly::new().trusted_proxies(proxies.clone());
                for (policy, fixed) in [(canonical, true), (own_host, false)] {
                    let Err(refusal) = policy.check(&request) else {
                        continue;
                    };
                    match refusal.location() {
                        Some(location) => {
                            assert!(method == Method::GET, "{method} was redirected");
                            assert_eq!(refusal.status(), StatusCode::PERMANENT_REDIRECT);
                            let rest = location
                                .strip_prefix("https://")
                                .expect("redirects to https");
                            let (authority, path) =
                                rest.split_at(rest.find('/').unwrap_or(rest.len()));
                            assert!(!authority.contains('@'), "user info in {location}");
                            if fixed {
                                assert_eq!(authority, "www.example.com");
                            }
                            assert!(
                                path.starts_with('/') && !path.starts_with("//"),
                                "{location}"
                            );
                        }
                        None => assert_eq!(refusal.status(), StatusCode::FORBIDDEN),
                    }
                }
            }
        }
    }
});

/// `http::request::Builder` is not `Clone`: rebuild one with the same headers.
fn builder_clone(
    builder: &http::request::Builder,
    method: Method,
    target: &str,
) -> Result<Request<()>, http::Error> {
    let mut fresh = Request::builder().method(method).uri(target);
    if let Some(headers) = builder.headers_ref() {
        for (name, value) in headers {
            fresh = fresh.header(name, value);
        }
    }
    fresh.body(())
}
