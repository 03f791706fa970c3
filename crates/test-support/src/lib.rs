//! Helpers shared by rampart's own tests (not published).
//!
//! - [`service_url`]: the URL of a backing service (Redis, PostgreSQL) from
//!   the environment, or a skip that becomes a failure when
//!   `RAMPART_REQUIRE_SERVICES=1`, so CI cannot pass by skipping.
//! - [`corpus`] / [`corpus_path`]: the public attack corpora and test vectors
//!   kept in the workspace's `testdata/` (their sources and licences are in
//!   `testdata/README.md`), so a fresh clone passes its own tests.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::path::PathBuf;

/// The variable that turns a skipped service-backed test into a failure.
pub const REQUIRE_SERVICES: &str = "RAMPART_REQUIRE_SERVICES";

/// The value of `var` (`REDIS_URL`, `DATABASE_URL`), or `None` after printing
/// one line saying `test` was skipped.
///
/// # Panics
/// When `var` is unset and `RAMPART_REQUIRE_SERVICES=1`.
pub fn service_url(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var(REQUIRE_SERVICES).as_deref() != Ok("1"),
                "{test}: {var} is not set but {REQUIRE_SERVICES}=1"
            );
            println!("skipped: {test}: {var} is not set");
            None
        }
    }
}

/// The path of `relative` inside the workspace's `testdata/` directory.
pub fn corpus_path(relative: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata")).join(relative)
}

/// The text of a corpus file.
///
/// # Panics
/// When the file is missing, saying where it was looked for.
pub fn corpus(relative: &str) -> String {
    let path = corpus_path(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "test corpus {} is missing ({e}): test data lives in the workspace's testdata/ (see its README)",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpora_live_inside_the_workspace() {
        let readme = corpus_path("README.md");
        assert!(readme.is_file(), "{} is missing", readme.display());
        let workspace = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        let inside = readme
            .canonicalize()
            .unwrap()
            .starts_with(workspace.canonicalize().unwrap());
        assert!(inside, "test data must come from inside the repository");
    }
}
