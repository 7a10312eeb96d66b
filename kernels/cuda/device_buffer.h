#pragma once
// Device memory for callers that include no CUDA header: an owning array, copies to and from the
// host ordered on a context's stream, and CUDA-event timing. Instantiated for float, double, int32_t.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/cuda/context.h"

struct CUevent_st;  // cudaEvent_t is CUevent_st*

namespace rwkvs::kernels::cuda {

// n elements of device memory (cudaMalloc), zero-filled on construction. Move-only.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t n);  // throws rwkvs::Error naming the size when the allocation fails
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& o) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  // Reallocates to n zeroed elements (old contents are discarded).
  void resize(size_t n) { *this = DeviceBuffer(n); }

  // Copies host[0, n) in (n <= size()), on ctx's stream, and waits for it.
  void upload(const CudaContext& ctx, const T* host, size_t n);
  void upload(const CudaContext& ctx, const std::vector<T>& host) { upload(ctx, host.data(), host.size()); }
  // Copies the first n elements out, after all work queued on ctx's stream.
  void download(const CudaContext& ctx, T* host, size_t n) const;
  std::vector<T> to_host(const CudaContext& ctx) const;
  // Zero-fills all elements (queued on ctx's stream).
  void zero(const CudaContext& ctx);

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

// A device buffer holding a copy of a host vector.
template <class T>
DeviceBuffer<T> to_device(const CudaContext& ctx, const std::vector<T>& host) {
  DeviceBuffer<T> d(host.size());
  d.upload(ctx, host);
  return d;
}

// Times work queued on a stream with CUDA events: start(), queue work, stop() returns seconds.
class EventTimer {
 public:
  EventTimer();
  ~EventTimer();
  EventTimer(const EventTimer&) = delete;
  EventTimer& operator=(const EventTimer&) = delete;
  void start(const CudaContext& ctx);
  double stop(const CudaContext& ctx);  // waits for the stop event

 private:
  CUevent_st* begin_ = nullptr;
  CUevent_st* end_ = nullptr;
};

// Device-to-device copy bandwidth in GB/s (bytes read + bytes written), best of a few copies of
// 'bytes' bytes: the practical memory-bandwidth ceiling that kernels are measured against.
double measure_copy_bandwidth_gbs(const CudaContext& ctx, size_t bytes);

}  // namespace rwkvs::kernels::cuda
