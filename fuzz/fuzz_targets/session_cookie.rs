//! The session cookie from arbitrary `Cookie` headers: finding it and parsing
//! it never panics, and whatever parses has exactly the shape rampart writes.
#![no_main]

use http::{HeaderMap, HeaderValue, header::COOKIE};
use libfuzzer_sys::fuzz_target;
use rampart_auth::session::{CookieValue, SessionToken, find_cookie};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = HeaderValue::from_bytes(data) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert(COOKIE, value);
    if let CookieValue::Present(v) = find_cookie(&headers, "__Host-session")
        && let Some(token) = SessionToken::parse(v)
    {
        assert_eq!(token.expose().len(), 60);
        let key = token.key();
        assert_eq!(key.tag.len(), 16);
        assert_eq!(key.hash.len(), 43);
    }
});
