//! Criterion benchmarks of rampart beside their anchor crates; see `benches/`.
#![forbid(unsafe_code)]
