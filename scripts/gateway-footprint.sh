#!/usr/bin/env bash
# Prints the gateway's footprint: the size of the stripped release binary
# and the idle RSS of `jinn serve` with the repository's ./jinn.toml (the
# examples; build them first with scripts/build-examples.sh).
#
#   bash scripts/gateway-footprint.sh [BINARY [RUNNER...]]
#
# BINARY defaults to the release build for this machine (built if missing).
# RUNNER runs a binary of another architecture, e.g. `qemu-aarch64-static`:
# the RSS printed is then the emulator's, with the guest binary inside it,
# and is labelled emulated.
set -euo pipefail
cd "$(dirname "$0")/.."

binary="${1:-}"
shift || true
runner=("$@")
if [ -z "$binary" ]; then
    cargo build --release --locked -p jinn-host --bin jinn >&2
    binary="${CARGO_TARGET_DIR:-target}/release/jinn"
fi
[ -f examples/wasm/hello.wasm ] || {
    echo "footprint: examples/wasm/ is empty: run scripts/build-examples.sh" >&2
    exit 1
}

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
pid=""
cp "$binary" "$work/jinn"
llvm_strip=$(ls "$(rustc --print sysroot)"/lib/rustlib/*/bin/llvm-strip 2>/dev/null | head -1 || true)
"${llvm_strip:-strip}" --strip-all "$work/jinn"

"${runner[@]}" "$work/jinn" serve --config jinn.toml --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
    --data-dir "$work/data" 2>"$work/log" &
pid=$!
for _ in $(seq 1 600); do
    grep -q listening "$work/log" && break
    kill -0 "$pid" 2>/dev/null || {
        cat "$work/log" >&2
        exit 1
    }
    sleep 0.1
done
grep -q listening "$work/log" || {
    echo "footprint: jinn serve did not start" >&2
    exit 1
}
http=$(sed -n 's/.* http="\([^"]*\)".*/\1/p' "$work/log" | head -1)
functions=$(sed -n 's/.* functions=\([0-9]*\).*/\1/p' "$work/log" | head -1)
curl -fsS "http://$http/hello" >/dev/null
sleep 2
rss_kib=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
label=""
[ ${#runner[@]} -eq 0 ] || label=" (emulated: ${runner[*]}; the emulator's RSS)"
printf 'binary %s: %s bytes stripped (%s)\n' "$binary" "$(stat -c %s "$work/jinn")" \
    "$(file -b "$work/jinn" | cut -d, -f1-2)"
printf 'idle RSS of jinn serve with ./jinn.toml (%s functions, after one call): %s KiB (%.1f MiB)%s\n' \
    "$functions" "$rss_kib" "$(awk -v k="$rss_kib" 'BEGIN { print k / 1024 }')" "$label"
