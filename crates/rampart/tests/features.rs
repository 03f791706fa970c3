//! The facade exposes every feature of the crates it re-exports, its page
//! lists each of its features, and the repository README's examples are the
//! ones the crate page compiles.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;

fn crates_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn manifest(dir: &str) -> toml::Table {
    let path = crates_dir().join(dir).join("Cargo.toml");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .parse()
        .unwrap()
}

fn features(manifest: &toml::Table) -> toml::Table {
    manifest
        .get("features")
        .and_then(|f| f.as_table())
        .cloned()
        .unwrap_or_default()
}

#[test]
fn every_feature_of_a_re_exported_crate_is_reachable_through_the_facade() {
    let facade = manifest("rampart");
    let forwarded: BTreeSet<String> = features(&facade)
        .values()
        .flat_map(|list| list.as_array().unwrap().iter())
        .map(|item| item.as_str().unwrap().replace("?/", "/"))
        .collect();
    let dependencies = facade["dependencies"].as_table().unwrap();
    let mut missing = Vec::new();
    for name in dependencies.keys().filter(|n| n.starts_with("rampart-")) {
        let dir = name.trim_start_matches("rampart-");
        for feature in features(&manifest(dir)).keys() {
            if feature != "default" && !forwarded.contains(&format!("{name}/{feature}")) {
                missing.push(format!("{name}/{feature}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "features no facade feature turns on: {missing:?}"
    );
}

#[test]
fn the_crate_page_lists_every_facade_feature() {
    let page = std::fs::read_to_string(crates_dir().join("rampart/README.md")).unwrap();
    for feature in features(&manifest("rampart")).keys() {
        if feature != "default" {
            assert!(
                page.contains(&format!("| `{feature}` |")),
                "the crate page's feature table lacks `{feature}`"
            );
        }
    }
}

/// The ```rust blocks of a markdown file.
fn rust_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line.starts_with("```rust") => current = Some(String::new()),
            Some(_) if line.starts_with("```") => blocks.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

#[test]
fn the_readme_examples_are_the_ones_the_crate_page_compiles() {
    let readme = std::fs::read_to_string(crates_dir().join("../README.md")).unwrap();
    let page = std::fs::read_to_string(crates_dir().join("rampart/README.md")).unwrap();
    let compiled = rust_blocks(&page);
    let shown = rust_blocks(&readme);
    assert!(!shown.is_empty());
    for block in shown {
        assert!(
            compiled.contains(&block),
            "a README example differs from the crate page's:\n{block}"
        );
    }
}
