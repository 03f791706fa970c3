//! Properties of the CSRF decision over generated headers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use http::{HeaderMap, HeaderValue, Method, Uri};
use proptest::prelude::*;
use rampart_headers::CsrfPolicy;

const TRUSTED: &str = "https://app.example.com";

fn policy() -> CsrfPolicy {
    CsrfPolicy::builder().trust_origin(TRUSTED).build().unwrap()
}

fn unsafe_method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::POST),
        Just(Method::PUT),
        Just(Method::PATCH),
        Just(Method::DELETE),
    ]
}

fn header_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,40}",
        Just("https://api.example.com".to_owned()),
        Just("https://evil.example".to_owned()),
        Just("null".to_owned()),
        Just(TRUSTED.to_owned()),
    ]
}

fn headers(pairs: &[(&'static str, Option<String>)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        if let Some(v) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            map.insert(*name, v);
        }
    }
    map
}

proptest! {
    #[test]
    fn cross_site_unsafe_requests_pass_only_from_trusted_origins(
        method in unsafe_method(),
        origin in proptest::option::of(header_text()),
        referer in proptest::option::of(header_text()),
        host in proptest::option::of(header_text()),
    ) {
        let map = headers(&[
            ("sec-fetch-site", Some("cross-site".to_owned())),
            ("origin", origin.clone()),
            ("referer", referer),
            ("host", host),
        ]);
        let passed = policy().check(&method, &Uri::from_static("/x"), &map).is_ok();
        prop_assert_eq!(passed, origin.as_deref() == Some(TRUSTED));
    }

    #[test]
    fn without_fetch_metadata_a_foreign_origin_never_passes(
        method in unsafe_method(),
        host in "[a-z]{1,10}\\.example\\.com",
        other in "[a-z]{1,10}\\.example\\.org",
    ) {
        let map = headers(&[
            ("host", Some(host)),
            ("origin", Some(format!("https://{other}"))),
        ]);
        prop_assert!(policy().check(&method, &Uri::from_static("/x"), &map).is_err());
    }

    #[test]
    fn safe_methods_always_pass(
        site in proptest::option::of(header_text()),
        origin in proptest::option::of(header_text()),
    ) {
        let map = headers(&[("sec-fetch-site", site), ("origin", origin)]);
        for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
            prop_assert!(policy().check(&method, &Uri::from_static("/x"), &map).is_ok());
        }
    }
}
