#pragma once
// Real-to-complex FFT of one frame on FFTW, in float (fftw3f: the fast fbank path) or double
// (fftw3: the log-mel path, which must track a float32 oracle to 1e-4 in quiet bins). One plan
// per (precision, size) is made once, under a process-wide mutex (the FFTW planner is not
// thread-safe), and shared; each RealFft owns its own aligned buffers and runs the shared plan on
// them, so several streams can transform at once.
#include <complex>
#include <mutex>

namespace rwkvs {

// The mutex every FFTW planner call in the process must hold.
std::mutex& fftw_planner_mutex();

template <class Real>
class RealFft {
 public:
  explicit RealFft(int n);  // n >= 2, any size (FFTW handles non powers of two)
  ~RealFft();
  RealFft(const RealFft&) = delete;
  RealFft& operator=(const RealFft&) = delete;

  int size() const { return n_; }
  // The time-domain frame [n]; transform() reads it (and leaves it unchanged).
  Real* input() { return in_; }
  // The spectrum [n/2 + 1]: bins 0 (DC) .. n/2 (Nyquist when n is even), valid after transform().
  const std::complex<Real>* output() const { return out_; }
  void transform();

 private:
  int n_;
  Real* in_;                 // [n], allocated by FFTW (SIMD-aligned as the plan expects)
  std::complex<Real>* out_;  // [n/2 + 1]
  void* plan_;               // shared plan, owned by the plan cache
};

extern template class RealFft<float>;
extern template class RealFft<double>;

}  // namespace rwkvs
