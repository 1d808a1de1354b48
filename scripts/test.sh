#!/usr/bin/env bash
# The test command (`make test`, what CI runs): everything, each step once.
#   1. scripts/check.sh — the fast tier: setup, guests, format, lints,
#      unit and host tests (no root);
#   2. the Debian package: built, installed into a throwaway root (root);
#   3. the emulated test: jinn for aarch64 and armv7 under qemu-user gives
#      the same responses and fuel as on x86_64 (scripts/emu-test.sh);
#   4. no_std builds of jinn-core and jinn-contract;
#   5. targets/ci.sh — the microcontroller tier: jinn-embassy for the thumb
#      targets, the board firmware, the TAP tests (root: network
#      namespaces, mosquitto), the latency and footprint reports.
set -euo pipefail
cd "$(dirname "$0")/.."

# A one-shot CI build gains nothing from incremental data but its disk use.
if [[ "${CI:-}" == true ]]; then
    export CARGO_INCREMENTAL=0
fi

started=$SECONDS
step() { printf '\n== %s (%ds)\n' "$*" "$((SECONDS - started))"; }

bash scripts/check.sh

step "Debian package (built, installed in a throwaway root, unit verified)"
bash scripts/deb-test.sh

step "emulated aarch64 and armv7 (qemu-user): same responses and fuel as x86_64"
bash scripts/emu-test.sh

step "no_std builds of jinn-core and jinn-contract"
for target in thumbv7em-none-eabihf thumbv8m.main-none-eabihf riscv32imac-unknown-none-elf; do
    for features in "" "log" "defmt"; do
        echo "jinn-core on $target, features: ${features:-none}"
        cargo build --locked -p jinn-core --target "$target" --no-default-features ${features:+--features "$features"}
    done
done
echo "jinn-contract on thumbv7em-none-eabihf without its JSON codec (with alloc; the tiny guests build it without)"
cargo build --locked -p jinn-contract --target thumbv7em-none-eabihf --no-default-features --features alloc

bash targets/ci.sh

step "done"
