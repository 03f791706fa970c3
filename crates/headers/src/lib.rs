//! Security headers.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
