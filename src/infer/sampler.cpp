#include "src/infer/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "base/error.h"

namespace rwkvs {

void validate_sampler(const SamplerOptions& o) {
  if (!(o.temperature >= 0) || !std::isfinite(o.temperature))
    fail_usage("--temperature must be >= 0, got ", o.temperature);
  if (o.top_k < 0) fail_usage("--top-k must be >= 0, got ", o.top_k);
  if (!(o.top_p > 0 && o.top_p <= 1)) fail_usage("--top-p must be in (0, 1], got ", o.top_p);
  if (!(o.alpha >= 0 && o.alpha < 1)) fail_usage("--alpha must be in [0, 1), got ", o.alpha);
  if (!(o.power > 0) || !std::isfinite(o.power)) fail_usage("--power must be positive, got ", o.power);
}

std::vector<double> sampling_distribution(const float* logits, int64_t V, const SamplerOptions& o) {
  std::vector<double> p(V, 0.0);
  const int64_t best = std::max_element(logits, logits + V) - logits;
  if (o.temperature == 0) {  // greedy
    p[best] = 1.0;
    return p;
  }
  const double mx = logits[best];
  double sum = 0;
  for (int64_t v = 0; v < V; ++v) sum += p[v] = std::exp((logits[v] - mx) / o.temperature);
  for (double& x : p) x /= sum;
  std::vector<int64_t> order(V);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return p[a] > p[b]; });
  int64_t keep = V;
  if (o.top_k > 0) keep = std::min<int64_t>(keep, o.top_k);
  if (o.top_p < 1) {
    double acc = 0;
    for (int64_t i = 0; i < keep; ++i) {
      acc += p[order[i]];
      if (acc >= o.top_p) {
        keep = i + 1;
        break;
      }
    }
  }
  const double cut = o.alpha * std::pow(p[order[0]], o.power);
  for (int64_t i = 0; i < V; ++i)
    if (i >= keep || (i > 0 && p[order[i]] < cut)) p[order[i]] = 0;  // the most likely token always stays
  sum = 0;
  for (double x : p) sum += x;
  for (double& x : p) x /= sum;
  return p;
}

int32_t sample_token(const float* logits, int64_t V, const SamplerOptions& o, Rng& rng) {
  const std::vector<double> p = sampling_distribution(logits, V, o);
  double u = rng.uniform(), acc = 0;
  int32_t last = 0;
  for (int64_t v = 0; v < V; ++v) {
    if (p[v] <= 0) continue;
    last = static_cast<int32_t>(v);
    acc += p[v];
    if (u < acc) return last;
  }
  return last;  // rounding left u just above the total
}

}  // namespace rwkvs
