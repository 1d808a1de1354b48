#!/usr/bin/env bash
# The publishable crates and the installable binary, checked from this
# checkout (a step of scripts/check.sh):
#   1. jinn-contract and jinn-guest carry the metadata a registry shows
#      (description, license, readme, keywords, categories) and are not
#      `publish = false`;
#   2. their documentation builds without warnings (no broken links), and
#      `cargo package` packages both in dependency order and verifies each
#      package by building it alone, jinn-guest against the packaged
#      jinn-contract (not the path dependency);
#   3. `cargo install --path std-host` installs the `jinn` binary into a
#      throwaway root (locked, offline), which then runs.
# Step 3 builds the debug profile in the workspace's target directory, so
# it reuses what `cargo test` built; `cargo install --path std-host
# --locked` (release: fat LTO) is what a user runs, and the README gives
# its time. Each step prints its time.
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
    echo "package: error: $*" >&2
    exit 1
}
started=$SECONDS
took() { printf '   (%ds)\n' "$((SECONDS - started))"; started=$SECONDS; }

crates=(jinn-contract jinn-guest)

echo "package metadata of ${crates[*]}"
cargo metadata --locked --no-deps --format-version 1 | python3 -c '
import json, sys
wanted = sys.argv[1:]
packages = {p["name"]: p for p in json.load(sys.stdin)["packages"]}
bad = []
for name in wanted:
    p = packages[name]
    for key in ("description", "license", "readme", "keywords", "categories", "rust_version"):
        if not p.get(key):
            bad.append(f"{name}: no {key}")
    if p.get("publish") == []:
        bad.append(f"{name}: publish = false")
    for dep in p["dependencies"]:
        if dep.get("path") and dep["req"] == "*":
            bad.append(f"{name}: the path dependency {dep['"'"'name'"'"']} has no version")
if bad:
    sys.exit("\n".join(bad))
' "${crates[@]}" || die "incomplete package metadata (above)"
took

echo "cargo doc of ${crates[*]} (warnings denied: no broken links)"
args=()
for crate in "${crates[@]}"; do args+=(-p "$crate"); done
RUSTDOCFLAGS="-D warnings" cargo doc --locked --quiet --no-deps "${args[@]}"
took

echo "cargo package ${crates[*]} (each verified by a build of the package alone)"
# --allow-dirty: what is checked is the package, not whether it is committed.
cargo package --locked --allow-dirty "${args[@]}"
for crate in "${crates[@]}"; do
    file=$(ls "${CARGO_TARGET_DIR:-target}"/package/"$crate"-*.crate)
    printf '   %s: %s bytes\n' "$file" "$(stat -c %s "$file")"
done
took

echo "cargo install --path std-host into a throwaway root (debug profile, locked, offline)"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
cargo install --quiet --locked --offline --debug --path std-host --root "$root"
[[ -x "$root/bin/jinn" ]] || die "no $root/bin/jinn after cargo install"
"$root/bin/jinn" --version
echo '{"method":"GET","uri":"/hello"}' | "$root/bin/jinn" run std-host/src/demo/hello.wat --input - |
    grep -q '"status":200' || die "the installed jinn does not run the demo hello module"
took
