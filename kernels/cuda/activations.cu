// Elementwise ops on the GPU (kernels/cuda/activations.h): grid-stride loops, same formulas as the
// CPU twins (exp_approx is __expf in device code).
#include "kernels/cuda/activations.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/fast_math.h"

namespace rwkvs::kernels::cuda {
namespace {

__global__ void sigmoid_forward_kernel(float* out, const float* inp, int64_t n) {
  RWKVS_GRID_STRIDE(i, n) out[i] = 1.0f / (1.0f + exp_approx(-inp[i]));
}
__global__ void sigmoid_backward_kernel(float* dinp, const float* dout, const float* out, int64_t n) {
  RWKVS_GRID_STRIDE(i, n) dinp[i] += dout[i] * out[i] * (1.0f - out[i]);
}
__global__ void relu_square_forward_kernel(float* out, const float* inp, int64_t n) {
  RWKVS_GRID_STRIDE(i, n) {
    const float r = inp[i] > 0.0f ? inp[i] : 0.0f;
    out[i] = r * r;
  }
}
__global__ void relu_square_backward_kernel(float* dinp, const float* dout, const float* inp, int64_t n) {
  RWKVS_GRID_STRIDE(i, n) dinp[i] += inp[i] > 0.0f ? dout[i] * 2.0f * inp[i] : 0.0f;
}
__global__ void mul_forward_kernel(float* out, const float* a, const float* b, int64_t n) {
  RWKVS_GRID_STRIDE(i, n) out[i] = a[i] * b[i];
}
__global__ void mul_backward_kernel(float* da, float* db, const float* dout, const float* a, const float* b,
                                    int64_t n) {
  RWKVS_GRID_STRIDE(i, n) {
    if (da) da[i] += dout[i] * b[i];
    if (db) db[i] += dout[i] * a[i];
  }
}
__global__ void add_inplace_kernel(float* out, const float* inp, int64_t n) {
  RWKVS_GRID_STRIDE(i, n) out[i] += inp[i];
}

// A fixed number of blocks (by n only), each writing one partial: the sum is the same every run.
constexpr unsigned kSumBlocks = 1024;

__global__ void sum_squares_partials_kernel(double* part, const float* x, int64_t n) {
  __shared__ double shared[32];
  double s = 0;
  RWKVS_GRID_STRIDE(i, n) s += static_cast<double>(x[i]) * x[i];
  s = block_sum(s, shared);
  if (threadIdx.x == 0) part[blockIdx.x] = s;
}
__global__ void sum_squares_finish_kernel(double* total, const double* part, unsigned blocks) {
  __shared__ double shared[32];
  double s = 0;
  for (unsigned i = threadIdx.x; i < blocks; i += blockDim.x) s += part[i];
  s = block_sum(s, shared);
  if (threadIdx.x == 0) *total += s;
}

void check_n(const char* op, int64_t n) {
  if (n < 0) fail(op, ": element count must not be negative, got ", n);
}

}  // namespace

#define RWKVS_ELEMENTWISE_LAUNCH(op_name, kernel, ...)                 \
  do {                                                                 \
    check_n(op_name, n);                                               \
    if (n == 0) return;                                                \
    kernel<<<grid_for(n), kThreads, 0, stream_of(ctx)>>>(__VA_ARGS__); \
    check_launch(op_name);                                             \
  } while (0)

void sigmoid_forward(const CudaContext& ctx, float* out, const float* inp, int64_t n) {
  RWKVS_ELEMENTWISE_LAUNCH("cuda sigmoid_forward", sigmoid_forward_kernel, out, inp, n);
}
void sigmoid_backward(const CudaContext& ctx, float* dinp, const float* dout, const float* out, int64_t n) {
  RWKVS_ELEMENTWISE_LAUNCH("cuda sigmoid_backward", sigmoid_backward_kernel, dinp, dout, out, n);
}
void relu_square_forward(const CudaContext& ctx, float* out, const float* inp, int64_t n) {
  RWKVS_ELEMENTWISE_LAUNCH("cuda relu_square_forward", relu_square_forward_kernel, out, inp, n);
}
void relu_square_backward(const CudaContext& ctx, float* dinp, const float* dout, const float* inp,
                          int64_t n) {
  RWKVS_ELEMENTWISE_LAUNCH("cuda relu_square_backward", relu_square_backward_kernel, dinp, dout, inp, n);
}
void mul_forward(const CudaContext& ctx, float* out, const float* a, const float* b, int64_t n) {
  RWKVS_ELEMENTWISE_LAUNCH("cuda mul_forward", mul_forward_kernel, out, a, b, n);
}
void mul_backward(const CudaContext& ctx, float* da, float* db, const float* dout, const float* a,
                  const float* b, int64_t n) {
  RWKVS_ELEMENTWISE_LAUNCH("cuda mul_backward", mul_backward_kernel, da, db, dout, a, b, n);
}
void add_inplace(const CudaContext& ctx, float* out, const float* inp, int64_t n) {
  RWKVS_ELEMENTWISE_LAUNCH("cuda add_inplace", add_inplace_kernel, out, inp, n);
}

void sum_squares_accumulate(const CudaContext& ctx, double* total, const float* x, int64_t n) {
  const char* op = "cuda sum_squares";
  check_n(op, n);
  if (n == 0) return;
  const unsigned blocks = std::min(grid_for(n), kSumBlocks);
  Scratch<double> part(ctx, blocks, op);
  sum_squares_partials_kernel<<<blocks, kThreads, 0, stream_of(ctx)>>>(part.get(), x, n);
  check_launch(op);
  sum_squares_finish_kernel<<<1, kThreads, 0, stream_of(ctx)>>>(total, part.get(), blocks);
  check_launch(op);
}

double sum_squares(const CudaContext& ctx, const float* x, int64_t n) {
  const char* op = "cuda sum_squares";
  Scratch<double> total(ctx, 1, op);
  check_cuda(cudaMemsetAsync(total.get(), 0, sizeof(double), stream_of(ctx)), op, "cudaMemsetAsync");
  sum_squares_accumulate(ctx, total.get(), x, n);
  double result = 0;
  check_cuda(cudaMemcpyAsync(&result, total.get(), sizeof(double), cudaMemcpyDeviceToHost, stream_of(ctx)),
             op, "device-to-host copy");
  synchronize(ctx, op);
  return result;
}

}  // namespace rwkvs::kernels::cuda
