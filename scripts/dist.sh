#!/usr/bin/env bash
# `make dist`: static, stripped release binaries of jinn for Linux gateways,
# in target/dist/jinn-<target>, and their sizes. Not part of `make test`.
#
#   bash scripts/dist.sh [TARGET]...   (default: every target below)
#
# Musl targets link statically with the musl that rustup ships with the
# target's standard library; ring's C and assembly are compiled with clang
# (no C cross toolchain or sysroot needed) and linked with rust-lld.
set -euo pipefail
cd "$(dirname "$0")/.."

all=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl armv7-unknown-linux-musleabihf)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
command -v clang >/dev/null || {
    echo "dist: clang is missing: run scripts/setup.sh" >&2
    exit 1
}

target_dir="${CARGO_TARGET_DIR:-target}"
out="$target_dir/dist"
mkdir -p "$out"
failed=()
for t in "${targets[@]}"; do
    echo "== $t"
    if ! rustup target list --installed | grep -qx "$t" && ! rustup target add "$t"; then
        echo "dist: no standard library for $t from rustup" >&2
        failed+=("$t")
        continue
    fi
    env_t=${t//-/_}
    upper=${env_t^^}
    if ! env "CC_$env_t=clang" "AR_$env_t=llvm-ar" "CARGO_TARGET_${upper}_LINKER=rust-lld" \
        CARGO_PROFILE_RELEASE_STRIP=symbols \
        cargo build --release --locked -p jinn-host --bin jinn --target "$t"; then
        failed+=("$t")
        continue
    fi
    cp "$target_dir/$t/release/jinn" "$out/jinn-$t"
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
