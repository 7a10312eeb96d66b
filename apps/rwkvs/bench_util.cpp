#include "apps/rwkvs/bench_util.h"

#include <cblas.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <vector>

#include "kernels/fast_math.h"
#include "src/core/buffer.h"
#include "src/core/threads.h"
#include "src/core/timer.h"

namespace rwkvs::app {

double best_time(int repeat, const std::function<void()>& f) {
  f();  // warm-up: page faults, caches, thread start
  double best = 1e300;
  for (int i = 0; i < std::max(repeat, 1); ++i) {
    Timer t;
    f();
    best = std::min(best, t.seconds());
  }
  return best;
}

double measure_read_bandwidth_gbs() {
  const size_t n = size_t(1) << 27;  // 512 MB of floats: far beyond any cache
  AlignedBuffer<float> buf(n);
  for (size_t i = 0; i < n; ++i) buf[i] = static_cast<float>(i & 1023);
  volatile float sink = 0;
  const double t = best_time(3, [&] {
    float total = 0;
    // four independent 8-lane accumulators: enough loads in flight to be limited by memory only
#pragma omp parallel reduction(+ : total)
    {
      kernels::Float8 a0 = {}, a1 = {}, a2 = {}, a3 = {};
#pragma omp for schedule(static)
      for (size_t i = 0; i < n; i += 32) {
        a0 += kernels::load_lanes<kernels::Float8>(buf.data() + i);
        a1 += kernels::load_lanes<kernels::Float8>(buf.data() + i + 8);
        a2 += kernels::load_lanes<kernels::Float8>(buf.data() + i + 16);
        a3 += kernels::load_lanes<kernels::Float8>(buf.data() + i + 24);
      }
      const kernels::Float8 s4 = a0 + a1 + a2 + a3;
      for (int j = 0; j < 8; ++j) total += s4[j];
    }
    sink = total;
  });
  (void)sink;
  return static_cast<double>(n) * sizeof(float) / t / 1e9;
}

double measure_sgemm_gflops(int M, int N, int K) {
  AlignedBuffer<float> a(size_t(M) * K), b(size_t(K) * N), c(size_t(M) * N);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>((i % 17) * 0.01);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>((i % 13) * 0.01);
  const double t = best_time(5, [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, a.data(), K, b.data(), N, 0.0f,
                c.data(), N);
  });
  return 2.0 * M * N * K / t / 1e9;
}

std::string cpu_description() {
  std::ifstream f("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  return model + ", " + std::to_string(num_threads()) + " thread(s)";
}

void print_result(const nlohmann::json& result, bool json) {
  if (json) {
    std::printf("%s\n", result.dump().c_str());
  } else {
    std::string line;
    for (auto it = result.begin(); it != result.end(); ++it) {
      if (!line.empty()) line += "  ";
      const auto& v = it.value();
      char buf[64];
      if (v.is_number_float()) {
        std::snprintf(buf, sizeof buf, "%.4g", v.get<double>());
        line += it.key() + "=" + buf;
      } else {
        line += it.key() + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
      }
    }
    std::printf("%s\n", line.c_str());
  }
  std::fflush(stdout);
}

}  // namespace rwkvs::app
