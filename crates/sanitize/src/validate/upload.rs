//! Uploaded files: what the name claims, what the bytes are, and a name
//! that is safe to store under.

use std::collections::BTreeSet;

/// Extensions that execute or render active content somewhere: a name
/// carrying one anywhere (`shell.php.jpg`) is refused, since some servers
/// pick the handler from any extension in the name.
const DANGEROUS_EXTENSIONS: &[&str] = &[
    "php", "php3", "php4", "php5", "php7", "php8", "phtml", "phar", "pht", "phps", "asp", "aspx",
    "ascx", "ashx", "asmx", "cer", "jsp", "jspx", "jsw", "jsv", "cfm", "cgi", "pl", "py", "rb",
    "sh", "bash", "exe", "dll", "com", "bat", "cmd", "ps1", "vbs", "msi", "scr", "jar", "war",
    "js", "mjs", "html", "htm", "xhtml", "shtml", "svg", "xml", "swf", "htaccess", "config",
];

/// Names Windows reserves for devices, with or without an extension.
const WINDOWS_DEVICES: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// The longest file name accepted, in bytes (most file systems' limit).
const MAX_NAME_BYTES: usize = 255;

/// Why an upload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// No content.
    #[error("the file is empty")]
    Empty,
    /// Larger than the policy allows.
    #[error("the file is {size} bytes, more than the allowed {max}")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The name is empty, too long, or holds a NUL, a control character, a
    /// path separator or `..`, or is a reserved device name.
    #[error("file name is not acceptable: {reason}")]
    BadName {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The name has no extension.
    #[error("file name has no extension")]
    MissingExtension,
    /// The extension is not on the allow-list.
    #[error("extension `{0}` is not allowed")]
    ExtensionNotAllowed(String),
    /// An executable extension hides before the last one (`a.php.jpg`).
    #[error("file name carries the executable extension `{0}` before its last one")]
    DoubleExtension(String),
    /// The bytes are not what the extension says.
    #[error("content is {detected}, not what the extension `{extension}` promises")]
    ContentMismatch {
        /// The extension.
        extension: String,
        /// What the magic bytes say (a MIME type, or `unknown`).
        detected: String,
    },
}

impl UploadError {
    /// A stable snake_case code for problem details and audit events.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty_file",
            Self::TooLarge { .. } => "file_too_large",
            Self::BadName { .. } => "bad_file_name",
            Self::MissingExtension => "missing_extension",
            Self::ExtensionNotAllowed(_) => "extension_not_allowed",
            Self::DoubleExtension(_) => "double_extension",
            Self::ContentMismatch { .. } => "content_mismatch",
        }
    }
}

/// An upload that passed [`UploadPolicy::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedUpload {
    extension: String,
    mime_type: &'static str,
    storage_name: String,
}

impl CheckedUpload {
    /// The checked extension, lower case.
    pub fn extension(&self) -> &str {
        &self.extension
    }

    /// The MIME type the content was sniffed as (`text/plain` for text
    /// extensions): serve the file with this, not the client's claim.
    pub fn mime_type(&self) -> &'static str {
        self.mime_type
    }

    /// A fresh random name with the checked extension (`<uuid>.png`): store
    /// under this, never under the client's name.
    pub fn storage_name(&self) -> &str {
        &self.storage_name
    }
}

/// Which uploads are accepted.
///
/// Defaults: nothing allowed (choose extensions or a preset), 10 MiB.
///
/// ```
/// use rampart_sanitize::validate::UploadPolicy;
///
/// let policy = UploadPolicy::images();
/// let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
/// let upload = policy.check("Photo.PNG", png).unwrap();
/// assert_eq!(upload.mime_type(), "image/png");
/// assert!(upload.storage_name().ends_with(".png"));
/// assert_eq!(policy.check("shell.php.png", png).unwrap_err().code(), "double_extension");
/// assert_eq!(policy.check("photo.jpg", png).unwrap_err().code(), "content_mismatch");
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct UploadPolicy {
    max_size: u64,
    binary: BTreeSet<String>,
    text: BTreeSet<String>,
}

impl Default for UploadPolicy {
    fn default() -> Self {
        Self::new()
    }
}

/// `jpeg` is sniffed as `jpg`, `tif` as `tiff`.
fn canonical_extension(extension: &str) -> &str {
    match extension {
        "jpeg" | "jpe" => "jpg",
        "tif" => "tiff",
        other => other,
    }
}

impl UploadPolicy {
    /// Nothing allowed, 10 MiB.
    pub fn new() -> Self {
        Self {
            max_size: 10 * 1024 * 1024,
            binary: BTreeSet::new(),
            text: BTreeSet::new(),
        }
    }

    /// JPEG, PNG, GIF and WebP images (no SVG: it carries script).
    pub fn images() -> Self {
        Self::new().allow_extensions(["jpg", "jpeg", "png", "gif", "webp"])
    }

    /// PDF and OOXML office documents (`docx`, `xlsx`, `pptx`).
    pub fn documents() -> Self {
        Self::new().allow_extensions(["pdf", "docx", "xlsx", "pptx"])
    }

    /// The largest file accepted, in bytes (default 10 MiB).
    pub fn max_size(mut self, bytes: u64) -> Self {
        self.max_size = bytes;
        self
    }

    /// Extensions whose content has magic bytes the `infer` crate knows
    /// (images, archives, PDF, office documents, audio, video): the
    /// content must sniff as the same type.
    pub fn allow_extensions<I, S>(mut self, extensions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.binary.extend(
            extensions
                .into_iter()
                .map(|e| e.as_ref().trim_start_matches('.').to_ascii_lowercase()),
        );
        self
    }

    /// Plain-text extensions (`txt`, `csv`, `md`): no magic bytes, so the
    /// content must be UTF-8 without NUL and must not sniff as any known
    /// binary or markup type.
    pub fn allow_text_extensions<I, S>(mut self, extensions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.text.extend(
            extensions
                .into_iter()
                .map(|e| e.as_ref().trim_start_matches('.').to_ascii_lowercase()),
        );
        self
    }

    /// Checks a declared size before reading the body (`Content-Length`).
    ///
    /// # Errors
    /// [`UploadError::TooLarge`].
    pub fn check_size(&self, size: u64) -> Result<(), UploadError> {
        if size > self.max_size {
            return Err(UploadError::TooLarge {
                size,
                max: self.max_size,
            });
        }
        Ok(())
    }

    /// Checks the client's file name and the content.
    ///
    /// # Errors
    /// The first rule the upload breaks.
    pub fn check(&self, file_name: &str, content: &[u8]) -> Result<CheckedUpload, UploadError> {
        self.check_size(u64::try_from(content.len()).unwrap_or(u64::MAX))?;
        if content.is_empty() {
            return Err(UploadError::Empty);
        }
        let extension = self.check_name(file_name)?;
        let mime_type = self.check_content(&extension, content)?;
        let storage_name = format!("{}.{extension}", uuid::Uuid::new_v4().simple());
        Ok(CheckedUpload {
            extension,
            mime_type,
            storage_name,
        })
    }

    /// The name's extension, lower case, once the name is found harmless.
    fn check_name(&self, name: &str) -> Result<String, UploadError> {
        let bad = |reason| Err(UploadError::BadName { reason });
        if name.is_empty() {
            return bad("empty");
        }
        if name.len() > MAX_NAME_BYTES {
            return bad("longer than 255 bytes");
        }
        if name.contains('\0') {
            return bad("contains a NUL byte");
        }
        if name.chars().any(char::is_control) {
            return bad("contains a control character");
        }
        if name.contains(['/', '\\']) || name.contains(':') {
            return bad("contains a path separator or drive letter");
        }
        if name.contains("..") {
            return bad("contains `..`");
        }
        if name.starts_with('.') {
            return bad("starts with a dot (hidden or dot-file)");
        }
        if name.ends_with(['.', ' ']) {
            return bad("ends with a dot or a space");
        }
        let lower = name.to_lowercase();
        let stem = lower.split('.').next().unwrap_or_default().trim_end();
        if WINDOWS_DEVICES.contains(&stem) {
            return bad("is a reserved device name");
        }
        let mut parts: Vec<&str> = lower.split('.').collect();
        let extension = match parts.pop() {
            Some(ext) if !parts.is_empty() => ext.to_owned(),
            _ => return Err(UploadError::MissingExtension),
        };
        if let Some(inner) = parts
            .iter()
            .skip(1)
            .map(|p| p.trim())
            .find(|p| DANGEROUS_EXTENSIONS.contains(p))
        {
            return Err(UploadError::DoubleExtension(inner.to_owned()));
        }
        if !self.binary.contains(&extension) && !self.text.contains(&extension) {
            return Err(UploadError::ExtensionNotAllowed(extension));
        }
        Ok(extension)
    }

    fn check_content(&self, extension: &str, content: &[u8]) -> Result<&'static str, UploadError> {
        let sniffed = infer::get(content);
        let mismatch = |detected: &str| UploadError::ContentMismatch {
            extension: extension.to_owned(),
            detected: detected.to_owned(),
        };
        if self.binary.contains(extension) {
            return match sniffed {
                Some(kind) if kind.extension() == canonical_extension(extension) => {
                    Ok(kind.mime_type())
                }
                Some(kind) => Err(mismatch(kind.mime_type())),
                None => Err(mismatch("unknown")),
            };
        }
        if let Some(kind) = sniffed {
            return Err(mismatch(kind.mime_type()));
        }
        if content.contains(&0) || std::str::from_utf8(content).is_err() {
            return Err(mismatch("binary data"));
        }
        Ok("text/plain")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0";
    const GIF: &[u8] = b"GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff!";
    const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n";
    const ZIP: &[u8] = b"PK\x03\x04\x14\0\0\0\x08\0\0\0!\0\0\0\0\0\0\0\0\0";

    #[test]
    fn matching_content_passes_with_a_fresh_storage_name() {
        let policy = UploadPolicy::images();
        let a = policy.check("cat.png", PNG).unwrap();
        let b = policy.check("cat.png", PNG).unwrap();
        assert_eq!(a.extension(), "png");
        assert_eq!(a.mime_type(), "image/png");
        assert_ne!(a.storage_name(), b.storage_name());
        assert_eq!(a.storage_name().len(), 32 + 4);
        assert!(!a.storage_name().contains("cat"));
        assert_eq!(
            policy
                .check("Holiday Photo.JPEG", JPEG)
                .unwrap()
                .extension(),
            "jpeg"
        );
        assert_eq!(
            policy.check("x.jpg", JPEG).unwrap().mime_type(),
            "image/jpeg"
        );
        assert_eq!(
            policy.check("anim.gif", GIF).unwrap().mime_type(),
            "image/gif"
        );
        assert_eq!(
            UploadPolicy::documents()
                .check("report.v2.pdf", PDF)
                .unwrap()
                .mime_type(),
            "application/pdf"
        );
    }

    #[test]
    fn content_must_match_the_extension() {
        let policy = UploadPolicy::images();
        for (name, content, detected) in [
            ("cat.jpg", PNG, "image/png"),
            ("cat.png", ZIP, "application/zip"),
            (
                "cat.png",
                b"<?php system($_GET['c']); ?>".as_slice(),
                "unknown",
            ),
            ("cat.gif", b"<svg onload=alert(1)>".as_slice(), "unknown"),
        ] {
            assert_eq!(
                policy.check(name, content),
                Err(UploadError::ContentMismatch {
                    extension: name.rsplit('.').next().unwrap().into(),
                    detected: detected.into()
                }),
                "{name}"
            );
        }
    }

    #[test]
    fn text_extensions_take_only_text() {
        let policy = UploadPolicy::new().allow_text_extensions([".CSV", "txt"]);
        assert_eq!(
            policy.check("data.csv", b"a,b\n1,2\n").unwrap().mime_type(),
            "text/plain"
        );
        assert_eq!(
            policy
                .check("notes.txt", "héllo".as_bytes())
                .unwrap()
                .extension(),
            "txt"
        );
        for content in [PNG, ZIP, b"a\0b".as_slice(), b"\xff\xfe\xfd".as_slice()] {
            assert_eq!(
                policy.check("data.csv", content).unwrap_err().code(),
                "content_mismatch"
            );
        }
    }

    #[test]
    fn hostile_names_are_refused() {
        let policy = UploadPolicy::images();
        for (name, code) in [
            ("", "bad_file_name"),
            ("a\0.png", "bad_file_name"),
            ("a\n.png", "bad_file_name"),
            ("../../etc/x.png", "bad_file_name"),
            ("dir/x.png", "bad_file_name"),
            ("dir\\x.png", "bad_file_name"),
            ("C:x.png", "bad_file_name"),
            ("x..png", "bad_file_name"),
            (".htaccess", "bad_file_name"),
            (".png", "bad_file_name"),
            ("x.png.", "bad_file_name"),
            ("x.png ", "bad_file_name"),
            ("CON.png", "bad_file_name"),
            ("lpt1.png", "bad_file_name"),
            ("noextension", "missing_extension"),
            ("shell.php", "extension_not_allowed"),
            ("image.svg", "extension_not_allowed"),
            ("shell.php.png", "double_extension"),
            ("shell.PHP5.jpg", "double_extension"),
            ("page.html.gif", "double_extension"),
            ("a.b.aspx.png", "double_extension"),
        ] {
            assert_eq!(
                policy.check(name, PNG).unwrap_err().code(),
                code,
                "{name:?}"
            );
        }
        let long = format!("{}.png", "a".repeat(300));
        assert_eq!(
            policy.check(&long, PNG).unwrap_err().code(),
            "bad_file_name"
        );
        // Dots that are not executable extensions are fine.
        assert!(policy.check("v1.2 final.png", PNG).is_ok());
    }

    #[test]
    fn size_limits() {
        let policy = UploadPolicy::images().max_size(16);
        assert_eq!(
            policy.check("cat.png", PNG),
            Err(UploadError::TooLarge {
                size: PNG.len() as u64,
                max: 16
            })
        );
        assert!(policy.check_size(16).is_ok());
        assert!(policy.check_size(17).is_err());
        assert_eq!(
            UploadPolicy::images().check("cat.png", b""),
            Err(UploadError::Empty)
        );
        assert!(UploadPolicy::new().check("cat.png", PNG).is_err());
    }
}
