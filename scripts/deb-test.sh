#!/usr/bin/env bash
# Tests the Debian package (run by `make test`, as root): builds it with
# scripts/deb.sh for this machine's architecture, installs it with dpkg into
# a throwaway root (an empty dpkg database; maintainer scripts run
# chrootless with DPKG_ROOT), and checks files, modes, the conffile, the
# user jinn, the enabled unit, `systemd-analyze verify` of the unit and its
# `systemd-analyze security` exposure, then upgrade, remove and purge.
#
#   bash scripts/deb-test.sh [--binary PATH]   (default: the debug build)
#
# Fails when dpkg, systemd-analyze or useradd are missing (scripts/setup.sh
# installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

tally_name=deb-test
# shellcheck source=lib/tally.sh
. scripts/lib/tally.sh

[ "$(id -u)" -eq 0 ] || die "needs root (the package's files belong to root and jinn)"
for tool in dpkg dpkg-deb systemd-analyze systemctl useradd readelf; do
    command -v "$tool" >/dev/null || die "$tool is missing: run scripts/setup.sh"
done

binary="${CARGO_TARGET_DIR:-target}/debug/jinn"
if [ "${1:-}" = --binary ]; then
    binary="$2"
elif [ ! -x "$binary" ]; then
    cargo build --locked -p jinn-host --bin jinn
fi
deb=$(bash scripts/deb.sh --binary "$binary" --out "$(mktemp -d)")
echo "package: $deb ($(stat -c %s "$deb") bytes)"

root=$(mktemp -d)
trap 'rm -rf "$root" "$(dirname "$deb")"' EXIT
# An empty system: a dpkg database that knows the packages jinn depends on
# (as installed here), and the account files useradd edits.
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers" "$root/etc"
touch "$root/var/lib/dpkg/available"
depends=$(dpkg-deb -f "$deb" Depends | sed 's/([^)]*)//g; s/,/ /g')
: >"$root/var/lib/dpkg/status"
for p in $depends; do
    dpkg-query -s "$p" >>"$root/var/lib/dpkg/status" || die "$p (a dependency) is not installed here"
    echo >>"$root/var/lib/dpkg/status"
    touch "$root/var/lib/dpkg/info/$(dpkg-query -W -f '${binary:Package}' "$p").list"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
echo 'root:*:19000:0:99999:7:::' >"$root/etc/shadow"
echo 'root:*::' >"$root/etc/gshadow"
chmod 0640 "$root/etc/shadow" "$root/etc/gshadow"

dpkg_root() { dpkg --root="$root" --force-script-chrootless "$@"; }

echo "== install"
check "dpkg installs the package" dpkg_root -i "$deb"
check "dpkg lists it as installed" \
    test "$(dpkg-query --root="$root" -W -f '${Status}' jinn)" = "install ok installed"

mode() { stat -c '%a %U:%G' "$root$1"; }
uid=$(awk -F: '$1 == "jinn" { print $3 }' "$root/etc/passwd")
gid=$(awk -F: '$1 == "jinn" { print $3 }' "$root/etc/group")
ids() { stat -c '%a %u:%g' "$root$1"; }
check "user jinn exists, a system user without a login" \
    grep -qx "jinn:x:$uid:$gid:Jinn gateway:/var/lib/jinn:/usr/sbin/nologin" "$root/etc/passwd"
check "jinn's uid ($uid) is a system uid" test "${uid:-1000}" -lt 1000
check "group jinn exists" grep -q "^jinn:x:$gid:" "$root/etc/group"
check "/usr/bin/jinn: 755 root:root" test "$(mode /usr/bin/jinn)" = "755 root:root"
check "/usr/bin/jinn is stripped" sh -c "! readelf -S '$root/usr/bin/jinn' | grep -q '\.symtab'"
check "/usr/bin/jinn runs" "$root/usr/bin/jinn" --version
check "the unit: 644 root:root" test "$(mode /usr/lib/systemd/system/jinn.service)" = "644 root:root"
check "the unit is the packaged one" cmp -s packaging/jinn.service "$root/usr/lib/systemd/system/jinn.service"
check "/etc/jinn/jinn.toml: 640 root:jinn" test "$(ids /etc/jinn/jinn.toml)" = "640 0:$gid"
check "/var/lib/jinn: 750 jinn:jinn" test "$(ids /var/lib/jinn)" = "750 $uid:$gid"
check "the man page" sh -c "zcat '$root/usr/share/man/man1/jinn.1.gz' | grep -q '^\.TH jinn 1'"
check "the demo modules" test -f "$root/usr/share/jinn/demo/hello.wat" -a -f "$root/usr/share/jinn/demo/counter.wat"
check "/etc/jinn/jinn.toml is a conffile" \
    sh -c "dpkg-query --root='$root' -W -f '\${Conffiles}' jinn | grep -q '^ /etc/jinn/jinn.toml [0-9a-f]\{32\}$'"
check "the unit is enabled" \
    test "$(readlink "$root/etc/systemd/system/multi-user.target.wants/jinn.service")" = /usr/lib/systemd/system/jinn.service
# The shipped configuration, with its module paths inside the root, loads.
sed "s#/usr/share/jinn/#$root/usr/share/jinn/#" "$root/etc/jinn/jinn.toml" >"$root/check.toml"
check "the default configuration passes jinn check" "$root/usr/bin/jinn" check --config "$root/check.toml"

echo "== systemd-analyze"
# What an installed system has beside the package: systemd's own units and kill(1).
cp -an /usr/lib/systemd/system/. "$root/usr/lib/systemd/system/"
[ -e "$root/bin" ] || ln -s usr/bin "$root/bin"
cp "$(type -P kill)" "$root/usr/bin/kill"
verify=$(systemd-analyze verify --man=no --root="$root" jinn.service 2>&1) && [ -z "$verify" ] &&
    ok "systemd-analyze verify: no error, no warning" ||
    bad "systemd-analyze verify: $verify"
security=$(systemd-analyze security --offline=true --root="$root" jinn.service 2>&1 || true)
exposure=$(sed -n 's/.*Overall exposure level for jinn.service: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' <<<"$security")
echo "systemd-analyze security: exposure ${exposure:-unknown}"
check "exposure is OK (below 2.0; systemd calls up to 2.0 OK)" \
    awk -v e="${exposure%% *}" 'BEGIN { exit !(e != "" && e + 0 < 2.0) }'

echo "== upgrade keeps a changed conffile and the user"
echo '# changed here' >>"$root/etc/jinn/jinn.toml"
check "dpkg reinstalls the package" dpkg_root -i "$deb"
check "the changed /etc/jinn/jinn.toml is kept" grep -q '^# changed here$' "$root/etc/jinn/jinn.toml"
check "one user jinn" test "$(grep -c '^jinn:' "$root/etc/passwd")" -eq 1

echo "== remove, purge"
touch "$root/var/lib/jinn/kv.redb"
check "dpkg removes the package" dpkg_root -r jinn
check "/usr/bin/jinn is gone" test ! -e "$root/usr/bin/jinn"
check "the unit is disabled" test ! -e "$root/etc/systemd/system/multi-user.target.wants/jinn.service"
check "the conffile stays until purge" test -f "$root/etc/jinn/jinn.toml"
check "dpkg purges the package" dpkg_root -P jinn
check "the conffile is gone" test ! -e "$root/etc/jinn/jinn.toml"
check "the data is gone" test ! -e "$root/var/lib/jinn"

tally_end
