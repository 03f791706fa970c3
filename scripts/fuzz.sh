#!/usr/bin/env bash
# Runs each fuzz target for a given time, one after the other.
#
#   scripts/fuzz.sh <seconds> [target...]     (no target: every target)
#
# With cargo-fuzz and a nightly toolchain installed it runs `cargo +nightly
# fuzz run` (AddressSanitizer). Otherwise it builds the targets on stable
# with libfuzzer-sys and the same SanitizerCoverage instrumentation
# cargo-fuzz asks for (inline 8-bit counters, PC table, compare tracing), so
# libFuzzer is still coverage-guided; only the sanitizer is missing, which
# safe Rust does not need to catch memory errors. FUZZ_ENGINE=stable or
# FUZZ_ENGINE=cargo-fuzz forces one.
#
# Corpora grow in fuzz/corpus/<target> (seeded from testdata/ on each run),
# crashes land in fuzz/artifacts/<target>/, and one summary line per target
# (date, seconds, executions, coverage, features, corpus, crashes) is
# appended to fuzz/artifacts/runs.tsv and printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 1 || ! $1 =~ ^[0-9]+$ ]]; then
    echo "usage: $0 <seconds> [target...]" >&2
    exit 2
fi
seconds=$1
shift

all_targets() {
    sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^rampart-fuzz$'
}
if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    mapfile -t targets < <(all_targets)
fi
for t in "${targets[@]}"; do
    if [[ ! -f fuzz/fuzz_targets/$t.rs ]]; then
        echo "no such fuzz target: $t (have: $(all_targets | tr '\n' ' '))" >&2
        exit 2
    fi
done

engine=${FUZZ_ENGINE:-}
if [[ -z $engine ]]; then
    if cargo fuzz --version >/dev/null 2>&1 && rustup run nightly rustc --version >/dev/null 2>&1; then
        engine=cargo-fuzz
    else
        engine=stable
    fi
fi

# Seeds: public inputs already in testdata/, one file per input.
seed() {
    local target=$1 dir=fuzz/corpus/$1
    mkdir -p "$dir"
    python3 - "$target" "$dir" <<'PY'
import glob, gzip, hashlib, json, os, sys

target, out = sys.argv[1], sys.argv[2]
LIMIT = 2000

def jsonl(path, field="payload"):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                value = json.loads(line).get(field)
                if isinstance(value, str):
                    yield value.encode()

def files(pattern):
    for path in sorted(glob.glob(pattern)):
        with open(path, "rb") as f:
            yield f.read()

def take(items):
    for i, item in enumerate(items):
        if i >= LIMIT:
            break
        yield item

def sanitize(*names):
    for name in names:
        yield from take(jsonl(os.path.join("testdata/sanitize", name)))

def seeds():
    if target == "jwt_verify":
        yield from jsonl("testdata/jwt/keats_tokens.jsonl", "token")
        for doc in files("testdata/jwt/rfc7520_cookbook/jws/*.json"):
            output = json.loads(doc).get("output", {})
            if isinstance(output.get("compact"), str):
                yield output["compact"].encode()
    elif target == "jwks_document":
        keys = [json.loads(doc) for doc in files("testdata/jwt/rfc7520_cookbook/jwk/*.json")]
        for key in keys:
            yield json.dumps({"keys": [key]}).encode()
        yield json.dumps({"keys": keys}).encode()
    elif target in ("detectors", "json_limits"):
        yield from sanitize("patt_sqli.jsonl", "patt_xss.jsonl", "patt_traversal.jsonl.gz",
                            "patt_cmdi.jsonl", "libinjection_false_positives.jsonl")
    elif target == "sql_guard":
        yield from sanitize("patt_sqli.jsonl")
        yield b"SELECT id, name FROM items WHERE tenant_id = $1 AND id = $2"
    elif target == "html_clean":
        yield from sanitize("dompurify_fixtures.jsonl", "patt_xss.jsonl", "libinjection_xss.jsonl")
    elif target == "url_validator":
        yield from sanitize("patt_ssrf_urls.jsonl")
    elif target == "validators":
        yield from sanitize("httpparams_train_benign.jsonl")
        yield b"alice@example.com"
        yield b"photo.png\0\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89"
        yield b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'
    elif target == "fernet_token":
        for name in ("verify", "invalid", "generate"):
            for case in json.loads(next(files(f"testdata/crypto/fernet/{name}.json"))):
                if isinstance(case.get("token"), str):
                    yield case["token"].encode()
    elif target == "audit_chain":
        log = next(files("testdata/audit/erasure-v1/audit.jsonl"))
        yield b"\0" + log
        for i, line in enumerate(log.splitlines()):
            yield bytes([1 + 2 * i]) + line
        yield b"2026-12-03T06:19:12.345Z"
    elif target == "rbac_policy":
        yield b'[roles.viewer]\npermissions = ["items:read"]\n[roles.editor]\ninherits = ["viewer"]\npermissions = ["items:write", "reports:read:own_tenant"]\ndeny = ["admin:impersonate"]\n[[bindings]]\nsubject = "alice"\nrole = "editor"\ntenant = "acme"\n'
        yield b'{"roles": {"admin": {"permissions": ["*"], "deny": ["items:delete:own"]}}}'
        yield b"reports:read:own_org"
    elif target == "stack_config":
        yield from files("examples/secure-api/config/*.toml")
        yield b'https_only = false\n[proxies]\ntrusted_proxies = ["10.0.0.0/8"]\n[rbac.roles.reader]\npermissions = ["items:read"]\n'
    elif target == "https_scheme":
        yield b"for=203.0.113.9;proto=https\xff203.0.113.9\xffhttps\xffexample.com\xff/login?next=%2F"
        yield b'for="[2001:db8::1]:443";proto=http, for=10.0.0.2\xff203.0.113.9, 10.0.0.2\xffhttp, https\xffexample.com:8080\xff/'
    elif target == "client_ip":
        yield b'for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711"'
        yield b"203.0.113.7, 10.0.0.2"
    elif target == "csrf_check":
        yield b"cross-site\xffhttps://evil.example\xffhttps://evil.example/\xffapp.example.com"
    elif target == "session_cookie":
        yield b"__Host-session=" + b"A" * 60 + b"; theme=dark"

for data in seeds():
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
PY
}

target_dir=${CARGO_TARGET_DIR:-$PWD/fuzz/target}
triple=$(rustc -vV | sed -n 's/^host: //p')
if [[ $engine == stable ]]; then
    echo "== building the fuzz targets on stable with SanitizerCoverage ($triple)"
    # --target keeps these flags away from build scripts and proc macros.
    RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Copt-level=3" \
        CARGO_TARGET_DIR=$target_dir \
        cargo build --manifest-path fuzz/Cargo.toml --release --locked --target "$triple" \
        $(printf -- '--bin %s ' "${targets[@]}")
fi

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
log_dir=fuzz/artifacts/logs
mkdir -p "$log_dir"
for t in "${targets[@]}"; do
    seed "$t"
    mkdir -p "fuzz/artifacts/$t"
    log=$log_dir/$t.log
    stamp=$log_dir/$t.start
    touch "$stamp"
    echo "== $t: ${seconds}s ($engine)"
    status=0
    flags=(-max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -timeout=10
           -max_len=65536 -artifact_prefix="fuzz/artifacts/$t/")
    if [[ $engine == cargo-fuzz ]]; then
        cargo +nightly fuzz run --fuzz-dir fuzz "$t" "fuzz/corpus/$t" -- "${flags[@]}" \
            >"$log" 2>&1 || status=$?
    else
        "$target_dir/$triple/release/$t" "${flags[@]}" "fuzz/corpus/$t" >"$log" 2>&1 || status=$?
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
    crashes=$(find "fuzz/artifacts/$t" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' \) -newer "$stamp" | wc -l)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$t" "$seconds" "${runs:-?}" \
        "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes" | tee -a fuzz/artifacts/runs.tsv >>"$summary"
    if [[ $status -ne 0 ]]; then
        echo "   $t stopped with status $status: see $log and fuzz/artifacts/$t/" >&2
    fi
done

echo
echo "date        target  seconds  executions  cov  ft  corpus  crashes"
column -t -s $'\t' "$summary"
if awk -F'\t' '$8 > 0 { found = 1 } END { exit !found }' "$summary"; then
    echo "crashes found: reproduce one with the target binary and the file in fuzz/artifacts/<target>/" >&2
    exit 1
fi
