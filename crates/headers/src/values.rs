//! Typed values of the single-token security headers.

use serde::{Deserialize, Serialize};

macro_rules! token_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// The header value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }
    };
}

token_enum! {
    /// `X-Frame-Options`: whether the page may be framed (legacy; CSP
    /// `frame-ancestors` is the modern form and is set to match).
    FrameOptions {
        /// Never framed (`frame-ancestors 'none'`).
        Deny => "DENY",
        /// Framed only by the same origin (`frame-ancestors 'self'`).
        SameOrigin => "SAMEORIGIN",
    }
}

impl FrameOptions {
    /// The equivalent CSP `frame-ancestors` source.
    pub fn frame_ancestors(self) -> &'static str {
        match self {
            Self::Deny => "'none'",
            Self::SameOrigin => "'self'",
        }
    }
}

token_enum! {
    /// `Referrer-Policy`: how much of the URL leaks to other sites.
    ReferrerPolicy {
        /// Never send a referrer.
        NoReferrer => "no-referrer",
        /// Not on HTTPS to HTTP downgrades.
        NoReferrerWhenDowngrade => "no-referrer-when-downgrade",
        /// Only the origin.
        Origin => "origin",
        /// Full URL same-origin, origin cross-origin.
        OriginWhenCrossOrigin => "origin-when-cross-origin",
        /// Full URL same-origin, nothing cross-origin.
        SameOrigin => "same-origin",
        /// The origin, and not on downgrades.
        StrictOrigin => "strict-origin",
        /// Full URL same-origin, origin cross-origin, nothing on downgrades.
        StrictOriginWhenCrossOrigin => "strict-origin-when-cross-origin",
        /// Always the full URL (leaks paths and queries).
        UnsafeUrl => "unsafe-url",
    }
}

token_enum! {
    /// `Cross-Origin-Opener-Policy`: isolates the browsing context from cross-origin openers.
    CrossOriginOpenerPolicy {
        /// Full isolation.
        SameOrigin => "same-origin",
        /// Isolation, but popups opened by the page keep a reference.
        SameOriginAllowPopups => "same-origin-allow-popups",
        /// Isolation that still lets the page open popups while embedding
        /// credentialless content.
        NoopenerAllowPopups => "noopener-allow-popups",
        /// No isolation.
        UnsafeNone => "unsafe-none",
    }
}

token_enum! {
    /// `Cross-Origin-Embedder-Policy`: what cross-origin resources the page may load.
    CrossOriginEmbedderPolicy {
        /// Only resources that opt in with CORP or CORS.
        RequireCorp => "require-corp",
        /// Cross-origin no-cors resources are loaded without credentials.
        Credentialless => "credentialless",
        /// No restriction.
        UnsafeNone => "unsafe-none",
    }
}

token_enum! {
    /// `Cross-Origin-Resource-Policy`: who may embed this response.
    CrossOriginResourcePolicy {
        /// Only the same origin.
        SameOrigin => "same-origin",
        /// The same site.
        SameSite => "same-site",
        /// Anyone (for public CDNs).
        CrossOrigin => "cross-origin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_serde_names_agree() {
        assert_eq!(ReferrerPolicy::NoReferrer.as_str(), "no-referrer");
        let parsed: ReferrerPolicy =
            serde_json::from_str("\"strict-origin-when-cross-origin\"").unwrap();
        assert_eq!(parsed, ReferrerPolicy::StrictOriginWhenCrossOrigin);
        let frame: FrameOptions = serde_json::from_str("\"DENY\"").unwrap();
        assert_eq!(frame.frame_ancestors(), "'none'");
        assert!(serde_json::from_str::<CrossOriginOpenerPolicy>("\"maybe\"").is_err());
    }
}
