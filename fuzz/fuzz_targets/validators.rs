//! The input validators over arbitrary input: e-mail addresses, upload names
//! and contents, XML bodies. Never panics; an accepted address splits into
//! the parts it was made of; an accepted upload is stored under a fresh
//! name with an allowed extension; XML with a document type is refused.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_sanitize::validate::{EmailPolicy, UploadPolicy, check_xml};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for policy in [
            EmailPolicy::new(),
            EmailPolicy::new().allow_unicode_local_part(),
        ] {
            if let Ok(email) = policy.check(text) {
                assert_eq!(
                    format!("{}@{}", email.local_part(), email.domain()),
                    email.as_str()
                );
                assert!(!email.domain().is_empty() && !email.local_part().is_empty());
                assert!(!email.as_str().chars().any(|c| c.is_control()), "{text:?}");
            }
        }
    }
    // Upload: the name is the bytes up to the first 0x00, the content the rest.
    let (name, content) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let name = String::from_utf8_lossy(name);
    for policy in [UploadPolicy::images(), UploadPolicy::documents()] {
        if let Ok(upload) = policy.check(&name, content) {
            let stored = upload.storage_name();
            assert!(
                !stored.contains(['/', '\\']) && !stored.contains(".."),
                "{stored:?}"
            );
            assert!(stored.ends_with(&format!(".{}", upload.extension())));
            assert!(
                name.to_ascii_lowercase()
                    .ends_with(&format!(".{}", upload.extension()))
            );
        }
    }
    // As a UTF-8 parser reads the body: XML forbids NUL, so bytes with NUL
    // are UTF-16 (or not XML) and the scan reads them as such.
    if check_xml(data).is_ok()
        && !data.contains(&0)
        && let Ok(text) = std::str::from_utf8(data)
    {
        let lower = text.to_ascii_lowercase();
        assert!(
            !lower.contains("<!doctype") && !lower.contains("<!entity"),
            "XXE passed"
        );
    }
});
