// RWKV-7 initialisation (../shared/reference/rwkv7-spec.md §8): the official trainer's vector ramps,
// with either its matrix recipe or the oracle's random test matrices.
#include <algorithm>
#include <cmath>
#include <string>

#include "src/model/init_util.h"

namespace rwkvs {
namespace {

void fill_const(float* p, int64_t n, float value) { std::fill(p, p + n, value); }

void fill_normal(float* p, int64_t n, double std, Rng& rng) {
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(rng.normal() * std);
}

}  // namespace

void init_rwkv7(Model& model, uint64_t seed, bool official, float emb_scale) {
  Rng rng(seed);
  const ModelConfig& c = model.config();
  const int L = c.n_layer;
  const int64_t C = c.n_embd, F = c.dim_ffn, V = c.vocab_size, Nh = c.head_size;
  std::fill(model.params(), model.params() + model.params_size(), 0.0f);
  ModelView v = model.view();
  // the test init adds noise to every vector so that no path is degenerate
  auto noise = [&](double std) { return official ? 0.0 : rng.normal() * std; };
  auto matrix = [&](float* w, int64_t rows, int64_t cols, int64_t fan_in, float gain) {
    if (official)
      fill_orthogonal(w, rows, cols, gain, rng);
    else
      fill_normal(w, rows * cols, 1.0 / std::sqrt(static_cast<double>(fan_in)), rng);
  };
  // official zero matrices (output, ffn.value, LoRA inputs) are random in the test init
  auto zero_or_random = [&](float* w, int64_t rows, int64_t cols, int64_t fan_in) {
    if (!official) fill_normal(w, rows * cols, 1.0 / std::sqrt(static_cast<double>(fan_in)), rng);
  };

  if (v.emb) {
    for (int64_t i = 0; i < V * C; ++i)
      v.emb[i] = official ? static_cast<float>((rng.uniform() * 2 - 1) * emb_scale) : static_cast<float>(rng.normal());
  }
  if (v.input_proj_w) {  // frames input: ln0 normalises what the projection makes, so any full-rank map works
    fill_orthogonal(v.input_proj_w, C, c.input_dim, 1.0f, rng);
    fill_const(v.input_scale, c.input_dim, 1.0f);  // identity until the trainer measures the data
  }
  for (int i = 0; i < L; ++i) {
    Block7View& b = v.blocks7[i];
    const double r01 = L > 1 ? static_cast<double>(i) / (L - 1) : 0.0;  // official divides by L-1
    const double r10 = 1.0 - static_cast<double>(i) / L;
    for (float* ln : {b.ln0_w, b.ln1_w, b.ln2_w})
      if (ln)
        for (int64_t j = 0; j < C; ++j) ln[j] = static_cast<float>(1.0 + noise(0.1));
    for (float* ln : {b.ln0_b, b.ln1_b, b.ln2_b})
      if (ln)
        for (int64_t j = 0; j < C; ++j) ln[j] = static_cast<float>(noise(0.1));
    for (int64_t n = 0; n < C; ++n) {
      const double ddd = static_cast<double>(n) / C;
      const double linear = C > 1 ? static_cast<double>(n) / (C - 1) - 0.5 : 0.0;
      const double half = (Nh - 1) / 2.0;
      const double z = Nh > 1 ? (static_cast<double>(n % Nh) - half) / half : 0.0;
      const double zig = z * std::fabs(z);
      b.x_r[n] = static_cast<float>(1.0 - std::pow(ddd, 0.2 * r10) + noise(0.1));
      b.x_w[n] = static_cast<float>(1.0 - std::pow(ddd, 0.9 * r10) + noise(0.1));
      b.x_k[n] = static_cast<float>(1.0 - std::pow(ddd, 0.7 * r10) + noise(0.1));
      b.x_v[n] = static_cast<float>(1.0 - std::pow(ddd, 0.7 * r10) + noise(0.1));
      b.x_a[n] = static_cast<float>(1.0 - std::pow(ddd, 0.9 * r10) + noise(0.1));
      b.x_g[n] = static_cast<float>(1.0 - std::pow(ddd, 0.2 * r10) + noise(0.1));
      const double frac = C > 1 ? static_cast<double>(n) / (C - 1) : 0.0;
      b.w0[n] = static_cast<float>(-6.0 + 6.0 * std::pow(frac, 1.0 + std::pow(r01, 0.3)) + 0.5 + 2.5 * zig +
                                   noise(0.5));
      b.a0[n] = static_cast<float>(-0.19 + 0.3 * zig + 0.4 * linear + noise(0.3));
      if (b.v0) b.v0[n] = static_cast<float>(0.73 - 0.4 * linear + noise(0.3));
      b.k_k[n] = static_cast<float>(0.71 - 0.1 * linear + noise(0.1));
      b.k_a[n] = static_cast<float>(1.02 + noise(0.1));
      b.ln_x_w[n] = static_cast<float>(std::pow((1.0 + i) / L, 0.7) + noise(0.1));
      b.ln_x_b[n] = static_cast<float>(noise(0.1));
      b.ffn_x_k[n] = static_cast<float>(1.0 - std::pow(ddd, std::pow(r10, 4)) + noise(0.1));
    }
    for (int64_t n = 0; n < C; ++n) b.r_k[n] = static_cast<float>(-0.04 + noise(0.2));
    // LoRA: x1 [C, D] zero (official) and x2 [D, C] orthogonal with gain 0.1
    struct Lora {
      float *in, *out;
      int rank;
    };
    for (const Lora& lo : {Lora{b.w1, b.w2, c.lora_w}, Lora{b.a1, b.a2, c.lora_a}, Lora{b.v1, b.v2, c.lora_v},
                           Lora{b.g1, b.g2, c.lora_g}}) {
      if (!lo.in) continue;  // block 0 has no value residual
      zero_or_random(lo.in, C, lo.rank, C);
      matrix(lo.out, lo.rank, C, lo.rank, 0.1f);
    }
    matrix(b.receptance, C, C, C, 1.0f);
    matrix(b.key, C, C, C, 0.1f);
    matrix(b.value, C, C, C, 1.0f);
    zero_or_random(b.output, C, C, C);
    matrix(b.ffn_key, F, C, C, 1.0f);
    zero_or_random(b.ffn_value, C, F, F);
  }
  for (int64_t j = 0; j < C; ++j) {
    v.ln_out_w[j] = static_cast<float>(1.0 + noise(0.1));
    v.ln_out_b[j] = static_cast<float>(noise(0.1));
  }
  if (v.head) matrix(v.head, V, C, C, 0.5f * (V > C ? std::sqrt(static_cast<float>(V) / C) : 1.0f));
  if (v.cls_w) {
    const int64_t K = static_cast<int64_t>(c.labels.size());
    matrix(v.cls_w, K, C, C, 0.5f * (K > C ? std::sqrt(static_cast<float>(K) / C) : 1.0f));
  }
}

}  // namespace rwkvs
