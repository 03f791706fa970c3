//! Property tests: every kind of tampering with a log is detected and named.

use crate::chain::{ChainHead, ParsedRecord, seal};
use crate::checkpoint::SigningKey;
use crate::event::{AuditEvent, Outcome, types};
use crate::files::{LogLine, split_lines};
use crate::verify::{self, SourceLine, TamperKind, VerifyOptions, verify_lines};
use proptest::prelude::*;
use serde_json::Value;
use std::sync::OnceLock;

fn key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate().expect("key").0)
}

/// A sealed log of `n` records with a checkpoint every `every` records and at the end.
fn build(n: usize, every: usize) -> Vec<String> {
    let mut head = ChainHead::GENESIS;
    let mut lines = Vec::new();
    let kinds = [
        types::DATA_READ,
        types::AUTHZ_DENIED,
        types::ADMIN_ROLE_GRANTED,
    ];
    for i in 0..n {
        let event = AuditEvent::new(kinds[i % kinds.len()])
            .subject(format!("user-{i}"))
            .outcome(if i % 2 == 0 {
                Outcome::Success
            } else {
                Outcome::Failure
            })
            .meta("n", i)
            .meta("flag", i % 3 == 0);
        lines.push(seal(&mut head, event).expect("seal").line);
        if (i + 1) % every == 0 && i + 1 < n {
            lines.push(key().checkpoint(head, 1_000 + i as u64).to_line());
        }
    }
    lines.push(key().checkpoint(head, 9_999).to_line());
    lines
}

fn to_log(lines: &[String]) -> Vec<LogLine> {
    let mut text = lines.join("\n");
    text.push('\n');
    split_lines("audit.jsonl", text.as_bytes())
}

fn record_positions(lines: &[String]) -> Vec<usize> {
    (0..lines.len())
        .filter(|&i| !lines[i].starts_with("{\"checkpoint\""))
        .collect()
}

fn check(lines: &[String]) -> crate::VerifyReport {
    verify_lines(
        &to_log(lines),
        &key().verifying_key(),
        VerifyOptions::default().require_sealed(true),
    )
}

fn kind(lines: &[String]) -> Option<TamperKind> {
    check(lines).failure.map(|f| f.kind)
}

/// Every leaf of a JSON value, as a path of keys and indexes.
fn leaves(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                path.push(Value::String(k.clone()));
                leaves(child, path, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                path.push(Value::from(i));
                leaves(child, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

fn mutate(v: &mut Value, path: &[Value]) {
    let mut cur = v;
    for step in path {
        cur = match step {
            Value::String(k) => &mut cur[k.as_str()],
            Value::Number(i) => &mut cur[i.as_u64().unwrap_or(0) as usize],
            _ => return,
        };
    }
    *cur = match cur.take() {
        Value::String(s) if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => {
            let flipped = if s.starts_with('0') { '1' } else { '0' };
            Value::String(format!("{flipped}{}", &s[1..]))
        }
        Value::String(s) => Value::String(format!("{s}x")),
        Value::Number(n) => Value::from(n.as_u64().unwrap_or(0) + 1),
        Value::Bool(b) => Value::Bool(!b),
        Value::Null => Value::Bool(true),
        other => other,
    };
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn an_untouched_log_verifies(n in 0usize..40, every in 1usize..10) {
        let lines = build(n, every);
        let report = check(&lines);
        prop_assert!(report.ok, "{:?}", report.failure);
        prop_assert_eq!(report.events, n as u64);
        prop_assert_eq!(report.sealed_through, n as u64);
    }

    #[test]
    fn modifying_any_field_of_any_record_is_detected(
        n in 1usize..30, every in 1usize..10, pick in any::<prop::sample::Index>(), leaf in any::<prop::sample::Index>()
    ) {
        let mut lines = build(n, every);
        let target = *pick.get(&record_positions(&lines));
        let mut value: Value = serde_json::from_str(&lines[target]).unwrap();
        let mut all = Vec::new();
        leaves(&value, &mut Vec::new(), &mut all);
        let chosen = leaf.get(&all).clone();
        mutate(&mut value, &chosen);
        lines[target] = value.to_string();
        prop_assert_eq!(kind(&lines), Some(TamperKind::Modified));
    }

    #[test]
    fn modifying_a_checkpoint_breaks_its_signature(
        n in 1usize..30, every in 1usize..10, pick in any::<prop::sample::Index>(), leaf in 0usize..4
    ) {
        let mut lines = build(n, every);
        let cps: Vec<usize> = (0..lines.len()).filter(|i| !record_positions(&lines).contains(i)).collect();
        let target = *pick.get(&cps);
        let mut value: Value = serde_json::from_str(&lines[target]).unwrap();
        let field = ["seq", "hash", "time_ms", "sig"][leaf];
        if field == "sig" {
            value["checkpoint"]["sig"] = Value::String(
                key().checkpoint(ChainHead::GENESIS, 0).sig,
            );
        } else {
            mutate(&mut value, &[Value::from("checkpoint"), Value::from(field)]);
        }
        lines[target] = value.to_string();
        prop_assert_eq!(kind(&lines), Some(TamperKind::BadSignature));
    }

    #[test]
    fn deleting_a_record_is_detected(n in 1usize..30, every in 1usize..10, pick in any::<prop::sample::Index>()) {
        let mut lines = build(n, every);
        let target = *pick.get(&record_positions(&lines));
        lines.remove(target);
        prop_assert_eq!(kind(&lines), Some(TamperKind::Deleted));
    }

    #[test]
    fn inserting_a_copy_of_a_record_is_detected(
        n in 1usize..30, every in 1usize..10, from in any::<prop::sample::Index>(), to in any::<prop::sample::Index>()
    ) {
        let mut lines = build(n, every);
        let copy = lines[*from.get(&record_positions(&lines))].clone();
        let at = to.index(lines.len());
        lines.insert(at, copy);
        prop_assert_eq!(kind(&lines), Some(TamperKind::Inserted));
    }

    #[test]
    fn swapping_two_records_is_detected(
        n in 2usize..30, every in 1usize..10, a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>()
    ) {
        let mut lines = build(n, every);
        let records = record_positions(&lines);
        let (i, j) = (*a.get(&records), *b.get(&records));
        prop_assume!(i != j);
        lines.swap(i, j);
        prop_assert_eq!(kind(&lines), Some(TamperKind::Reordered));
    }

    #[test]
    fn truncating_a_sealed_log_is_detected(n in 1usize..30, cut in any::<prop::sample::Index>()) {
        let lines = build(n, usize::MAX);
        let mut text = lines.join("\n");
        text.push('\n');
        let at = cut.index(text.len());
        let log = split_lines("audit.jsonl", &text.as_bytes()[..at]);
        let report = verify_lines(&log, &key().verifying_key(), VerifyOptions::default().require_sealed(true));
        prop_assert_eq!(report.failure.map(|f| f.kind), Some(TamperKind::Truncated));
        // A live reader skips a half-written last line and checks the rest.
        let live = verify_lines(&log, &key().verifying_key(), VerifyOptions::default().live(true));
        prop_assert!(live.ok, "{:?}", live.failure);
    }
}

#[test]
fn a_forged_record_with_correct_links_is_an_insertion() {
    let mut lines = build(4, usize::MAX);
    // The attacker reads record 2's hash and forges a record 3 after it.
    let value: Value = serde_json::from_str(&lines[1]).unwrap();
    let mut head = ChainHead {
        seq: 2,
        hash: crate::canonical::unhex32(value["hash"].as_str().unwrap()).unwrap(),
    };
    let forged = seal(
        &mut head,
        AuditEvent::new(types::DATA_READ).subject("mallory"),
    )
    .unwrap();
    lines.insert(2, forged.line);
    let report = check(&lines);
    let failure = report.failure.unwrap();
    assert_eq!(failure.kind, TamperKind::Inserted);
    assert_eq!(failure.seq, Some(3));
    assert_eq!(failure.location, "audit.jsonl:4");
    assert_eq!(report.events, 3);
}

#[test]
fn rewriting_the_chain_with_fresh_hashes_is_caught_by_the_checkpoint() {
    let lines = build(6, 3);
    // Rebuild everything with one event changed and every hash recomputed,
    // keeping the signed checkpoints (the attacker has no private key).
    let mut head = ChainHead::GENESIS;
    let mut forged = Vec::new();
    for line in &lines {
        let value: Value = serde_json::from_str(line).unwrap();
        if value.get("checkpoint").is_some() {
            forged.push(line.clone());
            continue;
        }
        let mut event: AuditEvent = serde_json::from_value(value["event"].clone()).unwrap();
        if head.seq == 1 {
            event.reason = Some("nothing to see".into());
        }
        forged.push(seal(&mut head, event).unwrap().line);
    }
    let failure = check(&forged).failure.unwrap();
    assert_eq!(failure.kind, TamperKind::Modified);
    assert_eq!(failure.seq, Some(3));
}

#[test]
fn another_key_is_a_bad_signature_and_malformed_lines_are_named() {
    let lines = build(3, usize::MAX);
    let (other, _) = SigningKey::generate().unwrap();
    let report = verify_lines(
        &to_log(&lines),
        &other.verifying_key(),
        VerifyOptions::default(),
    );
    assert_eq!(report.failure.unwrap().kind, TamperKind::BadSignature);
    let mut lines = lines;
    lines.insert(1, "not json".into());
    assert_eq!(kind(&lines), Some(TamperKind::Malformed));
}

#[test]
fn a_live_log_with_an_unsealed_tail_passes_by_default_and_says_so() {
    let mut lines = build(5, 2);
    lines.pop(); // the final checkpoint
    lines.pop(); // record 5
    let report = verify_lines(
        &to_log(&lines),
        &key().verifying_key(),
        VerifyOptions::default(),
    );
    assert!(report.ok);
    assert_eq!(
        (report.events, report.sealed_through, report.unsealed),
        (4, 4, 0)
    );
    lines.pop(); // checkpoint 4
    let report = verify_lines(
        &to_log(&lines),
        &key().verifying_key(),
        VerifyOptions::default(),
    );
    assert!(report.ok);
    assert_eq!(
        (report.events, report.sealed_through, report.unsealed),
        (4, 2, 2)
    );
    let refused = check(&lines);
    assert_eq!(refused.failure.unwrap().kind, TamperKind::Truncated);
    // A refused log still says how much of it no checkpoint vouches for.
    assert_eq!((refused.sealed_through, refused.unsealed), (2, 2));
}

#[test]
fn a_log_pruned_to_a_checkpoint_verifies_and_one_cut_elsewhere_does_not() {
    let mut lines = build(6, 3);
    // Lines: r1 r2 r3 cp3 r4 r5 r6 cp6. A rotation after cp3 starts the next
    // file with an anchor; pruning keeps from there.
    let cp3: crate::Checkpoint = serde_json::from_value(
        serde_json::from_str::<Value>(&lines[3]).unwrap()["checkpoint"].clone(),
    )
    .unwrap();
    let anchor = key().anchor(cp3.head().unwrap(), cp3.time_ms);
    lines.insert(4, anchor.to_line());
    let report = check(&lines[4..]);
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!((report.first_seq, report.events), (4, 3));
    assert_eq!(kind(&lines[3..]), Some(TamperKind::Deleted));
    assert_eq!(kind(&lines[5..]), Some(TamperKind::Deleted));
}

#[test]
fn a_cut_last_line_is_truncated_even_when_no_seal_is_required() {
    let lines = build(3, usize::MAX);
    let mut text = lines.join("\n");
    text.push('\n');
    // Cut the final checkpoint in half: every record is still whole.
    let cut = text.len() - lines[3].len() / 2;
    let log = split_lines("audit.jsonl", &text.as_bytes()[..cut]);
    let report = verify_lines(&log, &key().verifying_key(), VerifyOptions::default());
    assert!(!report.ok);
    let failure = report.failure.unwrap();
    assert_eq!(failure.kind, TamperKind::Truncated);
    assert_eq!(failure.location, "audit.jsonl:4");
    // A reader of a live log stops before the cut line, the records verified.
    let live = verify_lines(
        &log,
        &key().verifying_key(),
        VerifyOptions::default().live(true),
    );
    assert!(live.ok, "{:?}", live.failure);
    assert_eq!((live.events, live.checkpoints, live.unsealed), (3, 0, 3));
}

#[test]
fn a_live_reader_checks_a_whole_last_line_and_a_cut_one_before_the_end() {
    let lines = build(3, 2);
    let whole = verify_lines(
        &to_log(&lines),
        &key().verifying_key(),
        VerifyOptions::default().live(true),
    );
    assert!(whole.ok, "{:?}", whole.failure);
    assert_eq!(
        (whole.events, whole.checkpoints, whole.sealed_through),
        (3, 2, 3)
    );
    // A rotated file cut mid-line is followed by the current file: the cut
    // is not the live end of the log, so it is reported.
    let mut rotated = lines[..2].join("\n");
    rotated.push('\n');
    rotated.push_str(&lines[2][..10]);
    let mut log = split_lines("audit.jsonl.1", rotated.as_bytes());
    log.extend(to_log(&lines[3..]));
    let report = verify_lines(
        &log,
        &key().verifying_key(),
        VerifyOptions::default().live(true),
    );
    let failure = report.failure.unwrap();
    assert_eq!(failure.kind, TamperKind::Truncated);
    assert_eq!(failure.location, "audit.jsonl.1:3");
}

#[test]
fn a_refused_unsealed_log_reports_its_figures() {
    // r1 r2 cp2 r3 r4 cp4 r5 r6 cp6, without cp4 and cp6.
    let mut lines = build(6, 2);
    lines.pop();
    lines.remove(5);
    let open = verify_lines(
        &to_log(&lines),
        &key().verifying_key(),
        VerifyOptions::default(),
    );
    assert!(open.ok, "{:?}", open.failure);
    assert_eq!(
        (open.first_seq, open.last_seq, open.events),
        (1, 6, 6),
        "a log starting with a record starts at seq 1"
    );
    assert_eq!(
        (open.checkpoints, open.sealed_through, open.unsealed),
        (1, 2, 4)
    );
    let refused = check(&lines);
    assert!(!refused.ok);
    assert_eq!((refused.sealed_through, refused.unsealed), (2, 4));
    let failure = refused.failure.unwrap();
    assert_eq!(failure.kind, TamperKind::Truncated);
    assert_eq!(failure.seq, Some(6));
    assert_eq!(failure.location, "audit.jsonl:7");
    // A log with no checkpoint at all is not sealed either.
    let bare = check(&lines[..2]);
    assert_eq!(bare.failure.unwrap().kind, TamperKind::Truncated);
    assert_eq!((bare.checkpoints, bare.unsealed), (0, 2));
}

#[test]
fn a_checkpoint_past_the_chain_names_the_first_missing_record() {
    // r1 r2 r3 cp3 without r3.
    let mut lines = build(3, usize::MAX);
    lines.remove(2);
    let report = check(&lines);
    let failure = report.failure.unwrap();
    assert_eq!(failure.kind, TamperKind::Deleted);
    assert_eq!(failure.seq, Some(3));
    assert_eq!(failure.location, "audit.jsonl:3");
    assert_eq!((report.events, report.last_seq), (2, 2));
}

#[test]
fn a_checkpoint_moved_past_a_later_record_is_reordered_and_before_a_copy_inserted() {
    // r1 r2 cp2 r3 r4 cp4: move cp2 after r3.
    let mut moved = build(4, 2);
    let cp2 = moved.remove(2);
    moved.insert(3, cp2);
    let failure = check(&moved).failure.unwrap();
    assert_eq!(failure.kind, TamperKind::Reordered);
    assert_eq!(failure.seq, Some(2));
    assert_eq!(failure.location, "audit.jsonl:4");
    // r1 r2 cp2 r3 cp3 with a copy of r3 before cp2: the copy links, so
    // the checkpoint is the first to see seq 3 twice.
    let mut copied = build(3, 2);
    let r3 = copied[3].clone();
    copied.insert(2, r3);
    let failure = check(&copied).failure.unwrap();
    assert_eq!(failure.kind, TamperKind::Inserted);
    assert_eq!(failure.seq, Some(3));
    assert_eq!(failure.location, "audit.jsonl:4");
}

/// A source that keeps columns beside its lines, all of them wrong.
struct Disagreeing(LogLine);

impl SourceLine for Disagreeing {
    fn text(&self) -> &str {
        &self.0.text
    }
    fn location(&self) -> String {
        self.0.location()
    }
    fn agrees(&self, _record: &ParsedRecord) -> Result<(), String> {
        Err("the row's subject column disagrees with its line".into())
    }
}

#[test]
fn a_source_read_by_reference_still_has_its_columns_checked() {
    let lines: Vec<Disagreeing> = to_log(&build(2, usize::MAX))
        .into_iter()
        .map(Disagreeing)
        .collect();
    let report = match verify::check(
        lines.iter().map(Ok::<_, std::convert::Infallible>),
        &key().verifying_key(),
        VerifyOptions::default(),
    ) {
        Ok(report) => report,
        Err(never) => match never {},
    };
    let failure = report.failure.unwrap();
    assert_eq!(failure.kind, TamperKind::Modified);
    assert_eq!(failure.seq, Some(1));
    assert_eq!(failure.location, "audit.jsonl:1");
    assert!(
        failure.detail.contains("subject column"),
        "{}",
        failure.detail
    );
}
