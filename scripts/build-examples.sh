#!/usr/bin/env bash
# Builds every example guest to WebAssembly and copies the modules to
# examples/wasm/ (hello.wasm, echo.wasm, ..., c-hello.wasm, go-kv.wasm,
# zig-hello.wasm, zig-echo.wasm, as-hello.wasm, as-echo.wasm, hello-tiny.wasm, ...).
#
# Rust examples: one `cargo build --profile guest --target wasm32-wasip1`.
# Tiny examples (examples/tiny/, jinn-guest without std): a second one, since
# one build would unify jinn-guest's features and give them std; each must
# start in one page of linear memory.
# C example: clang + wasi-libc (Debian's, sysroot /usr).
# Go (GOOS=wasip1), Zig and AssemblyScript examples: the toolchains that
# scripts/toolchains.sh installs in JINN_TOOLCHAINS; their caches live in the
# target directory, and a module newer than its sources is not rebuilt.
# Then each module is checked: it imports only from wasi_snapshot_preview1,
# gojinn and jinn, exports _start and memory, and its initial memory is
# reported in 64 KiB pages (the Rust guests should need at most
# JINN_MAX_RUST_PAGES, default 2; more is a warning, not a failure).
#
# Needs: cargo (with the wasm32-wasip1 target), clang, wasm-ld, wasm-objdump
# (wabt). Honors CARGO_TARGET_DIR. Runs from any directory.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="$root/examples/wasm"
max_rust_pages="${JINN_MAX_RUST_PAGES:-2}"

# Rust example folders; each is package jinn-example-<name> with binary <name>.
rust_examples=(hello echo kv-counter sensor-alert fuel-burner gojinn-compat wasi-probe)
# Tiny example folders (examples/tiny/<name>); package jinn-example-<name>-tiny,
# library <name>_tiny (a cdylib), copied as <name>-tiny.wasm.
tiny_examples=(hello echo kv-counter sensor-alert)
allowed_modules=(wasi_snapshot_preview1 gojinn jinn)

die() {
    echo "build-examples: error: $*" >&2
    exit 1
}

need() {
    command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH; $2"
}

need cargo "install a Rust toolchain"
need clang "install clang (Debian: apt-get install clang)"
need wasm-ld "install lld (Debian: apt-get install lld)"
need wasm-objdump "install wabt (Debian: apt-get install wabt)"
if command -v rustup >/dev/null 2>&1; then
    rustup target list --installed | grep -qx wasm32-wasip1 ||
        die "Rust target wasm32-wasip1 missing (rustup target add wasm32-wasip1)"
fi
wasi_sysroot=/usr
[[ -f "$wasi_sysroot/include/wasm32-wasi/stdio.h" && -f "$wasi_sysroot/lib/wasm32-wasi/libc.a" ]] ||
    die "wasi-libc not found under $wasi_sysroot (Debian: apt-get install wasi-libc libclang-rt-14-dev-wasm32)"

target_dir="${CARGO_TARGET_DIR:-$root/target}"
[[ "$target_dir" = /* ]] || target_dir="$root/$target_dir"
guest_dir="$target_dir/wasm32-wasip1/guest"

# Builds the packages jinn-example-<name><suffix> for each name after the suffix.
build_guests() {
    local suffix=$1 packages=() name
    shift
    for name in "$@"; do
        packages+=(-p "jinn-example-$name$suffix")
    done
    echo "build-examples: cargo build --profile guest --target wasm32-wasip1 ${packages[*]}"
    (cd "$root" && cargo build --profile guest --target wasm32-wasip1 "${packages[@]}")
}

# --- Rust examples, then the tiny ones (a build of their own) ---------------
build_guests "" "${rust_examples[@]}"
build_guests -tiny "${tiny_examples[@]}"

# --- C example --------------------------------------------------------------
mkdir -p "$guest_dir"
echo "build-examples: clang examples/c-hello/hello.c"
clang --target=wasm32-wasi --sysroot="$wasi_sysroot" -O2 -Wall -Wextra -Werror \
    -Wl,-z,stack-size=65536 -Wl,--strip-all \
    -o "$guest_dir/c-hello.wasm" "$root/examples/c-hello/hello.c"

# --- Go, Zig and AssemblyScript examples ------------------------------------
toolchains="${JINN_TOOLCHAINS:-$HOME/.cache/jinn-toolchains}"
[[ -x "$toolchains/venv/bin/go" && -x "$toolchains/node/node_modules/.bin/asc" ]] ||
    bash "$root/scripts/toolchains.sh"

# Whether $1 is missing or older than any of the other arguments.
stale() {
    local out="$1" src
    shift
    [[ -f "$out" ]] || return 0
    for src in "$@"; do
        [[ "$src" -nt "$out" ]] && return 0
    done
    return 1
}

if stale "$guest_dir/go-kv.wasm" "$root"/examples/go-kv/*; then
    echo "build-examples: go build examples/go-kv (GOOS=wasip1 GOARCH=wasm)"
    (cd "$root/examples/go-kv" &&
        GOOS=wasip1 GOARCH=wasm GOCACHE="$target_dir/go-cache" GOPATH="$target_dir/go-path" \
            GOTOOLCHAIN=local GOFLAGS=-trimpath "$toolchains/venv/bin/go" build -o "$guest_dir/go-kv.wasm" .)
fi
for name in hello echo; do
    if stale "$guest_dir/zig-$name.wasm" "$root"/examples/zig/*.zig; then
        echo "build-examples: zig build-exe examples/zig/$name.zig"
        (cd "$guest_dir" && "$toolchains/venv/bin/python" -m ziglang build-exe \
            "$root/examples/zig/$name.zig" -target wasm32-wasi -O ReleaseSmall --stack 65536 \
            --cache-dir "$target_dir/zig-cache" --global-cache-dir "$target_dir/zig-cache" \
            -femit-bin="$guest_dir/zig-$name.wasm")
    fi
    if stale "$guest_dir/as-$name.wasm" "$root"/examples/assemblyscript/*.ts; then
        echo "build-examples: asc examples/assemblyscript/$name.ts"
        (cd "$root/examples/assemblyscript" && "$toolchains/node/node_modules/.bin/asc" "$name.ts" \
            -o "$guest_dir/as-$name.wasm" -Oz --runtime stub --use abort=wasi/abort)
    fi
done

# --- Copy and check ------------------------------------------------------------
mkdir -p "$out_dir"
modules=("${rust_examples[@]}" c-hello go-kv zig-hello zig-echo as-hello as-echo)
for name in "${modules[@]}"; do
    src="$guest_dir/$name.wasm"
    [[ -f "$src" ]] || die "expected $src after the build"
    cp "$src" "$out_dir/$name.wasm"
done
for name in "${tiny_examples[@]}"; do
    src="$guest_dir/${name//-/_}_tiny.wasm"
    [[ -f "$src" ]] || die "expected $src after the build"
    cp "$src" "$out_dir/$name-tiny.wasm"
    modules+=("$name-tiny")
done

# Prints the import module names of a module, one per line.
import_modules() {
    wasm-objdump -x -j Import "$1" | sed -n 's/.* <- \([^.]*\)\..*/\1/p' | sort -u
}

# Prints the initial page count of the module's (first) memory.
initial_pages() {
    wasm-objdump -x -j Memory "$1" | sed -n 's/.*memory\[0\] pages: initial=\([0-9]*\).*/\1/p'
}

failed=0
warned=0
printf '\n%-20s %10s %6s  %s\n' module bytes pages imports
for name in "${modules[@]}"; do
    wasm="$out_dir/$name.wasm"
    bytes=$(wc -c <"$wasm")
    pages=$(initial_pages "$wasm")
    [[ -n "$pages" ]] || { echo "build-examples: $name.wasm: no memory section" >&2; failed=1; pages='?'; }
    mods=$(import_modules "$wasm" | paste -sd, -)
    printf '%-20s %10d %6s  %s\n' "$name.wasm" "$bytes" "$pages" "${mods:--}"

    while read -r mod; do
        [[ -z "$mod" ]] && continue
        ok=0
        for allowed in "${allowed_modules[@]}"; do
            [[ "$mod" == "$allowed" ]] && ok=1
        done
        if ((!ok)); then
            echo "build-examples: $name.wasm imports from unexpected module '$mod'" >&2
            failed=1
        fi
    done < <(import_modules "$wasm")

    exports=$(wasm-objdump -x -j Export "$wasm")
    grep -qe '-> "_start"' <<<"$exports" || { echo "build-examples: $name.wasm does not export _start" >&2; failed=1; }
    grep -qe '-> "memory"' <<<"$exports" || { echo "build-examples: $name.wasm does not export memory" >&2; failed=1; }

    is_rust=0
    for r in "${rust_examples[@]}"; do [[ "$r" == "$name" ]] && is_rust=1; done
    if [[ "$name" == *-tiny && "$pages" != 1 ]]; then
        echo "build-examples: $name.wasm starts with $pages pages (a tiny guest must fit one)" >&2
        failed=1
    elif ((is_rust)) && [[ "$pages" =~ ^[0-9]+$ ]] && ((pages > max_rust_pages)); then
        echo "build-examples: warning: $name.wasm starts with $pages pages (aim: <= $max_rust_pages)" >&2
        warned=1
    fi
done

((failed == 0)) || die "module checks failed"
echo
echo "build-examples: ${#modules[@]} modules in ${out_dir#"$root"/}/$( ((warned)) && echo ' (with warnings)')"
