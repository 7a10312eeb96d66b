#include "src/model/classify.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "kernels/cross_entropy.h"

namespace rwkvs {
namespace {

void check_batch(const int64_t* lengths, const int32_t* labels, int64_t B, int64_t T, int64_t K) {
  for (int64_t b = 0; b < B; ++b) {
    if (lengths[b] < 1 || lengths[b] > T)
      fail("classification: sequence ", b, " has length ", lengths[b], ", expected 1..", T);
    if (labels[b] < 0 || labels[b] >= K) fail("classification: label ", labels[b], " outside [0, ", K, ")");
  }
}

double pooled_loss(const float* logits, int64_t B, int64_t T, const int64_t* lengths, const int32_t* labels,
                   const std::string& pool, int64_t K, int32_t* predicted, std::vector<float>& pooled,
                   std::vector<float>& dpooled) {
  check_batch(lengths, labels, B, T, K);
  pooled.assign(B * K, 0.0f);
  pool_logits(pooled.data(), logits, lengths, pool, B, T, K);
  std::vector<float> losses(B);
  kernels::cross_entropy_forward(losses.data(), pooled.data(), labels, B, K);
  dpooled.assign(B * K, 0.0f);
  kernels::cross_entropy_backward(dpooled.data(), pooled.data(), labels, 1.0f / static_cast<float>(B), B, K);
  double sum = 0;
  for (int64_t b = 0; b < B; ++b) {
    sum += losses[b];
    if (predicted)
      predicted[b] =
          static_cast<int32_t>(std::max_element(pooled.begin() + b * K, pooled.begin() + (b + 1) * K) -
                               (pooled.begin() + b * K));
  }
  return sum / static_cast<double>(B);
}

}  // namespace

void pool_logits(float* pooled, const float* logits, const int64_t* lengths, const std::string& pool, int64_t B,
                 int64_t T, int64_t K) {
  for (int64_t b = 0; b < B; ++b) {
    float* out = pooled + b * K;
    const int64_t len = lengths[b];
    if (pool == "last") {
      std::copy(logits + (b * T + len - 1) * K, logits + (b * T + len) * K, out);
      continue;
    }
    std::fill(out, out + K, 0.0f);
    for (int64_t t = 0; t < len; ++t)
      for (int64_t k = 0; k < K; ++k) out[k] += logits[(b * T + t) * K + k];
    for (int64_t k = 0; k < K; ++k) out[k] /= static_cast<float>(len);
  }
}

double classification_loss(const float* logits, int64_t B, int64_t T, const int64_t* lengths, const int32_t* labels,
                           const std::string& pool, int64_t K, int32_t* predicted) {
  std::vector<float> pooled, dpooled;
  return pooled_loss(logits, B, T, lengths, labels, pool, K, predicted, pooled, dpooled);
}

double classification_loss_backward(float* logits, int64_t B, int64_t T, const int64_t* lengths,
                                    const int32_t* labels, const std::string& pool, int64_t K, int32_t* predicted) {
  std::vector<float> pooled, dpooled;
  const double loss = pooled_loss(logits, B, T, lengths, labels, pool, K, predicted, pooled, dpooled);
  float* d = logits;
  std::fill(d, d + B * T * K, 0.0f);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t len = lengths[b];
    const float* g = dpooled.data() + b * K;
    if (pool == "last") {
      std::copy(g, g + K, d + (b * T + len - 1) * K);
    } else {
      for (int64_t t = 0; t < len; ++t)
        for (int64_t k = 0; k < K; ++k) d[(b * T + t) * K + k] = g[k] / static_cast<float>(len);
    }
  }
  return loss;
}

double classification_loss(const Activations& acts, const int64_t* lengths, const int32_t* labels,
                           const std::string& pool, int64_t K, int32_t* predicted) {
  return classification_loss(acts.logits.data(), acts.B, acts.T, lengths, labels, pool, K, predicted);
}

double classification_loss_backward(Activations& acts, const int64_t* lengths, const int32_t* labels,
                                    const std::string& pool, int64_t K, int32_t* predicted) {
  return classification_loss_backward(acts.logits.data(), acts.B, acts.T, lengths, labels, pool, K, predicted);
}

}  // namespace rwkvs
