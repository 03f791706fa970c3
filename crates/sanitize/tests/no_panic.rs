//! Arbitrary input never panics a detector, at either level, and the
//! guard's plain check agrees with the detectors. (The cargo-fuzz target
//! `detectors` explores further.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use rampart_sanitize::{Detectors, InputGuard, Location, Strictness};

/// Strings dense in the characters the lexers and decoders branch on.
fn hostile() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("'"),
            Just("\""),
            Just("`"),
            Just("%"),
            Just("%2"),
            Just("%25"),
            Just("%c0"),
            Just("%af"),
            Just("%u"),
            Just("&#"),
            Just("&#x"),
            Just(";"),
            Just("&"),
            Just("<"),
            Just(">"),
            Just("/"),
            Just("\\"),
            Just("."),
            Just(".."),
            Just("-"),
            Just("--"),
            Just("#"),
            Just("/*"),
            Just("*/"),
            Just("/*!"),
            Just("("),
            Just(")"),
            Just("@"),
            Just("$"),
            Just("${"),
            Just("$("),
            Just("|"),
            Just("\n"),
            Just("\r"),
            Just("\0"),
            Just(" "),
            Just("or"),
            Just("union"),
            Just("select"),
            Just("script"),
            Just("on"),
            Just("="),
            Just("1"),
            Just("0x"),
            Just("e"),
            Just("é"),
            Just("\u{ff0e}"),
            Just("\u{fffd}"),
            Just("\u{560a}"),
            Just("java"),
            Just("script:"),
            Just("as"),
            Just("case"),
            Just("when"),
            Just("call"),
            Just("in"),
            Just("boolean"),
            Just("mode"),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn hostile_strings_never_panic(s in hostile()) {
        for level in [Strictness::Default, Strictness::Strict] {
            let _ = Detectors::new(level).scan(&s);
        }
        let guard = InputGuard::default();
        let _ = guard.check(Location::Query, "q", &s);
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..256)) {
        for level in [Strictness::Default, Strictness::Strict] {
            let _ = Detectors::new(level).scan_bytes(&b);
        }
    }
}

#[test]
fn long_inputs_are_cheap_and_do_not_overflow() {
    let deep = "(".repeat(100_000) + &")".repeat(100_000);
    let quotes = "'".repeat(100_000);
    let lts = "<a \"".repeat(20_000);
    let percents = "%25".repeat(50_000);
    let breaks = "\n".repeat(100_000);
    let subst = "${".repeat(50_000);
    for s in [deep, quotes, lts, percents, breaks, subst] {
        let _ = Detectors::new(Strictness::Strict).scan(&s);
    }
}
