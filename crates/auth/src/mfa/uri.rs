//! The `otpauth://` provisioning URI an authenticator app scans, and its QR code.

use super::{MfaError, PERIOD_SECS, Totp, TotpSecret};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use qrcode::QrCode;
use qrcode::render::svg;
use zeroize::Zeroizing;

/// Everything but RFC 3986's unreserved characters is encoded, in the label
/// and in query values alike: a `:` in an account name would otherwise split
/// the label, a `&` or `#` end a parameter, and a space become `+` in some
/// readers and stay a space in others.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The longest issuer or account name put in a URI, in bytes: a QR code holds
/// under 3 KB, and a name longer than this is a mistake or an attack.
pub const MAX_LABEL_BYTES: usize = 256;

/// `otpauth://totp/Issuer:account?secret=..&issuer=..&algorithm=..&digits=..&period=30`
/// (the Key URI Format of Google Authenticator, which every app follows).
///
/// The issuer appears twice, as the label's prefix and as a parameter: older
/// apps read the first, newer ones the second.
///
/// # Errors
/// [`MfaError::InvalidLabel`] when the issuer or account is empty, longer
/// than [`MAX_LABEL_BYTES`], or holds a control character.
pub fn provisioning_uri(
    totp: &Totp,
    secret: &TotpSecret,
    issuer: &str,
    account: &str,
) -> Result<Zeroizing<String>, MfaError> {
    check_label(issuer)?;
    check_label(account)?;
    let issuer = utf8_percent_encode(issuer, COMPONENT).to_string();
    let account = utf8_percent_encode(account, COMPONENT);
    Ok(Zeroizing::new(format!(
        "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}&algorithm={}&digits={}&period={PERIOD_SECS}",
        secret.to_base32().as_str(),
        totp.algorithm().as_str(),
        totp.digits(),
    )))
}

/// The QR code of `uri` as a standalone SVG document, for an `<img>` or
/// inline in the enrolment page. Error correction level M (15 %), the usual
/// choice for codes scanned off a screen.
///
/// # Errors
/// [`MfaError::QrCode`] when the text does not fit a QR code.
pub fn qr_svg(uri: &str) -> Result<Zeroizing<String>, MfaError> {
    let code = QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M)
        .map_err(|_| MfaError::QrCode)?;
    Ok(Zeroizing::new(
        code.render::<svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    ))
}

pub(crate) fn check_label(label: &str) -> Result<(), MfaError> {
    if label.is_empty() {
        return Err(MfaError::InvalidLabel(
            "the issuer and account may not be empty",
        ));
    }
    if label.len() > MAX_LABEL_BYTES {
        return Err(MfaError::InvalidLabel(
            "the issuer and account may have at most 256 bytes",
        ));
    }
    if label.chars().any(char::is_control) {
        return Err(MfaError::InvalidLabel(
            "the issuer and account may not hold control characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::TotpAlgorithm;
    use super::*;

    fn secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890").unwrap()
    }

    #[test]
    fn uri_carries_every_parameter() {
        let totp = Totp::new(TotpAlgorithm::Sha256, 8).unwrap();
        let uri = provisioning_uri(&totp, &secret(), "ACME", "alice@example.com").unwrap();
        assert_eq!(
            uri.as_str(),
            "otpauth://totp/ACME:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=ACME&algorithm=SHA256&digits=8&period=30"
        );
    }

    #[test]
    fn hostile_names_cannot_split_the_label_or_add_parameters() {
        let totp = Totp::default();
        let uri =
            provisioning_uri(&totp, &secret(), "Evil Co:x", "bob&secret=AAAA#frag?é").unwrap();
        let (label, query) = uri
            .trim_start_matches("otpauth://totp/")
            .split_once('?')
            .unwrap();
        assert_eq!(label, "Evil%20Co%3Ax:bob%26secret%3DAAAA%23frag%3F%C3%A9");
        assert_eq!(label.matches(':').count(), 1);
        let secrets: Vec<_> = query
            .split('&')
            .filter(|p| p.starts_with("secret="))
            .collect();
        assert_eq!(secrets, ["secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"]);
        assert!(query.contains("&issuer=Evil%20Co%3Ax&"));
    }

    #[test]
    fn bad_labels_are_refused() {
        let totp = Totp::default();
        for (issuer, account) in [("", "a"), ("a", ""), ("a\nb", "c"), ("a", "b\u{0}")] {
            assert!(matches!(
                provisioning_uri(&totp, &secret(), issuer, account),
                Err(MfaError::InvalidLabel(_))
            ));
        }
        let long = "x".repeat(MAX_LABEL_BYTES + 1);
        assert!(provisioning_uri(&totp, &secret(), "a", &long).is_err());
        assert!(provisioning_uri(&totp, &secret(), "a", &"x".repeat(MAX_LABEL_BYTES)).is_ok());
    }

    #[test]
    fn qr_code_is_an_svg_document() {
        let uri = provisioning_uri(&Totp::default(), &secret(), "ACME", "alice").unwrap();
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.starts_with("<?xml"), "{}", &svg[..40]);
        assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(qr_svg(&"x".repeat(10_000)).is_err());
    }
}
