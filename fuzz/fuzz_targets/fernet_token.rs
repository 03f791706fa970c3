//! Fernet tokens (legacy ciphertexts read during a migration) over
//! arbitrary text: never panics, and never authenticates a token the fuzzer
//! made up (it does not hold the key).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_crypto::{Fernet, FernetKey};
use std::sync::LazyLock;

static FERNET: LazyLock<Option<Fernet>> = LazyLock::new(|| {
    // A key no corpus entry was made with.
    let key = FernetKey::from_base64("ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM=").ok()?;
    Some(Fernet::new(vec![key]))
});

fuzz_target!(|data: &[u8]| {
    let (Some(fernet), Ok(token)) = (FERNET.as_ref(), std::str::from_utf8(data)) else {
        return;
    };
    assert!(
        fernet.decrypt(token).is_err(),
        "a forged Fernet token decrypted"
    );
});
