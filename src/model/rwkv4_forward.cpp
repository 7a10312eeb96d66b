// RWKV-4 parallel forward (spec §3): a flat sequence of kernel calls per block.
#include <algorithm>
#include <cstring>

#include "base/error.h"
#include "kernels/activations.h"
#include "kernels/cross_entropy.h"
#include "kernels/layernorm.h"
#include "kernels/matmul.h"
#include "kernels/token_shift.h"
#include "src/model/rwkv4.h"

namespace rwkvs {

using namespace kernels;

namespace {
void size_to(AlignedBuffer<float>& b, int64_t n) {
  if (b.size() != static_cast<size_t>(n)) b.resize(static_cast<size_t>(n));
}
}  // namespace

void Activations::resize(const ModelConfig& c, int64_t B_, int64_t T_, int chunk_len) {
  const int64_t N = B_ * T_, C = c.n_embd, A = c.dim_att, F = c.dim_ffn, V = c.output_dim();
  B = B_;
  T = T_;
  tokens.resize(c.frames_input() ? 0 : N);
  size_to(frames_norm, c.frames_input() ? N * c.input_dim : 0);
  size_to(emb, N * C);
  size_to(ln0_mean, N);
  size_to(ln0_rstd, N);
  blocks.resize(c.n_layer);
  for (BlockActivations& a : blocks) {
    for (auto* buf : {&a.x_in, &a.ln1, &a.xk, &a.xv, &a.xr, &a.x_mid, &a.ln2, &a.fxk, &a.fxr, &a.fr, &a.fv})
      size_to(*buf, N * C);
    for (auto* buf : {&a.ln1_mean, &a.ln1_rstd, &a.ln2_mean, &a.ln2_rstd}) size_to(*buf, N);
    for (auto* buf : {&a.k, &a.v, &a.r, &a.y, &a.ry}) size_to(*buf, N * A);
    size_to(a.wkv_boundary, static_cast<int64_t>(wkv4_boundary_size(B_, T_, A, chunk_len)));
    size_to(a.fk_pre, N * F);
    size_to(a.fk, N * F);
  }
  size_to(x_out, N * C);
  size_to(xf, N * C);
  size_to(lnf_mean, N);
  size_to(lnf_rstd, N);
  size_to(logits, N * V);
  for (auto& g : gC) size_to(g, N * C);
  for (auto& g : gA) size_to(g, N * A);
  for (auto& g : gF) size_to(g, N * F);
}

void rwkv4_forward(const Model& model, Activations& acts, const ModelInput& input, int64_t B, int64_t T,
                   const RecurrentState* state_in, RecurrentState* state_out, const ForwardOptions& opt) {
  const ModelConfig& c = model.config();
  const int64_t N = B * T, C = c.n_embd, A = c.dim_att, F = c.dim_ffn;
  if (B < 1 || T < 1) fail("forward: batch and length must be positive, got B=", B, " T=", T);
  validate_input(c, input, N, "forward");
  if (state_in && state_in->batch() != B) fail("forward: state has batch ", state_in->batch(), ", input has ", B);
  if (state_out && state_out->batch() != B) fail("forward: state_out has batch ", state_out->batch(), ", input has ", B);
  acts.resize(c, B, T, opt.wkv.chunk_len);
  acts.state_in = state_in;
  if (input.tokens) std::copy(input.tokens, input.tokens + N, acts.tokens.begin());
  const ModelView p = model.view();

  input_forward(model, input, N, acts.emb.data(), acts.frames_norm.data());
  for (int l = 0; l < c.n_layer; ++l) {
    const BlockView& w = p.blocks[l];
    BlockActivations& a = acts.blocks[l];
    const LayerStateView* sin = nullptr;
    LayerStateView sin_view{};
    if (state_in) {
      sin_view = state_in->layer(l);
      sin = &sin_view;
    }
    // residual stream entering the block; block 0 normalises the embedding with ln0 first
    if (l == 0)
      layernorm_forward(a.x_in.data(), acts.ln0_mean.data(), acts.ln0_rstd.data(), acts.emb.data(), w.ln0_w,
                        w.ln0_b, N, C);
    // (for l > 0, the previous block wrote its output into a.x_in)
    const float* x = a.x_in.data();
    // time-mix
    layernorm_forward(a.ln1.data(), a.ln1_mean.data(), a.ln1_rstd.data(), x, w.ln1_w, w.ln1_b, N, C);
    const float* prev_att = sin ? sin->att_x : nullptr;
    token_shift_mix_forward(a.xk.data(), a.ln1.data(), prev_att, w.att_time_mix_k, B, T, C);
    token_shift_mix_forward(a.xv.data(), a.ln1.data(), prev_att, w.att_time_mix_v, B, T, C);
    token_shift_mix_forward(a.xr.data(), a.ln1.data(), prev_att, w.att_time_mix_r, B, T, C);
    matmul_forward(a.k.data(), a.xk.data(), w.att_key, N, C, A);
    matmul_forward(a.v.data(), a.xv.data(), w.att_value, N, C, A);
    matmul_forward(a.r.data(), a.xr.data(), w.att_receptance, N, C, A);
    sigmoid_forward(a.r.data(), a.r.data(), N * A);
    Wkv4ConstState<float> wkv_in;
    if (sin) wkv_in = {sin->aa, sin->bb, sin->pp};
    Wkv4State<float> wkv_out;
    if (state_out) {
      const LayerStateView so = state_out->layer(l);
      wkv_out = {so.aa, so.bb, so.pp};
    }
    wkv4_forward<float>(a.y.data(), a.wkv_boundary.data(), wkv_out, w.att_time_decay, w.att_time_first, a.k.data(),
                        a.v.data(), wkv_in, B, T, A, opt.wkv);
    mul_forward(a.ry.data(), a.r.data(), a.y.data(), N * A);
    std::memcpy(a.x_mid.data(), x, sizeof(float) * N * C);
    matmul_forward(a.x_mid.data(), a.ry.data(), w.att_output, N, A, C, /*accumulate=*/true);
    // channel-mix
    layernorm_forward(a.ln2.data(), a.ln2_mean.data(), a.ln2_rstd.data(), a.x_mid.data(), w.ln2_w, w.ln2_b, N, C);
    const float* prev_ffn = sin ? sin->ffn_x : nullptr;
    token_shift_mix_forward(a.fxk.data(), a.ln2.data(), prev_ffn, w.ffn_time_mix_k, B, T, C);
    token_shift_mix_forward(a.fxr.data(), a.ln2.data(), prev_ffn, w.ffn_time_mix_r, B, T, C);
    matmul_forward(a.fk_pre.data(), a.fxk.data(), w.ffn_key, N, C, F);
    relu_square_forward(a.fk.data(), a.fk_pre.data(), N * F);
    matmul_forward(a.fv.data(), a.fk.data(), w.ffn_value, N, F, C);
    matmul_forward(a.fr.data(), a.fxr.data(), w.ffn_receptance, N, C, C);
    sigmoid_forward(a.fr.data(), a.fr.data(), N * C);
    float* x_next = l + 1 < c.n_layer ? acts.blocks[l + 1].x_in.data() : acts.x_out.data();
    mul_forward(x_next, a.fr.data(), a.fv.data(), N * C);
    add_inplace(x_next, a.x_mid.data(), N * C);
    if (state_out) {  // token-shift carries: the last LayerNorm outputs of each sequence
      const LayerStateView so = state_out->layer(l);
      for (int64_t b = 0; b < B; ++b) {
        std::memcpy(so.att_x + b * C, a.ln1.data() + ((b + 1) * T - 1) * C, sizeof(float) * C);
        std::memcpy(so.ffn_x + b * C, a.ln2.data() + ((b + 1) * T - 1) * C, sizeof(float) * C);
      }
    }
  }
  layernorm_forward(acts.xf.data(), acts.lnf_mean.data(), acts.lnf_rstd.data(), acts.x_out.data(), p.ln_out_w,
                    p.ln_out_b, N, C);
  head_forward(model, acts.xf.data(), N, acts.logits.data());
}

double lm_loss(const Activations& acts, const int32_t* targets, int64_t V) {
  const int64_t N = acts.B * acts.T;
  std::vector<float> losses(N);
  cross_entropy_forward(losses.data(), acts.logits.data(), targets, N, V);
  double sum = 0;
  int64_t count = 0;
  for (int64_t i = 0; i < N; ++i)
    if (targets[i] >= 0) {
      sum += losses[i];
      ++count;
    }
  return count ? sum / count : 0.0;
}

double lm_loss_backward(Activations& acts, const int32_t* targets, int64_t V) {
  const int64_t N = acts.B * acts.T;
  const double loss = lm_loss(acts, targets, V);
  int64_t count = 0;
  for (int64_t i = 0; i < N; ++i) count += targets[i] >= 0;
  const float dloss = count ? 1.0f / static_cast<float>(count) : 0.0f;
  cross_entropy_backward(acts.logits.data(), acts.logits.data(), targets, dloss, N, V);
  return loss;
}

}  // namespace rwkvs
