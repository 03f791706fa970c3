//! The JSON limit scan over arbitrary bytes: never panics, and anything it
//! passes that serde_json parses nests no deeper than the limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_sanitize::validate::JsonLimits;

fn depth(value: &serde_json::Value) -> usize {
    match value {
        serde_json::Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        serde_json::Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fuzz_target!(|data: &[u8]| {
    let limits = JsonLimits::new().max_depth(8);
    if let Ok(value) = limits.parse::<serde_json::Value>(data) {
        assert!(depth(&value) <= 8);
    }
});
