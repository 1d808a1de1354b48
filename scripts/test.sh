#!/usr/bin/env bash
# The test command: everything CI checks, in order, each step named.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "setup"
bash scripts/setup.sh

step "guests"
bash scripts/build-examples.sh

step "format"
cargo fmt --all -- --check

step "clippy (warnings denied)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "jinn-core on 32 bits (the heap probe, wasm32; its tests run it inside jinn)"
cargo build --locked -p jinn-heap-probe --release --target wasm32-wasip1

step "tests"
cargo test --workspace --locked

step "benchmark harness (smoke: each workload once, Jinn only)"
target_dir="${CARGO_TARGET_DIR:-target}"
cargo run --locked -q -p jinn-benches --bin jinn-bench -- run --smoke --root . \
    --jinn "$target_dir/debug/jinn" --out "$target_dir/bench/smoke"

step "no_std builds of jinn-core"
for target in thumbv7em-none-eabihf thumbv8m.main-none-eabihf riscv32imac-unknown-none-elf; do
    for features in "" "log" "defmt"; do
        echo "jinn-core on $target, features: ${features:-none}"
        cargo build --locked -p jinn-core --target "$target" --no-default-features ${features:+--features "$features"}
    done
done

step "microcontroller targets (jinn-embassy, board firmware, TAP tests)"
bash targets/ci.sh
