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

// Plans live for the whole process: they are few (one per FFT size) and shared by every stream.
// FFTW_ESTIMATE picks the plan without timing, so every run of every process computes the same
// float operations and features are reproducible bit for bit across runs.
fftwf_plan shared_plan(int n) {
  std::lock_guard<std::mutex> lock(fftw_planner_mutex());
  static std::map<int, fftwf_plan>* plans = new std::map<int, fftwf_plan>();
  auto it = plans->find(n);
  if (it != plans->end()) return it->second;
  float* in = fftwf_alloc_real(n);
  fftwf_complex* out = fftwf_alloc_complex(n / 2 + 1);
  if (!in || !out) throw std::bad_alloc();
  fftwf_plan p = fftwf_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE | FFTW_PRESERVE_INPUT);
  fftwf_free(in);
  fftwf_free(out);
  if (!p) fail("fft: FFTW could not plan a real FFT of size ", n);
  plans->emplace(n, p);
  return p;
}

}  // namespace

RealFft::RealFft(int n) : n_(n) {
  RWKVS_CHECK(n >= 2, "fft: size must be at least 2, got ", n);
  plan_ = shared_plan(n);
  in_ = fftwf_alloc_real(n);
  out_ = reinterpret_cast<std::complex<float>*>(fftwf_alloc_complex(n / 2 + 1));
  if (!in_ || !out_) {
    fftwf_free(in_);
    fftwf_free(out_);
    throw std::bad_alloc();
  }
  for (int i = 0; i < n; ++i) in_[i] = 0.0f;
}

RealFft::~RealFft() {
  fftwf_free(in_);
  fftwf_free(out_);
}

void RealFft::transform() {
  // The new-array execute is thread-safe; our buffers come from fftwf_malloc, so they have the
  // alignment the plan was made for.
  fftwf_execute_dft_r2c(static_cast<fftwf_plan>(plan_), in_, reinterpret_cast<fftwf_complex*>(out_));
}

}  // namespace rwkvs
