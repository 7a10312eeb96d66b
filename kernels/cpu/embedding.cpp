#include "kernels/embedding.h"

#include <omp.h>

#include <algorithm>

namespace rwkvs::kernels {

template <class R>
void embedding_forward(R* out, const int32_t* ids, const R* table, int64_t N, int64_t C) {
#pragma omp parallel for schedule(static) if (N * C > 32768)
  for (int64_t n = 0; n < N; ++n) std::copy(table + ids[n] * C, table + ids[n] * C + C, out + n * C);
}

template <class R>
void embedding_backward(R* dtable, const R* dout, const int32_t* ids, int64_t N, int64_t C) {
  // Parallel over channel blocks: rows with the same id never race, order stays deterministic.
  const int64_t block = 64;
#pragma omp parallel for schedule(static) if (N * C > 32768)
  for (int64_t c0 = 0; c0 < C; c0 += block) {
    const int64_t c1 = std::min(C, c0 + block);
    for (int64_t n = 0; n < N; ++n) {
      R* d = dtable + ids[n] * C;
      const R* g = dout + n * C;
      for (int64_t c = c0; c < c1; ++c) d[c] += g[c];
    }
  }
}

template void embedding_forward<float>(float*, const int32_t*, const float*, int64_t, int64_t);
template void embedding_forward<double>(double*, const int32_t*, const double*, int64_t, int64_t);
template void embedding_backward<float>(float*, const float*, const int32_t*, int64_t, int64_t);
template void embedding_backward<double>(double*, const double*, const int32_t*, int64_t, int64_t);

}  // namespace rwkvs::kernels
