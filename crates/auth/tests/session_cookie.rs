//! The session cookie parser never panics, whatever a client sends.
#![cfg(feature = "session")]

use http::{HeaderMap, HeaderValue, header::COOKIE};
use proptest::prelude::*;
use rampart_auth::session::{CookieValue, SessionToken, find_cookie, find_in};

proptest! {
    #[test]
    fn header_text_never_panics(text in ".{0,300}", name in "[a-zA-Z_-]{0,20}") {
        let found = find_in(&text, &name);
        if let Some(v) = found {
            let _ = SessionToken::parse(v);
        }
        let _ = SessionToken::parse(&text);
    }

    #[test]
    fn header_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_bytes(&bytes) {
            headers.append(COOKIE, v);
        }
        if let CookieValue::Present(v) = find_cookie(&headers, "__Host-session") {
            let _ = SessionToken::parse(v);
        }
    }

    #[test]
    fn tokens_round_trip_through_a_cookie_header(other in "[a-z]{1,8}=[a-z0-9]{0,8}") {
        let token = SessionToken::generate(Some("alice")).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let header = format!("{other}; __Host-session={}; x=y", token.expose());
        let found = find_in(&header, "__Host-session").and_then(SessionToken::parse);
        prop_assert_eq!(found, Some(token));
    }
}
