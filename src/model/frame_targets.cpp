#include "src/model/frame_targets.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/error.h"
#include "src/model/classify.h"

namespace rwkvs {
namespace {

// Cross-entropy of one frame's logits against 'target'; adds weight * d/dlogits into grad.
double frame_cross_entropy(const float* logits, int64_t K, int32_t target, double weight, float* grad) {
  double max = logits[0];
  for (int64_t k = 1; k < K; ++k) max = std::max(max, double(logits[k]));
  double sum = 0;
  for (int64_t k = 0; k < K; ++k) sum += std::exp(logits[k] - max);
  const double log_z = max + std::log(sum);
  for (int64_t k = 0; k < K; ++k) {
    const double p = std::exp(logits[k] - log_z);
    grad[k] += static_cast<float>(weight * (p - (k == target ? 1.0 : 0.0)));
  }
  return log_z - logits[target];
}

}  // namespace

double mixed_classification_loss_backward(float* logits, int64_t B, int64_t T, int64_t K, const MixedBatchTargets& t) {
  if (t.background < 0 || t.background >= K) fail("frame targets: background class ", t.background, " outside [0, ", K, ")");
  std::vector<float> grad(static_cast<size_t>(B * T * K), 0.0f);
  std::vector<int64_t> clip_rows;
  double total = 0;
  for (int64_t b = 0; b < B; ++b) {
    const int64_t len = t.lengths[b];
    if (len < 1 || len > T) fail("frame targets: row ", b, " has length ", len, ", expected 1..", T);
    if (t.labels[b] != kIgnoreFrame) {
      clip_rows.push_back(b);
      continue;
    }
    const int32_t* target = t.frame_targets + b * T;
    int64_t n_bg = 0, n_kw = 0;
    for (int64_t f = 0; f < len; ++f) {
      if (target[f] == kIgnoreFrame) continue;
      if (target[f] < 0 || target[f] >= K) fail("frame targets: row ", b, " frame ", f, " has class ", target[f]);
      (target[f] == t.background ? n_bg : n_kw) += 1;
    }
    double bg = 0, kw = 0;
    for (int64_t f = 0; f < len; ++f) {
      if (target[f] == kIgnoreFrame) continue;
      const bool background = target[f] == t.background;
      const double weight = 1.0 / (static_cast<double>(background ? n_bg : n_kw) * static_cast<double>(B));
      const float* x = logits + (b * T + f) * K;
      const double ce = frame_cross_entropy(x, K, target[f], weight, grad.data() + (b * T + f) * K);
      (background ? bg : kw) += ce;
    }
    total += (n_bg ? bg / static_cast<double>(n_bg) : 0.0) + (n_kw ? kw / static_cast<double>(n_kw) : 0.0);
  }
  // The clip rows through the clip loss, scaled from its mean over those rows to their share of B.
  if (!clip_rows.empty()) {
    const auto C = static_cast<int64_t>(clip_rows.size());
    std::vector<float> sub(static_cast<size_t>(C * T * K));
    std::vector<int64_t> lengths(static_cast<size_t>(C));
    std::vector<int32_t> labels(static_cast<size_t>(C));
    for (int64_t i = 0; i < C; ++i) {
      const int64_t b = clip_rows[static_cast<size_t>(i)];
      std::copy(logits + b * T * K, logits + (b + 1) * T * K, sub.begin() + i * T * K);
      lengths[static_cast<size_t>(i)] = t.lengths[b];
      labels[static_cast<size_t>(i)] = t.labels[b];
    }
    const double clip_mean =
        classification_loss_backward(sub.data(), C, T, lengths.data(), labels.data(), t.pool, K);
    const float share = static_cast<float>(C) / static_cast<float>(B);
    for (int64_t i = 0; i < C; ++i) {
      const int64_t b = clip_rows[static_cast<size_t>(i)];
      for (int64_t j = 0; j < T * K; ++j) grad[static_cast<size_t>(b * T * K + j)] = sub[static_cast<size_t>(i * T * K + j)] * share;
    }
    total += clip_mean * static_cast<double>(C);
  }
  std::copy(grad.begin(), grad.end(), logits);
  return total / static_cast<double>(B);
}

}  // namespace rwkvs
