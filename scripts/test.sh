#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: a Release build (CUDA sources compiled when nvcc
# is present) and a second build with AddressSanitizer + UndefinedBehaviorSanitizer.
# Usage: scripts/test.sh            (CI runs exactly this; .ci/run calls it)
#        SKIP_SANITIZE=1 scripts/test.sh   (Release only, for a quicker local loop)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
jobs="$(nproc)"
start=$(date +%s)

scripts/deps.sh --test

echo "== Release build"
scripts/build.sh "$root/build"
echo "== Release tests"
ctest --test-dir "$root/build" --output-on-failure -j "$jobs"

if [[ "${SKIP_SANITIZE:-0}" != "1" ]]; then
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer build"
  # CUDA is off here: nvcc objects are not instrumented, and the Release build compiled them already.
  scripts/build.sh "$root/build-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRWKVS_SANITIZE=ON -DRWKVS_CUDA=OFF
  echo "== sanitizer tests"
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    ctest --test-dir "$root/build-asan" --output-on-failure -j "$jobs"
fi
echo "== all tests passed in $(( $(date +%s) - start )) s"
