//! Every detector over arbitrary bytes, at both levels: never panics, and a
//! finding's span lies inside the text the detector examined.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_sanitize::{
    CommandInjectionDetector, Detector, HeaderInjectionDetector, NoSqlInjectionDetector,
    Normalized, PathTraversalDetector, SqlInjectionDetector, Strictness, XssDetector,
};

fuzz_target!(|data: &[u8]| {
    let input = Normalized::from_bytes(data);
    let longest = input.views().map(|(text, _)| text.len()).max().unwrap_or(0);
    for strictness in [Strictness::Default, Strictness::Strict] {
        let detectors: [&dyn Detector; 6] = [
            &SqlInjectionDetector::new(strictness),
            &XssDetector::new(strictness),
            &PathTraversalDetector::new(strictness),
            &CommandInjectionDetector::new(strictness),
            &HeaderInjectionDetector::new(strictness),
            &NoSqlInjectionDetector::new(strictness),
        ];
        for d in detectors {
            if let Some(f) = d.scan_normalized(&input) {
                assert_eq!(f.category(), d.category());
                // XSS reports spans in its compacted text, never longer than the view.
                assert!(f.span().start <= f.span().end && f.span().end <= longest + 1);
            }
        }
    }
});
