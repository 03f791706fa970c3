//! The rampart-audit command line.

fn main() {}
