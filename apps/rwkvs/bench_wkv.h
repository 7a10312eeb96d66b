#pragma once
// rwkvs bench wkv: what the CPU run (bench_wkv.cpp) and the GPU run (bench_wkv_cuda.cpp) share.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "kernels/wkv4.h"

namespace rwkvs::app {

struct WkvBenchArgs {
  std::string arch = "rwkv4";  // rwkv4 | rwkv7
  int64_t B = 1, T = 65536, C = 256;
  int64_t head_size = 64;  // rwkv7: N, with C / N heads
  int chunk = 0;           // chunk length; 0: the kernel's default (64 for WKV-4, 16 for WKV-7)
  int threads = 0;
  int repeat = 3;
  bool json = false;
  bool baseline = true;
  std::string device = "cpu";  // cpu | cuda
  kernels::Wkv4Schedule schedule = kernels::Wkv4Schedule::automatic;
};

// The benchmark's inputs, identical on every device: w, u (C); k, v, gy (n = B*T*C).
void fill_wkv_bench_inputs(const WkvBenchArgs& a, float* w, float* u, float* k, float* v, float* gy);

// 'rwkvs bench wkv --arch rwkv7' on the CPU (bench_wkv7.cpp).
void run_bench_wkv7(const WkvBenchArgs& a);

// The GPU run of 'rwkvs bench wkv --device cuda' (a clear error when CUDA is absent).
void run_bench_wkv_cuda(const WkvBenchArgs& a);

// The fields both devices report for best forward and backward times (seconds): sizes, tokens/s,
// ns per token-channel, and the bytes an ideal kernel moves per token-channel (forward reads k, v and
// writes y: 12; backward also reads y, gy and writes gk, gv: 24 more) as GB/s.
nlohmann::json wkv_timing_fields(const WkvBenchArgs& a, double t_fwd, double t_bwd);

// "auto", "through_time", "chunk_parallel".
const char* schedule_name(kernels::Wkv4Schedule s);

}  // namespace rwkvs::app
