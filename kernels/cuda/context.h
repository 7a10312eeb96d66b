#pragma once
// What every CUDA kernel launch needs: the stream to queue on, the cuBLAS handle, the matmul precision.
// This header includes no CUDA header (the handle types are declared opaquely, exactly as the CUDA
// headers declare them), so CPU-compiled code of a CUDA build can hold a context and call the ops.
#include <cstdint>

struct CUstream_st;    // cudaStream_t is CUstream_st*
struct cublasContext;  // cublasHandle_t is cublasContext*

namespace rwkvs::kernels::cuda {

// How matmuls multiply. Accumulation and the stored activations, weights and gradients are fp32 in all.
enum class MatmulPrecision {
  fp32,  // IEEE fp32 products
  tf32,  // inputs rounded to TF32 (10-bit mantissa) on tensor cores
  bf16,  // inputs rounded to bf16 (8-bit mantissa) on tensor cores; fp32 master weights stay as they are
};

const char* to_string(MatmulPrecision p);
// Parses "fp32", "tf32" or "bf16"; throws rwkvs::Error naming the accepted values otherwise.
MatmulPrecision parse_matmul_precision(const char* name);

// A borrowed view: it owns nothing, copies are cheap, and every op takes one as its first argument.
struct CudaContext {
  CUstream_st* stream = nullptr;    // all work of an op is queued here (null: the legacy default stream)
  cublasContext* cublas = nullptr;  // used by the matmul ops (they bind it to 'stream' on each call)
  MatmulPrecision precision = MatmulPrecision::fp32;
  int sm_count = 0;  // multiprocessors of the device; schedules size their grids by it
};

// Owns a stream, a cuBLAS handle and the device choice; get() is the view the ops take.
// The stream is a blocking one, so work queued on it also orders with the legacy default stream.
class OwnedCudaContext {
 public:
  // Throws rwkvs::Error when the device cannot be used (no driver, no such device).
  explicit OwnedCudaContext(MatmulPrecision precision = MatmulPrecision::fp32, int device = 0);
  ~OwnedCudaContext();
  OwnedCudaContext(const OwnedCudaContext&) = delete;
  OwnedCudaContext& operator=(const OwnedCudaContext&) = delete;

  const CudaContext& get() const { return ctx_; }
  operator const CudaContext&() const { return ctx_; }  // NOLINT: an owner is usable where a view is
  void set_precision(MatmulPrecision p) { ctx_.precision = p; }
  // Waits for all work queued on the stream; throws rwkvs::Error with the first asynchronous error.
  void synchronize() const;

 private:
  CudaContext ctx_;
};

// Waits for the context's stream; throws rwkvs::Error naming 'what' on an asynchronous error.
void synchronize(const CudaContext& ctx, const char* what = "cuda synchronize");

}  // namespace rwkvs::kernels::cuda
