//! One Redis connection for every Redis-backed store, on a single node or on
//! Redis Cluster, chosen by configuration.
//!
//! Revocations, refresh families, sessions, MFA state, grants, role bindings
//! and rate-limit counters all take a [`RedisConnection`]. Where they live is
//! a setting ([`RedisTarget`]): one URL for a single node, several
//! comma-separated node URLs for a cluster. The stores keep every script's
//! keys in one hash slot, so the same code runs on both; [`slot`] tells a
//! test which slot a key maps to. Their Lua scripts run through [`Script`],
//! which still runs a script when the server's script cache was emptied.

mod connection;
mod script;
mod target;

pub use connection::{ConnectError, DEFAULT_TIMEOUT, RedisConfig, RedisConnection};
pub use script::{Script, ScriptInvocation};
pub use target::{RedisConfigError, RedisTarget};

/// The Redis Cluster hash slot of `key` (0..16384): the CRC16 of its hash tag
/// (the part between the first `{` and the next `}`, when not empty) or of
/// the whole key. Keys one script or transaction touches must share a slot.
///
/// ```
/// use rampart::core::redis::slot;
/// assert_eq!(slot("app:{user-7}:mfa"), slot("app:{user-7}:codes"));
/// assert_eq!(slot("123456789"), 12739); // the reference value in the cluster spec
/// ```
pub fn slot(key: &str) -> u16 {
    // `Slot` does not expose its number; its route does through Debug only,
    // so the CRC is taken here with the same rule (see the cluster spec).
    let bytes = key.as_bytes();
    let tagged = bytes
        .iter()
        .position(|&b| b == b'{')
        .and_then(|open| {
            let rest = &bytes[open + 1..];
            rest.iter()
                .position(|&b| b == b'}')
                .filter(|&close| close > 0)
                .map(|close| &rest[..close])
        })
        .unwrap_or(bytes);
    crc16_xmodem(tagged) % 16384
}

fn crc16_xmodem(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use redis::cluster_routing::Slot;

    #[test]
    fn slots_follow_the_hash_tag_rule_as_the_client_routes() {
        for key in [
            "123456789",
            "{user1000}.following",
            "{user1000}.followers",
            "foo{}{bar}",
            "foo{{bar}}zap",
            "foo{bar}{zap}",
            "{}",
            "",
            "rampart:{s:abc}:idx",
        ] {
            let ours = slot(key);
            let theirs = Slot::new(ours);
            assert_eq!(theirs, Some(Slot::for_key(key)), "{key}");
        }
        assert_eq!(slot("{user1000}.following"), slot("{user1000}.followers"));
        assert_eq!(slot("foo{bar}{zap}"), slot("bar"));
        assert_eq!(slot("foo{{bar}}zap"), slot("{bar"));
        assert_ne!(slot("foo{}{bar}"), slot("bar"));
    }
}
