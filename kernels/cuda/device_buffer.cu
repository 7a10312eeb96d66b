#include <cuda_runtime.h>

#include <utility>

#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/memory.h"

namespace rwkvs::kernels::cuda {

template <class T>
DeviceBuffer<T>::DeviceBuffer(size_t n) : size_(n) {
  if (n == 0) return;
  const cudaError_t err = cudaMalloc(reinterpret_cast<void**>(&data_), n * sizeof(T));
  if (err != cudaSuccess) {
    data_ = nullptr;
    fail("cuda: cannot allocate ", n * sizeof(T), " bytes of device memory: ", cudaGetErrorString(err));
  }
  // Zero before any stream can see the buffer (allocation is not a hot path).
  check_cuda(cudaMemset(data_, 0, n * sizeof(T)), "cuda buffer", "cudaMemset");
  check_cuda(cudaDeviceSynchronize(), "cuda buffer", "cudaDeviceSynchronize");
}

template <class T>
DeviceBuffer<T>::~DeviceBuffer() {
  if (data_) cudaFree(data_);
}

template <class T>
DeviceBuffer<T>::DeviceBuffer(DeviceBuffer&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}

template <class T>
DeviceBuffer<T>& DeviceBuffer<T>::operator=(DeviceBuffer&& o) noexcept {
  std::swap(data_, o.data_);
  std::swap(size_, o.size_);
  return *this;
}

template <class T>
void DeviceBuffer<T>::upload(const CudaContext& ctx, const T* host, size_t n) {
  if (n > size_) fail("cuda buffer: upload of ", n, " elements into a buffer of ", size_);
  upload_bytes(ctx, data_, host, n * sizeof(T));
}

template <class T>
void DeviceBuffer<T>::download(const CudaContext& ctx, T* host, size_t n) const {
  if (n > size_) fail("cuda buffer: download of ", n, " elements from a buffer of ", size_);
  download_bytes(ctx, host, data_, n * sizeof(T));
}

template <class T>
std::vector<T> DeviceBuffer<T>::to_host(const CudaContext& ctx) const {
  std::vector<T> h(size_);
  download(ctx, h.data(), size_);
  return h;
}

template <class T>
void DeviceBuffer<T>::zero(const CudaContext& ctx) {
  zero_device_bytes(ctx, data_, size_ * sizeof(T));
}

template class DeviceBuffer<float>;
template class DeviceBuffer<double>;
template class DeviceBuffer<int32_t>;

EventTimer::EventTimer() {
  check_cuda(cudaEventCreate(&begin_), "event timer", "cudaEventCreate");
  check_cuda(cudaEventCreate(&end_), "event timer", "cudaEventCreate");
}

EventTimer::~EventTimer() {
  cudaEventDestroy(begin_);
  cudaEventDestroy(end_);
}

void EventTimer::start(const CudaContext& ctx) {
  check_cuda(cudaEventRecord(begin_, ctx.stream), "event timer", "cudaEventRecord");
}

double EventTimer::stop(const CudaContext& ctx) {
  check_cuda(cudaEventRecord(end_, ctx.stream), "event timer", "cudaEventRecord");
  check_cuda(cudaEventSynchronize(end_), "event timer", "cudaEventSynchronize");
  float ms = 0;
  check_cuda(cudaEventElapsedTime(&ms, begin_, end_), "event timer", "cudaEventElapsedTime");
  return ms * 1e-3;
}

double measure_copy_bandwidth_gbs(const CudaContext& ctx, size_t bytes) {
  DeviceBuffer<float> a(bytes / sizeof(float)), b(bytes / sizeof(float));
  EventTimer timer;
  double best = 1e300;
  for (int i = 0; i < 4; ++i) {  // the first copy is a warm-up
    timer.start(ctx);
    check_cuda(
        cudaMemcpyAsync(b.data(), a.data(), a.size() * sizeof(float), cudaMemcpyDeviceToDevice, ctx.stream),
        "copy bandwidth", "device-to-device copy");
    const double t = timer.stop(ctx);
    if (i > 0) best = std::min(best, t);
  }
  return 2.0 * static_cast<double>(a.size() * sizeof(float)) / best / 1e9;
}

}  // namespace rwkvs::kernels::cuda
