//! The per-crate guides (`docs/guides/`), compiled as doctests so that every
//! example in them keeps building against the API it describes.

/// `docs/guides/core.md`.
#[doc = include_str!("../../../docs/guides/core.md")]
pub struct CoreGuide;

/// `docs/guides/headers.md`.
#[cfg(all(feature = "headers", feature = "axum"))]
#[doc = include_str!("../../../docs/guides/headers.md")]
pub struct HeadersGuide;

/// `docs/guides/auth.md`.
#[cfg(all(feature = "auth", feature = "axum"))]
#[doc = include_str!("../../../docs/guides/auth.md")]
pub struct AuthGuide;

/// `docs/guides/rbac.md`.
#[cfg(all(feature = "rbac", feature = "axum"))]
#[doc = include_str!("../../../docs/guides/rbac.md")]
pub struct RbacGuide;

/// `docs/guides/ratelimit.md`.
#[cfg(all(feature = "ratelimit", feature = "axum"))]
#[doc = include_str!("../../../docs/guides/ratelimit.md")]
pub struct RatelimitGuide;

/// `docs/guides/audit.md`.
#[cfg(all(feature = "audit", feature = "headers", feature = "axum"))]
#[doc = include_str!("../../../docs/guides/audit.md")]
pub struct AuditGuide;

/// `docs/guides/crypto.md`.
#[cfg(feature = "crypto")]
#[doc = include_str!("../../../docs/guides/crypto.md")]
pub struct CryptoGuide;

/// `docs/guides/sanitize.md`.
#[cfg(feature = "sanitize")]
#[doc = include_str!("../../../docs/guides/sanitize.md")]
pub struct SanitizeGuide;
