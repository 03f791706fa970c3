//! JWT verification over arbitrary bytes: never panics, and never accepts a
//! token the fuzzer made up (it holds none of the keys). The input is tried
//! as is and spliced after a real header, so the fuzzer also reaches the
//! signature and claims stages.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_auth::{Algorithm, JwtIssuer, JwtVerifier, KeySet, SigningKey, TokenRequest, TokenUse};
use std::sync::LazyLock;

struct Fixture {
    verifier: JwtVerifier,
    header: String,
}

static FIXTURE: LazyLock<Option<Fixture>> = LazyLock::new(|| {
    let keys = KeySet::new(SigningKey::hmac(Algorithm::HS256, &[42; 32], "fuzz-hs").ok()?);
    keys.publish(SigningKey::generate(Algorithm::ES256).ok()?).ok()?;
    let issuer = JwtIssuer::builder(keys.clone()).issuer("fuzz").build().ok()?;
    let token = issuer.issue_access(&TokenRequest::new("fuzz")).ok()?.token;
    let header = token.split('.').next()?.to_owned();
    let verifier = JwtVerifier::builder(keys).issuer("fuzz").build().ok()?;
    Some(Fixture { verifier, header })
});

fuzz_target!(|data: &[u8]| {
    let Some(fx) = FIXTURE.as_ref() else {
        return;
    };
    let text = String::from_utf8_lossy(data);
    for token_use in [TokenUse::Access, TokenUse::Refresh] {
        let raw = fx.verifier.verify_stateless(&text, token_use);
        assert!(raw.is_err(), "accepted a token without knowing the key");
        let spliced = format!("{}.{text}", fx.header);
        let spliced = fx.verifier.verify_stateless(&spliced, token_use);
        assert!(spliced.is_err(), "accepted a forged signature");
    }
});
