#pragma once
// Deterministic column sums for parameter gradients: out[c] += scale[c] * sum_r term(r, c) over
// 'rows' rows. No atomics: rows are cut into fixed groups, each (group, column) thread sums its
// group in double, then one thread per column adds the group sums in group order. The result
// depends only on the sizes, never on scheduling, so training runs repeat bit for bit.
//
// Term is a device functor: float operator()(int64_t r, int64_t c) const.
#include "kernels/cuda/launch.cuh"

namespace rwkvs::kernels::cuda {

constexpr int64_t kColumnGroupRows = 64;

template <class Term>
__global__ void column_group_sums_kernel(double* part, Term term, int64_t rows, int64_t C) {
  const int64_t groups = (rows + kColumnGroupRows - 1) / kColumnGroupRows;
  RWKVS_GRID_STRIDE(i, groups * C) {
    const int64_t g = i / C, c = i % C;
    const int64_t r1 = (g + 1) * kColumnGroupRows < rows ? (g + 1) * kColumnGroupRows : rows;
    double s = 0;
    for (int64_t r = g * kColumnGroupRows; r < r1; ++r) s += term(r, c);
    part[i] = s;
  }
}

// out[c] += scale[c] * sum_g part[g][c], groups in order; scale may be null (1).
template <class R>
__global__ void column_finish_kernel(R* out, const R* scale, const double* part, int64_t groups, int64_t C) {
  RWKVS_GRID_STRIDE(c, C) {
    double s = 0;
    for (int64_t g = 0; g < groups; ++g) s += part[g * C + c];
    out[c] += static_cast<R>(scale ? s * static_cast<double>(scale[c]) : s);
  }
}

// Launches both stages on ctx's stream; 'op' names the caller in errors.
template <class Term>
void accumulate_column_sums(const CudaContext& ctx, float* out, const float* scale, Term term, int64_t rows,
                            int64_t C, const char* op) {
  const int64_t groups = (rows + kColumnGroupRows - 1) / kColumnGroupRows;
  Scratch<double> part(ctx, static_cast<size_t>(groups * C), op);
  column_group_sums_kernel<<<grid_for(groups * C), kThreads, 0, stream_of(ctx)>>>(part.get(), term, rows, C);
  check_launch(op);
  column_finish_kernel<<<grid_for(C), kThreads, 0, stream_of(ctx)>>>(out, scale, part.get(), groups, C);
  check_launch(op);
}

}  // namespace rwkvs::kernels::cuda
