//! Browser tests for rampart (not published).
//!
//! The tests in `tests/` start headless Chromium through chromedriver and
//! check, in a real browser rather than as header strings, that what the
//! headers promise happens: a nonced inline script runs and an un-nonced one
//! is blocked and reported, a bundler-built single-page app runs under the
//! `spa()` preset while a script injected into its page does not, protected
//! pages cannot be framed by another
//! origin, CORS lets only listed origins read responses, and CSRF refuses a
//! cross-site form post while a same-origin one passes.
//!
//! Without Chromium and chromedriver the tests print one line and skip;
//! with `RAMPART_REQUIRE_BROWSER=1` (set by `.ci/run`) that is a failure.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
