// Parameter initialisation: the official RWKV-4 recipe (spec §8) and the oracle's random test init.
// RWKV-7 has its own (init_rwkv7.cpp).
#include <cmath>
#include <vector>

#include "base/rng.h"
#include "src/model/init_util.h"
#include "src/model/model.h"

namespace rwkvs {

// Fills 'out' (rows x cols, row-major) with a matrix whose rows (rows <= cols) or columns
// (rows > cols) are orthonormal, times 'gain': torch.nn.init.orthogonal_ semantics.
void fill_orthogonal(float* out, int64_t rows, int64_t cols, float gain, Rng& rng) {
  const int64_t n = std::min(rows, cols), m = std::max(rows, cols);
  std::vector<double> q(static_cast<size_t>(n * m));
  for (double& x : q) x = rng.normal();
  // Modified Gram-Schmidt, applied twice ("twice is enough") for orthogonality to rounding.
  for (int pass = 0; pass < 2; ++pass) {
    for (int64_t i = 0; i < n; ++i) {
      double* qi = &q[i * m];
      for (int64_t j = 0; j < i; ++j) {
        const double* qj = &q[j * m];
        double dot = 0;
        for (int64_t t = 0; t < m; ++t) dot += qi[t] * qj[t];
        for (int64_t t = 0; t < m; ++t) qi[t] -= dot * qj[t];
      }
      double norm = 0;
      for (int64_t t = 0; t < m; ++t) norm += qi[t] * qi[t];
      norm = std::sqrt(norm);
      for (int64_t t = 0; t < m; ++t) qi[t] /= norm;
    }
  }
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      const double x = rows <= cols ? q[r * m + c] : q[c * m + r];
      out[r * cols + c] = static_cast<float>(gain * x);
    }
}

namespace {

// The time_* ramps shared by both recipes.
void init_time_params(Model& model) {
  const ModelConfig& c = model.config();
  ModelView v = model.view();
  const int L = c.n_layer, C = c.n_embd, A = c.dim_att;
  for (int i = 0; i < L; ++i) {
    BlockView& b = v.blocks[i];
    const double r01 = L > 1 ? static_cast<double>(i) / (L - 1) : 0.0;
    const double r10 = 1.0 - static_cast<double>(i) / L;
    for (int h = 0; h < A; ++h) {
      const double frac = A > 1 ? static_cast<double>(h) / (A - 1) : 0.0;
      b.att_time_decay[h] = static_cast<float>(-5.0 + 8.0 * std::pow(frac, 0.7 + 1.3 * r01));
      b.att_time_first[h] = static_cast<float>(std::log(0.3) + 0.5 * (((h + 1) % 3) - 1));
    }
    for (int j = 0; j < C; ++j) {
      const double ddd = static_cast<double>(j) / C;  // i/C, not i/(C-1)
      b.att_time_mix_k[j] = static_cast<float>(std::pow(ddd, r10));
      b.att_time_mix_v[j] = static_cast<float>(std::pow(ddd, r10) + 0.3 * r01);
      b.att_time_mix_r[j] = static_cast<float>(std::pow(ddd, 0.5 * r10));
      b.ffn_time_mix_k[j] = static_cast<float>(std::pow(ddd, r10));
      b.ffn_time_mix_r[j] = static_cast<float>(std::pow(ddd, r10));
    }
  }
}

void fill_const(float* p, int64_t n, float value) {
  for (int64_t i = 0; i < n; ++i) p[i] = value;
}

}  // namespace

void init_official(Model& model, uint64_t seed, float emb_scale) {
  if (model.config().rwkv7()) {
    init_rwkv7(model, seed, /*official=*/true, emb_scale);
    return;
  }
  Rng rng(seed);
  const ModelConfig& c = model.config();
  const int64_t C = c.n_embd, A = c.dim_att, F = c.dim_ffn, V = c.vocab_size;
  std::fill(model.params(), model.params() + model.params_size(), 0.0f);
  init_time_params(model);
  ModelView v = model.view();
  if (v.emb)
    for (int64_t i = 0; i < V * C; ++i) v.emb[i] = static_cast<float>((rng.uniform() * 2 - 1) * emb_scale);
  if (v.input_proj_w) {  // frames input: ln0 normalises what the projection makes, so any full-rank map works
    const int64_t D = c.input_dim;
    fill_orthogonal(v.input_proj_w, C, D, 1.0f, rng);
    fill_const(v.input_scale, D, 1.0f);  // identity until the trainer measures the data
  }
  for (int i = 0; i < c.n_layer; ++i) {
    BlockView& b = v.blocks[i];
    if (b.ln0_w) fill_const(b.ln0_w, C, 1.0f);
    fill_const(b.ln1_w, C, 1.0f);
    fill_const(b.ln2_w, C, 1.0f);
    // att.key, att.receptance, att.output, ffn.value, ffn.receptance stay zero.
    fill_orthogonal(b.att_value, A, C, A > C ? std::sqrt(static_cast<float>(A) / C) : 1.0f, rng);
    fill_orthogonal(b.ffn_key, F, C, F > C ? std::sqrt(static_cast<float>(F) / C) : 1.0f, rng);
  }
  fill_const(v.ln_out_w, C, 1.0f);
  if (v.head) fill_orthogonal(v.head, V, C, 0.5f * (V > C ? std::sqrt(static_cast<float>(V) / C) : 1.0f), rng);
  if (v.cls_w) {
    const int64_t K = static_cast<int64_t>(c.labels.size());
    fill_orthogonal(v.cls_w, K, C, 0.5f * (K > C ? std::sqrt(static_cast<float>(K) / C) : 1.0f), rng);
  }
}

void init_random(Model& model, uint64_t seed) {
  if (model.config().rwkv7()) {
    init_rwkv7(model, seed, /*official=*/false, 1e-4f);
    return;
  }
  Rng rng(seed);
  init_time_params(model);
  for (const ParamInfo& p : model.layout().tensors()) {
    float* x = model.params() + p.offset;
    const bool is_time = p.name.find("time_") != std::string::npos;
    if (is_time) continue;
    if (p.shape.size() == 2) {
      const double std = p.name == "emb.weight" ? 1.0 : 1.0 / std::sqrt(static_cast<double>(p.shape[1]));
      for (size_t i = 0; i < p.numel; ++i) x[i] = static_cast<float>(rng.normal() * std);
    } else if (p.name.ends_with(".weight") || p.name.ends_with(".scale")) {
      for (size_t i = 0; i < p.numel; ++i) x[i] = static_cast<float>(1.0 + 0.1 * rng.normal());
    } else {
      for (size_t i = 0; i < p.numel; ++i) x[i] = static_cast<float>(0.1 * rng.normal());
    }
  }
}

}  // namespace rwkvs
