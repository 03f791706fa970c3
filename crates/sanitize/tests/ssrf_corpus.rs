//! PayloadsAllTheThings' SSRF URLs against the URL policy.
//!
//! Each URL is classified independently of the validator, by what it
//! literally targets (the WHATWG host parser and the standard library's
//! address predicates, plus names that only exist inside a network). Every
//! internal one must be refused; the public ones the policy lets through are
//! listed, since only resolution can judge them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::IpAddr;

use rampart_sanitize::validate::UrlPolicy;
use serde_json::Value;

/// Names that resolve inside a network: hosts-file names, cloud metadata.
const INTERNAL_NAMES: &[&str] = &[
    "localhost",
    "ip6-localhost",
    "ip6-loopback",
    "instance-data",
    "metadata",
    "metadata.google.internal",
];

fn internal_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || v4.octets()[..3] == [192, 0, 0]
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return internal_ip(IpAddr::V4(v4));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

/// Whether the URL literally targets something internal: a local file, an
/// internal address or an internal name.
fn targets_internal(payload: &str) -> bool {
    let Ok(url) = url::Url::parse(payload) else {
        return false;
    };
    if url.scheme() == "file" {
        return true;
    }
    // `jar:http://127.0.0.1!/` nests the real URL in the path.
    if url.scheme() == "jar" {
        return targets_internal(url.path().trim_end_matches("!/"));
    }
    match url.host() {
        Some(url::Host::Ipv4(ip)) => internal_ip(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => internal_ip(IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) => match name.parse::<IpAddr>() {
            Ok(ip) => internal_ip(ip),
            Err(_) => INTERNAL_NAMES.contains(&name.to_ascii_lowercase().as_str()),
        },
        None => false,
    }
}

#[test]
fn every_internal_target_in_the_ssrf_corpus_is_refused() {
    let corpus = rampart_test_support::corpus("sanitize/patt_ssrf_urls.jsonl");
    let policy = UrlPolicy::new().allow_schemes(["http", "https"]);
    let mut internal = 0;
    let mut internal_refused = 0;
    let mut refusals: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut allowed = Vec::new();
    let mut missed = Vec::new();
    for line in corpus.lines().filter(|l| !l.trim().is_empty()) {
        let record: Value = serde_json::from_str(line).unwrap();
        let payload = record["payload"].as_str().unwrap();
        let outcome = policy.check(payload);
        if targets_internal(payload) {
            internal += 1;
            match &outcome {
                Ok(_) => missed.push(payload.to_owned()),
                Err(_) => internal_refused += 1,
            }
        }
        match outcome {
            Ok(checked) => allowed.push(checked.url().host_str().unwrap_or_default().to_owned()),
            Err(e) => *refusals.entry(e.code()).or_default() += 1,
        }
    }
    println!(
        "internal targets refused: {internal_refused}/{internal}; refusals by reason: {refusals:?}"
    );
    println!("allowed as written (public hosts, judged at resolution): {allowed:?}");
    assert!(
        internal > 100,
        "the corpus shrank: {internal} internal targets"
    );
    assert!(
        missed.is_empty(),
        "internal targets let through: {missed:#?}"
    );
    // What gets through is only public names, each of which the resolving
    // check and SafeClient judge by the addresses it resolves to.
    let expected_public = [
        "307.r3dir.me",
        "62epax5fhvj3zzmzigyoe5ipkbn7fysllvges3a.302.r3dir.me",
        "example.com",
        "169.254.169.254.nip.io",
    ];
    for host in &allowed {
        assert!(
            expected_public.contains(&host.as_str()),
            "unexpectedly allowed: {host}"
        );
    }
}
