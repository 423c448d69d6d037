#!/usr/bin/env bash
# Run a test/guest-asm binary on real QEMU and print what it wrote to the debug console (port 0xE9).
# QEMU has no harness ROM: a 64 KiB -bios whose reset vector jumps to 0000:7C00, where -device loader placed the
# binary (no BIOS runs; A20 is on at reset). Port 0xF4 is isa-debug-exit. Used to record expected/<name>.txt:
#   bash test/guest-asm/record-qemu.sh fpu > test/guest-asm/expected/fpu.txt
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
name="$1"
command -v qemu-system-i386 >/dev/null || { echo "record-qemu.sh: qemu-system-i386 is not installed" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# 0xF4 (HLT) everywhere, EA 00 7C 00 00 (jmp far 0000:7C00) at offset 0xFFF0
head -c 65536 /dev/zero | tr '\0' '\364' > "$tmp/rom"
printf '\352\000\174\000\000' | dd of="$tmp/rom" bs=1 seek=$((0xfff0)) conv=notrunc status=none
timeout 60 qemu-system-i386 -M pc -accel tcg -display none -nodefaults -bios "$tmp/rom" \
  -device loader,file="$here/bin/$name.bin",addr=0x7c00,force-raw=on \
  -chardev file,id=con,path="$tmp/out" -device isa-debugcon,iobase=0xe9,chardev=con \
  -device isa-debug-exit,iobase=0xf4,iosize=1 || true   # isa-debug-exit makes QEMU exit non-zero
cat "$tmp/out"
