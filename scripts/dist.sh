#!/usr/bin/env bash
# `make dist`: static, stripped release binaries of jinn for Linux gateways,
# in target/dist/jinn-<target>, and their sizes. Not part of `make test`.
#
#   bash scripts/dist.sh [TARGET]...   (default: every target below)
#
# Each is built by scripts/cross.sh (release profile: fat LTO), which says
# how: static musl, ring compiled by clang or zig, no C cross toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

all=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl armv7-unknown-linux-musleabihf)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

target_dir="${CARGO_TARGET_DIR:-target}"
out="$target_dir/dist"
mkdir -p "$out"
failed=()
for t in "${targets[@]}"; do
    echo "== $t"
    if ! binary=$(bash scripts/cross.sh "$t" release); then
        failed+=("$t")
        continue
    fi
    cp "$binary" "$out/jinn-$t"
done

echo
echo "== binaries (static, stripped)"
for f in "$out"/jinn-*; do
    [ -e "$f" ] || continue
    printf '%-45s %10s bytes  %s\n' "$f" "$(stat -c %s "$f")" "$(file -b "$f" 2>/dev/null | cut -d, -f1-2 || true)"
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "dist: not built: ${failed[*]}" >&2
    exit 1
fi
