#!/usr/bin/env bash
# Builds jinn as a static musl executable for one Linux target and prints
# the binary's path (the build's own output goes to stderr). Used by
# scripts/dist.sh (profile release) and scripts/emu-test.sh (profile emu).
#
#   bash scripts/cross.sh TARGET [PROFILE]   (PROFILE defaults to release)
#
# TARGET is one of x86_64-unknown-linux-musl, aarch64-unknown-linux-musl,
# armv7-unknown-linux-musleabihf. The binary is stripped.
#
# When rustup ships the target's standard library, ring's C and assembly are
# compiled with clang and everything is linked with rust-lld against the musl
# that comes with that library: no C cross toolchain or sysroot. When it does
# not (armv7-unknown-linux-musleabihf on the toolchain in use), the standard
# library is compiled from the toolchain's rust-src for the target
# (`-Zbuild-std`, allowed on a stable toolchain by RUSTC_BOOTSTRAP=1 for this
# build only), and zig, through cargo-zigbuild, compiles ring and links
# against the musl it carries (scripts/toolchains.sh installs both).
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
    echo "cross: error: $*" >&2
    exit 1
}

target="${1:-}"
profile="${2:-release}"
case "$target" in
x86_64-unknown-linux-musl | aarch64-unknown-linux-musl | armv7-unknown-linux-musleabihf) ;;
*) die "unknown target '$target' (see the head of $0)" ;;
esac
target_dir="${CARGO_TARGET_DIR:-target}"
env_t=${target//-/_}
upper=${env_t^^}

has_std() {
    rustup target list --installed | grep -qx "$target" || rustup target add "$target" >/dev/null 2>&1
}

if has_std; then
    command -v clang >/dev/null || die "clang is missing: run scripts/setup.sh"
    command -v llvm-ar >/dev/null || die "llvm-ar is missing: run scripts/setup.sh"
    env "CC_$env_t=clang" "AR_$env_t=llvm-ar" "CARGO_TARGET_${upper}_LINKER=rust-lld" \
        "CARGO_PROFILE_${profile^^}_STRIP=symbols" \
        cargo build --locked --profile "$profile" -p jinn-host --bin jinn --target "$target" >&2
else
    echo "cross: rustup has no standard library for $target: building it from rust-src, linking with zig" >&2
    toolchains="${JINN_TOOLCHAINS:-$HOME/.cache/jinn-toolchains}"
    [ -x "$toolchains/venv/bin/cargo-zigbuild" ] ||
        die "cargo-zigbuild is missing from $toolchains/venv: run scripts/setup.sh"
    rustup component list --installed | grep -q '^rust-src' ||
        die "the rust-src component is missing: run scripts/setup.sh"
    # cargo-zigbuild finds zig as the venv's Python module ziglang. The
    # executable links with zig's musl start files and libc, not rustc's own
    # (self-contained ones come only with rustup's library): the flag is
    # passed to the final link alone (`rustc … --`), so the libraries keep
    # the flags the other builds use.
    env PATH="$toolchains/venv/bin:$PATH" RUSTC_BOOTSTRAP=1 "CARGO_PROFILE_${profile^^}_STRIP=symbols" \
        cargo-zigbuild rustc --locked --profile "$profile" -p jinn-host --bin jinn --target "$target" \
        -Zbuild-std=std,panic_abort -- -C link-self-contained=no >&2
fi
binary="$target_dir/$target/$profile/jinn"
[ -x "$binary" ] || die "the build left no $binary"
echo "$binary"
