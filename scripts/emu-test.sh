#!/usr/bin/env bash
# The emulated test (run by `make test`): jinn built for aarch64 and armv7
# (static musl, scripts/cross.sh with the cheap `emu` profile) runs under
# Debian's qemu-user-static, and must do what this machine's x86_64 build
# does:
#   - `jinn check` of the repository's ./jinn.toml: same exit code and output;
#   - `jinn run --report` of every module in examples/wasm/ on one request:
#     the same report (outcome, status, response, error, guest stderr) and
#     the same fuel, byte for byte, and the same exit code. A module whose
#     report differs between two x86_64 runs (go-kv: the Go runtime reads the
#     clock and random bytes, which differ from call to call) is compared without
#     its fuel, and the table says "varies";
#   - `jinn serve` of ./jinn.toml on free loopback ports: curl's answers from
#     /readyz, /hello, /echo (POST) and /kv-counter, and the fuel the gateway
#     counted for them in /metrics, the same as the x86_64 gateway's.
# Prints a table of the fuel per module and architecture, and
# "emu-test: N passed, M failed".
#
#   bash scripts/emu-test.sh [--reference PATH]   (default: the debug build)
#
# Fails when qemu-user-static, curl or the cross toolchains are missing
# (scripts/setup.sh installs them), or when examples/wasm/ is empty
# (scripts/build-examples.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# Fuel limit of every `jinn run`: enough for each example's request,
# small enough that fuel-burner's exhaustion stays short under emulation.
FUEL=30000000
emulated=(aarch64-unknown-linux-musl:qemu-aarch64-static armv7-unknown-linux-musleabihf:qemu-arm-static)

tally_name=emu-test
# shellcheck source=lib/tally.sh
. scripts/lib/tally.sh

for tool in qemu-aarch64-static qemu-arm-static curl; do
    command -v "$tool" >/dev/null || die "$tool is missing: run scripts/setup.sh"
done
modules=(examples/wasm/*.wasm)
[ -f "${modules[0]}" ] || die "examples/wasm/ is empty: run scripts/build-examples.sh"

reference="${CARGO_TARGET_DIR:-target}/debug/jinn"
if [ "${1:-}" = --reference ]; then
    reference="$2"
elif [ ! -x "$reference" ]; then
    cargo build --locked -p jinn-host --bin jinn
fi

work=$(mktemp -d)
server=""
cleanup() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "== cross builds (profile emu)"
binaries=()
for pair in "${emulated[@]}"; do
    target=${pair%%:*}
    start=$SECONDS
    binaries+=("$(bash scripts/cross.sh "$target" emu)")
    echo "$target: ${binaries[-1]}, $(stat -c %s "${binaries[-1]}") bytes, built in $((SECONDS - start)) s"
done

# The request every module gets: a JSON POST, as a sensor would send it.
cat >"$work/request.json" <<'EOF'
{"method":"POST","path":"/ingest","headers":{"content-type":"application/json"},"body":"{\"sensor\":\"t1\",\"value\":42}"}
EOF

# outputs NAME RUNNER... -- BINARY: every observation of one build into $work/NAME/.
outputs() {
    local name="$1" dir="$work/$1"
    shift
    mkdir -p "$dir"
    local rc=0
    "$@" check --config jinn.toml >"$dir/check.out" 2>"$dir/check.err" || rc=$?
    echo "exit $rc" >>"$dir/check.out"
    for module in "${modules[@]}"; do
        local m
        m=$(basename "$module" .wasm)
        rc=0
        "$@" run "$module" --input "$work/request.json" --fuel "$FUEL" --report \
            >"$dir/run-$m.out" 2>"$dir/run-$m.err" || rc=$?
        echo "exit $rc" >>"$dir/run-$m.out"
        if [ "$name" = x86_64 ]; then
            rc=0
            "$@" run "$module" --input "$work/request.json" --fuel "$FUEL" --report \
                >"$dir/again-$m.out" 2>/dev/null || rc=$?
            echo "exit $rc" >>"$dir/again-$m.out"
        fi
    done
    serve_smoke "$dir" "$@"
}

# serve_smoke DIR RUNNER... -- BINARY: jinn serve on ports the kernel picks,
# ready when it logs "listening"; curl's answers and the fuel it counted.
serve_smoke() {
    local dir="$1"
    shift
    "$@" serve --config jinn.toml --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
        --data-dir "$dir/data" 2>"$dir/serve.log" &
    server=$!
    local i
    for i in $(seq 1 600); do
        grep -q listening "$dir/serve.log" && break
        kill -0 "$server" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q listening "$dir/serve.log"; then
        echo "serve did not start:" >"$dir/serve.out"
        cat "$dir/serve.log" >>"$dir/serve.out"
    else
        local http admin
        http=$(sed -n 's/.* http="\([^"]*\)".*/\1/p' "$dir/serve.log" | head -1)
        admin=$(sed -n 's/.* admin="\([^"]*\)".*/\1/p' "$dir/serve.log" | head -1)
        {
            ask() { curl -sS --max-time 60 -o - -w ' [%{http_code}]\n' "$@" || echo "curl failed: $*"; }
            ask "http://$admin/readyz"
            ask "http://$http/hello"
            ask -X POST -H 'content-type: application/json' --data '{"sensor":"t1","value":42}' "http://$http/echo"
            ask "http://$http/kv-counter"
            ask "http://$http/kv-counter"
            curl -sS --max-time 60 "http://$admin/metrics" | grep '^jinn_fuel_used_total' | sort ||
                echo "no jinn_fuel_used_total in /metrics"
        } >"$dir/serve.out" 2>&1
    fi
    kill -TERM "$server" 2>/dev/null || true
    local rc=0
    wait "$server" || rc=$?
    server=""
    echo "serve exit $rc" >>"$dir/serve.out"
}

echo "== x86_64 ($reference)"
outputs x86_64 "$reference"
# The reference itself must have run: a check that passed and a served hello.
grep -qx 'exit 0' "$work/x86_64/check.out" && ok "x86_64: jinn check passes" ||
    bad "x86_64: jinn check: $(cat "$work/x86_64/check.out" "$work/x86_64/check.err")"
grep -q '^Hello from Jinn' "$work/x86_64/serve.out" && ok "x86_64: jinn serve answers /hello" ||
    bad "x86_64: jinn serve: $(cat "$work/x86_64/serve.out")"
echo "jinn serve smoke on x86_64 (curl's answers, the fuel counted, the exit code):"
sed 's/^/    /' "$work/x86_64/serve.out"

names=(x86_64)
for i in "${!emulated[@]}"; do
    target=${emulated[$i]%%:*}
    runner=${emulated[$i]##*:}
    name=${target%%-*}
    names+=("$name")
    echo "== $name ($runner ${binaries[$i]})"
    start=$SECONDS
    outputs "$name" "$runner" "${binaries[$i]}"
    echo "($name ran in $((SECONDS - start)) s)"
    same() { # same FILE DESCRIPTION
        if cmp -s "$work/x86_64/$1" "$work/$name/$1"; then
            ok "$name: $2"
        else
            bad "$name: $2 differs from x86_64:"
            diff "$work/x86_64/$1" "$work/$name/$1" >&2 || true
        fi
    }
    same check.out "jinn check (output, exit code)"
    for module in "${modules[@]}"; do
        m=$(basename "$module" .wasm)
        if cmp -s "$work/x86_64/run-$m.out" "$work/x86_64/again-$m.out"; then
            same "run-$m.out" "jinn run $m (report with fuel, exit code)"
        else
            for f in "x86_64/run-$m.out" "$name/run-$m.out"; do
                sed 's/"fuel_used":[0-9]*/"fuel_used":varies/' "$work/$f" >"$work/$f.nofuel"
            done
            same "run-$m.out.nofuel" "jinn run $m (report but its fuel, which varies on x86_64 too; exit code)"
        fi
    done
    same serve.out "jinn serve (curl's answers, fuel in /metrics, exit code)"
done

echo
echo "== fuel per module (jinn run --fuel $FUEL --report, one JSON POST)"
printf '%-20s %-16s' module outcome
printf ' %12s' "${names[@]}"
echo
for module in "${modules[@]}"; do
    m=$(basename "$module" .wasm)
    outcome=$(sed -n 's/^{"outcome":"\([^"]*\)".*/\1/p' "$work/x86_64/run-$m.out")
    printf '%-20s %-16s' "$m" "${outcome:-?}"
    for name in "${names[@]}"; do
        fuel=$(sed -n 's/.*"fuel_used":\([0-9]*\).*/\1/p' "$work/$name/run-$m.out")
        cmp -s "$work/x86_64/run-$m.out" "$work/x86_64/again-$m.out" || fuel="$fuel (varies)"
        printf ' %12s' "$fuel"
    done
    echo
done

tally_end
