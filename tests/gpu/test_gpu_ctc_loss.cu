// The CUDA CTC loss (kernels/cuda/ctc_loss.cu) against its CPU twin (kernels/cpu/ctc_loss.cpp,
// float) on random batches: T = 1; repeated labels at, above and below their minimum frames; V = 2;
// mixed input lengths with padding, exact fits and blank-only sequences at V = 30; T = 2000 with
// 300 labels; S = 1200 (shared memory past the 48 KB default); a blank other than 0; invalid
// sequences. Each case runs out of place, in place and forward only.
//
// Losses: the same +inf and NaN, finite ones within 1e-6 relative (+1e-6 absolute). Gradients:
// within 1e-5 of the CPU's largest magnitude (CHECK_CLOSE_SCALED). Both run the recursion in
// double over the same float logits, so they differ by the rounding of the float results (~1e-7;
// measured with the kernels' bodies run on the CPU), and an indexing or recurrence mistake is far
// outside. In place and forward only must equal out of place bit for bit (same arithmetic in a
// fixed order).
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "base/rng.h"
#include "kernels/ctc_loss.h"
#include "kernels/cuda/ctc_loss.h"
#include "kernels/cuda/memory.h"
#include "tests/gpu/gpu_support.h"

using namespace rwkvs;
using namespace rwkvs::test::gpu;
namespace kc = rwkvs::kernels::cuda;

namespace {

// int64 device arrays (DeviceBuffer is instantiated for float, double and int32_t).
class DeviceI64 {
 public:
  explicit DeviceI64(const std::vector<int64_t>& host) {
    REQUIRE(cudaMalloc(reinterpret_cast<void**>(&p_), std::max<size_t>(host.size(), 1) * sizeof(int64_t)) ==
            cudaSuccess);
    kc::upload_bytes(ctx(), p_, host.data(), host.size() * sizeof(int64_t));
  }
  ~DeviceI64() { cudaFree(p_); }
  DeviceI64(const DeviceI64&) = delete;
  DeviceI64& operator=(const DeviceI64&) = delete;
  const int64_t* data() const { return p_; }

 private:
  int64_t* p_ = nullptr;
};

struct Seq {
  int64_t frames;
  std::vector<int32_t> labels;
  double peak = 0;  // added to the logits along one alignment (a confident model), when it fits
};

struct Case {
  int64_t B = 0, T = 0, V = 0, S = 0;
  int32_t blank = 0;
  std::vector<int64_t> input_lengths, label_lengths;
  std::vector<int32_t> labels;  // (B, S), padding -1
  std::vector<float> scales, logits;
};

int64_t min_frames(const std::vector<int32_t>& l) {
  int64_t n = static_cast<int64_t>(l.size());
  for (size_t i = 1; i < l.size(); ++i) n += l[i] == l[i - 1];
  return n;
}

std::vector<int32_t> random_labels(int64_t n, int64_t V, int32_t blank, Rng& rng) {
  std::vector<int32_t> l(static_cast<size_t>(n));
  for (auto& c : l) {
    c = static_cast<int32_t>(rng.below(static_cast<uint64_t>(V - 1)));
    if (c >= blank) ++c;
  }
  return l;
}

Case make_case(int64_t T, int64_t V, int32_t blank, const std::vector<Seq>& seqs, uint64_t seed,
               double sd = 2.0) {
  Case c;
  c.B = static_cast<int64_t>(seqs.size()), c.T = T, c.V = V, c.blank = blank;
  for (const Seq& s : seqs) c.S = std::max<int64_t>(c.S, static_cast<int64_t>(s.labels.size()));
  c.labels.assign(static_cast<size_t>(c.B * c.S), -1);
  c.logits = normal(static_cast<size_t>(c.B * T * V), seed, sd);
  c.scales = uniform(static_cast<size_t>(c.B), seed + 1, 0.2, 1.5);
  for (int64_t b = 0; b < c.B; ++b) {
    const Seq& s = seqs[b];
    const int64_t U = static_cast<int64_t>(s.labels.size());
    c.input_lengths.push_back(s.frames);
    c.label_lengths.push_back(U);
    std::copy(s.labels.begin(), s.labels.end(), c.labels.begin() + b * c.S);
    if (s.peak > 0 && U > 0 && min_frames(s.labels) <= s.frames && s.frames <= T) {
      // label i owns frames [i N / U, (i+1) N / U): its first frame, then blanks
      for (int64_t i = 0; i < U; ++i) {
        const int64_t t0 = i * s.frames / U, t1 = (i + 1) * s.frames / U;
        for (int64_t t = t0; t < t1; ++t)
          c.logits[(b * T + t) * V + (t == t0 ? s.labels[i] : blank)] += static_cast<float>(s.peak);
      }
    }
  }
  return c;
}

struct Out {
  std::vector<float> losses, dlogits;
};

Out run_cpu(const Case& c) {
  Out o{std::vector<float>(c.B), std::vector<float>(c.logits.size())};
  kernels::ctc_loss_forward_backward<float>(o.losses.data(), o.dlogits.data(), c.logits.data(),
                                            c.input_lengths.data(), c.labels.data(), c.label_lengths.data(),
                                            c.scales.data(), c.B, c.T, c.V, c.S, c.blank);
  return o;
}

// mode 0: out of place, 1: in place, 2: forward only. dlogits starts as garbage.
Out run_gpu(const Case& c, int mode) {
  const DeviceI64 d_in(c.input_lengths), d_ll(c.label_lengths);
  auto d_labels = to_device(ctx(), c.labels.empty() ? std::vector<int32_t>{0} : c.labels);
  auto d_scales = to_device(ctx(), c.scales), d_logits = to_device(ctx(), c.logits);
  auto d_grad = to_device(ctx(), std::vector<float>(c.logits.size(), 12345.0f));
  DeviceBuffer<float> d_losses(c.B);
  if (mode == 2) {
    kc::ctc_loss_forward(ctx(), d_losses.data(), d_logits.data(), d_in.data(), d_labels.data(), d_ll.data(),
                         c.B, c.T, c.V, c.S, c.blank);
    return {host(d_losses), {}};
  }
  float* grad = mode == 1 ? d_logits.data() : d_grad.data();
  kc::ctc_loss_forward_backward(ctx(), d_losses.data(), grad, d_logits.data(), d_in.data(), d_labels.data(),
                                d_ll.data(), d_scales.data(), c.B, c.T, c.V, c.S, c.blank);
  return {host(d_losses), host(mode == 1 ? d_logits : d_grad)};
}

void check_losses(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t b = 0; b < want.size(); ++b) {
    CAPTURE(b);
    INFO("gpu " << got[b] << " cpu " << want[b]);
    if (std::isnan(want[b]))
      CHECK(std::isnan(got[b]));
    else if (std::isinf(want[b]))
      CHECK(got[b] == want[b]);
    else
      CHECK(std::fabs(got[b] - want[b]) <= 1e-6 * std::fabs(want[b]) + 1e-6);
  }
}

void check_case(const Case& c) {
  const Out cpu = run_cpu(c), gpu = run_gpu(c, 0);
  check_losses(gpu.losses, cpu.losses);
  CHECK_CLOSE_SCALED(gpu.dlogits, cpu.dlogits, 1e-5);
  const Out in_place = run_gpu(c, 1), forward = run_gpu(c, 2);
  CHECK(in_place.dlogits == gpu.dlogits);
  for (int64_t b = 0; b < c.B; ++b) {
    CAPTURE(b);
    const bool same =
        in_place.losses[b] == gpu.losses[b] || (std::isnan(in_place.losses[b]) && std::isnan(gpu.losses[b]));
    const bool same_fwd =
        forward.losses[b] == gpu.losses[b] || (std::isnan(forward.losses[b]) && std::isnan(gpu.losses[b]));
    CHECK(same);
    CHECK(same_fwd);
  }
}

}  // namespace

TEST_CASE("one frame: blank only, one label, two labels that cannot fit") {
  check_case(make_case(1, 3, 0, {{1, {}}, {1, {2}}, {1, {1, 2}}, {1, {1, 1}}}, 101));
}

TEST_CASE("repeated labels at, above and below their minimum frames") {
  check_case(make_case(12, 5, 0,
                       {{2, {3, 3}},
                        {3, {3, 3}},
                        {5, {1, 2, 2, 1}},
                        {12, {1, 2, 2, 1}},
                        {7, {4, 4, 4}},
                        {4, {4, 4, 4}},
                        {12, {}},
                        {6, {1, 2, 3, 4}, 3.0},
                        {12, {2, 2, 1, 1, 3}},
                        {0, {}},
                        {0, {1}}},
                       102));
}

TEST_CASE("V = 2: one label class, blanks between every pair") {
  const std::vector<int32_t> ten(10, 1);
  check_case(make_case(40, 2, 0, {{40, ten}, {19, ten}, {18, ten}, {33, {}}, {1, {1}}, {25, {1, 1, 1}, 4.0}},
                       103, 1.0));
}

TEST_CASE("V = 30: mixed input lengths, padding, an exact fit, blank only, confident paths") {
  Rng rng(104);
  const auto exact = random_labels(100, 30, 0, rng);
  check_case(make_case(500, 30, 0,
                       {{500, random_labels(120, 30, 0, rng), 4.0},
                        {377, random_labels(90, 30, 0, rng)},
                        {min_frames(exact), exact},
                        {2, random_labels(1, 30, 0, rng)},
                        {250, {}},
                        {311, random_labels(60, 30, 0, rng), 8.0}},
                       105));
}

TEST_CASE("T = 2000: 300 labels on a confident path, 200 and 50 labels on random logits") {
  Rng rng(106);
  check_case(make_case(2000, 30, 0,
                       {{2000, random_labels(300, 30, 0, rng), 5.0},
                        {1500, random_labels(200, 30, 0, rng)},
                        {2000, random_labels(50, 30, 0, rng)}},
                       107));
}

TEST_CASE("S = 1200: shared memory beyond the 48 KB default") {
  Rng rng(108);
  check_case(make_case(1500, 40, 0,
                       {{1500, random_labels(1200, 40, 0, rng), 4.0}, {1400, random_labels(10, 40, 0, rng)}},
                       109));
}

TEST_CASE("a blank other than 0") {
  Rng rng(110);
  check_case(make_case(60, 6, 5,
                       {{60, random_labels(20, 6, 5, rng)}, {30, {2, 2, 0, 0}}, {50, {}}, {3, {1, 1}}}, 111));
}

TEST_CASE("invalid sequences give NaN and zero gradient, the rest of the batch is unaffected") {
  Case c = make_case(
      5, 4, 0, {{5, {1, 4}}, {5, {2, 0}}, {5, {-3}}, {5, {1}}, {5, {1}}, {-1, {1}}, {6, {1}}, {5, {3, 2}}},
      112);
  c.label_lengths[3] = c.S + 1;
  c.label_lengths[4] = -2;
  const Out cpu = run_cpu(c);
  for (int64_t b = 0; b < 7; ++b) REQUIRE(std::isnan(cpu.losses[b]));
  check_case(c);
}

TEST_CASE("launcher errors name the op and the bad value") {
  const Case c = make_case(4, 3, 0, {{4, {1}}}, 113);
  auto d_logits = to_device(ctx(), c.logits);
  const DeviceI64 d_in(c.input_lengths), d_ll(c.label_lengths);
  auto d_labels = to_device(ctx(), c.labels);
  DeviceBuffer<float> d_losses(1);
  const std::string bad_blank = test::error_of([&] {
    kc::ctc_loss_forward(ctx(), d_losses.data(), d_logits.data(), d_in.data(), d_labels.data(), d_ll.data(),
                         1, 4, 3, 1, 3);
  });
  CHECK(bad_blank.find("cuda ctc_loss_forward: blank must be in [0, V) = [0, 3), got 3") !=
        std::string::npos);
  const std::string bad_v = test::error_of([&] {
    kc::ctc_loss_forward_backward(ctx(), d_losses.data(), d_logits.data(), d_logits.data(), d_in.data(),
                                  d_labels.data(), d_ll.data(), nullptr, 1, 4, 0, 1, 0);
  });
  CHECK(bad_v.find("cuda ctc_loss_forward_backward: sizes") != std::string::npos);
  // 20,000 labels need far more shared memory per block than any GPU has
  const std::string big_s = test::error_of([&] {
    kc::ctc_loss_forward(ctx(), d_losses.data(), d_logits.data(), d_in.data(), d_labels.data(), d_ll.data(),
                         1, 4, 3, 20000, 0);
  });
  CHECK(big_s.find("S = 20000") != std::string::npos);
  kc::synchronize(ctx());
}
