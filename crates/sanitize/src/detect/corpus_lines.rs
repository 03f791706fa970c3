//! The payloads of every corpus file in `testdata/sanitize`, for the tests
//! that compare a shortcut with the full scan on all of them.

use std::io::Read;

/// Every `payload` of every `.jsonl` and `.jsonl.gz` file, attack and benign.
pub(crate) fn payloads() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sanitize");
    let mut files = 0;
    let mut payloads = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("testdata/sanitize") {
        let path = entry.expect("entry").path();
        let name = path.to_string_lossy().into_owned();
        let mut text = String::new();
        if name.ends_with(".jsonl.gz") {
            flate2::read::GzDecoder::new(std::fs::File::open(&path).expect("open"))
                .read_to_string(&mut text)
                .expect("gzip");
        } else if name.ends_with(".jsonl") {
            text = std::fs::read_to_string(&path).expect("read");
        } else {
            continue;
        }
        files += 1;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).expect("json line");
            if let Some(p) = v["payload"].as_str() {
                payloads.push(p.to_owned());
            }
        }
    }
    assert!(files >= 10, "corpus files went missing");
    payloads
}
