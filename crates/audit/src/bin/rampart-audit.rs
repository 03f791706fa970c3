//! `rampart-audit`: verify, query and export a rampart audit trail, and make
//! its signing key.
//!
//! The arguments are few and flat, so they are parsed by hand rather than
//! with a parser crate.

use rampart_audit::{
    Outcome, Query, QueryRecord, SigningKey, SubjectKeys, VerifyOptions, VerifyReport,
    VerifyingKey, export_csv, export_jsonl, parse_rfc3339_ms, query, verify,
};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "\
rampart-audit: check and read a tamper-evident audit trail

USAGE:
    rampart-audit verify <SOURCE> --key <PUBLIC_KEY_FILE> [--sealed]
    rampart-audit query  <SOURCE> [FILTERS] [--format jsonl|csv] [--subject-keys <FILE>]
    rampart-audit export <SOURCE> --out <FILE> [FILTERS] [--format jsonl|csv] [--subject-keys <FILE>]
    rampart-audit keygen --out <KEY_FILE>

SOURCE is either
    <LOG>                                   a JSONL log file (and its rotated files)
    --database-url <URL> [--table <NAME>]   a PostgreSQL table the trail is written to
                                            (URL: postgres://user@host:port/db; NAME:
                                            table or schema.table, default rampart_audit)

COMMANDS:
    verify   Check the hash chain and the signed checkpoints of LOG and its
             rotated files (LOG.1, LOG.2, ...), or of the table's rows in
             sequence order (and that each row's columns agree with its
             line). Prints a JSON report; exits 0
             when intact, 1 when not (the report names the first bad record
             and whether it was modified, deleted, inserted, reordered or
             truncated, or a checkpoint's signature is bad).
             --sealed also requires the log to end with a checkpoint, as a
             log closed cleanly does: use it on archived logs.
    query    Print the records matching FILTERS to standard output.
    export   Write the records matching FILTERS to a file.
             With --subject-keys FILE (the log's subject key file), query
             and export show personal data decrypted, and an erased
             subject's as [erased]; without it, as stored (encrypted).
    keygen   Make an Ed25519 signing key: KEY_FILE (keep it secret, mode 0600)
             and KEY_FILE.pub (give it to whoever verifies).

FILTERS:
    --from <TIME>       at or after TIME (RFC 3339, e.g. 2026-01-31T00:00:00Z,
                        or milliseconds since the epoch)
    --to <TIME>         before TIME
    --actor <SUBJECT>   the actor's subject (in encrypted records too, given
                        --subject-keys, unless the subject was erased)
    --tenant <TENANT>   the actor's tenant
    --type <TYPE>       the event type; a trailing * matches a prefix (auth.*)
    --outcome <O>       success, failure or unknown

A password in --database-url is visible to other users of the machine in
the process list: prefer a role that needs none (peer or certificate
authentication), e.g. a Unix socket: postgres://audit@%2Fvar%2Frun%2Fpostgresql/app

EXAMPLES:
    rampart-audit keygen --out /etc/myapp/audit.key
    rampart-audit verify audit.jsonl --key audit.jsonl.pub
    rampart-audit verify --database-url postgres://audit@db/app --key audit.jsonl.pub
    rampart-audit query audit.jsonl --type 'authz.*' --outcome failure --from 2026-12-01T00:00:00Z
    rampart-audit query --database-url postgres://audit@db/app --table audit.trail --actor bob
    rampart-audit export audit.jsonl --format csv --out denials.csv --type authz.denied
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("rampart-audit: {message}\n\nRun `rampart-audit --help` for usage.");
            ExitCode::from(2)
        }
    }
}

#[derive(Default)]
struct Args {
    positional: Vec<String>,
    options: Vec<(String, String)>,
    sealed: bool,
}

impl Args {
    fn parse(args: &[String]) -> Result<Args, String> {
        let mut parsed = Args::default();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--sealed" => parsed.sealed = true,
                "--key" | "--from" | "--to" | "--actor" | "--tenant" | "--type" | "--outcome"
                | "--format" | "--out" | "--subject-keys" | "--database-url" | "--table" => {
                    let value = it.next().ok_or_else(|| format!("{arg} needs a value"))?;
                    if parsed.get(arg).is_some() {
                        return Err(format!("{arg} given twice"));
                    }
                    parsed.options.push((arg.clone(), value.clone()));
                }
                other if other.starts_with('-') => return Err(format!("unknown option {other}")),
                other => parsed.positional.push(other.to_owned()),
            }
        }
        Ok(parsed)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn source(&self) -> Result<Source, String> {
        match (self.positional.as_slice(), self.get("--database-url")) {
            ([], Some(url)) => Ok(Source::Table {
                url: url.to_owned(),
                table: self.get("--table").unwrap_or(DEFAULT_TABLE_NAME).to_owned(),
            }),
            (_, Some(_)) => Err("give a log file or --database-url, not both".into()),
            (_, None) if self.get("--table").is_some() => {
                Err("--table needs --database-url <URL>".into())
            }
            ([log], None) => Ok(Source::File(PathBuf::from(log))),
            ([], None) => Err("the log file (or --database-url <URL>) is missing".into()),
            _ => Err(format!(
                "one log file expected, got {}",
                self.positional.len()
            )),
        }
    }

    fn only(&self, allowed: &[&str]) -> Result<(), String> {
        for (k, _) in &self.options {
            if !allowed.contains(&k.as_str()) {
                return Err(format!("{k} does not apply to this command"));
            }
        }
        Ok(())
    }
}

/// Where the trail is read from.
enum Source {
    File(PathBuf),
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Table {
        url: String,
        table: String,
    },
}

#[cfg(feature = "postgres")]
const DEFAULT_TABLE_NAME: &str = rampart_audit::DEFAULT_TABLE;
#[cfg(not(feature = "postgres"))]
const DEFAULT_TABLE_NAME: &str = "rampart_audit";

impl Source {
    #[cfg(feature = "postgres")]
    fn table(url: &str, table: &str) -> Result<rampart_audit::PostgresTable, String> {
        rampart_audit::PostgresTable::new(url, table).map_err(|e| e.to_string())
    }

    fn verify(&self, key: &VerifyingKey, options: VerifyOptions) -> Result<VerifyReport, String> {
        match self {
            Source::File(log) => {
                if !log.exists() {
                    return Err(format!("{}: no such log", log.display()));
                }
                verify(log, key, options).map_err(|e| format!("{}: {e}", log.display()))
            }
            #[cfg(feature = "postgres")]
            Source::Table { url, table } => Self::table(url, table)?
                .verify(key, options)
                .map_err(|e| e.to_string()),
            #[cfg(not(feature = "postgres"))]
            Source::Table { .. } => Err(NO_POSTGRES.into()),
        }
    }

    fn query(&self, q: &Query, keys: Option<&SubjectKeys>) -> Result<Vec<QueryRecord>, String> {
        match self {
            Source::File(log) => query(log, q, keys).map_err(|e| format!("{}: {e}", log.display())),
            #[cfg(feature = "postgres")]
            Source::Table { url, table } => Self::table(url, table)?
                .query(q, keys)
                .map_err(|e| e.to_string()),
            #[cfg(not(feature = "postgres"))]
            Source::Table { .. } => Err(NO_POSTGRES.into()),
        }
    }
}

#[cfg(not(feature = "postgres"))]
const NO_POSTGRES: &str =
    "this rampart-audit was built without PostgreSQL support (rampart-audit's `postgres` feature)";

fn time(text: &str) -> Result<u64, String> {
    if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() {
        return text
            .parse()
            .map_err(|_| format!("time {text} is out of range"));
    }
    parse_rfc3339_ms(text).ok_or_else(|| {
        format!("time {text:?} is not RFC 3339 (2026-01-31T00:00:00Z) or epoch milliseconds")
    })
}

const FILTERS: &[&str] = &[
    "--from",
    "--to",
    "--actor",
    "--tenant",
    "--type",
    "--outcome",
    "--format",
    "--subject-keys",
];

fn build_query(args: &Args) -> Result<Query, String> {
    let mut q = Query::default();
    q.from_ms = args.get("--from").map(time).transpose()?;
    q.to_ms = args.get("--to").map(time).transpose()?;
    q.actor = args.get("--actor").map(str::to_owned);
    q.tenant = args.get("--tenant").map(str::to_owned);
    q.event_type = args.get("--type").map(str::to_owned);
    q.outcome = match args.get("--outcome") {
        None => None,
        Some("success") => Some(Outcome::Success),
        Some("failure") => Some(Outcome::Failure),
        Some("unknown") => Some(Outcome::Unknown),
        Some(other) => {
            return Err(format!(
                "--outcome {other}: expected success, failure or unknown"
            ));
        }
    };
    Ok(q)
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let Some((command, rest)) = args.split_first() else {
        print!("{HELP}");
        return Ok(ExitCode::from(2));
    };
    if matches!(command.as_str(), "-h" | "--help" | "help")
        || rest.iter().any(|a| a == "--help" || a == "-h")
    {
        print!("{HELP}");
        return Ok(ExitCode::SUCCESS);
    }
    let args = Args::parse(rest)?;
    match command.as_str() {
        "verify" => {
            args.only(&["--key", "--database-url", "--table"])?;
            let source = args.source()?;
            let key_file = args
                .get("--key")
                .ok_or("verify needs --key <PUBLIC_KEY_FILE>")?;
            let text = std::fs::read_to_string(key_file).map_err(|e| format!("{key_file}: {e}"))?;
            let key = VerifyingKey::from_base64(&text).map_err(|e| format!("{key_file}: {e}"))?;
            let report =
                source.verify(&key, VerifyOptions::default().require_sealed(args.sealed))?;
            let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
            println!("{json}");
            Ok(if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        "query" | "export" => {
            let mut allowed = FILTERS.to_vec();
            allowed.extend(["--database-url", "--table"]);
            if command == "export" {
                allowed.push("--out");
            }
            args.only(&allowed)?;
            if args.sealed {
                return Err("--sealed applies to verify only".into());
            }
            let source = args.source()?;
            let q = build_query(&args)?;
            let keys = args
                .get("--subject-keys")
                .map(|p| SubjectKeys::open(p).map_err(|e| format!("{p}: {e}")))
                .transpose()?;
            let records = source.query(&q, keys.as_ref())?;
            let out: Box<dyn Write> = if command == "export" {
                let path = args.get("--out").ok_or("export needs --out <FILE>")?;
                Box::new(std::io::BufWriter::new(
                    std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?,
                ))
            } else {
                Box::new(std::io::BufWriter::new(std::io::stdout().lock()))
            };
            let written = match args.get("--format").unwrap_or("jsonl") {
                "jsonl" => export_jsonl(&records, out),
                "csv" => export_csv(&records, out),
                other => return Err(format!("--format {other}: expected jsonl or csv")),
            };
            written.map_err(|e| e.to_string())?;
            if command == "export" {
                eprintln!("{} records written", records.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        "keygen" => {
            args.only(&["--out"])?;
            if !args.positional.is_empty() || args.sealed {
                return Err("keygen takes only --out <KEY_FILE>".into());
            }
            let out = PathBuf::from(args.get("--out").ok_or("keygen needs --out <KEY_FILE>")?);
            if out.exists() {
                return Err(format!(
                    "{} exists; refusing to overwrite a key",
                    out.display()
                ));
            }
            let (key, text) = SigningKey::generate().map_err(|e| e.to_string())?;
            write_private(&out, text.as_bytes()).map_err(|e| format!("{}: {e}", out.display()))?;
            let mut public = out.clone().into_os_string();
            public.push(".pub");
            let public = PathBuf::from(public);
            std::fs::write(&public, key.verifying_key().to_base64() + "\n")
                .map_err(|e| format!("{}: {e}", public.display()))?;
            println!(
                "signing key: {}\npublic key:  {} (key id {})",
                out.display(),
                public.display(),
                key.verifying_key().key_id()
            );
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command {other:?}")),
    }
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}
