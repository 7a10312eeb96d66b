#include "frontends/audio/fft.h"

#include <fftw3.h>

#include <map>
#include <new>

#include "base/error.h"

namespace rwkvs {

std::mutex& fftw_planner_mutex() {
  static std::mutex m;
  return m;
}

namespace {

// The fftwf_* / fftw_* entry points for each precision.
template <class Real>
struct Fftw;

template <>
struct Fftw<float> {
  using Plan = fftwf_plan;
  static float* alloc_real(int n) { return fftwf_alloc_real(static_cast<size_t>(n)); }
  static void* alloc_complex(int n) { return fftwf_alloc_complex(static_cast<size_t>(n)); }
  static void free(void* p) { fftwf_free(p); }
  static Plan plan(int n, float* in, void* out, unsigned flags) {
    return fftwf_plan_dft_r2c_1d(n, in, static_cast<fftwf_complex*>(out), flags);
  }
  static void execute(void* plan, float* in, void* out) {
    fftwf_execute_dft_r2c(static_cast<Plan>(plan), in, static_cast<fftwf_complex*>(out));
  }
};

template <>
struct Fftw<double> {
  using Plan = fftw_plan;
  static double* alloc_real(int n) { return fftw_alloc_real(static_cast<size_t>(n)); }
  static void* alloc_complex(int n) { return fftw_alloc_complex(static_cast<size_t>(n)); }
  static void free(void* p) { fftw_free(p); }
  static Plan plan(int n, double* in, void* out, unsigned flags) {
    return fftw_plan_dft_r2c_1d(n, in, static_cast<fftw_complex*>(out), flags);
  }
  static void execute(void* plan, double* in, void* out) {
    fftw_execute_dft_r2c(static_cast<Plan>(plan), in, static_cast<fftw_complex*>(out));
  }
};

// Plans live for the whole process: they are few (one per size) and shared by every stream.
// FFTW_ESTIMATE picks the plan without timing, so every run of every process computes the same
// operations and features are reproducible bit for bit across runs.
template <class Real>
void* shared_plan(int n) {
  std::lock_guard<std::mutex> lock(fftw_planner_mutex());
  static auto* plans = new std::map<int, void*>();
  auto it = plans->find(n);
  if (it != plans->end()) return it->second;
  Real* in = Fftw<Real>::alloc_real(n);
  void* out = Fftw<Real>::alloc_complex(n / 2 + 1);
  if (!in || !out) throw std::bad_alloc();
  auto p = Fftw<Real>::plan(n, in, out, FFTW_ESTIMATE | FFTW_PRESERVE_INPUT);
  Fftw<Real>::free(in);
  Fftw<Real>::free(out);
  if (!p) fail("fft: FFTW could not plan a real FFT of size ", n);
  plans->emplace(n, static_cast<void*>(p));
  return p;
}

}  // namespace

template <class Real>
RealFft<Real>::RealFft(int n) : n_(n) {
  RWKVS_CHECK(n >= 2, "fft: size must be at least 2, got ", n);
  plan_ = shared_plan<Real>(n);
  in_ = Fftw<Real>::alloc_real(n);
  out_ = static_cast<std::complex<Real>*>(Fftw<Real>::alloc_complex(n / 2 + 1));
  if (!in_ || !out_) {
    Fftw<Real>::free(in_);
    Fftw<Real>::free(out_);
    throw std::bad_alloc();
  }
  for (int i = 0; i < n; ++i) in_[i] = 0;
}

template <class Real>
RealFft<Real>::~RealFft() {
  Fftw<Real>::free(in_);
  Fftw<Real>::free(out_);
}

template <class Real>
void RealFft<Real>::transform() {
  // The new-array execute is thread-safe; our buffers come from FFTW's allocator, so they have the
  // alignment the plan was made for.
  Fftw<Real>::execute(plan_, in_, out_);
}

template class RealFft<float>;
template class RealFft<double>;

}  // namespace rwkvs
