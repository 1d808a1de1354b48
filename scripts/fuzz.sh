#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 60), at low priority, with
# cargo-fuzz on the nightly toolchain; prints each target's runs and new
# findings, and exits 1 when there are any.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]     # targets: contract config module
#
# A crash leaves its input in fuzz/libfuzzer/artifacts/<target>/; copy it to
# fuzz/regressions/<target>/ (with a line in its README.md) so that
# `cargo test -p jinn-fuzz` replays it on the stable toolchain from then on.
# Corpora grow in fuzz/libfuzzer/corpus/ (not committed) and are reused.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(contract config module)

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

dir=fuzz/libfuzzer
found=0
for t in "${targets[@]}"; do
    mkdir -p "$dir/corpus/$t" "$dir/artifacts/$t"
    # Seed each corpus with the regression inputs.
    cp -n fuzz/regressions/"$t"/* "$dir/corpus/$t/" 2>/dev/null || true
    rm -f "$dir/corpus/$t/README.md"
    before=$(ls "$dir/artifacts/$t")
    started=$(date +%s)
    echo "== $t: ${seconds}s"
    # libFuzzer stops at its first finding; the log keeps everything.
    nice -n 19 cargo +nightly fuzz run --fuzz-dir "$dir" "$t" "$dir/corpus/$t" -- \
        -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
        > "$dir/$t.log" 2>&1 || true
    grep -E '^(Done|SUMMARY|stat::number_of_executed_units|Test unit written)' "$dir/$t.log" || true
    new=$(comm -13 <(echo "$before") <(ls "$dir/artifacts/$t"))
    if [ -n "$new" ]; then
        found=1
        echo "$t: after $(( $(date +%s) - started ))s, new findings in $dir/artifacts/$t/: $new"
    else
        echo "$t: no findings in $(( $(date +%s) - started ))s"
    fi
done
exit "$found"
