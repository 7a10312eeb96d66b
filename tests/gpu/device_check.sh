#!/usr/bin/env bash
# The one-call GPU check: builds Release with CUDA, runs the GPU tests (tests/gpu) and the CPU WKV and
# kernel tests, the engine and --device cuda CLI tests, then the GPU WKV benchmarks at the issue's
# shapes, a CPU bench sanity run and the 12 x 768 training step in fp32, tf32 and bf16, and
# writes a short summary to stdout and, when $OUT is set, to $OUT/summary.txt (full log:
# $OUT/device_check.log). Meant to finish in well under 8 minutes on one H100.
#
# Through the device tool, from the repository root here:
#   scripts/fetch_offline_debs.sh      # once, on a connected machine: third_party_debs/ (~20 MB)
#   run(command="tests/gpu/device_check.sh", carry=["third_party_debs"], timeout_s=540)
#
# The GPU machine has CUDA, cmake and a C++ compiler but may lack the Debian -dev packages and
# reaches no mirror: the .deb files in third_party_debs/ are unpacked with dpkg-deb -x into
# $BUILD/prefix (never into /), their pkg-config files are pointed at it, and CMake, pkg-config and
# the loader are pointed there. Without third_party_debs/ the system packages are used.
#   BUILD (default build-gpu), CUDA_ARCHS (default 90), JOBS (default: the cores) and BUILD_TIMEOUT
#   (seconds, default 420) may be set.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${BUILD:-$root/build-gpu}
case $build in /*) ;; *) build=$root/$build ;; esac
archs=${CUDA_ARCHS:-90}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 4)}
debs=$root/third_party_debs
prefix=$build/prefix
mkdir -p "$build"
log=${OUT:+$OUT/device_check.log}
log=${log:-$build/device_check.log}
summary=$build/summary.txt
: >"$summary"
: >"$log"
start=$SECONDS
failures=0

note() { echo "$*" | tee -a "$summary"; }
# step NAME TIMEOUT COMMAND...: runs it with its output in the log, notes PASS/FAIL and the time.
step() {
  local name=$1 limit=$2 t0=$SECONDS rc
  shift 2
  echo "== $name: $*" >>"$log"
  if declare -F "$1" >/dev/null; then
    "$@" >>"$log" 2>&1  # a function of this script (timeout runs programs only)
  else
    timeout "$limit" "$@" >>"$log" 2>&1
  fi
  rc=$?
  if ((rc == 0)); then
    note "PASS  $name ($((SECONDS - t0)) s)"
  else
    note "FAIL  $name (exit $rc$( ((rc == 124)) && echo ', timed out'), $((SECONDS - t0)) s; see the log)"
    failures=$((failures + 1))
  fi
  return $rc
}

note "device_check: $(date -u +%FT%TZ) on $(hostname)"
note "gpu: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo 'nvidia-smi not found')"
command -v nvcc >/dev/null || export PATH=/usr/local/cuda/bin:$PATH
note "nvcc: $(nvcc --version 2>/dev/null | grep -o 'release [0-9.]*' || echo 'not found')"

# --- offline dependencies: unpack the .deb set into $prefix -----------------------------------
cmake_extra=()
if compgen -G "$debs/*.deb" >/dev/null; then
  unpack() {
    rm -rf "$prefix" && mkdir -p "$prefix" || return 1
    for deb in "$debs"/*.deb; do
      if command -v dpkg-deb >/dev/null; then
        dpkg-deb -x "$deb" "$prefix" || return 1
      else  # a .deb is an ar archive holding data.tar.*
        (cd "$prefix" && ar p "$deb" "$(ar t "$deb" | grep '^data\.tar')" | tar -xf -) || return 1
      fi
    done
    # pkg-config files, CMake package files (Debian's doctest hard-codes "/usr") and absolute
    # links point into /usr: point them into the prefix instead
    find "$prefix" -name '*.pc' -exec sed -E -i "s#(^|[=[:space:]]|-I|-L)/usr/#\1$prefix/usr/#g" {} +
    find "$prefix" -name '*.cmake' -exec sed -E -i "s#\"/usr([/\"])#\"$prefix/usr\1#g" {} +
    find "$prefix" -type l -lname '/*' | while read -r link; do
      ln -sfn "$prefix$(readlink "$link")" "$link"
    done
  }
  step "unpack $(ls "$debs"/*.deb | wc -l) .deb files into $prefix" 120 unpack
  arch=$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
  libdirs="$prefix/usr/lib/$arch:$prefix/usr/lib/$arch/openblas-openmp:$prefix/usr/lib"
  export PKG_CONFIG_PATH="$prefix/usr/lib/$arch/pkgconfig:$prefix/usr/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  export LD_LIBRARY_PATH="$libdirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  cmake_extra+=("-DCMAKE_PREFIX_PATH=$prefix/usr" "-DCMAKE_EXE_LINKER_FLAGS=-Wl,-rpath-link,$libdirs")
  if ! command -v pkg-config >/dev/null; then
    cmake_extra+=("-DPKG_CONFIG_EXECUTABLE=$prefix/usr/bin/pkgconf")
  fi
else
  note "no $debs/*.deb: using the system's packages"
fi

# --- build ------------------------------------------------------------------------------------
step "configure (Release, CUDA archs $archs)" 180 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CUDA_ARCHITECTURES="$archs" -DRWKVS_CUDA=ON -DRWKVS_MPI=OFF "${cmake_extra[@]}"
grep "rwkv-stream:" "$log" | tail -n1 | sed 's/^-- /  /' | tee -a "$summary"
if ! grep -q "CUDA=ON" "$log"; then
  note "FAIL  CUDA was not enabled by the configure step"
  failures=$((failures + 1))
fi
# the tests first, so that a break elsewhere in the CLI does not stop the kernel checks
tests=(test_gpu_wkv4 test_gpu_wkv7 test_gpu_kernels test_gpu_matmul test_gpu_rwkv7_ops test_gpu_model test_gpu_model7
  test_cublas_library test_wkv4 test_kernels
  test_engine test_token_stepper test_device_cli test_cli)
step "build ${tests[*]} (-j$jobs)" "${BUILD_TIMEOUT:-420}" cmake --build "$build" -j "$jobs" --target "${tests[@]}"
step "build rwkvs (-j$jobs)" "${BUILD_TIMEOUT:-420}" cmake --build "$build" -j "$jobs" --target rwkvs
rwkvs=$build/bin/rwkvs

# --- tests ------------------------------------------------------------------------------------
step "GPU tests (ctest -L gpu)" 300 ctest --test-dir "$build" -L gpu --output-on-failure --timeout 300
grep -E "tests passed|Skipped|Failed|Not Run" "$log" | tail -n4 | sed 's/^/  /' | tee -a "$summary"
step "CPU tests test_wkv4, test_kernels, test_cublas_library, test_engine, test_token_stepper" 120 \
  ctest --test-dir "$build" -R '^test_(wkv4|kernels|cublas_library|engine|token_stepper)$' --output-on-failure
# the CLI with --device cuda: train, generate, stream, bench, logits and grads against --device cpu
step "CLI --device cuda tests (test_device_cli, test_cli)" 240 \
  ctest --test-dir "$build" -R '^test_(device_cli|cli)$' --output-on-failure

# --- benchmarks -------------------------------------------------------------------------------
bench() {  # bench NAME ARGS...: one result line into the summary
  local name=$1
  shift
  if step "bench wkv $name" 150 "$rwkvs" bench wkv "$@"; then
    grep "^B=" "$log" | tail -n1 | sed 's/^/  /' | tee -a "$summary"
  else
    grep "^error:" "$log" | tail -n1 | sed 's/^/  /' | tee -a "$summary"
  fi
}
bench "cuda B=8 T=4096 C=4096" --device cuda --B 8 --T 4096 --C 4096
bench "cuda B=8 T=4096 C=4096 through_time" --device cuda --B 8 --T 4096 --C 4096 --schedule through_time --no-baseline
bench "cuda B=8 T=4096 C=4096 chunk_parallel" --device cuda --B 8 --T 4096 --C 4096 --schedule chunk_parallel --no-baseline
bench "cuda B=1 T=65536 C=1024" --device cuda --B 1 --T 65536 --C 1024
bench "cuda B=1 T=1048576 C=256" --device cuda --B 1 --T 1048576 --C 256
bench "cpu sanity B=1 T=16384 C=256" --B 1 --T 16384 --C 256 --repeat 2
train_bench() {  # train_bench NAME ARGS...: one result line into the summary
  local name=$1
  shift
  if step "bench train $name" 150 "$rwkvs" bench train --device cuda "$@"; then
    grep "^batch=" "$log" | tail -n1 | sed 's/^/  /' | tee -a "$summary"
  else
    grep "^error:" "$log" | tail -n1 | sed 's/^/  /' | tee -a "$summary"
  fi
}
if step "bench stream cuda 64 streams" 150 "$rwkvs" bench stream --device cuda --streams 64 --seconds 10; then
  grep "^audio_s_per_stream=" "$log" | tail -n2 | sed 's/^/  /' | tee -a "$summary"
fi
for p in fp32 tf32 bf16; do
  train_bench "12x768 V=50277 B=8 T=1024 $p" --layers 12 --embd 768 --vocab 50277 --batch 8 --ctx 1024 --steps 3 \
    --precision "$p"
done

note "device_check: $failures failure(s), $((SECONDS - start)) s"
[[ -n ${OUT:-} ]] && cp "$summary" "$OUT/summary.txt"
((failures == 0))
