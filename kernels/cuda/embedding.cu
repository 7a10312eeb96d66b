// Embedding on the GPU (kernels/cuda/embedding.h). The backward is deterministic: a stable radix
// sort of (id, row) pairs groups each id's rows in their original order, and one thread per
// (id run, c) adds them to the table in that order, exactly as the CPU twin's loop does.
#include <cub/device/device_radix_sort.cuh>
#include <limits>

#include "kernels/cuda/embedding.h"
#include "kernels/cuda/launch.cuh"

namespace rwkvs::kernels::cuda {
namespace {

__global__ void embedding_forward_kernel(float* out, const int32_t* ids, const float* table, int64_t N,
                                         int64_t C) {
  RWKVS_GRID_STRIDE(i, N * C) out[i] = table[static_cast<int64_t>(ids[i / C]) * C + i % C];
}

__global__ void iota_kernel(int32_t* rows, int64_t N) {
  RWKVS_GRID_STRIDE(i, N) rows[i] = static_cast<int32_t>(i);
}

// sorted_ids, rows (N): ids in ascending order and the row each came from (stable).
__global__ void embedding_backward_kernel(float* dtable, const float* dout, const int32_t* sorted_ids,
                                          const int32_t* rows, int64_t N, int64_t C) {
  RWKVS_GRID_STRIDE(i, N * C) {
    const int64_t pos = i / C, c = i % C;
    const int32_t id = sorted_ids[pos];
    if (pos > 0 && sorted_ids[pos - 1] == id) continue;  // not the first row of this id's run
    float* d = dtable + static_cast<int64_t>(id) * C + c;
    float acc = *d;
    for (int64_t j = pos; j < N && sorted_ids[j] == id; ++j)
      acc += dout[static_cast<int64_t>(rows[j]) * C + c];
    *d = acc;
  }
}

void validate(const char* op, int64_t N, int64_t C) {
  require_positive(op, "N, C", N, C);
  if (N > std::numeric_limits<int32_t>::max()) fail(op, ": N = ", N, " rows exceed the 2^31 - 1 supported");
}

}  // namespace

void embedding_forward(const CudaContext& ctx, float* out, const int32_t* ids, const float* table, int64_t N,
                       int64_t C) {
  const char* op = "cuda embedding_forward";
  validate(op, N, C);
  embedding_forward_kernel<<<grid_for(N * C), kThreads, 0, stream_of(ctx)>>>(out, ids, table, N, C);
  check_launch(op);
}

void embedding_backward(const CudaContext& ctx, float* dtable, const float* dout, const int32_t* ids,
                        int64_t N, int64_t C) {
  const char* op = "cuda embedding_backward";
  validate(op, N, C);
  const cudaStream_t s = stream_of(ctx);
  const int n = static_cast<int>(N);
  Scratch<int32_t> rows_in(ctx, N, op), rows(ctx, N, op), sorted_ids(ctx, N, op);
  iota_kernel<<<grid_for(N), kThreads, 0, s>>>(rows_in.get(), N);
  check_launch(op);
  size_t temp_bytes = 0;
  check_cuda(cub::DeviceRadixSort::SortPairs(nullptr, temp_bytes, ids, sorted_ids.get(), rows_in.get(),
                                             rows.get(), n, 0, 32, s),
             op, "radix sort sizing");
  Scratch<char> temp(ctx, temp_bytes, op);
  check_cuda(cub::DeviceRadixSort::SortPairs(temp.get(), temp_bytes, ids, sorted_ids.get(), rows_in.get(),
                                             rows.get(), n, 0, 32, s),
             op, "radix sort");
  embedding_backward_kernel<<<grid_for(N * C), kThreads, 0, s>>>(dtable, dout, sorted_ids.get(), rows.get(),
                                                                 N, C);
  check_launch(op);
}

}  // namespace rwkvs::kernels::cuda
