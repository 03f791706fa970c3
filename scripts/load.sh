#!/usr/bin/env bash
# Load test: the reference app's full stack against the same server with no
# middleware, over real sockets, reported as a ratio.
#
#   scripts/load.sh [seconds] [connections]      (defaults: 10 s, 32 connections)
#
# Needs wrk (`apt-get install wrk`). Builds both servers in release mode,
# starts secure-api with a load configuration (one viewer, limits above the
# load, audit to a temporary file), signs in once, then runs wrk for the
# given time against:
#   bare   GET /api/items on benches' bare_server: no middleware at all;
#   full   GET /api/items on secure-api: security headers, request id,
#          client address, audit, CORS, per-address limit, CSRF, ES256 JWT,
#          per-user limit and the `items:read` permission, then the handler.
# The numbers are requests per second and latency as wrk prints them; the
# ratio is full / bare throughput. wrk and the servers share the machine,
# so compare runs made on the same machine only.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-10}
connections=${2:-32}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

cargo build --release --quiet -p secure-api -p rampart-benches --bin secure-api --bin bare_server
target=${CARGO_TARGET_DIR:-target}/release

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/load.toml" <<TOML
[http]
insecure_plain_http = true

[ratelimit]
ip_per_minute = 10000000
user_per_minute = 10000000

[audit]
path = "$work/audit.jsonl"

[[users]]
username = "loader"
password = "load-test-Pa55word"
roles = ["viewer"]
tenant = "acme"
TOML

RAMPART_ADDR=127.0.0.1:8080 RAMPART_CONFIG="$work/load.toml" "$target/secure-api" > "$work/app.log" 2>&1 &
pids+=($!)
"$target/bare_server" 127.0.0.1:8081 > "$work/bare.log" 2>&1 &
pids+=($!)

for url in http://127.0.0.1:8080/health http://127.0.0.1:8081/api/items; do
    for _ in $(seq 1 50); do
        curl -fsS -o /dev/null "$url" 2>/dev/null && break
        sleep 0.2
    done
done

token=$(curl -fsS -X POST http://127.0.0.1:8080/auth/login \
    -H 'content-type: application/json' \
    -d '{"username":"loader","password":"load-test-Pa55word"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -fsS -o /dev/null -H "authorization: Bearer $token" http://127.0.0.1:8080/api/items

run() {
    local name=$1
    shift
    wrk -t2 -c"$connections" -d"${seconds}s" --latency "$@" > "$work/$name.txt"
    cat "$work/$name.txt"
}
echo "== bare: no middleware"
run bare http://127.0.0.1:8081/api/items
echo "== full: secure-api's whole stack"
run full -H "authorization: Bearer $token" http://127.0.0.1:8080/api/items
bare=$(awk '/Requests\/sec/ {print $2}' "$work/bare.txt")
full=$(awk '/Requests\/sec/ {print $2}' "$work/full.txt")
python3 - "$bare" "$full" <<'PY'
import sys
bare, full = map(float, sys.argv[1:])
print(f"bare {bare:,.0f} req/s, full stack {full:,.0f} req/s: "
      f"the stack keeps {full / bare:.0%} of bare throughput "
      f"({1e6 / full - 1e6 / bare:.1f} µs more per request at this concurrency)")
PY
