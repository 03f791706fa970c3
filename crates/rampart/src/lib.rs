#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use rampart_core as core;

#[cfg(feature = "headers")]
#[cfg_attr(docsrs, doc(cfg(feature = "headers")))]
pub use rampart_headers as headers;

#[cfg(feature = "auth")]
#[cfg_attr(docsrs, doc(cfg(feature = "auth")))]
pub use rampart_auth as auth;

#[cfg(feature = "rbac")]
#[cfg_attr(docsrs, doc(cfg(feature = "rbac")))]
pub use rampart_rbac as rbac;

#[cfg(feature = "ratelimit")]
#[cfg_attr(docsrs, doc(cfg(feature = "ratelimit")))]
pub use rampart_ratelimit as ratelimit;

#[cfg(feature = "audit")]
#[cfg_attr(docsrs, doc(cfg(feature = "audit")))]
pub use rampart_audit as audit;

#[cfg(feature = "crypto")]
#[cfg_attr(docsrs, doc(cfg(feature = "crypto")))]
pub use rampart_crypto as crypto;

#[cfg(feature = "sanitize")]
#[cfg_attr(docsrs, doc(cfg(feature = "sanitize")))]
pub use rampart_sanitize as sanitize;

#[cfg(feature = "stack")]
#[cfg_attr(docsrs, doc(cfg(feature = "stack")))]
pub mod stack;

/// The per-crate guides' examples (`docs/guides/`), compiled as doctests.
#[cfg(doctest)]
pub mod guides;

/// The migration guide's examples (`docs/migration.md`), compiled as doctests.
#[cfg(all(
    doctest,
    feature = "auth",
    feature = "rbac",
    feature = "ratelimit",
    feature = "axum"
))]
#[doc = include_str!("../../../docs/migration.md")]
pub struct MigrationGuide;
