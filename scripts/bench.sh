#!/usr/bin/env bash
# The benchmarks, in one command: builds everything, runs every workload of
# benches/workloads.toml against the peers with contenders alternating, and
# writes results.json, results.md and one SVG chart per group.
#
#   bash scripts/bench.sh [--rounds N] [--only P1,P8] [--wasmi-variant FEATURE]... [jinn-bench run options]
#
# --wasmi-variant FEATURE adds a contender built with wasmi's FEATURE
# (e.g. portable-dispatch) to P1, P2 and P8, measured in the same rounds.
#
# Cache (JINN_BENCH_CACHE, default target/bench-cache): the peers' build
# (wasmtime 48.0.8, WAMR; ~15 minutes on two cores, once) and
# coremark-minimal.wasm (wasm3/wasm-coremark at commit dd53443, fetched and
# checked by SHA-256; never committed). Where nothing can be fetched, copy
# that file into the cache folder by hand. Output: target/bench/<UTC date>/.
# Sends traffic to 127.0.0.1 only. Not part of the test command, which runs
# `jinn-bench run --smoke` instead.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
[[ "$target_dir" = /* ]] || target_dir="$root/$target_dir"
cache="${JINN_BENCH_CACHE:-$target_dir/bench-cache}"
mkdir -p "$cache"

variants=()
passthrough=()
while (($#)); do
    case "$1" in
        --wasmi-variant) variants+=("$2"); shift 2 ;;
        *) passthrough+=("$1"); shift ;;
    esac
done

bash scripts/setup.sh
# WAMR's build: cmake and libclang (bindgen).
missing=()
for p in cmake libclang-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
bash scripts/build-examples.sh

echo "bench: building jinn and jinn-bench (release)"
cargo build --release --locked -p jinn-host -p jinn-benches
variant_args=()
for v in "${variants[@]}"; do
    echo "bench: building jinn-bench with wasmi/$v"
    CARGO_TARGET_DIR="$target_dir/bench-variants/$v" cargo build --release --locked -p jinn-benches --features "wasmi/$v"
    variant_args+=(--variant "$v=$target_dir/bench-variants/$v/release/jinn-bench")
done
echo "bench: building the peers (cached in $cache/peers)"
(cd benches/peers && CARGO_TARGET_DIR="$cache/peers" cargo build --release --locked)

coremark="$cache/coremark-minimal.wasm"
coremark_sha=1a4abcbf5f98089668d620aae935d53409d9f2bb5e685433f6d13f01de69cce4
if [[ ! -f "$coremark" ]]; then
    url="https://raw.githubusercontent.com/wasm3/wasm-coremark/dd53443e040759509211868c40db404630a60729/coremark-minimal.wasm"
    echo "bench: fetching coremark-minimal.wasm"
    curl -fsSL --max-time 60 -o "$coremark.part" "$url" && mv "$coremark.part" "$coremark" ||
        echo "bench: warning: cannot fetch $url; copy coremark-minimal.wasm (sha256 $coremark_sha) to $coremark" >&2
fi
if [[ -f "$coremark" ]] && ! echo "$coremark_sha  $coremark" | sha256sum -c --quiet; then
    echo "bench: error: $coremark is not the expected file (sha256 $coremark_sha)" >&2
    exit 1
fi

out="$target_dir/bench/$(date -u +%Y-%m-%dT%H%M)"
"$target_dir/release/jinn-bench" run --root "$root" --out "$out" \
    --jinn "$target_dir/release/jinn" --peers "$cache/peers/release/jinn-peers" \
    --coremark "$coremark" "${variant_args[@]}" "${passthrough[@]}"
