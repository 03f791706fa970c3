//! `rampart.toml` (the facade's `StackConfig`) over arbitrary text: reading
//! and building never panic; a document that reads builds or fails with an
//! error, never half a stack.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart::auth::Algorithm;
use rampart::stack::{SecurityStack, StackConfig};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = StackConfig::from_toml(text) else {
        return;
    };
    // Tables that open files at a path the input names (an audit trail, a
    // key file that could be /dev/zero) are read, not built; so are RSA
    // keys, whose generation takes seconds and exercises no parser.
    let rsa = [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
    ];
    if config.audit.is_some()
        || config.jwt.private_key_file.is_some()
        || rsa.contains(&config.jwt.algorithm)
    {
        return;
    }
    if let Ok(stack) = SecurityStack::builder(config)
        .insecure_skip_revalidation()
        .build()
    {
        let _ = stack.edge();
        let _ = stack.protect();
        assert!(stack.require("items:read").is_ok());
        assert!(stack.require("items:").is_err());
    }
});
