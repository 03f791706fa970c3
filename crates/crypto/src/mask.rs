//! Masking sensitive values for display: the last few characters stay, the
//! rest become `*`.
//!
//! Every function works on characters, not bytes, so multi-byte text is
//! never cut inside a character, and a value too short or too malformed to
//! mask partly is masked completely: when in doubt, show nothing.

/// The masking character.
pub const MASK: char = '*';

/// Masks all but the last `n` characters. A value of `n` characters or
/// fewer is masked entirely (showing all of it would hide nothing).
///
/// ```
/// use rampart_crypto::mask;
/// assert_eq!(mask::keep_last("ÅÄÖ-secret", 3), "*******ret");
/// assert_eq!(mask::keep_last("abc", 3), "***");
/// ```
pub fn keep_last(value: &str, n: usize) -> String {
    let count = value.chars().count();
    if count <= n {
        return MASK.to_string().repeat(count);
    }
    value
        .chars()
        .enumerate()
        .map(|(i, c)| if i < count - n { MASK } else { c })
        .collect()
}

/// Masks every letter and digit except the last `n` of them, keeping
/// separators (spaces, `-`, `+`, `(`...) so the shape stays readable. With
/// `n` or fewer letters and digits, all of them are masked.
fn keep_last_alnum(value: &str, n: usize) -> String {
    let total = value.chars().filter(|c| c.is_alphanumeric()).count();
    let keep_from = if total <= n { usize::MAX } else { total - n };
    let mut seen = 0;
    value
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                seen += 1;
                if seen > keep_from { c } else { MASK }
            } else {
                c
            }
        })
        .collect()
}

/// An account number (IBAN, bank account): the last 4 letters or digits
/// shown, separators kept.
///
/// ```
/// use rampart_crypto::mask;
/// assert_eq!(mask::account("DE89 3704 0044 0532 0130 00"), "**** **** **** **** **30 00");
/// ```
pub fn account(value: &str) -> String {
    keep_last_alnum(value, 4)
}

/// A US social security number: `***-**-6789` for `123-45-6789` or
/// `123456789`; anything else is `***-**-****`.
///
/// ```
/// use rampart_crypto::mask;
/// assert_eq!(mask::ssn("123-45-6789"), "***-**-6789");
/// assert_eq!(mask::ssn("12-345-6789"), "***-**-****");
/// ```
pub fn ssn(value: &str) -> String {
    let v = value.trim();
    let digits: String = if v.len() == 11
        && v.as_bytes()[3] == b'-'
        && v.as_bytes()[6] == b'-'
        && v.chars()
            .enumerate()
            .all(|(i, c)| i == 3 || i == 6 || c.is_ascii_digit())
    {
        v.chars().filter(char::is_ascii_digit).collect()
    } else if v.len() == 9 && v.chars().all(|c| c.is_ascii_digit()) {
        v.to_owned()
    } else {
        return "***-**-****".to_owned();
    };
    format!("***-**-{}", &digits[5..])
}

/// Whether `digits` (ASCII digits only) pass the Luhn check.
pub fn luhn_valid(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 { d2 - 9 } else { d2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A payment card number: 12 to 19 digits (spaces and `-` allowed) passing
/// the Luhn check show their last 4 digits; anything else is masked
/// entirely, since a mistyped number might be some other secret.
///
/// ```
/// use rampart_crypto::mask;
/// assert_eq!(mask::card("4111 1111 1111 1111"), "**** **** **** 1111");
/// assert_eq!(mask::card("4111 1111 1111 1112"), "*******************");
/// ```
pub fn card(value: &str) -> String {
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    let well_formed = value
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-');
    if well_formed && (12..=19).contains(&digits.len()) && luhn_valid(&digits) {
        keep_last_alnum(value, 4)
    } else {
        MASK.to_string().repeat(value.chars().count().max(4))
    }
}

/// An email address: the first character of the local part, then `***`,
/// then the domain (`j***@example.com`). Without exactly the shape
/// `local@domain`, everything is masked.
///
/// ```
/// use rampart_crypto::mask;
/// assert_eq!(mask::email("john.doe@example.com"), "j***@example.com");
/// assert_eq!(mask::email("élodie@exemple.fr"), "é***@exemple.fr");
/// assert_eq!(mask::email("not-an-email"), "***");
/// ```
pub fn email(value: &str) -> String {
    match value.trim().rsplit_once('@') {
        Some((local, domain)) if !domain.is_empty() && !domain.contains('@') => {
            match local.chars().next() {
                Some(first) if !local.contains('@') => format!("{first}***@{domain}"),
                _ => "***".to_owned(),
            }
        }
        _ => "***".to_owned(),
    }
}

/// A phone number: the last 4 digits shown, other digits masked,
/// separators and a leading `+` kept. With 4 digits or fewer, all masked.
///
/// ```
/// use rampart_crypto::mask;
/// assert_eq!(mask::phone("+1 (555) 123-4567"), "+* (***) ***-4567");
/// ```
pub fn phone(value: &str) -> String {
    keep_last_alnum(value, 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_last_counts_characters_not_bytes() {
        assert_eq!(keep_last("日本語のテキスト", 2), "******スト");
        assert_eq!(keep_last("🔑🔑🔑🔑🔑", 1), "****🔑");
        assert_eq!(keep_last("", 4), "");
        assert_eq!(keep_last("abcdef", 0), "******");
    }

    #[test]
    fn ssn_edge_cases() {
        assert_eq!(ssn("123456789"), "***-**-6789");
        assert_eq!(ssn(" 123-45-6789 "), "***-**-6789");
        for bad in [
            "",
            "123-45-678",
            "1234567890",
            "123-45-67a9",
            "abc-de-fghi",
            "١٢٣-٤٥-٦٧٨٩",
            "123–45–6789",
        ] {
            assert_eq!(ssn(bad), "***-**-****", "{bad}");
        }
    }

    #[test]
    fn card_edge_cases() {
        assert_eq!(card("4111111111111111"), "************1111");
        assert_eq!(card("5500-0000-0000-0004"), "****-****-****-0004");
        assert_eq!(card("4111111111111112"), "****************");
        assert_eq!(card("4111 1111 1111 111x"), "*******************");
        assert_eq!(card("0"), "****");
        assert_eq!(card("12345"), "*****");
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("79927398710"));
        assert!(!luhn_valid(""));
    }

    #[test]
    fn email_edge_cases() {
        assert_eq!(email("@example.com"), "***");
        assert_eq!(email("a@"), "***");
        assert_eq!(email("a@b@c"), "***");
        assert_eq!(email("x@y"), "x***@y");
        assert_eq!(email("🙂@example.com"), "🙂***@example.com");
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_masked_without_panicking(v in "\\PC{0,40}", n in 0usize..8) {
            let masked = keep_last(&v, n);
            proptest::prop_assert_eq!(masked.chars().count(), v.chars().count());
            let shown: String = masked.chars().filter(|c| *c != MASK).collect();
            proptest::prop_assert!(shown.chars().count() <= n);
            for m in [account(&v), phone(&v), card(&v)] {
                proptest::prop_assert!(m.chars().filter(|c| c.is_alphanumeric()).count() <= 4);
            }
            let s = ssn(&v);
            proptest::prop_assert!(s.starts_with("***-**-") && s.chars().count() == 11);
            let e = email(&v);
            proptest::prop_assert!(e == "***" || e.contains("***@"));
        }
    }

    #[test]
    fn phone_and_account_edge_cases() {
        assert_eq!(phone("1234"), "****");
        assert_eq!(phone("555-0100"), "***-0100");
        assert_eq!(phone(""), "");
        assert_eq!(account("12"), "**");
        assert_eq!(account("ÅB12-3456"), "****-3456");
        assert_eq!(account("ÅB1234"), "**1234");
    }
}
