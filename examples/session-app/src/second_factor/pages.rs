//! The pages of the second factor: the user's security keys, and the step
//! between password and session. Their only script is `/static/webauthn.js`,
//! loaded with the response's CSP nonce.

use crate::pages::{escape, page};
use rampart_auth::webauthn::CredentialInfo;
use rampart_headers::CspNonce;
use std::fmt::Write;

fn script(nonce: &CspNonce) -> String {
    format!("<script nonce=\"{nonce}\" src=\"/static/webauthn.js\"></script>")
}

const STATUS: &str = "<p id=\"status\" hidden></p>\n<p id=\"error\" role=\"alert\" hidden></p>\n";

/// The signed-in user's security keys, a form to add one, and a remove
/// button per key.
pub fn security_keys(keys: &[CredentialInfo], nonce: &CspNonce) -> String {
    let mut rows = String::new();
    for k in keys {
        let _ = writeln!(
            rows,
            "<tr data-id=\"{id}\"><td>{name}</td><td>{created}</td><td>{used}</td><td>\
             <form method=\"post\" action=\"/security-keys/remove\">\
             <input type=\"hidden\" name=\"id\" value=\"{id}\">\
             <button type=\"submit\">Remove</button></form></td></tr>",
            id = escape(&k.id),
            name = escape(&k.name),
            created = k.created,
            used = k
                .last_used
                .map_or_else(|| "never".to_owned(), |t| t.to_string()),
        );
    }
    page(
        "Security keys",
        &format!(
            "<h1>Security keys</h1>\n<p>With a key registered, signing in asks for it after your password.</p>\n\
             <table id=\"keys\">\n<tr><th>Name</th><th>Added</th><th>Last used</th><th></th></tr>\n{rows}</table>\n\
             {STATUS}<form id=\"register-key\">\n\
             <label>Name <input name=\"name\" required maxlength=\"64\" value=\"Security key\"></label>\n\
             <button type=\"submit\">Add a security key</button>\n</form>\n\
             <p><a href=\"/\">Home</a></p>\n{}",
            script(nonce)
        ),
    )
}

/// The second step of signing in: touch the security key.
pub fn second_factor(nonce: &CspNonce) -> String {
    page(
        "Second factor",
        &format!(
            "<h1>Confirm it is you</h1>\n<p>Use your security key to finish signing in.</p>\n\
             {STATUS}<button id=\"use-key\" type=\"button\">Use security key</button>\n\
             <form method=\"post\" action=\"/logout\"><button type=\"submit\">Cancel</button></form>\n{}",
            script(nonce)
        ),
    )
}
