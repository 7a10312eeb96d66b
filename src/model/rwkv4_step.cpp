// RWKV-4 recurrent form (spec §5): one token for each of B sequences, constant memory. The same
// kernels as the parallel form with T = 1, the token-shift input and WKV state taken from 'state'.
#include <cstring>

#include "base/error.h"
#include "kernels/activations.h"
#include "kernels/layernorm.h"
#include "kernels/matmul.h"
#include "kernels/token_shift.h"
#include "kernels/wkv4.h"
#include "src/model/rwkv4.h"

namespace rwkvs {

using namespace kernels;

void StepWorkspace::resize(const ModelConfig& c, int64_t B_) {
  if (B == B_ && x.size() == static_cast<size_t>(B_ * c.n_embd) && fk.size() == static_cast<size_t>(B_ * c.dim_ffn) &&
      frames_norm.size() == static_cast<size_t>(B_ * c.input_dim))
    return;
  B = B_;
  const size_t C = c.n_embd, A = c.dim_att, F = c.dim_ffn;
  for (auto* b : {&x, &z, &xk, &xv, &xr, &fr, &fv}) b->resize(B_ * C);
  for (auto* b : {&k, &v, &r, &y}) b->resize(B_ * A);
  frames_norm.resize(B_ * static_cast<size_t>(c.input_dim));
  fk.resize(B_ * F);
  mean.resize(B_);
  rstd.resize(B_);
}

void rwkv4_step(const Model& model, RecurrentState& state, const ModelInput& input, float* logits,
                StepWorkspace& ws) {
  const ModelConfig& c = model.config();
  if (c.rwkv7()) fail("step: the RWKV-4 recurrent step was given an RWKV-7 model");
  const int64_t B = state.batch(), C = c.n_embd, A = c.dim_att, F = c.dim_ffn;
  validate_input(c, input, B, "step");
  ws.resize(c, B);
  const ModelView p = model.view();
  float* x = ws.x.data();
  float* z = ws.z.data();
  input_forward(model, input, B, x, ws.frames_norm.data());
  for (int l = 0; l < c.n_layer; ++l) {
    const BlockView& w = p.blocks[l];
    const LayerStateView s = state.layer(l);
    if (l == 0) {
      layernorm_forward(z, ws.mean.data(), ws.rstd.data(), x, w.ln0_w, w.ln0_b, B, C);
      std::memcpy(x, z, sizeof(float) * B * C);
    }
    // time-mix
    layernorm_forward(z, ws.mean.data(), ws.rstd.data(), x, w.ln1_w, w.ln1_b, B, C);
    token_shift_mix_forward(ws.xk.data(), z, s.att_x, w.att_time_mix_k, B, 1, C);
    token_shift_mix_forward(ws.xv.data(), z, s.att_x, w.att_time_mix_v, B, 1, C);
    token_shift_mix_forward(ws.xr.data(), z, s.att_x, w.att_time_mix_r, B, 1, C);
    std::memcpy(s.att_x, z, sizeof(float) * B * C);
    matmul_forward(ws.k.data(), ws.xk.data(), w.att_key, B, C, A);
    matmul_forward(ws.v.data(), ws.xv.data(), w.att_value, B, C, A);
    matmul_forward(ws.r.data(), ws.xr.data(), w.att_receptance, B, C, A);
    sigmoid_forward(ws.r.data(), ws.r.data(), B * A);
    // the WKV kernel reads the whole state before writing it, so in and out may be the same arrays
    wkv4_forward<float>(ws.y.data(), nullptr, {s.aa, s.bb, s.pp}, w.att_time_decay, w.att_time_first,
                        ws.k.data(), ws.v.data(), {s.aa, s.bb, s.pp}, B, 1, A,
                        {1, Wkv4Schedule::through_time});
    mul_forward(ws.y.data(), ws.r.data(), ws.y.data(), B * A);
    matmul_forward(x, ws.y.data(), w.att_output, B, A, C, /*accumulate=*/true);
    // channel-mix
    layernorm_forward(z, ws.mean.data(), ws.rstd.data(), x, w.ln2_w, w.ln2_b, B, C);
    token_shift_mix_forward(ws.xk.data(), z, s.ffn_x, w.ffn_time_mix_k, B, 1, C);
    token_shift_mix_forward(ws.xr.data(), z, s.ffn_x, w.ffn_time_mix_r, B, 1, C);
    std::memcpy(s.ffn_x, z, sizeof(float) * B * C);
    matmul_forward(ws.fk.data(), ws.xk.data(), w.ffn_key, B, C, F);
    relu_square_forward(ws.fk.data(), ws.fk.data(), B * F);
    matmul_forward(ws.fv.data(), ws.fk.data(), w.ffn_value, B, F, C);
    matmul_forward(ws.fr.data(), ws.xr.data(), w.ffn_receptance, B, C, C);
    sigmoid_forward(ws.fr.data(), ws.fr.data(), B * C);
    mul_forward(ws.fv.data(), ws.fr.data(), ws.fv.data(), B * C);
    add_inplace(x, ws.fv.data(), B * C);
  }
  layernorm_forward(z, ws.mean.data(), ws.rstd.data(), x, p.ln_out_w, p.ln_out_b, B, C);
  head_forward(model, z, B, logits);
}

}  // namespace rwkvs
