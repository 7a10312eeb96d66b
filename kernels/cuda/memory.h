#pragma once
// Raw device-memory moves ordered on a context's stream, for callers that include no CUDA header:
// device-to-device copies, zero fills, the strided "last row of each sequence" gather, and
// host<->device copies of plain pointers (DeviceBuffer covers whole buffers).
#include <cstddef>
#include <cstdint>

#include "kernels/cuda/context.h"

namespace rwkvs::kernels::cuda {

// dst[0, bytes) = src[0, bytes), both on the device.
void copy_device_bytes(const CudaContext& ctx, void* dst, const void* src, size_t bytes);
// Zero-fills bytes at p (device).
void zero_device_bytes(const CudaContext& ctx, void* p, size_t bytes);
// dst (B, C) = row T-1 of each sequence in src (B, T, C), one 2-D copy.
void copy_last_rows(const CudaContext& ctx, float* dst, const float* src, int64_t B, int64_t T, int64_t C);
// Host -> device and device -> host; both wait for the copy (and for the work queued before it).
void upload_bytes(const CudaContext& ctx, void* device, const void* host, size_t bytes);
void download_bytes(const CudaContext& ctx, void* host, const void* device, size_t bytes);
// x (n) *= s.
void scale_inplace(const CudaContext& ctx, float* x, float s, int64_t n);

}  // namespace rwkvs::kernels::cuda
