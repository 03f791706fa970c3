//! The session cookie: hardened attributes by default, and a parser that
//! never trusts what it reads.

use http::HeaderValue;
use http::header::COOKIE;
use serde::{Deserialize, Serialize};

/// The `SameSite` attribute of the session cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum SameSite {
    /// Never sent on cross-site requests (the default): the strongest CSRF floor.
    #[default]
    Strict,
    /// Sent on top-level cross-site navigations (links from e-mail work).
    Lax,
}

/// How the session cookie is written.
///
/// The default is the hardest cookie a browser accepts: named with the
/// `__Host-` prefix (so it is `Secure`, has `Path=/` and no `Domain`, and no
/// subdomain or plain-http page can overwrite it), `HttpOnly` (no script
/// reads it) and `SameSite=Strict`. For local development over `http://`,
/// [`insecure_http`](Self::insecure_http) drops `Secure` and the prefix.
///
/// ```
/// use rampart::auth::session::CookieSettings;
///
/// let cookie = CookieSettings::default();
/// assert_eq!(cookie.name(), "__Host-session");
/// let set = cookie.set_cookie("value", 1800);
/// assert_eq!(set.to_str().unwrap(),
///     "__Host-session=value; Path=/; Max-Age=1800; Secure; HttpOnly; SameSite=Strict");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieSettings {
    base_name: String,
    same_site: SameSite,
    insecure_http: bool,
}

impl Default for CookieSettings {
    fn default() -> Self {
        Self {
            base_name: "session".into(),
            same_site: SameSite::Strict,
            insecure_http: false,
        }
    }
}

impl CookieSettings {
    /// The cookie's name without prefix. Default: `session`. Only
    /// `[A-Za-z0-9_-]` is kept, so a name cannot break the header.
    #[must_use]
    pub fn base_name(mut self, name: &str) -> Self {
        let clean: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        if !clean.is_empty() {
            self.base_name = clean;
        }
        self
    }

    /// `SameSite`. Default: [`SameSite::Strict`].
    #[must_use]
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// Drops `Secure` and the `__Host-` prefix so the cookie works over plain
    /// `http://` (local development only: anyone on the network can read it).
    /// Default: off.
    #[must_use]
    pub fn insecure_http(mut self, yes: bool) -> Self {
        self.insecure_http = yes;
        self
    }

    /// The full cookie name, prefix included.
    pub fn name(&self) -> String {
        if self.insecure_http {
            self.base_name.clone()
        } else {
            format!("__Host-{}", self.base_name)
        }
    }

    /// `Set-Cookie` carrying `value` for `max_age_secs`.
    pub fn set_cookie(&self, value: &str, max_age_secs: u64) -> HeaderValue {
        let mut out = format!("{}={value}; Path=/; Max-Age={max_age_secs}", self.name());
        if !self.insecure_http {
            out.push_str("; Secure");
        }
        out.push_str("; HttpOnly; SameSite=");
        out.push_str(match self.same_site {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
        });
        // Values are base64url (ours) and names are filtered: always valid.
        HeaderValue::from_str(&out).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// `Set-Cookie` that deletes the cookie.
    pub fn clear_cookie(&self) -> HeaderValue {
        self.set_cookie("", 0)
    }
}

/// What the request's `Cookie` headers say about the session cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CookieValue<'a> {
    /// No cookie of that name.
    Absent,
    /// The cookie's value (the first one, if the browser sent several).
    Present(&'a str),
}

/// Finds the cookie `name` in `Cookie` headers. Headers that are not text are
/// skipped; nothing here can panic, whatever the client sends.
pub fn find_cookie<'h>(headers: &'h http::HeaderMap, name: &str) -> CookieValue<'h> {
    for value in headers.get_all(COOKIE) {
        let Ok(value) = value.to_str() else { continue };
        if let Some(v) = find_in(value, name) {
            return CookieValue::Present(v);
        }
    }
    CookieValue::Absent
}

/// Finds `name` in one `Cookie` header's text.
pub fn find_in<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k.trim() == name).then(|| v.trim().trim_matches('"'))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn insecure_drops_secure_and_prefix() {
        let c = CookieSettings::default()
            .insecure_http(true)
            .base_name("sid;x")
            .same_site(SameSite::Lax);
        assert_eq!(
            c.set_cookie("v", 5).to_str().unwrap(),
            "sidx=v; Path=/; Max-Age=5; HttpOnly; SameSite=Lax"
        );
        assert!(c.clear_cookie().to_str().unwrap().contains("Max-Age=0"));
    }

    #[test]
    fn finds_the_cookie_among_others() {
        let mut h = http::HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_static("a=1; __Host-session=abc"));
        h.append(COOKIE, HeaderValue::from_bytes(b"\xff=1").unwrap());
        assert_eq!(
            find_cookie(&h, "__Host-session"),
            CookieValue::Present("abc")
        );
        assert_eq!(find_cookie(&h, "session"), CookieValue::Absent);
        assert_eq!(find_in("x; =; ;;a==b", "a"), Some("=b"));
    }
}
