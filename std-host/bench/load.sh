#!/usr/bin/env bash
# Load measurement of `jinn serve` on loopback:
#   * requests/s and p99 latency of the echo function (GET /echo) with HTTP/1.1
#     keep-alive at 16 and 64 connections, measured by wrk;
#   * resident memory (VmRSS) of the idle server with the example functions
#     loaded (the embedded default config), and again after the load.
#
# Usage: bash std-host/bench/load.sh [SECONDS_PER_RUN] (default 10)
# Needs: wrk (Debian: apt-get install wrk), curl, and the example guests
# (bash scripts/build-examples.sh). Builds `jinn` in release mode first.
# Honors CARGO_TARGET_DIR. Sends traffic to 127.0.0.1 only.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${1:-10}"
threads="${WRK_THREADS:-2}"

die() {
    echo "load.sh: error: $*" >&2
    exit 1
}
command -v wrk >/dev/null || die "wrk not found (Debian: apt-get install wrk)"
command -v curl >/dev/null || die "curl not found (Debian: apt-get install curl)"
[[ -f "$root/examples/wasm/echo.wasm" ]] || die "examples/wasm/echo.wasm missing: run scripts/build-examples.sh"

target_dir="${CARGO_TARGET_DIR:-$root/target}"
[[ "$target_dir" = /* ]] || target_dir="$root/$target_dir"
(cd "$root" && cargo build --release -p jinn-host --quiet)
bin="$target_dir/release/jinn"

work="$(mktemp -d)"
log="$work/serve.log"
(cd "$root" && RUST_LOG=warn,jinn_host::serve=info exec "$bin" serve \
    --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --data-dir "$work/data" 2>"$log") &
pid=$!
cleanup() {
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

addr=""
for _ in $(seq 100); do
    addr="$(sed -n 's/.*listening.*http="\([^",]*\).*/\1/p' "$log" | head -n1)"
    [[ -n "$addr" ]] && break
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "jinn serve exited"; }
    sleep 0.1
done
[[ -n "$addr" ]] || die "jinn serve did not report its address"
url="http://$addr/echo"
[[ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" == 200 ]] || die "GET $url did not answer 200"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
sleep 1
idle_kib="$(rss)"

wrk -t"$threads" -c16 -d2s "$url" >/dev/null # warm-up

declare -A rps p99
for c in 16 64; do
    out="$(wrk -t"$threads" -c"$c" -d"${seconds}s" --latency "$url")"
    errors="$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)"
    [[ -z "$errors" ]] || echo "load.sh: warning at -c$c: $errors" >&2
    rps[$c]="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
    p99[$c]="$(awk '$1 == "99%" {print $2}' <<<"$out")"
done
loaded_kib="$(rss)"

echo "jinn serve, GET /echo, HTTP/1.1 keep-alive, wrk -t$threads, ${seconds}s per run, $(nproc) cores"
printf '%-14s %12s %10s\n' connections 'requests/s' p99
for c in 16 64; do
    printf '%-14s %12s %10s\n' "$c" "${rps[$c]}" "${p99[$c]}"
done
echo "idle RSS with the 7 example functions loaded: $((idle_kib / 1024)) MiB ($idle_kib KiB)"
echo "RSS after the load: $((loaded_kib / 1024)) MiB ($loaded_kib KiB)"
