#!/usr/bin/env bash
# Build acpidm's small i386 Linux guest from Debian's linux-source-6.1 and cache it outside the
# repository, keyed by the hash of the config fragment, this script and the source package version.
#   bash firmware/linux/build-kernel.sh        # prints the path of the cached bzImage
# Needs: linux-source-6.1 gcc make flex bison bc libelf-dev libssl-dev (CI installs them).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src_tar=/usr/src/linux-source-6.1.tar.xz
[ -f "$src_tar" ] || { echo "build-kernel: $src_tar missing (apt-get install linux-source-6.1)" >&2; exit 1; }
ver="$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || echo unknown)"
key="$( (cat "$here/tiny-i386.config" "$here/build-kernel.sh"; echo "$ver") | sha256sum | cut -c1-16)"
cache="${ACPIDM_CACHE:-$HOME/.cache/acpidm}/linux-$key"
if [ -f "$cache/bzImage" ]; then echo "$cache/bzImage"; exit 0; fi
work="$cache.build"
rm -rf "$work"; mkdir -p "$work"
echo "build-kernel: building into $cache (about 9 minutes on 2 cores)" >&2
tar -C "$work" -xf "$src_tar"
cd "$work/linux-source-6.1"
make -s ARCH=i386 tinyconfig >&2
./scripts/kconfig/merge_config.sh -m .config "$here/tiny-i386.config" >&2
make -s ARCH=i386 olddefconfig >&2
# Every line of the fragment must have survived olddefconfig (a dependency may have dropped it).
missing=0
while IFS= read -r line; do
  case "$line" in CONFIG_*=*) grep -qx "$line" .config || { echo "build-kernel: $line did not stick" >&2; missing=1; } ;; esac
done < "$here/tiny-i386.config"
[ "$missing" = 0 ] || exit 1
make -s ARCH=i386 -j"$(nproc)" bzImage >&2
mkdir -p "$cache"
cp arch/x86/boot/bzImage .config System.map "$cache/"
cd /; rm -rf "$work"
echo "$cache/bzImage"
