#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang + ASan + UBSan and runs each one for a while,
# starting from the seed corpus committed in tests/fuzz/corpus/<name>. New inputs go to the build
# folder, never into the repository; a crash leaves its input there and fails this script.
#   scripts/fuzz.sh [--seconds N] [--build-dir DIR] [--jobs J] [target ...]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=60
build="$root/build-fuzz"
jobs=$(nproc 2>/dev/null || echo 2)
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds=${2:?--seconds needs a value}; shift 2 ;;
    --build-dir) build=${2:?--build-dir needs a value}; shift 2 ;;
    --jobs) jobs=${2:?--jobs needs a value}; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option '$1'" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ $seconds =~ ^[0-9]+$ ]] || { echo "fuzz.sh: --seconds must be a whole number, got '$seconds'" >&2; exit 2; }
((${#targets[@]})) || targets=(fuzz_manifest fuzz_raw_pcm)
command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ is not on PATH (Debian: apt-get install clang)" >&2; exit 1; }

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRWKVS_FUZZ=ON -DRWKVS_TESTS=OFF -DRWKVS_CUDA=OFF -DRWKVS_MPI=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target "${targets[@]}"

status=0
for target in "${targets[@]}"; do
  name=${target#fuzz_}
  seeds="$root/tests/fuzz/corpus/$name"
  corpus="$build/fuzz-corpus/$name"
  artifacts="$build/fuzz-artifacts/$name/"
  mkdir -p "$corpus" "$artifacts"
  options=(-max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
           -artifact_prefix="$artifacts")
  [[ -f $root/tests/fuzz/$name.dict ]] && options+=(-dict="$root/tests/fuzz/$name.dict")
  echo "== $target: ${seconds} s from $(find "$seeds" -type f | wc -l) seeds"
  log="$build/fuzz-$name.log"
  if "$build/tests/fuzz/$target" "${options[@]}" "$corpus" "$seeds" >"$log" 2>&1; then
    result=ok
  else
    result="FAILED (inputs in $artifacts)"
    status=1
    grep -E "ERROR|SUMMARY|Test unit written" "$log" | head -20 || true
  fi
  # The last progress line (coverage and features) and the totals libFuzzer prints at exit.
  grep -E '^#[0-9]+' "$log" | tail -n1 || true
  grep -E 'stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
  echo "== $target: $result (log: $log)"
done
exit $status
