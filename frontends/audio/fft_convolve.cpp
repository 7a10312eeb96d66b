#include "frontends/audio/fft_convolve.h"

#include <fftw3.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <new>

#include "base/error.h"
#include "frontends/audio/fft.h"

namespace rwkvs {
namespace {

struct Plans {
  fftw_plan forward;  // r2c of size n
  fftw_plan inverse;  // c2r of size n (unnormalised)
};

// Process-wide plans per size (FFTW_ESTIMATE: the same operations in every run, so results are
// reproducible bit for bit). The planner is not thread-safe: every FFTW planner call in the
// process holds fftw_planner_mutex().
const Plans& shared_plans(size_t n) {
  std::lock_guard<std::mutex> lock(fftw_planner_mutex());
  static auto* plans = new std::map<size_t, Plans>();
  auto it = plans->find(n);
  if (it != plans->end()) return it->second;
  double* re = fftw_alloc_real(n);
  fftw_complex* spec = fftw_alloc_complex(n / 2 + 1);
  if (!re || !spec) {
    fftw_free(re);
    fftw_free(spec);
    throw std::bad_alloc();
  }
  const int size = static_cast<int>(n);
  Plans p{fftw_plan_dft_r2c_1d(size, re, spec, FFTW_ESTIMATE),
          fftw_plan_dft_c2r_1d(size, spec, re, FFTW_ESTIMATE)};
  fftw_free(re);
  fftw_free(spec);
  if (!p.forward || !p.inverse) fail("fft_convolve: FFTW could not plan FFTs of size ", n);
  return plans->emplace(n, p).first->second;
}

struct FftwFree {
  void operator()(void* p) const { fftw_free(p); }
};

}  // namespace

size_t fft_convolve_size(size_t n) {
  size_t size = 1;
  while (size < n) size *= 2;
  return size;
}

std::vector<float> fft_convolve(const float* x, size_t n, const float* h, size_t m, size_t out_len) {
  if (n == 0 || m == 0) return std::vector<float>(out_len, 0.0f);
  RWKVS_CHECK(out_len <= n + m - 1, "fft_convolve: out_len ", out_len, " exceeds the full length ", n + m - 1);
  // Samples of h or x past out_len never reach the kept output, and a circular convolution of
  // size >= n' + m' - 1 equals the linear one.
  n = std::min(n, out_len);
  m = std::min(m, out_len);
  const size_t size = std::max<size_t>(2, fft_convolve_size(n + m - 1));
  const Plans& plans = shared_plans(size);
  const size_t bins = size / 2 + 1;
  std::unique_ptr<double, FftwFree> a(fftw_alloc_real(size)), b(fftw_alloc_real(size));
  std::unique_ptr<fftw_complex, FftwFree> fa(fftw_alloc_complex(bins)), fb(fftw_alloc_complex(bins));
  if (!a || !b || !fa || !fb) throw std::bad_alloc();
  std::fill(a.get(), a.get() + size, 0.0);
  std::fill(b.get(), b.get() + size, 0.0);
  std::copy(x, x + n, a.get());
  std::copy(h, h + m, b.get());
  // New-array execution is thread-safe; FFTW's allocator gives the alignment the plans assume.
  fftw_execute_dft_r2c(plans.forward, a.get(), fa.get());
  fftw_execute_dft_r2c(plans.forward, b.get(), fb.get());
  for (size_t k = 0; k < bins; ++k) {
    const double re = fa.get()[k][0] * fb.get()[k][0] - fa.get()[k][1] * fb.get()[k][1];
    const double im = fa.get()[k][0] * fb.get()[k][1] + fa.get()[k][1] * fb.get()[k][0];
    fa.get()[k][0] = re;
    fa.get()[k][1] = im;
  }
  fftw_execute_dft_c2r(plans.inverse, fa.get(), a.get());
  std::vector<float> y(out_len);
  const double scale = 1.0 / static_cast<double>(size);
  for (size_t k = 0; k < out_len; ++k) y[k] = static_cast<float>(a.get()[k] * scale);
  return y;
}

}  // namespace rwkvs
