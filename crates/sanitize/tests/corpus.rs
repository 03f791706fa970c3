//! Detection and false-positive rates on the public corpora in
//! `testdata/sanitize/` (sources and licences in `testdata/README.md`).
//!
//! Each attack file is scanned by the detector of its category, each benign
//! file by every detector at the default level. The table is printed
//! (`cargo test -p rampart-sanitize --test corpus -- --nocapture`) and the
//! test fails below the floors. `RAMPART_CORPUS_MISSES=20` also prints up to
//! 20 misses (or false positives) per file, for tuning rules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use flate2::read::GzDecoder;
use rampart_sanitize::{
    Category, CommandInjectionDetector, Detector, Detectors, PathTraversalDetector,
    SqlInjectionDetector, Strictness, XssDetector,
};
use std::io::Read;

/// One corpus item: the payload and the list it came from.
struct Item {
    payload: Vec<u8>,
    file: String,
}

fn load(name: &str) -> Vec<Item> {
    let path = rampart_test_support::corpus_path(&format!("sanitize/{name}"));
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = if name.ends_with(".gz") {
        let mut s = String::new();
        GzDecoder::new(&raw[..])
            .read_to_string(&mut s)
            .expect("gzip corpus");
        s
    } else {
        String::from_utf8(raw).expect("utf-8 corpus")
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json line");
            let payload = match (v["payload"].as_str(), v["payload_b64"].as_str()) {
                (Some(p), _) => p.as_bytes().to_vec(),
                (None, Some(b)) => base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .expect("base64 payload"),
                _ => panic!("no payload in {l}"),
            };
            Item {
                payload,
                file: v["file"].as_str().unwrap_or_default().to_owned(),
            }
        })
        .collect()
}

/// The traversal lists that hold payloads, not bare file names to append
/// to one (`*-files.txt`, `List_Of_File_To_Include*`, the iconv charset
/// list, the `/proc/self/fd` and simple-check name lists).
fn is_traversal_payload_list(file: &str) -> bool {
    let name = file.rsplit('/').next().unwrap_or(file);
    !(name.ends_with("-files.txt")
        || name.starts_with("List_Of_File_To_Include")
        || name.starts_with("php-filter-iconv")
        || name.starts_with("LFI-FD-check")
        || name.starts_with("LFI-WindowsFileCheck")
        || name.starts_with("simple-check"))
}

struct Row {
    name: &'static str,
    rate: f64,
    floor: f64,
    attack: bool,
}

fn misses_to_print() -> usize {
    std::env::var("RAMPART_CORPUS_MISSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn attack_rate(name: &'static str, detector: &dyn Detector, items: &[Item], floor: f64) -> Row {
    let mut shown = 0;
    let limit = misses_to_print();
    let hits = items
        .iter()
        .filter(|item| {
            let hit = detector.scan_bytes(&item.payload).is_some();
            if !hit && shown < limit {
                shown += 1;
                println!("miss {name}: {:?}", String::from_utf8_lossy(&item.payload));
            }
            hit
        })
        .count();
    Row {
        name,
        rate: 100.0 * hits as f64 / items.len().max(1) as f64,
        floor,
        attack: true,
    }
}

fn false_positive_rate(name: &'static str, items: &[Item], ceiling: f64) -> Row {
    let all = Detectors::new(Strictness::Default);
    let mut shown = 0;
    let limit = misses_to_print();
    let flagged = items
        .iter()
        .filter(|item| match all.scan_bytes(&item.payload) {
            Some(f) => {
                if shown < limit {
                    shown += 1;
                    println!(
                        "false positive {name}: {f} {:?}",
                        String::from_utf8_lossy(&item.payload)
                    );
                }
                true
            }
            None => false,
        })
        .count();
    Row {
        name,
        rate: 100.0 * flagged as f64 / items.len().max(1) as f64,
        floor: ceiling,
        attack: false,
    }
}

#[test]
fn detection_and_false_positive_rates_meet_the_floors() {
    let sqli = SqlInjectionDetector::default();
    let xss = XssDetector::default();
    let traversal = PathTraversalDetector::default();
    let cmdi = CommandInjectionDetector::default();
    let patt_traversal: Vec<Item> = load("patt_traversal.jsonl.gz")
        .into_iter()
        .filter(|i| is_traversal_payload_list(&i.file))
        .collect();
    assert!(patt_traversal.len() > 25_000, "payload lists went missing");
    let rows = vec![
        attack_rate(
            "sqli libinjection",
            &sqli,
            &load("libinjection_sqli.jsonl.gz"),
            99.0,
        ),
        attack_rate(
            "sqli httpparams",
            &sqli,
            &load("httpparams_train_sqli.jsonl.gz"),
            97.0,
        ),
        attack_rate(
            "sqli PayloadsAllTheThings",
            &sqli,
            &load("patt_sqli.jsonl"),
            80.0,
        ),
        attack_rate(
            "xss libinjection",
            &xss,
            &load("libinjection_xss.jsonl"),
            99.0,
        ),
        attack_rate(
            "xss httpparams",
            &xss,
            &load("httpparams_train_xss.jsonl"),
            90.0,
        ),
        attack_rate(
            "xss PayloadsAllTheThings",
            &xss,
            &load("patt_xss.jsonl"),
            90.0,
        ),
        attack_rate(
            "traversal PayloadsAllTheThings",
            &traversal,
            &patt_traversal,
            95.0,
        ),
        attack_rate(
            "traversal httpparams",
            &traversal,
            &load("httpparams_train_traversal.jsonl"),
            95.0,
        ),
        attack_rate(
            "cmdi PayloadsAllTheThings",
            &cmdi,
            &load("patt_cmdi.jsonl"),
            90.0,
        ),
        attack_rate(
            "cmdi httpparams",
            &cmdi,
            &load("httpparams_train_cmdi.jsonl"),
            0.0,
        ),
        false_positive_rate(
            "benign httpparams",
            &load("httpparams_train_benign.jsonl"),
            0.2,
        ),
        false_positive_rate(
            "benign libinjection FP list",
            &load("libinjection_false_positives.jsonl"),
            3.0,
        ),
    ];
    println!("{:<34} {:>8} {:>8}", "corpus", "rate %", "floor %");
    let mut failed = Vec::new();
    for row in &rows {
        let kind = if row.attack { "detected" } else { "flagged" };
        let bound = if row.attack { ">=" } else { "<=" };
        println!(
            "{:<34} {:>8.2} {bound}{:>6.1}  ({kind})",
            row.name, row.rate, row.floor
        );
        let ok = if row.attack {
            row.rate >= row.floor
        } else {
            row.rate <= row.floor
        };
        if !ok {
            failed.push(row.name);
        }
    }
    assert!(failed.is_empty(), "below the floor: {failed:?}");
    // The category of each detector is what the table claims.
    assert_eq!(sqli.category(), Category::SqlInjection);
}

/// `Detectors::scan` skips values of digits only (ids, numbers). This shows
/// the full scan (`scan_normalized`, no shortcut) gives the same on every
/// corpus line of letters, digits and `_` (the shortcut must not hide an
/// encoding such as `0x2e` or a bare command name), and on the words
/// attacks are made of, at both strictness levels; and that the comparison
/// can fail: such words do get flagged. This
/// shows it finds what the full scan (`scan_normalized`, no shortcut) finds,
/// at both strictness levels, on every such line of every corpus, attack and
/// benign, and on the bare words attacks are made of.
#[test]
fn skipping_numbers_finds_what_the_full_scan_finds() {
    use rampart_sanitize::Normalized;
    let files = [
        "libinjection_sqli.jsonl.gz",
        "httpparams_train_sqli.jsonl.gz",
        "patt_sqli.jsonl",
        "libinjection_xss.jsonl",
        "httpparams_train_xss.jsonl",
        "patt_xss.jsonl",
        "patt_traversal.jsonl.gz",
        "httpparams_train_traversal.jsonl",
        "patt_cmdi.jsonl",
        "httpparams_train_cmdi.jsonl",
        "httpparams_train_benign.jsonl",
        "libinjection_false_positives.jsonl",
    ];
    let word =
        |v: &[u8]| v.len() <= 64 && v.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_');
    let mut values: Vec<String> = files
        .iter()
        .flat_map(|f| load(f))
        .filter(|item| word(&item.payload))
        .map(|item| String::from_utf8(item.payload).expect("ascii"))
        .collect();
    let corpus_words = values.len();
    let words = [
        "",
        "1",
        "0",
        "00",
        "1e1",
        "0x41",
        "0b1",
        "1OR1",
        "1AND1",
        "1or1",
        "ORDER",
        "UNION",
        "SELECT",
        "union_select",
        "sleep",
        "SLEEP5",
        "benchmark",
        "waitfor",
        "delay",
        "NULL",
        "true",
        "TRUE",
        "admin",
        "root",
        "OR",
        "AND",
        "XOR",
        "DIV",
        "LIKE",
        "HAVING",
        "exec",
        "xp_cmdshell",
        "script",
        "javascript",
        "vbscript",
        "onerror",
        "onload",
        "OnMouseOver",
        "alert",
        "svg",
        "iframe",
        "etc",
        "passwd",
        "win_ini",
        "boot_ini",
        "cat",
        "id",
        "whoami",
        "uname",
        "ls",
        "ping",
        "nc",
        "wget",
        "curl",
        "sh",
        "bash",
        "cmd",
        "powershell",
        "where",
        "ne",
        "gt",
        "regex",
        "expr",
        "shutdown",
        "DROP",
        "TABLE",
        "information_schema",
        "CHAR",
        "CONCAT",
        "version",
        "user",
        "database",
        "load_file",
        "outfile",
        "globalThis",
        "xglobalthisx",
        "fscommand",
        "FSCommand",
        "onfscommand",
        "error",
        "load",
        "click",
        "onclick",
        "ONCLICK",
        "items",
        "page",
        "2",
    ];
    values.extend(words.iter().map(|w| (*w).to_owned()));
    let long = "a".repeat(64);
    values.push(long.clone());
    values.push(format!("{long}onerror"));
    assert!(
        corpus_words > 50,
        "only {corpus_words} plain words in the corpora"
    );
    let mut flagged = 0;
    for strictness in [Strictness::Default, Strictness::Strict] {
        let all = Detectors::new(strictness);
        for value in &values {
            let full = all.scan_normalized(&Normalized::new(value));
            flagged += usize::from(full.is_some());
            assert_eq!(
                all.scan(value),
                full,
                "{value:?} at {strictness:?}: the shortcut differs from the full scan"
            );
        }
    }
    assert!(
        flagged > 0,
        "no plain word was flagged: the comparison shows nothing"
    );
}
