#!/usr/bin/env bash
# Rebuild every guest kernel: firmware/guests/<name>.asm -> firmware/guests/<name>.bin (flat
# Multiboot binaries loaded at 1 MiB). Needs nasm (Debian package `nasm`). Output is deterministic,
# so a rebuild of unchanged sources leaves the committed binaries byte-identical.
set -euo pipefail
cd "$(dirname "$0")/guests"
command -v nasm >/dev/null || { echo "firmware/build.sh: nasm not found (apt-get install nasm)" >&2; exit 1; }
for src in *.asm; do
  nasm -f bin -w+all -I ./ -o "${src%.asm}.bin" "$src"
  echo "built guests/${src%.asm}.bin ($(wc -c < "${src%.asm}.bin") bytes)"
done
