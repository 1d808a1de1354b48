#!/usr/bin/env bash
# The fast tier (`make check`): format, lints, unit and host tests — the
# MQTT session against a fake broker, the gateway against its own HTTP
# clients, the device path on a flash file, a smoke run of the benchmark
# harness — without root. `make test` runs it, then the no_std builds and
# the microcontroller tier.
#
# Installs what it needs on a fresh Debian machine (scripts/setup.sh: Rust
# targets, clang, wasi-libc, wabt, …; apt-get only when something is
# missing) and builds the example guests the tests run.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
step() { printf '\n== %s (%ds)\n' "$*" "$((SECONDS - started))"; }
die() {
    echo "check: error: $*" >&2
    exit 1
}

step "setup"
bash scripts/setup.sh

step "guests"
bash scripts/build-examples.sh

step "format"
cargo fmt --all -- --check
(cd targets/boards && cargo fmt --all -- --check)

step "one logging shim (defmt::write! in a Format impl is formatting, not logging)"
cmp -s core/src/fmt.rs targets/embassy/src/fmt.rs ||
    die "core/src/fmt.rs and targets/embassy/src/fmt.rs must be the same file"
if grep -rnE '\b(log|defmt)::(trace|debug|info|warn|error|log|println|panic|assert[a-z_]*|unwrap|todo|unreachable)!' --include='*.rs' core/src contract/src targets | grep -v '/fmt\.rs:'; then
    die "log/defmt macros called outside a fmt.rs shim"
fi

step "MSRV"
# Stated once, in [workspace.package]; the boards (a workspace of their
# own) must say the same. When the toolchain in use is not the MSRV, the MSRV
# toolchain checks the workspace.
msrv=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
[[ -n "$msrv" ]] || die "no rust-version in Cargo.toml"
grep -qx "rust-version = \"$msrv\"" targets/boards/Cargo.toml ||
    die "targets/boards/Cargo.toml must state rust-version = \"$msrv\""
active=$(rustc --version | awk '{print $2}')
if [[ "$active" == "$msrv" || "$active" == "$msrv".* ]]; then
    echo "rustc $active is the MSRV ($msrv): every build below checks it"
else
    rustup toolchain install "$msrv" --profile minimal >/dev/null
    cargo "+$msrv" check --workspace --all-targets --locked
fi

step "clippy (warnings denied, the TAP and QEMU tests and the board support included)"
cargo clippy --workspace --all-targets --locked \
    --features jinn-linux-tap/tap-tests,jinn-qemu/qemu-tests,jinn-embassy/board -- -D warnings

step "jinn-core on 32 bits (the heap probe, wasm32; its tests run it inside jinn)"
cargo build --locked -p jinn-heap-probe --release --target wasm32-wasip1

step "tests"
cargo test --workspace --locked
# The board support (metered heap, stack gauge) is a feature of jinn-embassy
# the boards turn on; its unit tests run here, on the host.
cargo test --locked -p jinn-embassy --features board --lib

step "publishable crates (cargo package) and cargo install of jinn (reuses the test build)"
bash scripts/package.sh

step "benchmark harness (smoke: each workload once, Jinn only)"
target_dir="${CARGO_TARGET_DIR:-target}"
smoke=$(cargo run --locked -q -p jinn-benches --bin jinn-bench -- run --smoke --root . \
    --jinn "$target_dir/debug/jinn" --out "$target_dir/bench/smoke" 2>&1) ||
    die "jinn-bench run --smoke failed: $smoke"
printf '%s\n' "$smoke"
# Its progress bar is for terminals: a pipe gets plain lines only.
if grep -q $'\e' <<<"$smoke"; then die "jinn-bench run drew on a pipe"; fi

step "done"
