#!/usr/bin/env bash
# Configures and builds rwkv-stream. Usage: scripts/build.sh [BUILD_DIR] [extra cmake args...]
# Default BUILD_DIR is build/ (Release).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$root/build}"
shift || true
jobs="$(nproc)"
mkdir -p "$dir"
cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >"$dir/configure.log" 2>&1 || {
  cat "$dir/configure.log"; exit 1; }
grep "rwkv-stream:" "$dir/configure.log" || true
cmake --build "$dir" -j "$jobs"
