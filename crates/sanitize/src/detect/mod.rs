//! Attack detectors: the plain API behind the `InputGuard` layer.
//!
//! Every detector implements [`Detector`]: `scan(&str) -> Option<Finding>`.
//! They work on [`Normalized`] input, so a caller scanning one value with
//! several detectors ([`Detectors`]) decodes it once.

mod cmdi;
#[cfg(test)]
mod corpus_lines;
mod crlf;
mod finding;
mod keywords;
mod normalize;
mod nosql;
mod plain;
mod precheck;
mod set;
mod sqli;
mod traversal;
mod xss;

pub use cmdi::CommandInjectionDetector;
pub use crlf::HeaderInjectionDetector;
pub use finding::{Category, Finding, Strictness};
pub use normalize::{MAX_DECODE_PASSES, Normalized};
pub use nosql::{NoSqlInjectionDetector, is_nosql_operator};
pub use set::Detectors;
pub use sqli::SqlInjectionDetector;
pub use traversal::PathTraversalDetector;
pub use xss::XssDetector;

/// Looks for one class of attack in a value.
///
/// Implementations examine the whole value (a NUL byte does not end it) in
/// each of its normalised forms, in linear time.
pub trait Detector: Send + Sync {
    /// The class of attack this detector reports.
    fn category(&self) -> Category;

    /// Scans an input already normalised (decode once, scan with many).
    fn scan_normalized(&self, input: &Normalized<'_>) -> Option<Finding>;

    /// Scans `input`.
    fn scan(&self, input: &str) -> Option<Finding> {
        self.scan_normalized(&Normalized::new(input))
    }

    /// Scans raw bytes; invalid UTF-8 is read as U+FFFD, never skipped.
    fn scan_bytes(&self, input: &[u8]) -> Option<Finding> {
        self.scan_normalized(&Normalized::from_bytes(input))
    }
}
