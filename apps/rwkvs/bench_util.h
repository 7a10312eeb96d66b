#pragma once
// Shared pieces of the benchmarks: machine baselines measured in the same run (memory bandwidth,
// sgemm), best-of-N timing, and one-line / JSON reporting.
#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace rwkvs::app {

// Best wall time in seconds of 'repeat' runs of f (after one warm-up run).
double best_time(int repeat, const std::function<void()>& f);

// Streaming read bandwidth in GB/s over a buffer much larger than the caches, with the current threads.
double measure_read_bandwidth_gbs();

// OpenBLAS sgemm GFLOP/s for an (M x K) @ (K x N) product with the current threads.
double measure_sgemm_gflops(int M, int N, int K);

// cuBLAS GEMM TFLOP/s on the GPU for (N x I) @ (I x O), in a matmul precision (fp32 | tf32 | bf16).
double measure_gpu_gemm_tflops(const std::string& precision, int64_t N, int64_t I, int64_t O);

// A short machine description: CPU model, threads in use.
std::string cpu_description();

// Prints a result either as one JSON object (json=true) or as "key=value" pairs on one line.
void print_result(const nlohmann::json& result, bool json);

}  // namespace rwkvs::app
