//! The canonical encoding a record's hash is computed over.
//!
//! A record's hash is SHA-256 over its JSON with the `hash` member removed,
//! written canonically: object members sorted by key (byte order of the UTF-8
//! key), no whitespace, strings escaped as `serde_json` escapes them
//! (`"`, `\`, and control characters; everything else literal UTF-8), numbers
//! as `serde_json` prints them. The verifier parses each line and re-encodes
//! it the same way, so a change to any byte of meaning, an added member or a
//! removed one changes the hash, while the order members are written in on
//! disk does not matter.

use serde_json::Value;

/// Appends the canonical encoding of `value` to `out`.
pub(crate) fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write_canonical(item, out);
            }
            out.push(b'}');
        }
    }
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    // Writing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// SHA-256 of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Ten random bytes from a per-thread pool, refilled from the system's
/// cryptographic generator 256 draws at a time; `None` if it fails.
pub(crate) fn random10() -> Option<[u8; 10]> {
    use std::cell::RefCell;
    const DRAWS: usize = 256;
    thread_local! {
        static POOL: RefCell<(Vec<u8>, usize)> = const { RefCell::new((Vec::new(), 0)) };
    }
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let (bytes, used) = &mut *pool;
        if *used + 10 > bytes.len() {
            bytes.resize(DRAWS * 10, 0);
            aws_lc_rs::rand::fill(bytes).ok()?;
            *used = 0;
        }
        let mut out = [0u8; 10];
        out.copy_from_slice(&bytes[*used..*used + 10]);
        // Drawn bytes are not kept around once used.
        bytes[*used..*used + 10].fill(0);
        *used += 10;
        Some(out)
    })
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// Parses 64 lower-case hex digits.
pub(crate) fn unhex32(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canon(v: &Value) -> String {
        let mut out = Vec::new();
        write_canonical(v, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn sorts_members_and_drops_whitespace() {
        let v: Value =
            serde_json::from_str(r#"{ "b": [1, {"z":null,"a":true}], "a": "x\"y\u00e9\n" }"#)
                .unwrap();
        assert_eq!(
            canon(&v),
            "{\"a\":\"x\\\"yé\\n\",\"b\":[1,{\"a\":true,\"z\":null}]}"
        );
    }

    #[test]
    fn order_on_disk_does_not_matter_but_content_does() {
        let a = json!({"x": 1, "y": "2"});
        let b: Value = serde_json::from_str(r#"{"y":"2","x":1}"#).unwrap();
        assert_eq!(canon(&a), canon(&b));
        assert_ne!(canon(&a), canon(&json!({"x": 1, "y": 2})));
    }

    #[test]
    fn hex_round_trips_and_rejects_upper_case() {
        let h = sha256(b"abc");
        assert_eq!(
            hex(&h),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(unhex32(&hex(&h)), Some(h));
        assert_eq!(unhex32(&hex(&h).to_uppercase()), None);
        assert_eq!(unhex32("00"), None);
    }
}
