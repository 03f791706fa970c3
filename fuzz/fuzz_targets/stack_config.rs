//! `rampart.toml` (the facade's `StackConfig`) over arbitrary text: reading
//! and building never panic; a document that reads builds or fails with an
//! error, never half a stack.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart::stack::{SecurityStack, StackConfig};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = StackConfig::from_toml(text) else {
        return;
    };
    // An audit table opens files at a path the input names: read it, do not build it.
    if config.audit.is_some() {
        return;
    }
    if let Ok(stack) = SecurityStack::builder(config).insecure_skip_revalidation().build() {
        let _ = stack.edge();
        let _ = stack.protect();
        assert!(stack.require("items:read").is_ok());
        assert!(stack.require("items:").is_err());
    }
});
