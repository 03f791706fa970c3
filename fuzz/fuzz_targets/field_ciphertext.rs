//! Field ciphertext parsing and decryption over arbitrary bytes and text:
//! never panics, never authenticates a forgery, and every accepted parse
//! describes the input exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_crypto::{Context, FieldCipher, FieldKey, Keyring, ParsedCiphertext, MIN_LEN};

fuzz_target!(|data: &[u8]| {
    let Ok(key) = FieldKey::from_bytes(&[7; 32]) else {
        return;
    };
    let Ok(keyring) = Keyring::new(1, key) else {
        return;
    };
    let cipher = FieldCipher::new(keyring);
    let ctx = Context::new("user", "ssn", "42").tenant("acme");

    if let Ok(parsed) = ParsedCiphertext::parse(data) {
        assert!(data.len() >= MIN_LEN);
        assert_eq!(parsed.body.len() + MIN_LEN, data.len());
        assert_eq!(parsed.key_id.to_be_bytes(), data[2..6]);
    }
    // Random bytes are not a ciphertext under this key: forging a GCM tag
    // by chance has probability 2^-128.
    assert!(cipher.decrypt(&ctx, data).is_err());
    if let Ok(text) = std::str::from_utf8(data) {
        assert!(cipher.decrypt_str(&ctx, text).is_err());
    }
    // A genuine ciphertext of the input decrypts to it, and not elsewhere.
    if let Ok(sealed) = cipher.encrypt(&ctx, data) {
        assert_eq!(cipher.decrypt(&ctx, &sealed).ok().as_deref().map(|v| v.as_slice()), Some(data));
        assert!(cipher.decrypt(&ctx.tenant("globex"), &sealed).is_err());
    }
});
