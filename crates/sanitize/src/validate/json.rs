//! Limits on JSON bodies, checked before any parser builds a value.
//!
//! serde_json recurses once per nesting level (and stops at 128), builds
//! every string and map in full, and so spends memory in proportion to what
//! an attacker sends. [`JsonLimits::check`] is one linear, non-recursive
//! pass over the bytes that counts depth, keys, elements and string lengths
//! first, so the parse that follows only ever sees a bounded document.

use serde::de::DeserializeOwned;

/// A limit a JSON body broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonLimitError {
    /// More bytes than allowed.
    #[error("JSON body is {size} bytes, more than the allowed {max}")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Objects and arrays nested deeper than allowed.
    #[error("JSON nests deeper than {max} levels")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// More object keys (in the whole document) than allowed.
    #[error("JSON has more than {max} object keys")]
    TooManyKeys {
        /// The limit.
        max: usize,
    },
    /// More array elements (in the whole document) than allowed.
    #[error("JSON has more than {max} array elements")]
    TooManyElements {
        /// The limit.
        max: usize,
    },
    /// A string (key or value) longer than allowed, in characters.
    #[error("a JSON string is longer than {max} characters")]
    StringTooLong {
        /// The limit.
        max: usize,
    },
    /// Not JSON (unbalanced brackets, an unterminated string, or what
    /// serde_json refuses).
    #[error("malformed JSON: {0}")]
    Malformed(String),
}

impl JsonLimitError {
    /// A stable snake_case code for problem details and audit events.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "json_too_large",
            Self::TooDeep { .. } => "json_too_deep",
            Self::TooManyKeys { .. } => "json_too_many_keys",
            Self::TooManyElements { .. } => "json_too_many_elements",
            Self::StringTooLong { .. } => "json_string_too_long",
            Self::Malformed(_) => "json_malformed",
        }
    }

    /// Whether this is about size (answer 413) rather than shape (400).
    pub fn is_size(&self) -> bool {
        matches!(self, Self::TooLarge { .. })
    }
}

/// Limits on a JSON document.
///
/// Defaults: 1 MiB, depth 32, 10,000 keys, 100,000 array elements, strings
/// up to 10,000 characters.
///
/// ```
/// use rampart_sanitize::validate::JsonLimits;
///
/// let limits = JsonLimits::new().max_depth(3);
/// assert!(limits.check(br#"{"a":[1,{"b":2}]}"#).is_ok());
/// assert_eq!(limits.check(b"[[[[1]]]]").unwrap_err().code(), "json_too_deep");
/// let value: serde_json::Value = limits.parse(br#"{"name":"x"}"#).unwrap();
/// assert_eq!(value["name"], "x");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct JsonLimits {
    max_bytes: usize,
    max_depth: usize,
    max_keys: usize,
    max_elements: usize,
    max_string_chars: usize,
}

impl Default for JsonLimits {
    fn default() -> Self {
        Self::new()
    }
}

impl JsonLimits {
    /// The defaults (see the type's docs).
    pub fn new() -> Self {
        Self {
            max_bytes: 1024 * 1024,
            max_depth: 32,
            max_keys: 10_000,
            max_elements: 100_000,
            max_string_chars: 10_000,
        }
    }

    /// The largest body, in bytes (default 1 MiB).
    pub fn max_bytes(mut self, max: usize) -> Self {
        self.max_bytes = max;
        self
    }

    /// The deepest nesting of objects and arrays (default 32; serde_json
    /// itself stops at 128).
    pub fn max_depth(mut self, max: usize) -> Self {
        self.max_depth = max;
        self
    }

    /// The most object keys in the whole document (default 10,000).
    pub fn max_keys(mut self, max: usize) -> Self {
        self.max_keys = max;
        self
    }

    /// The most array elements in the whole document (default 100,000).
    pub fn max_elements(mut self, max: usize) -> Self {
        self.max_elements = max;
        self
    }

    /// The longest string, key or value, in characters after unescaping
    /// (`\uXXXX` is one; a surrogate pair two) (default 10,000).
    pub fn max_string_chars(mut self, max: usize) -> Self {
        self.max_string_chars = max;
        self
    }

    /// Checks `body` against the limits in one pass, without parsing it
    /// into values.
    ///
    /// # Errors
    /// The first limit broken, or [`JsonLimitError::Malformed`] for
    /// unbalanced brackets or an unterminated string. Other syntax errors
    /// are left to the parser.
    pub fn check(&self, body: &[u8]) -> Result<(), JsonLimitError> {
        if body.len() > self.max_bytes {
            return Err(JsonLimitError::TooLarge {
                size: body.len(),
                max: self.max_bytes,
            });
        }
        // One bit per open container: true for an object. Bounded by
        // max_depth, so it never grows with the input.
        let mut stack: Vec<bool> = Vec::new();
        let mut keys = 0usize;
        let mut elements = 0usize;
        // Whether the current array has a value since its `[` or last `,`.
        let mut array_has_value = false;
        let mut i = 0;
        while i < body.len() {
            let byte = body[i];
            match byte {
                b'"' => {
                    i = self.skip_string(body, i + 1)?;
                    array_has_value = true;
                    continue;
                }
                b'{' | b'[' => {
                    if stack.len() >= self.max_depth {
                        return Err(JsonLimitError::TooDeep {
                            max: self.max_depth,
                        });
                    }
                    stack.push(byte == b'{');
                    array_has_value = false;
                }
                b'}' | b']' => {
                    let is_object = stack
                        .pop()
                        .ok_or_else(|| malformed("closing bracket without an opening one"))?;
                    if is_object != (byte == b'}') {
                        return Err(malformed("mismatched brackets"));
                    }
                    if !is_object && array_has_value {
                        elements += 1;
                    }
                    array_has_value = true;
                }
                b':' => {
                    keys += 1;
                    if keys > self.max_keys {
                        return Err(JsonLimitError::TooManyKeys { max: self.max_keys });
                    }
                }
                b',' => {
                    if stack.last() == Some(&false) {
                        elements += 1;
                    }
                    array_has_value = false;
                }
                b' ' | b'\t' | b'\n' | b'\r' => {}
                _ => array_has_value = true,
            }
            if elements > self.max_elements {
                return Err(JsonLimitError::TooManyElements {
                    max: self.max_elements,
                });
            }
            i += 1;
        }
        if !stack.is_empty() {
            return Err(malformed("unclosed object or array"));
        }
        Ok(())
    }

    /// [`check`](Self::check), then parse with serde_json.
    ///
    /// # Errors
    /// A broken limit, or serde_json's error as
    /// [`JsonLimitError::Malformed`].
    pub fn parse<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, JsonLimitError> {
        self.check(body)?;
        serde_json::from_slice(body).map_err(|e| JsonLimitError::Malformed(e.to_string()))
    }

    /// Skips a string whose opening quote is just before `start`, counting
    /// its characters; returns the index after the closing quote.
    fn skip_string(&self, body: &[u8], start: usize) -> Result<usize, JsonLimitError> {
        let mut chars = 0usize;
        let mut i = start;
        while i < body.len() {
            match body[i] {
                b'"' => return Ok(i + 1),
                b'\\' => {
                    // `\uXXXX` is one character, any other escape one too.
                    i += if body.get(i + 1) == Some(&b'u') { 6 } else { 2 };
                    chars += 1;
                }
                // UTF-8 continuation bytes belong to the character before.
                byte => {
                    if byte & 0xC0 != 0x80 {
                        chars += 1;
                    }
                    i += 1;
                }
            }
            if chars > self.max_string_chars {
                return Err(JsonLimitError::StringTooLong {
                    max: self.max_string_chars,
                });
            }
        }
        Err(malformed("unterminated string"))
    }
}

fn malformed(reason: &str) -> JsonLimitError {
    JsonLimitError::Malformed(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn documents_within_limits_pass_and_parse() {
        let limits = JsonLimits::new();
        let body =
            br#"{"name":"caf\u00e9 \"x\" ]}","tags":["a","b"],"n":[1,2.5,true,null,{}],"e":[]}"#;
        limits.check(body).unwrap();
        let value: Value = limits.parse(body).unwrap();
        assert_eq!(value["name"], "café \"x\" ]}");
        for ok in [&b"1"[..], b"\"s\"", b"[]", b"{}", b"  [ ]  ", b"null"] {
            assert!(limits.check(ok).is_ok(), "{}", String::from_utf8_lossy(ok));
        }
    }

    #[test]
    fn depth_is_checked_before_any_recursion() {
        let limits = JsonLimits::new();
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        let limits_big = limits.max_bytes(1 << 20);
        assert_eq!(
            limits_big.check(deep.as_bytes()),
            Err(JsonLimitError::TooDeep { max: 32 })
        );
        let at_limit = "[".repeat(32) + &"]".repeat(32);
        assert!(limits.check(at_limit.as_bytes()).is_ok());
        let over = "{\"a\":".repeat(33) + "1" + &"}".repeat(33);
        assert_eq!(
            limits.check(over.as_bytes()).unwrap_err().code(),
            "json_too_deep"
        );
        // Brackets inside strings do not count.
        let quoted = format!("[\"{}\"]", "[".repeat(100));
        assert!(limits.check(quoted.as_bytes()).is_ok());
    }

    #[test]
    fn keys_elements_and_strings_are_counted() {
        let limits = JsonLimits::new()
            .max_keys(2)
            .max_elements(3)
            .max_string_chars(5);
        assert!(limits.check(br#"{"a":1,"b":{"c":2}}"#).is_err());
        assert!(limits.check(br#"{"a":1,"b":2}"#).is_ok());
        assert!(limits.check(br#"{"a":"x:y:z"}"#).is_ok());
        assert!(limits.check(b"[1,2,3]").is_ok());
        assert!(limits.check(b"[[],[],[]]").is_ok());
        assert_eq!(
            limits.check(b"[1,2,3,4]").unwrap_err().code(),
            "json_too_many_elements"
        );
        assert_eq!(
            limits.check(b"[[1,2],[3,4]]").unwrap_err().code(),
            "json_too_many_elements"
        );
        assert!(limits.check("[\"héllo\"]".as_bytes()).is_ok());
        assert!(
            limits
                .check(br#"["\u00e9\u00e9\u00e9\u00e9\u00e9"]"#)
                .is_ok()
        );
        assert_eq!(
            limits.check(br#"["abcdef"]"#),
            Err(JsonLimitError::StringTooLong { max: 5 })
        );
        assert_eq!(
            limits.check(br#"{"abcdef":1}"#).unwrap_err().code(),
            "json_string_too_long"
        );
        let default = JsonLimits::new();
        let long = format!("[\"{}\"]", "é".repeat(10_001));
        assert_eq!(
            default.check(long.as_bytes()).unwrap_err().code(),
            "json_string_too_long"
        );
        let fits = format!("[\"{}\"]", "é".repeat(10_000));
        assert!(default.check(fits.as_bytes()).is_ok());
    }

    #[test]
    fn size_and_malformed_input() {
        let limits = JsonLimits::new().max_bytes(8);
        let err = limits.check(b"[1,2,3,4,5]").unwrap_err();
        assert!(err.is_size());
        assert_eq!(err, JsonLimitError::TooLarge { size: 11, max: 8 });
        let limits = JsonLimits::new();
        for bad in [
            &b"["[..],
            b"]",
            b"{]",
            b"[}",
            b"\"abc",
            b"[\"a\\\"]",
            b"{\"a\":1}}",
        ] {
            assert_eq!(
                limits.check(bad).unwrap_err().code(),
                "json_malformed",
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(limits.parse::<Value>(b"{\"a\" 1}").is_err());
        assert!(limits.parse::<Value>(b"\xff").is_err());
    }
}
