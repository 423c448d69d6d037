#!/usr/bin/env bash
# Assemble every test/guest-asm/src/*.asm (except includes) into test/guest-asm/bin/*.bin.
# The binaries are committed; tests never need nasm. Run after editing a source.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command -v nasm >/dev/null || { echo "build.sh: nasm is not installed" >&2; exit 1; }
mkdir -p "$here/bin"
for src in "$here"/src/*.asm; do
  name="$(basename "$src" .asm)"
  nasm -f bin -I "$here/src/" -o "$here/bin/$name.bin" "$src"
  echo "built bin/$name.bin"
done
