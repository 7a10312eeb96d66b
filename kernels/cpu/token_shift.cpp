#include "kernels/token_shift.h"

#include <omp.h>

#include <cstddef>
#include <vector>

namespace rwkvs::kernels {

template <class R>
void token_shift_mix_forward(R* out, const R* z, const R* prev, const R* mix, int64_t B, int64_t T, int64_t C) {
#pragma omp parallel for schedule(static) if (B * T * C > 32768)
  for (int64_t i = 0; i < B * T; ++i) {
    const int64_t b = i / T, t = i % T;
    const R* zt = z + i * C;
    const R* zs = t > 0 ? zt - C : (prev ? prev + b * C : nullptr);
    R* o = out + i * C;
    if (zs)
      for (int64_t c = 0; c < C; ++c) o[c] = zs[c] + mix[c] * (zt[c] - zs[c]);
    else
      for (int64_t c = 0; c < C; ++c) o[c] = mix[c] * zt[c];
  }
}

template <class R>
void token_shift_mix_backward(R* dz, R* dprev, R* dmix, const R* dout, const R* z, const R* prev, const R* mix,
                              int64_t B, int64_t T, int64_t C) {
  const int threads = B * T * C > 32768 ? omp_get_max_threads() : 1;
  std::vector<R> part(static_cast<size_t>(threads) * C, R(0));
#pragma omp parallel num_threads(threads)
  {
    R* dm = part.data() + static_cast<size_t>(omp_get_thread_num()) * C;
#pragma omp for schedule(static)
    for (int64_t i = 0; i < B * T; ++i) {
      const int64_t b = i / T, t = i % T;
      const R* g = dout + i * C;
      const R* zt = z + i * C;
      const R* zs = t > 0 ? zt - C : (prev ? prev + b * C : nullptr);
      const R* g_next = t + 1 < T ? g + C : nullptr;  // z_t is also the shifted input of step t+1
      R* d = dz + i * C;
      for (int64_t c = 0; c < C; ++c) {
        d[c] += g[c] * mix[c] + (g_next ? g_next[c] * (R(1) - mix[c]) : R(0));
        dm[c] += g[c] * (zt[c] - (zs ? zs[c] : R(0)));
      }
      if (t == 0 && dprev)
        for (int64_t c = 0; c < C; ++c) dprev[b * C + c] += g[c] * (R(1) - mix[c]);
    }
  }
  for (int t = 0; t < threads; ++t)
    for (int64_t c = 0; c < C; ++c) dmix[c] += part[static_cast<size_t>(t) * C + c];
}

template void token_shift_mix_forward<float>(float*, const float*, const float*, const float*, int64_t, int64_t,
                                             int64_t);
template void token_shift_mix_forward<double>(double*, const double*, const double*, const double*, int64_t,
                                              int64_t, int64_t);
template void token_shift_mix_backward<float>(float*, float*, float*, const float*, const float*, const float*,
                                              const float*, int64_t, int64_t, int64_t);
template void token_shift_mix_backward<double>(double*, double*, double*, const double*, const double*,
                                               const double*, const double*, int64_t, int64_t, int64_t);

}  // namespace rwkvs::kernels
