//! The `rampart-audit` binary: keygen, verify, query, export, and its errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_audit::{AuditEvent, AuditLog, FileSink, FileSinkOptions, Outcome, SigningKey, types};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, UNIX_EPOCH};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rampart-audit"))
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

fn dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The four events every test log holds.
fn events() -> Vec<AuditEvent> {
    let at = |ms: u64| UNIX_EPOCH + Duration::from_millis(ms);
    vec![
        AuditEvent::new(types::AUTH_LOGIN_FAILURE)
            .subject("bob")
            .tenant("acme")
            .outcome(Outcome::Failure)
            .at(at(1_000)),
        AuditEvent::new(types::AUTHZ_DENIED)
            .subject("bob")
            .tenant("acme")
            .outcome(Outcome::Failure)
            .reason("=cmd|' /C calc'!A0")
            .at(at(2_000)),
        AuditEvent::new(types::DATA_READ)
            .subject("carol")
            .tenant("globex")
            .outcome(Outcome::Success)
            .at(at(3_000)),
        AuditEvent::new(types::AUTH_LOGIN_SUCCESS)
            .subject("bob")
            .tenant("acme")
            .outcome(Outcome::Success)
            .at(at(4_000)),
    ]
}

/// A signing key made by `keygen` in `d`: the key and its public file.
fn keygen(d: &Path) -> (SigningKey, PathBuf) {
    let key = d.join("audit.key");
    let out = cli(&["keygen", "--out", s(&key)]);
    assert!(out.status.success(), "{}", text(&out));
    let signer = SigningKey::from_pkcs8_base64(&std::fs::read_to_string(&key).unwrap()).unwrap();
    (signer, d.join("audit.key.pub"))
}

/// A log of four events signed with a key made by `keygen`.
fn setup(name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let d = dir(name);
    let (signer, public) = keygen(&d);
    let log_path = d.join("audit.jsonl");
    let log = AuditLog::builder(FileSink::new(&log_path, FileSinkOptions::default()), signer)
        .build()
        .unwrap();
    for event in events() {
        log.record(event).unwrap();
    }
    log.shutdown().unwrap();
    (d, log_path, public)
}

#[test]
fn help_explains_every_command() {
    let out = cli(&["--help"]);
    assert!(out.status.success());
    let help = text(&out);
    for word in [
        "verify",
        "query",
        "export",
        "keygen",
        "--sealed",
        "--actor",
        "RFC 3339",
        "--database-url",
        "--table",
    ] {
        assert!(help.contains(word), "{word}");
    }
    assert_eq!(cli(&["verify", "--help"]).status.code(), Some(0));
    assert_eq!(cli(&[]).status.code(), Some(2));
}

#[test]
fn verify_passes_an_intact_log_and_names_tampering() {
    let (_d, log, public) = setup("verify");
    let out = cli(&["verify", s(&log), "--key", s(&public), "--sealed"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["events"], 4);

    let original = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, original.replace("carol", "caro1")).unwrap();
    let out = cli(&["verify", s(&log), "--key", s(&public)]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["failure"]["kind"], "modified");
    assert_eq!(report["failure"]["seq"], 3);
}

#[test]
fn query_filters_and_export_writes_csv() {
    let (d, log, _) = setup("query");
    let out = cli(&[
        "query",
        s(&log),
        "--actor",
        "bob",
        "--outcome",
        "failure",
        "--from",
        "1970-01-01T00:00:01.500Z",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["event"]["type"], "authz.denied");
    assert_eq!(lines[0]["seq"], 2);

    let out = cli(&[
        "query",
        s(&log),
        "--type",
        "auth.*",
        "--tenant",
        "acme",
        "--to",
        "4000",
    ]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);

    let csv = d.join("out.csv");
    let out = cli(&[
        "export",
        s(&log),
        "--format",
        "csv",
        "--out",
        s(&csv),
        "--tenant",
        "acme",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let body = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<&str> = body.lines().collect();
    assert_eq!(rows.len(), 4, "{body}");
    assert!(rows[0].starts_with("seq,timestamp,id,type"));
    assert!(
        body.contains("'=cmd"),
        "a formula in a cell is defused: {body}"
    );
}

#[test]
fn bad_arguments_say_what_is_wrong() {
    let (_d, log, public) = setup("bad");
    for (args, expect) in [
        (vec!["verify", s(&log)], "--key"),
        (vec!["verify", s(&log), "--key", s(&log)], "public key"),
        (vec!["query", s(&log), "--from", "yesterday"], "RFC 3339"),
        (
            vec!["query", s(&log), "--outcome", "maybe"],
            "success, failure or unknown",
        ),
        (vec!["query", s(&log), "--format", "xml"], "jsonl or csv"),
        (
            vec!["query", s(&log), "--key", s(&public)],
            "does not apply",
        ),
        (vec!["frobnicate"], "unknown command"),
        (
            vec!["verify", "/nonexistent/audit.jsonl", "--key", s(&public)],
            "no such log",
        ),
        (vec!["keygen", "--out", s(&public)], "refusing to overwrite"),
    ] {
        let out = cli(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out).contains(expect), "{args:?}: {}", text(&out));
    }
}

#[test]
fn the_database_source_is_one_or_the_other_and_its_table_name_is_checked() {
    let (_d, log, public) = setup("db-args");
    let url = "postgres://nobody@127.0.0.1:1/none";
    let bad_table = if cfg!(feature = "postgres") {
        "identifier"
    } else {
        "without PostgreSQL support"
    };
    for (args, expect) in [
        (
            vec!["verify", s(&log), "--table", "t", "--key", s(&public)],
            "--table needs --database-url",
        ),
        (
            vec![
                "verify",
                s(&log),
                "--database-url",
                url,
                "--key",
                s(&public),
            ],
            "not both",
        ),
        (
            vec!["query", "--table", "t"],
            "--table needs --database-url",
        ),
        (
            vec!["query", "--database-url", url, "--table", "x; DROP TABLE y"],
            bad_table,
        ),
        (
            vec!["export", "--out", "x.csv"],
            "--database-url <URL>) is missing",
        ),
    ] {
        let out = cli(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(expect), "{args:?}: {}", text(&out));
    }
}

#[cfg(feature = "postgres")]
#[test]
fn the_table_form_verifies_queries_and_exports() {
    use rampart_audit::{PostgresSink, PostgresTable};
    let Some(url) = rampart_test_support::service_url(
        "DATABASE_URL",
        "the_table_form_verifies_queries_and_exports",
    ) else {
        return;
    };
    let d = dir("db");
    let (signer, public) = keygen(&d);
    let table = format!("audit_cli_{}", std::process::id());
    let mut db = url
        .parse::<postgres::Config>()
        .unwrap()
        .connect(postgres::NoTls)
        .unwrap();
    db.batch_execute(&format!("DROP TABLE IF EXISTS {table}"))
        .unwrap();
    let sink = PostgresSink::new(PostgresTable::new(&url, &table).unwrap());
    let log = AuditLog::builder(sink, signer).build().unwrap();
    for event in events() {
        log.record(event).unwrap();
    }
    log.shutdown().unwrap();
    let source = ["--database-url", url.as_str(), "--table", table.as_str()];
    let with = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(source);
        cli(&all)
    };

    let out = with(&["verify", "--key", s(&public), "--sealed"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["ok"].clone(), report["events"].clone()),
        (true.into(), 4.into())
    );

    let out = with(&[
        "query",
        "--actor",
        "bob",
        "--outcome",
        "failure",
        "--from",
        "1970-01-01T00:00:01.500Z",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (lines[0]["seq"].clone(), lines[0]["event"]["type"].clone()),
        (2.into(), "authz.denied".into())
    );

    let csv = d.join("out.csv");
    let out = with(&[
        "export",
        "--format",
        "csv",
        "--out",
        s(&csv),
        "--tenant",
        "acme",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let body = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(body.lines().count(), 4, "{body}");
    assert!(body.contains("'=cmd"), "{body}");

    db.batch_execute(&format!(
        "UPDATE {table} SET line = replace(line, 'carol', 'caro1') WHERE kind = 0"
    ))
    .unwrap();
    let out = with(&["verify", "--key", s(&public)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["failure"]["kind"], "modified");
    assert_eq!(report["failure"]["seq"], 3);

    let missing = cli(&[
        "verify",
        "--database-url",
        &url,
        "--table",
        "no_such_audit_table",
        "--key",
        s(&public),
    ]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
    assert!(
        text(&missing).contains("no_such_audit_table"),
        "{}",
        text(&missing)
    );
}
