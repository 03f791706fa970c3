//! Every published crate builds on docs.rs the way its docs assume: all
//! features on and `--cfg docsrs`, so feature-gated items carry a badge
//! naming the feature (a new crate copying an old manifest keeps this).

use std::path::Path;

/// The crates published to crates.io (test-support, benches and examples are not).
const PUBLISHED: [&str; 9] = [
    "core",
    "auth",
    "rbac",
    "headers",
    "crypto",
    "sanitize",
    "ratelimit",
    "audit",
    "rampart",
];

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn published_crates_build_on_docs_rs_with_all_features_and_feature_badges() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for name in PUBLISHED {
        let manifest = read(&crates.join(name).join("Cargo.toml"));
        let section = manifest
            .split("[package.metadata.docs.rs]")
            .nth(1)
            .unwrap_or_else(|| panic!("{name}: no [package.metadata.docs.rs]"));
        let section = section.split("\n[").next().unwrap_or_default();
        assert!(
            section.contains("all-features = true"),
            "{name}: all-features"
        );
        assert!(
            section.contains(r#"rustdoc-args = ["--cfg", "docsrs"]"#),
            "{name}: rustdoc-args"
        );
        let lib = read(&crates.join(name).join("src/lib.rs"));
        assert!(
            lib.contains("#![cfg_attr(docsrs, feature(doc_cfg))]"),
            "{name}: lib.rs enables doc_cfg under docsrs"
        );
    }
}
