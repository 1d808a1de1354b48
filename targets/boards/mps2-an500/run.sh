#!/usr/bin/env bash
# cargo's runner for this board: boots the firmware ($1) under QEMU with the
# example functions and prints its decoded log (jinn-qemu run).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
firmware="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
shift
exec cargo run --quiet --manifest-path "$here/../../../Cargo.toml" -p jinn-qemu --bin jinn-qemu -- \
    run --firmware "$firmware" "$@"
