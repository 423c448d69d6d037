#!/usr/bin/env bash
# Rebuild every guest kernel: firmware/guests/<name>.asm -> firmware/guests/<name>.bin (flat
# Multiboot binaries loaded at 1 MiB). Needs nasm (Debian package `nasm`). The output is
# deterministic: rebuilding unchanged sources leaves the committed binaries byte-identical.
# Usage: bash firmware/build.sh [OUTDIR]   (default OUTDIR: firmware/guests)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mkdir -p "${1:-$here/guests}" && cd "${1:-$here/guests}" && pwd)"
command -v nasm >/dev/null || { echo "firmware/build.sh: nasm not found (apt-get install nasm)" >&2; exit 1; }
cd "$here/guests"
for src in *.asm; do
  name="${src%.asm}"
  nasm -f bin -w+all -I ./ -o "$out/$name.bin" "$src"
  echo "built $name.bin ($(wc -c < "$out/$name.bin") bytes)"
done

# BIOS images (acpidm run -bios / qemu-system-x86_64 -bios): firmware/roms/<name>.asm -> <name>.bin (64 KiB).
# With OUTDIR they go to OUTDIR/roms, so OUTDIR itself holds exactly the guest kernels.
roms_out="$here/roms"
[ $# -ge 1 ] && roms_out="$out/roms"
mkdir -p "$roms_out"
cd "$here/roms"
for src in *.asm; do
  name="${src%.asm}"
  nasm -f bin -w+all -o "$roms_out/$name.bin" "$src"
  echo "built roms/$name.bin ($(wc -c < "$roms_out/$name.bin") bytes)"
done
