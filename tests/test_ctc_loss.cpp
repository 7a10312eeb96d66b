// CTC loss (kernels/ctc_loss.h): losses and gradients against torch.nn.functional.ctc_loss goldens
// (tests/data/ctc, float64 torch on float32 logits) for the float and double paths; central finite
// differences of the double path; infeasible, blank-only, zero-length and invalid sequences;
// in place against out of place; forward only; a blank other than 0; bad sizes.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/rng.h"
#include "kernels/ctc_loss.h"
#include "tests/support.h"

using namespace rwkvs;
using namespace rwkvs::kernels;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The integer inputs of one batch and its sizes.
struct Batch {
  int64_t B = 0, T = 0, V = 0, S = 0;
  int32_t blank = 0;
  std::vector<int64_t> input_lengths, label_lengths;  // (B)
  std::vector<int32_t> labels;                        // (B, S)
  std::vector<double> scales;                         // (B)
  size_t numel() const { return static_cast<size_t>(B * T * V); }
};

template <class R>
struct Result {
  std::vector<R> losses, dlogits;
};

// Runs the op on 'logits'; in place hands it one buffer for logits and dlogits. dlogits starts as
// garbage, so a frame the op forgets to write fails.
template <class R, class In>
Result<R> run_ctc(const Batch& b, const std::vector<In>& logits, bool in_place = false) {
  const std::vector<R> x(logits.begin(), logits.end()), scales(b.scales.begin(), b.scales.end());
  Result<R> r;
  r.losses.assign(b.B, R(-7));
  r.dlogits = in_place ? x : std::vector<R>(b.numel(), R(12345));
  ctc_loss_forward_backward<R>(r.losses.data(), r.dlogits.data(), in_place ? r.dlogits.data() : x.data(),
                               b.input_lengths.data(), b.labels.data(), b.label_lengths.data(), scales.data(),
                               b.B, b.T, b.V, b.S, b.blank);
  return r;
}

// sum_b scales[b] * losses[b] over the finite losses: the total the gradient belongs to.
template <class R>
double weighted_total(const Batch& b, const std::vector<R>& losses) {
  double total = 0;
  for (int64_t i = 0; i < b.B; ++i)
    if (std::isfinite(static_cast<double>(losses[i]))) total += b.scales[i] * static_cast<double>(losses[i]);
  return total;
}

struct Golden {
  std::string name;
  Batch batch;
  std::vector<float> logits, dlogits;  // (B, T, V)
  std::vector<double> losses;          // (B), inf where torch's loss is inf
};

std::vector<Golden> load_goldens() {
  const std::string dir = std::string(RWKVS_TEST_DATA_DIR) + "/ctc/";
  std::ifstream f(dir + "cases.json");
  REQUIRE_MESSAGE(f.good(), "cannot open " << dir << "cases.json");
  const nlohmann::json j = nlohmann::json::parse(f);
  std::vector<Golden> out;
  for (const auto& c : j.at("cases")) {
    Golden g;
    g.name = c.at("name").get<std::string>();
    Batch& b = g.batch;
    b.B = c.at("B"), b.T = c.at("T"), b.V = c.at("V"), b.S = c.at("S"), b.blank = c.at("blank");
    b.input_lengths = c.at("input_lengths").get<std::vector<int64_t>>();
    b.label_lengths = c.at("label_lengths").get<std::vector<int64_t>>();
    b.labels = c.at("labels").get<std::vector<int32_t>>();
    b.scales = c.at("scales").get<std::vector<double>>();
    for (const auto& l : c.at("losses")) g.losses.push_back(l.is_null() ? kInf : l.get<double>());
    g.logits = test::read_f32_file(dir + g.name + ".logits.f32");
    g.dlogits = test::read_f32_file(dir + g.name + ".dlogits.f32");
    REQUIRE(g.logits.size() == b.numel());
    REQUIRE(g.dlogits.size() == b.numel());
    REQUIRE(b.labels.size() == static_cast<size_t>(b.B * b.S));
    out.push_back(std::move(g));
  }
  REQUIRE(out.size() == 5);
  return out;
}

const std::vector<Golden>& goldens() {
  static const std::vector<Golden> g = load_goldens();
  return g;
}

double max_abs(const std::vector<float>& x) {
  double m = 0;
  for (float v : x) m = std::max(m, std::fabs(static_cast<double>(v)));
  return m;
}

// Losses: the same infinities, finite ones within rtol. Gradients: |got - want| <= gtol * max|want|.
template <class R>
void check_against_golden(const Golden& g, const Result<R>& r, double loss_rtol, double grad_tol) {
  for (int64_t i = 0; i < g.batch.B; ++i) {
    CAPTURE(i);
    const double got = static_cast<double>(r.losses[i]), want = g.losses[i];
    if (std::isinf(want)) {
      CHECK(got == kInf);
    } else {
      INFO("loss " << got << " torch " << want);
      CHECK(std::fabs(got - want) <= loss_rtol * std::fabs(want));
    }
  }
  CHECK_ARRAYS_CLOSE(r.dlogits.data(), g.dlogits.data(), g.dlogits.size(), grad_tol * max_abs(g.dlogits),
                     0.0);
}

// Every frame of a finite-loss sequence sums to ~0 over V (softmax minus occupancies that sum to
// 1); frames past the input length and every frame of an inf/NaN sequence are exactly zero.
template <class R>
void check_row_sums(const Batch& b, const Result<R>& r, double tol) {
  double worst = 0;  // largest |row sum| / scale over the frames that count
  size_t zero_rows = 0, nonzero_padding = 0;
  for (int64_t i = 0; i < b.B; ++i) {
    const bool finite = std::isfinite(static_cast<double>(r.losses[i]));
    for (int64_t t = 0; t < b.T; ++t) {
      const R* row = r.dlogits.data() + (i * b.T + t) * b.V;
      const bool all_zero = std::all_of(row, row + b.V, [](R v) { return v == R(0); });
      if (finite && t < b.input_lengths[i]) {
        double sum = 0;
        for (int64_t v = 0; v < b.V; ++v) sum += static_cast<double>(row[v]);
        worst = std::max(worst, std::fabs(sum) / b.scales[i]);
        zero_rows += all_zero;
      } else {
        nonzero_padding += !all_zero;
      }
    }
  }
  CHECK(worst <= tol);
  CHECK(zero_rows == 0);
  CHECK(nonzero_padding == 0);
}

std::vector<double> random_logits(const Batch& b, uint64_t seed, double sd = 1.5) {
  Rng rng(seed);
  std::vector<double> x(b.numel());
  for (auto& v : x) v = sd * rng.normal();
  return x;
}

// A batch from per-sequence (input length, labels); S is the longest label sequence, padding -1.
Batch make_batch(int64_t T, int64_t V, int32_t blank,
                 const std::vector<std::pair<int64_t, std::vector<int32_t>>>& seqs) {
  Batch b;
  b.B = static_cast<int64_t>(seqs.size()), b.T = T, b.V = V, b.blank = blank;
  for (const auto& [n, l] : seqs) b.S = std::max<int64_t>(b.S, static_cast<int64_t>(l.size()));
  b.labels.assign(static_cast<size_t>(b.B * b.S), -1);
  for (size_t i = 0; i < seqs.size(); ++i) {
    b.input_lengths.push_back(seqs[i].first);
    b.label_lengths.push_back(static_cast<int64_t>(seqs[i].second.size()));
    std::copy(seqs[i].second.begin(), seqs[i].second.end(), b.labels.begin() + static_cast<int64_t>(i) * b.S);
    b.scales.push_back(0.3 + 0.25 * static_cast<double>(i));
  }
  return b;
}

// Sequence i of a batch as a batch of one (same T, V, S, blank).
Batch single(const Batch& b, int64_t i) {
  Batch s = b;
  s.B = 1;
  s.input_lengths = {b.input_lengths[i]};
  s.label_lengths = {b.label_lengths[i]};
  s.labels.assign(b.labels.begin() + i * b.S, b.labels.begin() + (i + 1) * b.S);
  s.scales = {b.scales[i]};
  return s;
}
template <class R>
std::vector<R> frames_of(const Batch& b, const std::vector<R>& x, int64_t i) {
  return std::vector<R>(x.begin() + i * b.T * b.V, x.begin() + (i + 1) * b.T * b.V);
}

}  // namespace

TEST_CASE("float path matches torch's ctc_loss goldens") {
  for (const Golden& g : goldens()) {
    CAPTURE(g.name);
    const Result<float> r = run_ctc<float>(g.batch, g.logits);
    check_against_golden(g, r, 1e-6, 1e-6);
    check_row_sums(g.batch, r, 1e-5);
  }
}

TEST_CASE("double path matches torch's ctc_loss goldens tightly") {
  for (const Golden& g : goldens()) {
    CAPTURE(g.name);
    const Result<double> r = run_ctc<double>(g.batch, g.logits);
    check_against_golden(g, r, 1e-12, 1e-7);  // the golden gradient itself is float32
    check_row_sums(g.batch, r, 1e-10);
  }
}

TEST_CASE("double-path gradient matches central finite differences") {
  // Repeats ("aa", "abba"), an exact fit, blank only, padded frames; blank 0 and blank 3.
  for (int32_t blank : {0, 3}) {
    CAPTURE(blank);
    const int32_t a = blank == 0 ? 1 : 0, c = 2;
    const Batch b = make_batch(7, 4, blank, {{7, {a, a}}, {5, {a, c, c, a}}, {4, {}}, {6, {c, a, c}}});
    std::vector<double> x = random_logits(b, 11 + blank);
    const Result<double> r = run_ctc<double>(b, x);
    for (int64_t i = 0; i < b.B; ++i) REQUIRE(std::isfinite(r.losses[i]));
    const double h = 1e-5;
    for (size_t k = 0; k < x.size(); ++k) {
      const double keep = x[k];
      x[k] = keep + h;
      const double up = weighted_total(b, run_ctc<double>(b, x).losses);
      x[k] = keep - h;
      const double down = weighted_total(b, run_ctc<double>(b, x).losses);
      x[k] = keep;
      const double fd = (up - down) / (2 * h);
      INFO("logit " << k << ": analytic " << r.dlogits[k] << " finite difference " << fd);
      CHECK(std::fabs(r.dlogits[k] - fd) <= 1e-8 * (1 + std::fabs(fd)));
    }
  }
}

TEST_CASE("in place equals out of place, bit for bit") {
  const Golden& g = goldens()[3];  // padded_v30: mixed lengths, an exact fit, blank only
  const Result<float> f = run_ctc<float>(g.batch, g.logits), fi = run_ctc<float>(g.batch, g.logits, true);
  CHECK(f.losses == fi.losses);
  CHECK(f.dlogits == fi.dlogits);
  const Result<double> d = run_ctc<double>(g.batch, g.logits), di = run_ctc<double>(g.batch, g.logits, true);
  CHECK(d.losses == di.losses);
  CHECK(d.dlogits == di.dlogits);
}

TEST_CASE("forward only gives the losses of forward-backward") {
  for (const Golden& g : goldens()) {
    CAPTURE(g.name);
    const Batch& b = g.batch;
    const Result<double> r = run_ctc<double>(b, g.logits);
    const std::vector<double> x(g.logits.begin(), g.logits.end());
    std::vector<double> losses(b.B, -7.0);
    ctc_loss_forward<double>(losses.data(), x.data(), b.input_lengths.data(), b.labels.data(),
                             b.label_lengths.data(), b.B, b.T, b.V, b.S, b.blank);
    CHECK(losses == r.losses);
    std::vector<double> with_null_grad(b.B, -7.0);
    ctc_loss_forward_backward<double>(with_null_grad.data(), nullptr, x.data(), b.input_lengths.data(),
                                      b.labels.data(), b.label_lengths.data(), nullptr, b.B, b.T, b.V, b.S,
                                      b.blank);
    CHECK(with_null_grad == r.losses);
  }
}

TEST_CASE("blank-only sequences: minus the summed log softmax of blank, by hand") {
  const Batch b = make_batch(9, 5, 2, {{9, {}}, {4, {}}, {1, {}}});
  const std::vector<double> x = random_logits(b, 5, 3.0);
  const Result<double> r = run_ctc<double>(b, x);
  const Result<float> rf = run_ctc<float>(b, x);
  for (int64_t i = 0; i < b.B; ++i) {
    CAPTURE(i);
    double want = 0;
    std::vector<double> grad(static_cast<size_t>(b.T * b.V), 0.0);
    for (int64_t t = 0; t < b.input_lengths[i]; ++t) {
      const double* xt = x.data() + (i * b.T + t) * b.V;
      double sum = 0;
      for (int64_t v = 0; v < b.V; ++v) sum += std::exp(xt[v]);
      want -= xt[b.blank] - std::log(sum);
      for (int64_t v = 0; v < b.V; ++v)
        grad[t * b.V + v] = b.scales[i] * (std::exp(xt[v]) / sum - (v == b.blank ? 1.0 : 0.0));
    }
    CHECK(r.losses[i] == doctest::Approx(want).epsilon(1e-13));
    CHECK(rf.losses[i] == doctest::Approx(want).epsilon(1e-6));
    const auto got = frames_of(b, r.dlogits, i);
    CHECK_ARRAYS_CLOSE(got.data(), grad.data(), grad.size(), 1e-15, 1e-12);
  }
}

TEST_CASE("infeasible sequences: +inf loss, zero gradient, and the rest of the batch unchanged") {
  // "aa" in 2 frames needs 3; "abba" fits 5 exactly; 3 labels in 2 frames; "ab" fits 2 exactly.
  const Batch b =
      make_batch(6, 4, 0, {{2, {1, 1}}, {5, {1, 2, 2, 1}}, {2, {1, 2, 3}}, {2, {3, 1}}, {6, {2, 2}}});
  const std::vector<double> x = random_logits(b, 7);
  const Result<double> r = run_ctc<double>(b, x);
  const Result<float> rf = run_ctc<float>(b, x);
  for (int64_t i = 0; i < b.B; ++i) {
    CAPTURE(i);
    const bool infeasible = i == 0 || i == 2;
    CHECK(std::isinf(r.losses[i]) == infeasible);
    CHECK(std::isinf(rf.losses[i]) == infeasible);
    if (infeasible) {
      CHECK(r.losses[i] > 0);
      const auto d = frames_of(b, r.dlogits, i);
      const auto df = frames_of(b, rf.dlogits, i);
      CHECK(std::all_of(d.begin(), d.end(), [](double v) { return v == 0.0; }));
      CHECK(std::all_of(df.begin(), df.end(), [](float v) { return v == 0.0f; }));
    }
    const Result<double> alone = run_ctc<double>(single(b, i), frames_of(b, x, i));
    CHECK(alone.losses[0] == r.losses[i]);
    CHECK(alone.dlogits == frames_of(b, r.dlogits, i));
  }
  CHECK(weighted_total(b, r.losses) > 0);
}

TEST_CASE("zero input frames: loss 0 with no labels, +inf with labels, zero gradient") {
  const Batch b = make_batch(3, 3, 0, {{0, {}}, {0, {1}}, {3, {2}}});
  const std::vector<double> x = random_logits(b, 9);
  const Result<double> r = run_ctc<double>(b, x);
  CHECK(r.losses[0] == 0.0);
  CHECK(r.losses[1] == kInf);
  CHECK(std::isfinite(r.losses[2]));
  for (int64_t i = 0; i < 2; ++i) {
    const auto d = frames_of(b, r.dlogits, i);
    CHECK(std::all_of(d.begin(), d.end(), [](double v) { return v == 0.0; }));
  }
}

TEST_CASE("invalid sequences give NaN and zero gradient without reading out of bounds") {
  // label >= V, label == blank, negative label, label length > S, negative lengths, input length > T
  Batch b = make_batch(
      5, 4, 0, {{5, {1, 4}}, {5, {2, 0}}, {5, {-3}}, {5, {1}}, {5, {1}}, {-1, {1}}, {6, {1}}, {5, {3, 2}}});
  b.label_lengths[3] = b.S + 1;
  b.label_lengths[4] = -2;
  const std::vector<double> x = random_logits(b, 13);
  const Result<double> r = run_ctc<double>(b, x);
  const Result<float> rf = run_ctc<float>(b, x);
  for (int64_t i = 0; i < 7; ++i) {
    CAPTURE(i);
    CHECK(std::isnan(r.losses[i]));
    CHECK(std::isnan(rf.losses[i]));
    const auto d = frames_of(b, r.dlogits, i);
    CHECK(std::all_of(d.begin(), d.end(), [](double v) { return v == 0.0; }));
  }
  CHECK(std::isfinite(r.losses[7]));
  CHECK(run_ctc<double>(single(b, 7), frames_of(b, x, 7)).losses[0] == r.losses[7]);
}

TEST_CASE("a blank other than 0 gives the same loss with the classes permuted") {
  const Golden& g = goldens()[1];  // repeats_v5, blank 0
  Batch b = g.batch;
  const int32_t V = static_cast<int32_t>(b.V), blank = V - 1;  // swap classes 0 and V-1
  auto swap_class = [&](int32_t c) { return c == 0 ? blank : c == blank ? 0 : c; };
  b.blank = blank;
  for (auto& l : b.labels) l = l < 0 ? l : swap_class(l);
  std::vector<float> x(g.logits.size()), want(g.dlogits.size());
  for (size_t row = 0; row < x.size() / V; ++row)
    for (int32_t v = 0; v < V; ++v) {
      x[row * V + swap_class(v)] = g.logits[row * V + v];
      want[row * V + swap_class(v)] = g.dlogits[row * V + v];
    }
  Golden permuted = g;
  permuted.batch = b;
  permuted.dlogits = want;
  check_against_golden(permuted, run_ctc<double>(b, x), 1e-12, 1e-7);
}

TEST_CASE("sizes: an empty batch is a no-op, a bad blank or size throws") {
  const Batch b = make_batch(4, 3, 0, {{4, {1}}});
  const std::vector<double> x = random_logits(b, 1);
  std::vector<double> losses(1, -7.0), d(b.numel(), 5.0);
  ctc_loss_forward_backward<double>(losses.data(), d.data(), x.data(), b.input_lengths.data(),
                                    b.labels.data(), b.label_lengths.data(), nullptr, 0, b.T, b.V, b.S, 0);
  CHECK(losses[0] == -7.0);
  CHECK(d[0] == 5.0);
  for (int32_t bad_blank : {-1, 3}) {
    const std::string e = test::error_of([&] {
      ctc_loss_forward<double>(losses.data(), x.data(), b.input_lengths.data(), b.labels.data(),
                               b.label_lengths.data(), 1, b.T, b.V, b.S, bad_blank);
    });
    CHECK(e.find("blank must be in [0, V) = [0, 3)") != std::string::npos);
  }
  const std::string e = test::error_of([&] {
    ctc_loss_forward<double>(losses.data(), x.data(), b.input_lengths.data(), b.labels.data(),
                             b.label_lengths.data(), 1, b.T, 0, b.S, 0);
  });
  CHECK(e.find("V = 0") != std::string::npos);
}
