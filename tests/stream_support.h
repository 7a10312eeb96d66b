#pragma once
// Shared by the streaming tests: small audio classifiers (random, or a hand-built "loudness
// keyword" model whose class "yes" fires on loud sound), synthetic audio, the offline reference
// (whole-file features -> parallel forward -> softmax) and a driver that streams audio in chunks.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include "base/rng.h"
#include "src/audio/frontend_config.h"
#include "src/infer/stream_model.h"
#include "src/infer/stream_session.h"
#include "src/model/rwkv4.h"
#include "src/model/rwkv7.h"

namespace rwkvs::test {

inline FrontendConfig small_fbank(double rate = 16000, int bins = 23) {
  FrontendConfig f;
  f.type = "fbank";
  f.fbank.sample_rate = rate;
  f.fbank.num_mel_bins = bins;
  return f;
}

inline ModelConfig audio_classifier_config(int L, int C, const FrontendConfig& f,
                                           std::vector<std::string> labels, const std::string& arch = "rwkv4") {
  ModelConfig c = arch == "rwkv7" ? ModelConfig::rwkv7(L, C, 0) : ModelConfig::rwkv4(L, C, 0);
  if (c.rwkv7()) c.head_size = std::min(16, C);
  c.input_kind = "frames";
  c.frontend = f.to_json();
  c.input_dim = f.make_computer()->dim();
  c.head_kind = "classes";
  c.labels = std::move(labels);
  return c;
}

// A random classifier with plausible normalisation statistics for log-fbank input.
inline Model random_classifier(uint64_t seed, int L = 2, int C = 32, const FrontendConfig& f = small_fbank(),
                               std::vector<std::string> labels = {"_unknown_", "yes", "no", "up"},
                               const std::string& arch = "rwkv4") {
  Model m(audio_classifier_config(L, C, f, std::move(labels), arch));
  init_random(m, seed);
  const ModelView v = m.view();
  for (int i = 0; i < m.config().input_dim; ++i) {
    v.input_mean[i] = -6.0f;
    v.input_scale[i] = 0.3f;
  }
  return m;
}

inline std::shared_ptr<const StreamModel> random_stream_model(uint64_t seed = 1, int L = 2, int C = 32,
                                                              const FrontendConfig& f = small_fbank()) {
  return std::make_shared<const StreamModel>(random_classifier(seed, L, C, f),
                                             "random model " + std::to_string(seed));
}

// Tone glides, noise bursts and near-silence in random segments of 50-400 ms.
inline std::vector<float> synthetic_audio(double seconds, double rate, uint64_t seed) {
  Rng rng(seed);
  const size_t n = static_cast<size_t>(seconds * rate);
  std::vector<float> x(n);
  size_t i = 0;
  double phase = 0;
  while (i < n) {
    const size_t len = std::min(n - i, static_cast<size_t>((0.05 + 0.35 * rng.uniform()) * rate));
    const double kind = rng.uniform(), amp = 0.02 + 0.4 * rng.uniform();
    const double f0 = 100 + 3000 * rng.uniform(), f1 = 100 + 3000 * rng.uniform();
    for (size_t j = 0; j < len; ++j, ++i) {
      const double t = static_cast<double>(j) / static_cast<double>(len);
      double v = 1e-3 * rng.normal();
      if (kind < 0.5) {
        phase += 2 * std::numbers::pi * (f0 + (f1 - f0) * t) / rate;
        v += amp * std::sin(phase);
      } else if (kind < 0.8) {
        v += amp * 0.5 * rng.normal();
      }
      x[i] = static_cast<float>(v);
    }
  }
  return x;
}

// Near-silence with loud noise bursts ("keywords") of burst_s seconds starting at 'starts'.
inline std::vector<float> bursts_audio(double seconds, double rate, const std::vector<double>& starts,
                                       double burst_s = 0.4, uint64_t seed = 3) {
  Rng rng(seed);
  std::vector<float> x(static_cast<size_t>(seconds * rate));
  for (size_t i = 0; i < x.size(); ++i) {
    const double t = static_cast<double>(i) / rate;
    bool loud = false;
    for (double s : starts) loud = loud || (t >= s && t < s + burst_s);
    x[i] = static_cast<float>((loud ? 0.3 : 1e-4) * rng.normal());
  }
  return x;
}

// Labels {"_unknown_", "yes"}; "yes" follows the loudness: the trunk's weights are zero (each
// block adds nothing), input_proj puts the mean log-fbank energy minus 'energy_mid' into channel
// 0, and the head reads that channel after the LayerNorms. So "yes" is near 1 for loud frames and
// near 0 for quiet ones: a deterministic keyword spotter for end-to-end event tests.
inline Model loudness_model(double energy_mid, const FrontendConfig& f = small_fbank()) {
  Model m(audio_classifier_config(1, 8, f, {"_unknown_", "yes"}));
  const ModelView v = m.view();
  const int F = m.config().input_dim, C = 8;
  for (int i = 0; i < F; ++i) {
    v.input_mean[i] = static_cast<float>(energy_mid);
    v.input_scale[i] = 1.0f;
    v.input_proj_w[0 * F + i] = 1.0f / static_cast<float>(F);
  }
  v.input_proj_b[1] = 1.0f;  // fixed channels give the LayerNorm a scale to compare channel 0 with
  v.input_proj_b[2] = -1.0f;
  for (int c = 0; c < C; ++c) {
    v.blocks[0].ln0_w[c] = v.blocks[0].ln1_w[c] = v.blocks[0].ln2_w[c] = v.ln_out_w[c] = 1.0f;
  }
  v.cls_w[1 * C + 0] = 10.0f;
  return m;
}

// Mean log-fbank energy halfway between the quietest and the loudest frame of x.
inline double energy_midpoint(const std::vector<float>& x, const FrontendConfig& f = small_fbank()) {
  const auto computer = f.make_computer();
  const FeatureMatrix m = compute_features(*computer, x.data(), static_cast<int64_t>(x.size()));
  double lo = 1e300, hi = -1e300;
  for (int64_t r = 0; r < m.rows; ++r) {
    double e = 0;
    for (int64_t j = 0; j < m.cols; ++j) e += m.row(r)[j];
    e /= static_cast<double>(m.cols);
    lo = std::min(lo, e);
    hi = std::max(hi, e);
  }
  return (lo + hi) / 2;
}

// The training-path answer: offline features of the whole signal (at the model's rate), one
// parallel forward, softmax per frame. (T, K) row-major.
inline std::vector<float> offline_posteriors(const StreamModel& sm, const std::vector<float>& x) {
  const FeatureMatrix feats = compute_features(sm.features(), x.data(), static_cast<int64_t>(x.size()));
  const int64_t T = feats.rows, K = sm.num_classes();
  if (T == 0) return {};
  std::vector<float> logits(static_cast<size_t>(T * K));
  if (sm.config().rwkv7()) {
    Activations7 acts;
    rwkv7_forward(sm.model(), acts, ModelInput{nullptr, feats.data.data()}, 1, T);
    std::copy(acts.logits.data(), acts.logits.data() + T * K, logits.begin());
  } else {
    Activations acts;
    rwkv4_forward(sm.model(), acts, ModelInput{nullptr, feats.data.data()}, 1, T, nullptr, nullptr);
    std::copy(acts.logits.data(), acts.logits.data() + T * K, logits.begin());
  }
  std::vector<float> p(static_cast<size_t>(T * K));
  for (int64_t t = 0; t < T; ++t) softmax_posteriors(logits.data() + t * K, K, p.data() + t * K);
  return p;
}

// Feeds x (at 'rate') in chunks of next_chunk() samples, stepping after each, then finishes.
inline std::vector<FrameOutput> stream_in_chunks(StreamSession& s, const std::vector<float>& x, double rate,
                                                 const std::function<size_t()>& next_chunk,
                                                 bool finish = true) {
  std::vector<FrameOutput> out;
  auto take = [&] {
    for (FrameOutput& o : s.take_outputs()) out.push_back(std::move(o));
  };
  size_t pos = 0;
  while (pos < x.size()) {
    const size_t n = std::min(x.size() - pos, next_chunk());
    s.accept_waveform(rate, x.data() + pos, n);
    pos += n;
    s.step();
    take();
  }
  if (finish) {
    s.input_finished();
    s.step();
    take();
  }
  return out;
}

// The posteriors of consecutive outputs as one (T, K) array.
inline std::vector<float> flatten(const std::vector<FrameOutput>& outs) {
  std::vector<float> p;
  for (const FrameOutput& o : outs) p.insert(p.end(), o.posteriors.begin(), o.posteriors.end());
  return p;
}

}  // namespace rwkvs::test
