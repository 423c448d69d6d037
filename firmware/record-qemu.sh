#!/usr/bin/env bash
# Regenerate firmware/expected/*.qemu.txt and *.qemu-events.json from real QEMU.
# Usage: bash firmware/record-qemu.sh [kernel...]   (default: every kernel with a scenario)
set -euo pipefail
cd "$(dirname "$0")/.."
exec node firmware/tools/record-qemu.mjs "$@"
