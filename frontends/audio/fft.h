#pragma once
// Real-to-complex FFT of one frame on FFTW (float). One plan per FFT size is made once, under a
// process-wide mutex (the FFTW planner is not thread-safe), and shared; each RealFft owns its own
// aligned buffers and runs the shared plan on them, so several streams can transform at once.
#include <complex>
#include <mutex>

namespace rwkvs {

// The mutex every FFTW planner call in the process must hold.
std::mutex& fftw_planner_mutex();

class RealFft {
 public:
  explicit RealFft(int n);  // n >= 2, any size (FFTW handles non powers of two)
  ~RealFft();
  RealFft(const RealFft&) = delete;
  RealFft& operator=(const RealFft&) = delete;

  int size() const { return n_; }
  // The time-domain frame [n]; transform() reads it (and leaves it unchanged).
  float* input() { return in_; }
  // The spectrum [n/2 + 1]: bins 0 (DC) .. n/2 (Nyquist when n is even), valid after transform().
  const std::complex<float>* output() const { return out_; }
  void transform();

 private:
  int n_;
  float* in_;                  // [n], fftwf_malloc'd (SIMD-aligned as the plan expects)
  std::complex<float>* out_;   // [n/2 + 1]
  void* plan_;                 // shared fftwf_plan, owned by the plan cache
};

}  // namespace rwkvs
