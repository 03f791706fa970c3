//! The default preset is at least as strong as helmet's defaults, header by header.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use http::HeaderMap;
use rampart_headers::SecurityHeaders;

fn helmet_defaults() -> serde_json::Value {
    serde_json::from_str(&rampart_test_support::corpus(
        "headers/helmet_defaults.json",
    ))
    .unwrap()
}

fn directives(csp: &str) -> Vec<(String, Vec<String>)> {
    csp.split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            let mut parts = d.split_whitespace().map(str::to_owned);
            let name = parts.next().unwrap();
            (name, parts.collect())
        })
        .collect()
}

fn max_age(hsts: &str) -> u64 {
    hsts.split(';')
        .find_map(|p| p.trim().strip_prefix("max-age="))
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn every_helmet_header_is_set_at_least_as_strictly() {
    let helmet = helmet_defaults();
    let mut ours = HeaderMap::new();
    SecurityHeaders::builder()
        .build()
        .unwrap()
        .apply(&mut ours, None);

    for (name, helmet_value) in helmet["headers_set"].as_object().unwrap() {
        let helmet_value = helmet_value.as_str().unwrap();
        let value = ours
            .get(name.as_str())
            .unwrap_or_else(|| panic!("{name} is not set"))
            .to_str()
            .unwrap();
        match name.as_str() {
            "strict-transport-security" => {
                assert!(max_age(value) >= max_age(helmet_value));
                assert!(value.contains("includeSubDomains"));
            }
            "x-frame-options" => assert!(
                value == helmet_value || value == "DENY",
                "x-frame-options {value}"
            ),
            "content-security-policy" => {
                let ours = directives(value);
                for (directive, helmet_sources) in directives(helmet_value) {
                    let (_, sources) = ours
                        .iter()
                        .find(|(d, _)| *d == directive)
                        .unwrap_or_else(|| panic!("CSP lacks {directive}"));
                    // Every source we allow, helmet allows too (or ours is 'none').
                    for source in sources {
                        assert!(
                            source == "'none'" || helmet_sources.contains(source),
                            "{directive} allows {source}, helmet does not"
                        );
                    }
                }
            }
            _ => assert_eq!(value, helmet_value, "{name}"),
        }
    }
    for removed in helmet["headers_removed_or_not_set"].as_array().unwrap() {
        let removed = removed.as_str().unwrap();
        if removed == "x-powered-by" {
            let mut with_brand = HeaderMap::new();
            with_brand.insert("x-powered-by", "Express".parse().unwrap());
            SecurityHeaders::builder()
                .build()
                .unwrap()
                .apply(&mut with_brand, None);
            assert!(with_brand.get("x-powered-by").is_none());
        }
    }
}
