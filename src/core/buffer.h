#pragma once
// A 64-byte aligned, zero-initialised float array. Copyable (deep copy) and movable.
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

#include <sys/mman.h>
#include <utility>

namespace rwkvs {

template <class T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t n) { resize(n); }
  AlignedBuffer(const AlignedBuffer& o) {
    resize(o.size_);
    if (size_) std::memcpy(data_, o.data_, size_ * sizeof(T));
  }
  AlignedBuffer(AlignedBuffer&& o) noexcept : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  AlignedBuffer& operator=(AlignedBuffer o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    return *this;
  }
  ~AlignedBuffer() { std::free(data_); }

  // Reallocates to n zeroed elements (old contents are discarded).
  void resize(size_t n) {
    std::free(data_);
    data_ = nullptr;
    size_ = n;
    if (n == 0) return;
    // Large arrays are streamed through row by row: back them with 2 MB pages where the kernel
    // allows it (transparent huge pages in "madvise" mode), which removes most TLB misses.
    const size_t align = n * sizeof(T) >= kHugeThreshold ? kHugePage : 64;
    const size_t bytes = (n * sizeof(T) + align - 1) / align * align;
    data_ = static_cast<T*>(std::aligned_alloc(align, bytes));
    if (!data_) throw std::bad_alloc();
    if (align == kHugePage) madvise(data_, bytes, MADV_HUGEPAGE);
    std::memset(data_, 0, bytes);
  }
  void zero() {
    if (size_) std::memset(data_, 0, size_ * sizeof(T));
  }
  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }

 private:
  static constexpr size_t kHugePage = size_t(2) << 20;
  static constexpr size_t kHugeThreshold = size_t(8) << 20;
  T* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace rwkvs
