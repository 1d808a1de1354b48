#!/usr/bin/env bash
# Builds the Debian package of jinn with dpkg-deb:
#   /usr/bin/jinn, the systemd unit, /etc/jinn/jinn.toml (a conffile), the
#   demo modules the default configuration serves, the man page, and the
#   data directory /var/lib/jinn; the maintainer scripts create the user jinn.
#
#   bash scripts/deb.sh [--binary PATH] [--arch DEBIAN_ARCH] [--out DIR]
#
# Without --binary, builds the release binary for this machine first. A
# binary for another architecture (a cross build) needs --arch (arm64,
# armhf, amd64). The binary is stripped; its Depends are those of the
# libraries it links (none for a static musl build). Prints the .deb's path.
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
    echo "deb: error: $*" >&2
    exit 1
}

binary=""
arch=""
out="${CARGO_TARGET_DIR:-target}/deb"
while [ $# -gt 0 ]; do
    case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --arch) arch="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) die "unknown argument $1 (see the head of $0)" ;;
    esac
done
command -v dpkg-deb >/dev/null || die "dpkg-deb is missing (Debian's dpkg package)"
command -v readelf >/dev/null || die "readelf is missing (Debian's binutils package)"

if [ -z "$binary" ]; then
    cargo build --release --locked -p jinn-host --bin jinn >&2
    binary="${CARGO_TARGET_DIR:-target}/release/jinn"
fi
[ -x "$binary" ] || die "$binary is not an executable"
host_arch=$(dpkg --print-architecture)
arch="${arch:-$host_arch}"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
[ -n "$version" ] || die "no version in Cargo.toml"

# What the binary links, as Debian packages.
depends="passwd"
if readelf -l "$binary" | grep -q 'program interpreter'; then
    libs=$(readelf -d "$binary" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
    glibc=$(readelf -W --dyn-syms "$binary" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -Vu | tail -1)
    depends="libc6 (>= ${glibc:-2.17}), $depends"
    for lib in $libs; do
        case "$lib" in
        libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | ld-linux*) ;;
        libgcc_s.so.1) depends="libgcc-s1, $depends" ;;
        *) die "$binary links $lib: no Debian package known for it" ;;
        esac
    done
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg="$stage/jinn"
install -d -m 0755 "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/usr/lib/systemd/system" "$pkg/etc/jinn/functions" \
    "$pkg/usr/share/jinn/demo" "$pkg/usr/share/man/man1" "$pkg/usr/share/doc/jinn"
install -d -m 0750 "$pkg/var/lib/jinn"
install -m 0755 "$binary" "$pkg/usr/bin/jinn"
# llvm-strip (rustup's llvm-tools) strips any architecture; binutils' strip only this one's.
strip_tool=$(ls "$(rustc --print sysroot)"/lib/rustlib/*/bin/llvm-strip 2>/dev/null | head -1 || true)
if [ -z "$strip_tool" ] && [ "$arch" = "$host_arch" ]; then
    strip_tool=strip
fi
[ -n "$strip_tool" ] || die "no strip for $arch: rustup component add llvm-tools"
"$strip_tool" --strip-all "$pkg/usr/bin/jinn"
install -m 0644 packaging/jinn.service "$pkg/usr/lib/systemd/system/jinn.service"
install -m 0644 packaging/jinn.toml "$pkg/etc/jinn/jinn.toml"
install -m 0644 std-host/src/demo/*.wat "$pkg/usr/share/jinn/demo/"
install -m 0644 packaging/debian/copyright "$pkg/usr/share/doc/jinn/copyright"
gzip -9n <std-host/GATEWAY.md >"$pkg/usr/share/doc/jinn/GATEWAY.md.gz"
# The man page is the same on every architecture: a foreign binary's comes from this machine's build.
if [ "$arch" = "$host_arch" ]; then
    "$pkg/usr/bin/jinn" man | gzip -9n >"$pkg/usr/share/man/man1/jinn.1.gz"
else
    cargo run -q --locked -p jinn-host --bin jinn -- man | gzip -9n >"$pkg/usr/share/man/man1/jinn.1.gz"
fi
install -m 0644 packaging/debian/conffiles "$pkg/DEBIAN/conffiles"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$pkg/DEBIAN/"
size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@DEPENDS@/$depends/" \
    packaging/debian/control.in >"$pkg/DEBIAN/control"

mkdir -p "$out"
deb="$out/jinn_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "$deb"
