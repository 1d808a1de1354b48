#!/usr/bin/env bash
# Runs the official WASI conformance suite (WebAssembly/wasi-testsuite,
# branch prod/testsuite-base: prebuilt wasm32-wasip1 tests with JSON specs)
# against `jinn run --raw`, with the suite's own runner and our adapter.
#
#   bash scripts/wasi-testsuite.sh PATH_TO_WASI_TESTSUITE [RUNNER_ARGS...]
#
# The suite is not part of this repository: check it out anywhere and pass
# its path. Builds `jinn` (debug) unless JINN names a binary. Needs Python
# 3.12 or newer (PYTHON, default python3) with the runner's requirements
# (colorama, requests).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
suite="${1:?usage: $0 PATH_TO_WASI_TESTSUITE [RUNNER_ARGS...]}"
shift
suite="$(cd "$suite" && pwd)"
[[ -f "$suite/test-runner/wasi_test_runner.py" ]] || {
    echo "wasi-testsuite: $suite has no test-runner/wasi_test_runner.py" >&2
    exit 2
}
if [[ -z "${JINN:-}" ]]; then
    (cd "$root" && cargo build -q --locked -p jinn-host --bin jinn)
    target_dir="${CARGO_TARGET_DIR:-$root/target}"
    [[ "$target_dir" = /* ]] || target_dir="$root/$target_dir"
    export JINN="$target_dir/debug/jinn"
fi
python="${PYTHON:-python3}"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 12))' || {
    echo "wasi-testsuite: the runner needs Python 3.12 or newer; set PYTHON" >&2
    exit 2
}
suites=()
for dir in "$suite"/tests/*/testsuite/wasm32-wasip1; do
    suites+=("$dir")
done
cd "$suite/test-runner"
exec "$python" wasi_test_runner.py -r "$root/scripts/wasi-testsuite/jinn.py" -t "${suites[@]}" --disable-colors "$@"
