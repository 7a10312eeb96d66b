// CTC loss, the CPU reference (kernels/ctc_loss.h): the recursion exactly as the header writes it,
// in double and in log space, one sequence per thread.
//
// Order of work for one sequence, which is what lets dlogits be logits itself:
//   1. every frame's log-sum-exp of the logits (kept, N doubles);
//   2. alpha for every frame (kept, N * (2U + 1) doubles; one rolling frame when forward only);
//   3. frames t = N-1 down to 0: read frame t's logits (the emissions of the extended labels and
//      the softmax), then write frame t's gradient, then step beta from frame t to frame t-1.
// Frame t of the logits is read for the last time just before frame t of dlogits is written, and
// frames past N are neither read nor needed, so writing over the logits loses nothing.
#include "kernels/ctc_loss.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "base/error.h"

namespace rwkvs::kernels {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// log(e^a + e^b), exact for -inf arguments.
double log_add(double a, double b) {
  if (a < b) std::swap(a, b);
  if (b == kNegInf) return a;
  return a + std::log1p(std::exp(b - a));
}

// The extended label sequence (blank, l_1, blank, ..., l_U, blank) of one sequence.
struct Extended {
  const int32_t* labels;  // (U)
  int64_t U;
  int32_t blank;
  int64_t states() const { return 2 * U + 1; }
  int32_t at(int64_t s) const { return s % 2 == 0 ? blank : labels[s / 2]; }
  // Whether a path may jump from state s-2 straight into s: s is a label unlike the one before.
  bool skip_into(int64_t s) const { return s % 2 == 1 && s >= 3 && labels[s / 2] != labels[s / 2 - 1]; }
};

// Frames the shortest path needs: every label, plus a blank between each pair of equal neighbours.
int64_t min_frames(const int32_t* labels, int64_t U) {
  int64_t n = U;
  for (int64_t i = 1; i < U; ++i) n += labels[i] == labels[i - 1];
  return n;
}

// Buffers one thread reuses across its sequences.
struct Workspace {
  std::vector<double> lse;                    // (N)
  std::vector<double> alpha;                  // (N, L), or (2, L) forward only
  std::vector<double> beta, beta_prev, emit;  // (L)
  std::vector<double> grad;                   // (V)
};

// One sequence: returns its loss and, when d is not null, writes its (T, V) gradient.
template <class R>
double ctc_sequence(R* d, const R* x, int64_t N, const int32_t* labels, int64_t U, double scale, int64_t T,
                    int64_t V, int64_t S, int32_t blank, Workspace& ws) {
  auto zero_gradient = [&](int64_t from) {
    if (d) std::fill(d + from * V, d + T * V, R(0));
  };
  bool valid = N >= 0 && N <= T && U >= 0 && U <= S;
  for (int64_t i = 0; valid && i < U; ++i) valid = labels[i] >= 0 && labels[i] < V && labels[i] != blank;
  if (!valid) {
    zero_gradient(0);
    return std::numeric_limits<double>::quiet_NaN();
  }
  if (min_frames(labels, U) > N) {  // the recursion would end at -inf too; this skips the work
    zero_gradient(0);
    return std::numeric_limits<double>::infinity();
  }
  if (N == 0) {  // here U = 0: the empty path has probability 1
    zero_gradient(0);
    return 0.0;
  }

  const Extended ext{labels, U, blank};
  const int64_t L = ext.states();
  ws.lse.resize(N);
  for (int64_t t = 0; t < N; ++t) {
    const R* xt = x + t * V;
    const double m = *std::max_element(xt, xt + V);
    double sum = 0;
    for (int64_t v = 0; v < V; ++v) sum += std::exp(static_cast<double>(xt[v]) - m);
    ws.lse[t] = m + std::log(sum);
  }
  auto emission = [&](int64_t t, int64_t s) { return static_cast<double>(x[t * V + ext.at(s)]) - ws.lse[t]; };

  // alpha: row t at alpha + t * L (all frames kept for the gradient), or two rows taking turns.
  const bool keep = d != nullptr;
  ws.alpha.assign(static_cast<size_t>((keep ? N : 2) * L), kNegInf);
  auto alpha_row = [&](int64_t t) { return ws.alpha.data() + (keep ? t : t % 2) * L; };
  double* a0 = alpha_row(0);
  a0[0] = emission(0, 0);
  if (L > 1) a0[1] = emission(0, 1);
  for (int64_t t = 1; t < N; ++t) {
    const double* prev = alpha_row(t - 1);
    double* cur = alpha_row(t);
    for (int64_t s = 0; s < L; ++s) {
      double a = prev[s];
      if (s >= 1) a = log_add(a, prev[s - 1]);
      if (ext.skip_into(s)) a = log_add(a, prev[s - 2]);
      cur[s] = a == kNegInf ? kNegInf : a + emission(t, s);
    }
  }
  const double* last = alpha_row(N - 1);
  const double loss = -(L > 1 ? log_add(last[L - 1], last[L - 2]) : last[0]);
  if (!d) return loss;
  if (!std::isfinite(loss)) {  // only non-finite logits get here
    zero_gradient(0);
    return loss;
  }

  ws.beta.assign(L, kNegInf);
  ws.beta_prev.resize(L);
  ws.emit.resize(L);
  ws.grad.resize(V);
  ws.beta[L - 1] = 0;
  if (L > 1) ws.beta[L - 2] = 0;
  for (int64_t t = N - 1; t >= 0; --t) {
    const R* xt = x + t * V;
    for (int64_t s = 0; s < L; ++s) ws.emit[s] = emission(t, s);
    for (int64_t v = 0; v < V; ++v) ws.grad[v] = std::exp(static_cast<double>(xt[v]) - ws.lse[t]);
    const double* at = alpha_row(t);
    for (int64_t s = 0; s < L; ++s) ws.grad[ext.at(s)] -= std::exp(at[s] + ws.beta[s] + loss);
    R* dt = d + t * V;  // may be xt: all of frame t's logits have been read
    for (int64_t v = 0; v < V; ++v) dt[v] = static_cast<R>(scale * ws.grad[v]);
    if (t == 0) break;
    for (int64_t s = 0; s < L; ++s) {
      double b = ws.emit[s] + ws.beta[s];
      if (s + 1 < L) b = log_add(b, ws.emit[s + 1] + ws.beta[s + 1]);
      if (s + 2 < L && ext.skip_into(s + 2)) b = log_add(b, ws.emit[s + 2] + ws.beta[s + 2]);
      ws.beta_prev[s] = b;
    }
    std::swap(ws.beta, ws.beta_prev);
  }
  zero_gradient(N);
  return loss;
}

void check_sizes(int64_t B, int64_t T, int64_t V, int64_t S, int32_t blank) {
  RWKVS_CHECK(B >= 0 && T >= 0 && V >= 1 && S >= 0,
              "ctc_loss: sizes must be B, T, S >= 0 and V >= 1, got B = ", B, ", T = ", T, ", V = ", V,
              ", S = ", S);
  RWKVS_CHECK(blank >= 0 && blank < V, "ctc_loss: blank must be in [0, V) = [0, ", V, "), got ", blank);
}

}  // namespace

template <class R>
void ctc_loss_forward_backward(R* losses, R* dlogits, const R* logits, const int64_t* input_lengths,
                               const int32_t* labels, const int64_t* label_lengths, const R* scales,
                               int64_t B, int64_t T, int64_t V, int64_t S, int32_t blank) {
  check_sizes(B, T, V, S, blank);
#pragma omp parallel if (B > 1)
  {
    Workspace ws;
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < B; ++b) {
      const double scale = scales ? static_cast<double>(scales[b]) : 1.0;
      losses[b] = static_cast<R>(ctc_sequence(dlogits ? dlogits + b * T * V : nullptr, logits + b * T * V,
                                              input_lengths[b], labels ? labels + b * S : nullptr,
                                              label_lengths[b], scale, T, V, S, blank, ws));
    }
  }
}

template <class R>
void ctc_loss_forward(R* losses, const R* logits, const int64_t* input_lengths, const int32_t* labels,
                      const int64_t* label_lengths, int64_t B, int64_t T, int64_t V, int64_t S,
                      int32_t blank) {
  ctc_loss_forward_backward<R>(losses, nullptr, logits, input_lengths, labels, label_lengths, nullptr, B, T,
                               V, S, blank);
}

template void ctc_loss_forward_backward<float>(float*, float*, const float*, const int64_t*, const int32_t*,
                                               const int64_t*, const float*, int64_t, int64_t, int64_t,
                                               int64_t, int32_t);
template void ctc_loss_forward_backward<double>(double*, double*, const double*, const int64_t*,
                                                const int32_t*, const int64_t*, const double*, int64_t,
                                                int64_t, int64_t, int64_t, int32_t);
template void ctc_loss_forward<float>(float*, const float*, const int64_t*, const int32_t*, const int64_t*,
                                      int64_t, int64_t, int64_t, int64_t, int32_t);
template void ctc_loss_forward<double>(double*, const double*, const int64_t*, const int32_t*, const int64_t*,
                                       int64_t, int64_t, int64_t, int64_t, int32_t);

}  // namespace rwkvs::kernels
