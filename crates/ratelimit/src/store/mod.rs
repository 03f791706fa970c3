//! Where counters live: process memory (default) or Redis (feature `redis`).

pub(crate) mod memory;
#[cfg(feature = "redis")]
pub(crate) mod redis;
mod stored_key;
