//! The server-rendered pages: no script, escaped text, forms posting to self.
//! (The security-key pages, with their one script, are in
//! [`second_factor::pages`](crate::second_factor::pages).)

use rampart_auth::session::SessionInfo;
use std::fmt::Write;

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole HTML document with `body`.
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n{body}\n</body></html>\n",
        escape(title)
    )
}

/// The sign-in form, with an optional error line.
pub fn login(error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p id=\"error\" role=\"alert\">{}</p>\n", escape(e)))
        .unwrap_or_default();
    page(
        "Sign in",
        &format!(
            "<h1>Sign in</h1>\n{error}<form id=\"login\" method=\"post\" action=\"/login\">\n\
             <label>Username <input name=\"username\" autocomplete=\"username\" required></label>\n\
             <label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\n\
             <button type=\"submit\">Sign in</button>\n</form>"
        ),
    )
}

/// The signed-in home page.
pub fn home(subject: &str, tenant: Option<&str>) -> String {
    page(
        "Home",
        &format!(
            "<h1 id=\"user\">Signed in as {}</h1>\n<p>Tenant: {}</p>\n\
             <p><a href=\"/sessions\">Where you are signed in</a></p>\n\
             <p><a href=\"/security-keys\">Security keys</a></p>\n\
             <form id=\"logout\" method=\"post\" action=\"/logout\"><button type=\"submit\">Sign out</button></form>",
            escape(subject),
            escape(tenant.unwrap_or("-"))
        ),
    )
}

/// The user's sessions, the current one marked.
pub fn sessions(list: &[SessionInfo]) -> String {
    let mut rows = String::new();
    for s in list {
        let _ = writeln!(
            rows,
            "<tr data-handle=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&s.handle),
            escape(s.device.as_deref().unwrap_or("unknown device")),
            escape(s.ip_prefix.as_deref().unwrap_or("-")),
            s.created,
            s.last_seen,
            if s.current { "current" } else { "" },
        );
    }
    page(
        "Your sessions",
        &format!(
            "<h1>Where you are signed in</h1>\n<table id=\"sessions\">\n\
             <tr><th>Device</th><th>Network</th><th>Signed in</th><th>Last seen</th><th></th></tr>\n{rows}</table>\n\
             <form id=\"revoke-all\" method=\"post\" action=\"/sessions/revoke-all\"><button type=\"submit\">Sign out everywhere</button></form>"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert!(login(Some("<script>")).contains("&lt;script&gt;"));
    }
}
