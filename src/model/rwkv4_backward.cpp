// RWKV-4 backward: rwkv4_forward in reverse, one kernel backward per forward call.
#include <algorithm>
#include <cstring>

#include "kernels/activations.h"
#include "kernels/layernorm.h"
#include "kernels/matmul.h"
#include "kernels/token_shift.h"
#include "src/model/rwkv4.h"

namespace rwkvs {

using namespace kernels;

namespace {
float* zeroed(AlignedBuffer<float>& b) {
  b.zero();
  return b.data();
}
}  // namespace

void rwkv4_backward(const Model& model, Activations& acts, float* grads, const ForwardOptions& opt) {
  const ModelConfig& c = model.config();
  const int64_t B = acts.B, T = acts.T, N = B * T, C = c.n_embd, A = c.dim_att, F = c.dim_ffn;
  const ModelView p = model.view();
  const ModelView g = make_view(model.layout(), grads, c.n_layer);
  const float* dlogits = acts.logits.data();

  // head and ln_out: dx is the gradient of the residual stream after the last block
  float* dxf = zeroed(acts.gC[0]);
  head_backward(model, g, dlogits, acts.xf.data(), dxf, N);
  float* dx = zeroed(acts.gC[1]);
  layernorm_backward(dx, g.ln_out_w, g.ln_out_b, dxf, acts.x_out.data(), p.ln_out_w, acts.lnf_mean.data(),
                     acts.lnf_rstd.data(), N, C);

  for (int l = c.n_layer - 1; l >= 0; --l) {
    const BlockView& w = p.blocks[l];
    const BlockView& gw = g.blocks[l];
    BlockActivations& a = acts.blocks[l];
    const LayerStateView* sin = nullptr;
    LayerStateView sin_view{};
    if (acts.state_in) {
      sin_view = acts.state_in->layer(l);
      sin = &sin_view;
    }
    // channel-mix: out = x_mid + fr * fv
    float* dx_mid = acts.gC[2].data();
    std::memcpy(dx_mid, dx, sizeof(float) * N * C);
    float* dfr = zeroed(acts.gC[3]);
    float* dfv = zeroed(acts.gC[4]);
    mul_backward(dfr, dfv, dx, a.fr.data(), a.fv.data(), N * C);
    float* dfr_pre = zeroed(acts.gC[0]);
    sigmoid_backward(dfr_pre, dfr, a.fr.data(), N * C);
    float* dfk = zeroed(acts.gF[0]);
    matmul_backward(dfk, gw.ffn_value, dfv, a.fk.data(), w.ffn_value, N, F, C);
    float* dfk_pre = zeroed(acts.gF[1]);
    relu_square_backward(dfk_pre, dfk, a.fk_pre.data(), N * F);
    float* dfxk = zeroed(acts.gC[3]);
    matmul_backward(dfxk, gw.ffn_key, dfk_pre, a.fxk.data(), w.ffn_key, N, C, F);
    float* dfxr = zeroed(acts.gC[4]);
    matmul_backward(dfxr, gw.ffn_receptance, dfr_pre, a.fxr.data(), w.ffn_receptance, N, C, C);
    float* dln2 = zeroed(acts.gC[5]);
    const float* prev_ffn = sin ? sin->ffn_x : nullptr;
    token_shift_mix_backward(dln2, static_cast<float*>(nullptr), gw.ffn_time_mix_k, dfxk, a.ln2.data(), prev_ffn,
                             w.ffn_time_mix_k, B, T, C);
    token_shift_mix_backward(dln2, static_cast<float*>(nullptr), gw.ffn_time_mix_r, dfxr, a.ln2.data(), prev_ffn,
                             w.ffn_time_mix_r, B, T, C);
    layernorm_backward(dx_mid, gw.ln2_w, gw.ln2_b, dln2, a.x_mid.data(), w.ln2_w, a.ln2_mean.data(),
                       a.ln2_rstd.data(), N, C);

    // time-mix: x_mid = x_in + (r * y) @ W_o^T
    float* dx_in = dx;  // the block-output gradient is no longer needed
    std::memcpy(dx_in, dx_mid, sizeof(float) * N * C);
    float* dry = zeroed(acts.gA[0]);
    matmul_backward(dry, gw.att_output, dx_mid, a.ry.data(), w.att_output, N, A, C);
    float* dr = zeroed(acts.gA[1]);
    float* dy = zeroed(acts.gA[2]);
    mul_backward(dr, dy, dry, a.r.data(), a.y.data(), N * A);
    float* dr_pre = zeroed(acts.gA[0]);
    sigmoid_backward(dr_pre, dr, a.r.data(), N * A);
    float* dk = acts.gA[3].data();
    float* dv = acts.gA[4].data();
    Wkv4ConstState<float> wkv_in;
    if (sin) wkv_in = {sin->aa, sin->bb, sin->pp};
    wkv4_backward<float>(dk, dv, gw.att_time_decay, gw.att_time_first, {}, dy, {}, w.att_time_decay,
                         w.att_time_first, a.k.data(), a.v.data(), a.y.data(), a.wkv_boundary.data(), wkv_in, B, T,
                         A, opt.wkv);
    float* dxk = zeroed(acts.gC[3]);
    matmul_backward(dxk, gw.att_key, dk, a.xk.data(), w.att_key, N, C, A);
    float* dxv = zeroed(acts.gC[4]);
    matmul_backward(dxv, gw.att_value, dv, a.xv.data(), w.att_value, N, C, A);
    float* dxr = zeroed(acts.gC[0]);
    matmul_backward(dxr, gw.att_receptance, dr_pre, a.xr.data(), w.att_receptance, N, C, A);
    float* dln1 = zeroed(acts.gC[5]);
    const float* prev_att = sin ? sin->att_x : nullptr;
    token_shift_mix_backward(dln1, static_cast<float*>(nullptr), gw.att_time_mix_k, dxk, a.ln1.data(), prev_att,
                             w.att_time_mix_k, B, T, C);
    token_shift_mix_backward(dln1, static_cast<float*>(nullptr), gw.att_time_mix_v, dxv, a.ln1.data(), prev_att,
                             w.att_time_mix_v, B, T, C);
    token_shift_mix_backward(dln1, static_cast<float*>(nullptr), gw.att_time_mix_r, dxr, a.ln1.data(), prev_att,
                             w.att_time_mix_r, B, T, C);
    layernorm_backward(dx_in, gw.ln1_w, gw.ln1_b, dln1, a.x_in.data(), w.ln1_w, a.ln1_mean.data(),
                       a.ln1_rstd.data(), N, C);
    if (l == 0) {
      float* demb = zeroed(acts.gC[2]);
      layernorm_backward(demb, gw.ln0_w, gw.ln0_b, dx_in, acts.emb.data(), w.ln0_w, acts.ln0_mean.data(),
                         acts.ln0_rstd.data(), N, C);
      ModelInput in;
      in.tokens = acts.tokens.empty() ? nullptr : acts.tokens.data();
      input_backward(model, g, in, acts.frames_norm.data(), demb, N);
    }
  }
}

}  // namespace rwkvs
