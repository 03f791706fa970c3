#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use std::net::SocketAddr;

fn request(method: Method, target: &str, host: Option<&str>) -> Request<()> {
    let mut builder = Request::builder().method(method).uri(target);
    if let Some(host) = host {
        builder = builder.header(HOST, host);
    }
    builder.body(()).unwrap()
}

fn get(target: &str, host: &str) -> Request<()> {
    request(Method::GET, target, Some(host))
}

fn from_peer(
    mut request: Request<()>,
    peer: &str,
    headers: &[(&'static str, &str)],
) -> Request<()> {
    let peer: SocketAddr = format!("{peer}:40000").parse().unwrap();
    request.extensions_mut().insert(peer);
    for (name, value) in headers {
        request
            .headers_mut()
            .append(*name, HeaderValue::from_str(value).unwrap());
    }
    request
}

fn proxied() -> HttpsOnly {
    HttpsOnly::new().trusted_proxies(TrustedProxies::new(["10.0.0.0/8"]).unwrap())
}

#[test]
fn plain_get_is_redirected_to_the_same_host_path_and_query() {
    let answer = HttpsOnly::new()
        .check(&get("/a/b?x=1&y=%2F", "example.com:8080"))
        .unwrap_err();
    assert_eq!(answer.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(answer.location(), Some("https://example.com/a/b?x=1&y=%2F"));
    let head = HttpsOnly::new()
        .check(&request(Method::HEAD, "/", Some("example.com")))
        .unwrap_err();
    assert_eq!(head.location(), Some("https://example.com/"));
}

#[test]
fn unsafe_methods_are_refused_not_redirected() {
    for method in [
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
    ] {
        let answer = HttpsOnly::new()
            .check(&request(method.clone(), "/transfer", Some("example.com")))
            .unwrap_err();
        assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{method}");
        assert_eq!(answer.location(), None, "{method}");
    }
}

#[test]
fn tls_marker_and_https_uri_are_secure() {
    let mut marked = get("/", "example.com");
    marked.extensions_mut().insert(TlsConnection);
    assert_eq!(HttpsOnly::new().check(&marked), Ok(()));
    let absolute = request(Method::POST, "https://example.com/x", None);
    assert_eq!(HttpsOnly::new().check(&absolute), Ok(()));
    let plain_absolute = request(Method::GET, "http://example.com/x?q", None);
    assert_eq!(
        HttpsOnly::new()
            .check(&plain_absolute)
            .unwrap_err()
            .location(),
        Some("https://example.com/x?q")
    );
}

#[test]
fn forwarded_proto_counts_only_from_a_trusted_proxy() {
    let via_lb = from_peer(
        request(Method::POST, "/x", Some("example.com")),
        "10.1.1.1",
        &[
            ("x-forwarded-for", "203.0.113.7"),
            ("x-forwarded-proto", "https"),
        ],
    );
    assert_eq!(proxied().check(&via_lb), Ok(()));
    // The same claim from the internet is the client's word alone.
    let spoofed = from_peer(
        request(Method::POST, "/x", Some("example.com")),
        "203.0.113.7",
        &[
            ("x-forwarded-for", "203.0.113.7"),
            ("x-forwarded-proto", "https"),
        ],
    );
    assert_eq!(
        proxied().check(&spoofed).unwrap_err().status(),
        StatusCode::FORBIDDEN
    );
    // No proxy trusted at all (the default): the header is never read.
    assert!(HttpsOnly::new().check(&via_lb).is_err());
    // The proxy saw plain HTTP.
    let plain_via_lb = from_peer(
        get("/x", "example.com"),
        "10.1.1.1",
        &[
            ("x-forwarded-for", "203.0.113.7"),
            ("x-forwarded-proto", "http"),
        ],
    );
    assert!(proxied().check(&plain_via_lb).is_err());
    // A proto the proxy did not write for the client's hop is not guessed.
    let uneven = from_peer(
        get("/x", "example.com"),
        "10.1.1.1",
        &[
            ("x-forwarded-for", "203.0.113.7"),
            ("x-forwarded-proto", "https, https"),
        ],
    );
    assert!(proxied().check(&uneven).is_err());
}

#[test]
fn canonical_host_replaces_the_requested_one() {
    let policy = HttpsOnly::new().canonical_host("www.example.com").unwrap();
    let answer = policy.check(&get("/p", "evil.example:80")).unwrap_err();
    assert_eq!(answer.location(), Some("https://www.example.com/p"));
    // Even with no Host at all.
    let answer = policy.check(&request(Method::GET, "/p", None)).unwrap_err();
    assert_eq!(answer.location(), Some("https://www.example.com/p"));
}

#[test]
fn a_host_that_cannot_be_named_is_refused_rather_than_redirected() {
    for host in ["user@evil.example", "", "exa mple.com", "a/b"] {
        let mut req = request(Method::GET, "/p", None);
        if let Ok(value) = HeaderValue::from_str(host) {
            req.headers_mut().insert(HOST, value);
        }
        let answer = HttpsOnly::new().check(&req).unwrap_err();
        assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{host:?}");
        assert_eq!(answer.location(), None, "{host:?}");
    }
    let no_host = HttpsOnly::new()
        .check(&request(Method::GET, "/p", None))
        .unwrap_err();
    assert_eq!(no_host.status(), StatusCode::FORBIDDEN);
}

#[test]
fn ipv6_hosts_keep_their_brackets_and_custom_ports_are_written() {
    let policy = HttpsOnly::new().https_port(8443);
    let answer = policy.check(&get("/", "[2001:db8::1]:8080")).unwrap_err();
    assert_eq!(answer.location(), Some("https://[2001:db8::1]:8443/"));
}

#[test]
fn exempt_paths_pass_exactly() {
    let policy = HttpsOnly::new().exempt_path("/health");
    assert_eq!(policy.check(&get("/health", "example.com")), Ok(()));
    assert!(policy.check(&get("/health/x", "example.com")).is_err());
    assert!(policy.check(&get("/healthz", "example.com")).is_err());
}

#[test]
fn configuration_is_checked() {
    for bad in [
        "example.com:443",
        "user@example.com",
        "",
        "https://example.com",
        "a b",
    ] {
        assert!(
            matches!(
                HttpsOnly::new().canonical_host(bad),
                Err(ConfigError::InvalidRedirectHost { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(HttpsOnly::new().canonical_host("[::1]").is_ok());
    for ok in [301, 302, 307, 308] {
        assert!(
            HttpsOnly::new()
                .redirect_status(StatusCode::from_u16(ok).unwrap())
                .is_ok()
        );
    }
    assert_eq!(
        HttpsOnly::new()
            .redirect_status(StatusCode::OK)
            .unwrap_err(),
        ConfigError::InvalidRedirectStatus(200)
    );
    let temporary = HttpsOnly::new()
        .redirect_status(StatusCode::TEMPORARY_REDIRECT)
        .unwrap();
    assert_eq!(
        temporary
            .check(&get("/", "a.example"))
            .unwrap_err()
            .status(),
        StatusCode::TEMPORARY_REDIRECT
    );
}

#[test]
fn the_problem_carries_the_location() {
    let answer = HttpsOnly::new()
        .check(&get("/x", "example.com"))
        .unwrap_err();
    let problem = answer.to_problem();
    assert_eq!(problem.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        problem.headers().get(LOCATION).unwrap(),
        "https://example.com/x"
    );
    let refusal = HttpsOnly::new()
        .check(&request(Method::POST, "/x", Some("example.com")))
        .unwrap_err()
        .to_problem();
    assert_eq!(refusal.status(), StatusCode::FORBIDDEN);
    assert!(refusal.headers().get(LOCATION).is_none());
}

#[test]
fn no_redirect_leaves_the_host_and_encoded_paths_are_not_exempt() {
    // A scheme-relative target would make `https://host//evil.example/x`
    // harmless, but a request-target of `//evil.example/x` is refused outright.
    let answer = HttpsOnly::new()
        .check(&get("//evil.example/x", "example.com"))
        .unwrap_err();
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    assert_eq!(answer.location(), None);
    // Encoded and case variants of an exempt path are not the exempt path.
    let policy = HttpsOnly::new().exempt_path("/health");
    for path in ["/%68ealth", "/HEALTH", "/health/../admin", "/health%2F"] {
        assert!(policy.check(&get(path, "example.com")).is_err(), "{path}");
    }
    // Percent-encoded bytes in the target are carried over unchanged.
    let answer = HttpsOnly::new()
        .check(&get("/a%0d%0aSet-Cookie:x?q=%3Cs%3E", "example.com"))
        .unwrap_err();
    assert_eq!(
        answer.location(),
        Some("https://example.com/a%0d%0aSet-Cookie:x?q=%3Cs%3E")
    );
}

#[test]
fn a_target_with_raw_utf8_is_redirected_percent_encoded() {
    // Found by the `https_scheme` fuzz target: `http::Uri` keeps raw UTF-8 in
    // a query, and the redirect's Location then could not be read as text
    // (`location()` was `None` on a 308).
    let uri = http::Uri::from_maybe_shared(bytes_of("/login?next=%\u{639}&q=caf\u{e9}")).unwrap();
    let request = Request::builder()
        .uri(uri)
        .header(HOST, "example.com")
        .body(())
        .unwrap();
    let answer = HttpsOnly::new().check(&request).unwrap_err();
    assert_eq!(answer.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        answer.location(),
        Some("https://example.com/login?next=%%D8%B9&q=caf%C3%A9")
    );
}

fn bytes_of(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}
