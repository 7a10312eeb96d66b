#pragma once
// The RWKV-7 (x070) parallel forward and backward (../shared/reference/rwkv7-spec.md §3) as one
// sequence of ops, written once for every backend, like the RWKV-4 graph (src/model/rwkv4_graph.h):
// 'Ops' supplies memory and kernels with the argument order of kernels/*.h. The input stage and the
// head are shared with RWKV-4.
#include <cstdint>
#include <vector>

#include "kernels/rwkv7_ops.h"
#include "kernels/wkv7.h"
#include "src/model/config.h"
#include "src/model/model_io.h"
#include "src/model/params.h"
#include "src/model/rwkv4_graph.h"
#include "src/model/state.h"

namespace rwkvs {

struct Forward7Options {
  kernels::Wkv7Options wkv;  // chunk length of the WKV-7 kernel
};

// What forward keeps for backward. N = B*T rows, C channels, H heads, D* the LoRA ranks.
template <class Ops>
struct Activations7T {
  template <class T>
  using Buffer = typename Ops::template Buffer<T>;
  using State = typename Ops::State;

  struct Block {
    Buffer<float> x_in, ln1, ln1_mean, ln1_rstd;  // (N, C), (N), (N)
    Buffer<float> xr, xw, xk, xv, xa, xg;         // (N, C) token-shift mixes
    Buffer<float> r, k, v, vr;                    // (N, C) receptance, key, value, value after the residual
    Buffer<float> w_mid, u, logw;                 // (N, Dw) tanh(xw w1); (N, C) w_mid w2; log decay
    Buffer<float> a_mid, alpha;                   // (N, Da) xa a1; (N, C) sigmoid(a0 + a_mid a2)
    Buffer<float> v_mid, v_gate;                  // (N, Dv) xv v1; (N, C) sigmoid(v0 + v_mid v2); blocks >= 1
    Buffer<float> g_mid, g;                       // (N, Dg) sigmoid(xg g1); (N, C) g_mid g2
    Buffer<float> kappa_hat, knorm, wa, wb, kmod; // (N, C), (N, H), (N, C) x 3: the WKV's a, b and key
    Buffer<float> y, gn_mean, gn_rstd;            // (N, C) WKV output; (N, H) GroupNorm statistics
    Buffer<float> yo, yg;                         // (N, C) GroupNorm + bonus; yo * g
    Buffer<float> wkv_boundary;                   // WKV chunk-start states
    Buffer<float> x_mid, ln2, ln2_mean, ln2_rstd; // (N, C), (N), (N)
    Buffer<float> fxk, fk_pre, fk;                // (N, C), (N, F), (N, F)
  };

  int64_t B = 0, T = 0;
  Buffer<int32_t> tokens;                 // (N) input ids (tokens models)
  Buffer<float> frames_norm;              // (N, input_dim) normalised frames (frames models)
  Buffer<float> emb, ln0_mean, ln0_rstd;  // (N, C) embedding rows, ln0 statistics
  std::vector<Block> blocks;              // L
  Buffer<float> x_out;                    // (N, C) residual stream after the last block
  Buffer<float> xf, lnf_mean, lnf_rstd;   // (N, C) ln_out output and statistics
  Buffer<float> logits;                   // (N, V or K); after a loss backward: its gradient
  const State* state_in = nullptr;        // the state forward started from (null: empty)
  // backward scratch: (N, C) x kScratchC, (N, max rank) x 3, (N, F) x 2, and dL/d v_first (N, C)
  static constexpr int kScratchC = 24;
  Buffer<float> gC[kScratchC], gD[3], gF[2], dv_first;

  void resize(const ModelConfig& c, int64_t B_, int64_t T_, int chunk_len) {
    const int64_t N = B_ * T_, C = c.n_embd, F = c.dim_ffn, V = c.output_dim(), H = c.n_head();
    const int64_t Dmax = std::max({c.lora_w, c.lora_a, c.lora_v, c.lora_g});
    B = B_;
    T = T_;
    size_to(tokens, c.frames_input() ? 0 : N);
    size_to(frames_norm, c.frames_input() ? N * c.input_dim : 0);
    size_to(emb, N * C);
    size_to(ln0_mean, N);
    size_to(ln0_rstd, N);
    blocks.resize(static_cast<size_t>(c.n_layer));
    for (size_t l = 0; l < blocks.size(); ++l) {
      Block& a = blocks[l];
      for (auto* buf : {&a.x_in, &a.ln1, &a.xr, &a.xw, &a.xk, &a.xv, &a.xa, &a.xg, &a.r, &a.k, &a.v, &a.vr, &a.u,
                        &a.logw, &a.alpha, &a.g, &a.kappa_hat, &a.wa, &a.wb, &a.kmod, &a.y, &a.yo, &a.yg, &a.x_mid,
                        &a.ln2, &a.fxk})
        size_to(*buf, N * C);
      size_to(a.v_gate, l > 0 ? N * C : 0);
      for (auto* buf : {&a.ln1_mean, &a.ln1_rstd, &a.ln2_mean, &a.ln2_rstd}) size_to(*buf, N);
      for (auto* buf : {&a.knorm, &a.gn_mean, &a.gn_rstd}) size_to(*buf, N * H);
      size_to(a.w_mid, N * c.lora_w);
      size_to(a.a_mid, N * c.lora_a);
      size_to(a.v_mid, l > 0 ? N * c.lora_v : 0);
      size_to(a.g_mid, N * c.lora_g);
      size_to(a.wkv_boundary, static_cast<int64_t>(kernels::wkv7_boundary_size(B_, T_, H, c.head_size, chunk_len)));
      size_to(a.fk_pre, N * F);
      size_to(a.fk, N * F);
    }
    size_to(x_out, N * C);
    size_to(xf, N * C);
    size_to(lnf_mean, N);
    size_to(lnf_rstd, N);
    size_to(logits, N * V);
    for (auto& g : gC) size_to(g, N * C);
    for (auto& g : gD) size_to(g, N * Dmax);
    for (auto& g : gF) size_to(g, N * F);
    size_to(dv_first, N * C);
  }

};

namespace graph7 {

// The parallel forward of B sequences of T positions; input validated and in Ops memory. Logits
// land in acts.logits. state_in (batch B; null: empty) is the state before the first position;
// state_out, when given, receives the state after the last (it may be state_in itself, but then
// backward must not follow: it reads the state forward started from).
template <class Ops>
void forward(const Ops& ops, const ModelConfig& c, const ModelView& p, Activations7T<Ops>& acts,
             const ModelInput& input, int64_t B, int64_t T, const typename Ops::State* state_in,
             typename Ops::State* state_out, const Forward7Options& opt) {
  const int64_t N = B * T, C = c.n_embd, F = c.dim_ffn, H = c.n_head(), Nh = c.head_size;
  acts.resize(c, B, T, opt.wkv.chunk_len);
  acts.state_in = state_in;
  if (input.tokens) ops.copy(acts.tokens.data(), input.tokens, N);  // kept for the embedding backward
  graph::input_forward(ops, c, p, input, N, acts.emb.data(), acts.frames_norm.data());
  const float* v_first = acts.blocks[0].v.data();  // layer 0's value of the same token
  for (int l = 0; l < c.n_layer; ++l) {
    const Block7View& w = p.blocks7[l];
    auto& a = acts.blocks[l];
    if (l == 0)
      ops.layernorm_forward(a.x_in.data(), acts.ln0_mean.data(), acts.ln0_rstd.data(), acts.emb.data(), w.ln0_w,
                            w.ln0_b, N, C);
    const float* x = a.x_in.data();  // (for l > 0 the previous block wrote it)
    const LayerStateView sin = state_in ? state_in->layer(l) : LayerStateView{};
    // time-mix inputs; the token before the first is the carried LN1 output (or zero)
    ops.layernorm_forward(a.ln1.data(), a.ln1_mean.data(), a.ln1_rstd.data(), x, w.ln1_w, w.ln1_b, N, C);
    const float* z = a.ln1.data();
    const float* prev = sin.att_x;
    ops.token_shift_lerp_forward(a.xr.data(), z, prev, w.x_r, B, T, C);
    ops.token_shift_lerp_forward(a.xw.data(), z, prev, w.x_w, B, T, C);
    ops.token_shift_lerp_forward(a.xk.data(), z, prev, w.x_k, B, T, C);
    ops.token_shift_lerp_forward(a.xv.data(), z, prev, w.x_v, B, T, C);
    ops.token_shift_lerp_forward(a.xa.data(), z, prev, w.x_a, B, T, C);
    ops.token_shift_lerp_forward(a.xg.data(), z, prev, w.x_g, B, T, C);
    ops.matmul_forward(a.r.data(), a.xr.data(), w.receptance, N, C, C, false);
    ops.matmul_forward(a.k.data(), a.xk.data(), w.key, N, C, C, false);
    ops.matmul_forward(a.v.data(), a.xv.data(), w.value, N, C, C, false);
    // decay: logw = -e^-0.5 sigmoid(w0 + tanh(xw w1) w2)
    ops.matmul_nn_forward(a.w_mid.data(), a.xw.data(), w.w1, N, C, c.lora_w, false);
    ops.tanh_forward(a.w_mid.data(), a.w_mid.data(), N * c.lora_w);
    ops.matmul_nn_forward(a.u.data(), a.w_mid.data(), w.w2, N, c.lora_w, C, false);
    ops.rwkv7_decay_forward(a.logw.data(), a.u.data(), w.w0, N, C);
    // value residual toward layer 0's value
    if (l == 0) {
      ops.copy(a.vr.data(), a.v.data(), N * C);
    } else {
      ops.matmul_nn_forward(a.v_mid.data(), a.xv.data(), w.v1, N, C, c.lora_v, false);
      ops.matmul_nn_forward(a.v_gate.data(), a.v_mid.data(), w.v2, N, c.lora_v, C, false);
      ops.add_bias_forward(a.v_gate.data(), w.v0, N, C);
      ops.sigmoid_forward(a.v_gate.data(), a.v_gate.data(), N * C);
      ops.lerp_forward(a.vr.data(), a.v.data(), v_first, a.v_gate.data(), N * C);
    }
    // in-context learning rate and output gate
    ops.matmul_nn_forward(a.a_mid.data(), a.xa.data(), w.a1, N, C, c.lora_a, false);
    ops.matmul_nn_forward(a.alpha.data(), a.a_mid.data(), w.a2, N, c.lora_a, C, false);
    ops.add_bias_forward(a.alpha.data(), w.a0, N, C);
    ops.sigmoid_forward(a.alpha.data(), a.alpha.data(), N * C);
    ops.matmul_nn_forward(a.g_mid.data(), a.xg.data(), w.g1, N, C, c.lora_g, false);
    ops.sigmoid_forward(a.g_mid.data(), a.g_mid.data(), N * c.lora_g);
    ops.matmul_nn_forward(a.g.data(), a.g_mid.data(), w.g2, N, c.lora_g, C, false);
    // keys, WKV, GroupNorm, bonus, gate, output
    ops.rwkv7_keys_forward(a.kappa_hat.data(), a.knorm.data(), a.wa.data(), a.wb.data(), a.kmod.data(), a.k.data(),
                           a.alpha.data(), w.k_k, w.k_a, N, H, Nh);
    const float* wkv_in = sin.wkv;
    float* wkv_out = state_out ? state_out->layer(l).wkv : nullptr;
    ops.wkv7_forward(a.y.data(), a.wkv_boundary.data(), wkv_out, a.r.data(), a.logw.data(), a.kmod.data(),
                     a.vr.data(), a.wa.data(), a.wb.data(), wkv_in, B, T, H, Nh, opt.wkv);
    ops.groupnorm_forward(a.yo.data(), a.gn_mean.data(), a.gn_rstd.data(), a.y.data(), w.ln_x_w, w.ln_x_b, N, H, Nh,
                          kernels::kRwkv7GroupNormEps);
    ops.rwkv7_bonus_forward(a.yo.data(), a.r.data(), a.kmod.data(), a.vr.data(), w.r_k, N, H, Nh);
    ops.mul_forward(a.yg.data(), a.yo.data(), a.g.data(), N * C);
    ops.copy(a.x_mid.data(), x, N * C);
    ops.matmul_forward(a.x_mid.data(), a.yg.data(), w.output, N, C, C, /*accumulate=*/true);
    // channel-mix: relu(xk W_k^T)^2 W_v^T, no receptance gate in v7
    ops.layernorm_forward(a.ln2.data(), a.ln2_mean.data(), a.ln2_rstd.data(), a.x_mid.data(), w.ln2_w, w.ln2_b, N,
                          C);
    ops.token_shift_lerp_forward(a.fxk.data(), a.ln2.data(), static_cast<const float*>(sin.ffn_x), w.ffn_x_k, B,
                                 T, C);
    ops.matmul_forward(a.fk_pre.data(), a.fxk.data(), w.ffn_key, N, C, F, false);
    ops.relu_square_forward(a.fk.data(), a.fk_pre.data(), N * F);
    float* x_next = l + 1 < c.n_layer ? acts.blocks[l + 1].x_in.data() : acts.x_out.data();
    ops.copy(x_next, a.x_mid.data(), N * C);
    ops.matmul_forward(x_next, a.fk.data(), w.ffn_value, N, F, C, /*accumulate=*/true);
    if (state_out) {  // token-shift carries: the last LayerNorm outputs of each sequence
      const LayerStateView so = state_out->layer(l);
      ops.copy_last_rows(so.att_x, a.ln1.data(), B, T, C);
      ops.copy_last_rows(so.ffn_x, a.ln2.data(), B, T, C);
    }
  }
  ops.layernorm_forward(acts.xf.data(), acts.lnf_mean.data(), acts.lnf_rstd.data(), acts.x_out.data(), p.ln_out_w,
                        p.ln_out_b, N, C);
  graph::head_forward(ops, c, p, acts.xf.data(), N, acts.logits.data());
}

// Backward of forward() given dlogits in acts.logits; accumulates into the gradient view g (the
// caller zeroes it). Uses the same chunk length as the forward. gstate_in (batch B), when given,
// receives dL/d(state forward started from) (written, not accumulated).
template <class Ops>
void backward(const Ops& ops, const ModelConfig& c, const ModelView& p, const ModelView& g, Activations7T<Ops>& acts,
              typename Ops::State* gstate_in, const Forward7Options& opt) {
  const int64_t B = acts.B, T = acts.T, N = B * T, C = c.n_embd, F = c.dim_ffn, H = c.n_head(), Nh = c.head_size;
  auto zeroed = [&ops](auto& buf) {
    ops.zero(buf.data(), static_cast<int64_t>(buf.size()));
    return buf.data();
  };
  const float* none = nullptr;
  auto* gC = acts.gC;
  if (gstate_in) ops.zero(gstate_in->data(), static_cast<int64_t>(gstate_in->size()));
  float* dv_first = zeroed(acts.dv_first);  // every block >= 1 adds to it; block 0 takes it last

  float* dxf = zeroed(gC[0]);
  graph::head_backward(ops, c, p, g, acts.logits.data(), acts.xf.data(), dxf, N);
  float* dx = zeroed(gC[1]);  // d(residual stream after the current block)
  ops.layernorm_backward(dx, g.ln_out_w, g.ln_out_b, dxf, acts.x_out.data(), p.ln_out_w, acts.lnf_mean.data(),
                         acts.lnf_rstd.data(), N, C);

  for (int l = c.n_layer - 1; l >= 0; --l) {
    const Block7View& w = p.blocks7[l];
    const Block7View& gw = g.blocks7[l];
    auto& a = acts.blocks[l];
    const LayerStateView sin = acts.state_in ? acts.state_in->layer(l) : LayerStateView{};
    const LayerStateView gsin = gstate_in ? gstate_in->layer(l) : LayerStateView{};
    // channel-mix: x_next = x_mid + relu(fxk W_k^T)^2 W_v^T
    float* dx_mid = gC[2].data();
    ops.copy(dx_mid, dx, N * C);
    float* dfk = zeroed(acts.gF[0]);
    ops.matmul_backward(dfk, gw.ffn_value, dx, a.fk.data(), w.ffn_value, N, F, C);
    float* dfk_pre = zeroed(acts.gF[1]);
    ops.relu_square_backward(dfk_pre, dfk, a.fk_pre.data(), N * F);
    float* dfxk = zeroed(gC[3]);
    ops.matmul_backward(dfxk, gw.ffn_key, dfk_pre, a.fxk.data(), w.ffn_key, N, C, F);
    float* dln2 = zeroed(gC[4]);
    ops.token_shift_lerp_backward(dln2, gsin.ffn_x, gw.ffn_x_k, dfxk, a.ln2.data(),
                                  static_cast<const float*>(sin.ffn_x), w.ffn_x_k, B, T, C);
    ops.layernorm_backward(dx_mid, gw.ln2_w, gw.ln2_b, dln2, a.x_mid.data(), w.ln2_w, a.ln2_mean.data(),
                           a.ln2_rstd.data(), N, C);

    // time-mix output: x_mid = x_in + (yo * g) W_o^T
    float* dx_in = dx;  // the block-output gradient is no longer needed
    ops.copy(dx_in, dx_mid, N * C);
    float* dyg = zeroed(gC[3]);
    ops.matmul_backward(dyg, gw.output, dx_mid, a.yg.data(), w.output, N, C, C);
    float* dyo = zeroed(gC[4]);
    float* dg = zeroed(gC[5]);
    ops.mul_backward(dyo, dg, dyg, a.yo.data(), a.g.data(), N * C);
    // gate g = sigmoid(xg g1) g2
    float* dxg = zeroed(gC[6]);
    {
      float* dmid = zeroed(acts.gD[0]);
      ops.matmul_nn_backward(dmid, gw.g2, dg, a.g_mid.data(), w.g2, N, c.lora_g, C);
      float* dpre = zeroed(acts.gD[1]);
      ops.sigmoid_backward(dpre, dmid, a.g_mid.data(), N * c.lora_g);
      ops.matmul_nn_backward(dxg, gw.g1, dpre, a.xg.data(), w.g1, N, C, c.lora_g);
    }
    // yo = GroupNorm(y) + bonus(r, kmod, vr)
    float* dr = zeroed(gC[7]);
    float* dkmod = zeroed(gC[8]);
    float* dvr = zeroed(gC[9]);
    ops.rwkv7_bonus_backward(dr, dkmod, dvr, gw.r_k, dyo, a.r.data(), a.kmod.data(), a.vr.data(), w.r_k, N, H, Nh);
    float* dy = zeroed(gC[10]);
    ops.groupnorm_backward(dy, gw.ln_x_w, gw.ln_x_b, dyo, a.y.data(), w.ln_x_w, a.gn_mean.data(), a.gn_rstd.data(),
                           N, H, Nh);
    // WKV-7 (its gradients are written, so they land in fresh buffers and are added)
    float *wr = gC[11].data(), *dlogw = gC[12].data(), *wk = gC[13].data(), *wv = gC[14].data();
    float *dwa = gC[15].data(), *dwb = gC[16].data();
    ops.wkv7_backward(wr, dlogw, wk, wv, dwa, dwb, gsin.wkv, dy, none, a.r.data(), a.logw.data(), a.kmod.data(),
                      a.vr.data(), a.wa.data(), a.wb.data(), a.wkv_boundary.data(),
                      static_cast<const float*>(sin.wkv), B, T, H, Nh, opt.wkv);
    ops.add_inplace(dr, wr, N * C);
    ops.add_inplace(dkmod, wk, N * C);
    ops.add_inplace(dvr, wv, N * C);
    // keys: kappa_hat, a, b and the written key from k and alpha
    float* dk = zeroed(gC[11]);
    float* dalpha = zeroed(gC[13]);
    ops.rwkv7_keys_backward(dk, dalpha, gw.k_k, gw.k_a, dwa, dwb, dkmod, a.k.data(), a.alpha.data(), w.k_k, w.k_a,
                            a.kappa_hat.data(), a.knorm.data(), N, H, Nh);
    // alpha = sigmoid(a0 + (xa a1) a2)
    float* dxa = zeroed(gC[14]);
    {
      float* dpre = zeroed(gC[15]);
      ops.sigmoid_backward(dpre, dalpha, a.alpha.data(), N * C);
      ops.add_bias_backward(gw.a0, dpre, N, C);
      float* dmid = zeroed(acts.gD[0]);
      ops.matmul_nn_backward(dmid, gw.a2, dpre, a.a_mid.data(), w.a2, N, c.lora_a, C);
      ops.matmul_nn_backward(dxa, gw.a1, dmid, a.xa.data(), w.a1, N, C, c.lora_a);
    }
    // logw = decay(w0 + tanh(xw w1) w2)
    float* dxw = zeroed(gC[16]);
    {
      float* du = zeroed(gC[17]);
      ops.rwkv7_decay_backward(du, gw.w0, dlogw, a.u.data(), w.w0, N, C);
      float* dmid = zeroed(acts.gD[0]);
      ops.matmul_nn_backward(dmid, gw.w2, du, a.w_mid.data(), w.w2, N, c.lora_w, C);
      float* dpre = zeroed(acts.gD[1]);
      ops.tanh_backward(dpre, dmid, a.w_mid.data(), N * c.lora_w);
      ops.matmul_nn_backward(dxw, gw.w1, dpre, a.xw.data(), w.w1, N, C, c.lora_w);
    }
    // value residual: vr = v + (v_first - v) * sigmoid(v0 + (xv v1) v2); block 0: vr = v = v_first
    float* dv = zeroed(gC[12]);
    float* dxv = zeroed(gC[18]);
    if (l > 0) {
      float* dgate = zeroed(gC[17]);
      ops.lerp_backward(dv, dv_first, dgate, dvr, a.v.data(), acts.blocks[0].v.data(), a.v_gate.data(), N * C);
      float* dpre = zeroed(gC[19]);
      ops.sigmoid_backward(dpre, dgate, a.v_gate.data(), N * C);
      ops.add_bias_backward(gw.v0, dpre, N, C);
      float* dmid = zeroed(acts.gD[0]);
      ops.matmul_nn_backward(dmid, gw.v2, dpre, a.v_mid.data(), w.v2, N, c.lora_v, C);
      ops.matmul_nn_backward(dxv, gw.v1, dmid, a.xv.data(), w.v1, N, C, c.lora_v);
    } else {
      ops.add_inplace(dv, dvr, N * C);
      ops.add_inplace(dv, dv_first, N * C);
    }
    // r, k, v projections
    float* dxr = zeroed(gC[19]);
    ops.matmul_backward(dxr, gw.receptance, dr, a.xr.data(), w.receptance, N, C, C);
    float* dxk = zeroed(gC[20]);
    ops.matmul_backward(dxk, gw.key, dk, a.xk.data(), w.key, N, C, C);
    ops.matmul_backward(dxv, gw.value, dv, a.xv.data(), w.value, N, C, C);
    // token shifts into ln1, then ln1 into the residual stream
    float* dln1 = zeroed(gC[21]);
    const float* z = a.ln1.data();
    float* dprev = gsin.att_x;
    const float* prev = sin.att_x;
    ops.token_shift_lerp_backward(dln1, dprev, gw.x_r, dxr, z, prev, w.x_r, B, T, C);
    ops.token_shift_lerp_backward(dln1, dprev, gw.x_w, dxw, z, prev, w.x_w, B, T, C);
    ops.token_shift_lerp_backward(dln1, dprev, gw.x_k, dxk, z, prev, w.x_k, B, T, C);
    ops.token_shift_lerp_backward(dln1, dprev, gw.x_v, dxv, z, prev, w.x_v, B, T, C);
    ops.token_shift_lerp_backward(dln1, dprev, gw.x_a, dxa, z, prev, w.x_a, B, T, C);
    ops.token_shift_lerp_backward(dln1, dprev, gw.x_g, dxg, z, prev, w.x_g, B, T, C);
    ops.layernorm_backward(dx_in, gw.ln1_w, gw.ln1_b, dln1, a.x_in.data(), w.ln1_w, a.ln1_mean.data(),
                           a.ln1_rstd.data(), N, C);
    if (l == 0) {
      float* demb = zeroed(gC[2]);
      ops.layernorm_backward(demb, gw.ln0_w, gw.ln0_b, dx_in, acts.emb.data(), w.ln0_w, acts.ln0_mean.data(),
                             acts.ln0_rstd.data(), N, C);
      graph::input_backward(ops, c, p, g, acts.tokens.size() ? acts.tokens.data() : nullptr, acts.frames_norm.data(),
                            demb, N);
    }
  }
}

}  // namespace graph7
}  // namespace rwkvs
