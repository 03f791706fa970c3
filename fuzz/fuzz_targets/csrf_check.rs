//! The CSRF decision over arbitrary request headers: never panics, and a
//! request the browser labelled cross-site never passes unless its origin is
//! on the allow-list.
#![no_main]

use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use libfuzzer_sys::fuzz_target;
use rampart_headers::CsrfPolicy;

const NAMES: [&str; 4] = ["sec-fetch-site", "origin", "referer", "host"];

fuzz_target!(|data: &[u8]| {
    let Ok(policy) = CsrfPolicy::builder()
        .trust_origin("https://app.example.com")
        .build()
    else {
        return;
    };
    // The input is split on 0xff into up to four header values.
    let mut headers = HeaderMap::new();
    for (name, value) in NAMES.iter().zip(data.split(|&b| b == 0xff)) {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    let uri = Uri::from_static("/transfer");
    let decision = policy.check(&Method::POST, &uri, &headers);
    let cross_site = headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site");
    let trusted = headers
        .get("origin")
        .is_some_and(|v| v.as_bytes() == b"https://app.example.com");
    if cross_site && !trusted {
        assert!(decision.is_err(), "a cross-site POST from {headers:?} passed");
    }
    assert!(policy.check(&Method::GET, &uri, &headers).is_ok());
});
