#pragma once
// The RWKV-4 parallel forward and backward (spec §3) as one sequence of ops, written once for every
// backend. 'Ops' supplies the memory (Buffer<T>, State) and the kernels, with the argument order of
// kernels/*.h: CpuOps (src/model/cpu_ops.h) runs them on the host, CudaOps (src/model/cuda_ops.h) on
// a GPU. All pointers (model view, inputs, states, activations) live in the backend's memory; the
// callers (rwkv4_forward.cpp, rwkv4_backward.cpp, rwkv4_cuda.cpp) validate inputs and move data.
#include <cstdint>
#include <vector>

#include "kernels/wkv4.h"
#include "src/model/config.h"
#include "src/model/model_io.h"
#include "src/model/params.h"
#include "src/model/state.h"

namespace rwkvs {

struct ForwardOptions {
  kernels::Wkv4Options wkv;  // chunk length and schedule of the WKV kernel
};

// Resizes an activation buffer to n elements, keeping its allocation when the size is unchanged
// (shared by the RWKV-4 and RWKV-7 activation structs).
template <class Buf>
void size_to(Buf& b, int64_t n) {
  if (b.size() != static_cast<size_t>(n)) b.resize(static_cast<size_t>(n));
}

// What forward keeps for backward. N = B*T rows.
template <class Ops>
struct ActivationsT {
  template <class T>
  using Buffer = typename Ops::template Buffer<T>;
  using State = typename Ops::State;

  struct Block {
    Buffer<float> x_in;                     // (N, C) residual stream entering the block
    Buffer<float> ln1, ln1_mean, ln1_rstd;  // (N, C), (N), (N)
    Buffer<float> xk, xv, xr;               // (N, C) token-shift mixes for key, value, receptance
    Buffer<float> k, v, r, y, ry;           // (N, A) key, value, sigmoid(receptance), WKV out, r*y
    Buffer<float> wkv_boundary;             // WKV chunk-start states
    Buffer<float> x_mid;                    // (N, C) residual after time-mix
    Buffer<float> ln2, ln2_mean, ln2_rstd;  // (N, C), (N), (N)
    Buffer<float> fxk, fxr;                 // (N, C) channel-mix mixes
    Buffer<float> fk_pre, fk;               // (N, F) key before and after squared ReLU
    Buffer<float> fr, fv;                   // (N, C) sigmoid(receptance), value
  };

  int64_t B = 0, T = 0;
  Buffer<int32_t> tokens;                       // (N) input ids (tokens models)
  Buffer<float> frames_norm;                    // (N, input_dim) normalised frames (frames models)
  Buffer<float> emb, ln0_mean, ln0_rstd;        // (N, C) embedding rows, ln0 statistics
  std::vector<Block> blocks;                    // L
  Buffer<float> x_out;                          // (N, C) residual stream after the last block
  Buffer<float> xf, lnf_mean, lnf_rstd;         // (N, C) ln_out output and statistics
  Buffer<float> logits;                         // (N, V or K); after a loss backward: its gradient
  const State* state_in = nullptr;              // the state forward started from (null: empty)
  // backward scratch: (N, C) x 6, (N, A) x 5, (N, F) x 2
  Buffer<float> gC[6], gA[5], gF[2];

  // Sizes every buffer for (B, T) with this model; keeps allocations when the shape is unchanged.
  void resize(const ModelConfig& c, int64_t B_, int64_t T_, int chunk_len) {
    const int64_t N = B_ * T_, C = c.n_embd, A = c.dim_att, F = c.dim_ffn, V = c.output_dim();
    B = B_;
    T = T_;
    size_to(tokens, c.frames_input() ? 0 : N);
    size_to(frames_norm, c.frames_input() ? N * c.input_dim : 0);
    size_to(emb, N * C);
    size_to(ln0_mean, N);
    size_to(ln0_rstd, N);
    blocks.resize(static_cast<size_t>(c.n_layer));
    for (Block& a : blocks) {
      for (auto* buf : {&a.x_in, &a.ln1, &a.xk, &a.xv, &a.xr, &a.x_mid, &a.ln2, &a.fxk, &a.fxr, &a.fr, &a.fv})
        size_to(*buf, N * C);
      for (auto* buf : {&a.ln1_mean, &a.ln1_rstd, &a.ln2_mean, &a.ln2_rstd}) size_to(*buf, N);
      for (auto* buf : {&a.k, &a.v, &a.r, &a.y, &a.ry}) size_to(*buf, N * A);
      size_to(a.wkv_boundary, static_cast<int64_t>(kernels::wkv4_boundary_size(B_, T_, A, chunk_len)));
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

};

namespace graph {

// emb (N, C) = the trunk's input rows; frames models also write frames_norm (N, input_dim).
template <class Ops>
void input_forward(const Ops& ops, const ModelConfig& c, const ModelView& p, const ModelInput& in, int64_t N,
                   float* emb, float* frames_norm) {
  if (!c.frames_input()) {
    ops.embedding_forward(emb, in.tokens, p.emb, N, c.n_embd);
    return;
  }
  ops.normalize_columns(frames_norm, in.frames, p.input_mean, p.input_scale, N, c.input_dim);
  ops.matmul_forward(emb, frames_norm, p.input_proj_w, N, c.input_dim, c.n_embd, false);
  ops.add_bias_forward(emb, p.input_proj_b, N, c.n_embd);
}

// Parameter gradients of the input stage from demb (N, C).
template <class Ops>
void input_backward(const Ops& ops, const ModelConfig& c, const ModelView& p, const ModelView& g,
                    const int32_t* tokens, const float* frames_norm, const float* demb, int64_t N) {
  if (!c.frames_input()) {
    ops.embedding_backward(g.emb, demb, tokens, N, c.n_embd);
    return;
  }
  ops.matmul_backward(static_cast<float*>(nullptr), g.input_proj_w, demb, frames_norm, p.input_proj_w, N,
                      c.input_dim, c.n_embd);
  ops.add_bias_backward(g.input_proj_b, demb, N, c.n_embd);
}

// logits (N, output_dim) from the final normalised rows xf (N, C).
template <class Ops>
void head_forward(const Ops& ops, const ModelConfig& c, const ModelView& p, const float* xf, int64_t N,
                  float* logits) {
  if (c.labels_head()) {
    ops.matmul_forward(logits, xf, p.cls_w, N, c.n_embd, c.output_dim(), false);
    ops.add_bias_forward(logits, p.cls_b, N, c.output_dim());
  } else {
    ops.matmul_forward(logits, xf, p.head, N, c.n_embd, c.vocab_size, false);
  }
}

// dxf (N, C) += and head parameter gradients from dlogits (N, output_dim).
template <class Ops>
void head_backward(const Ops& ops, const ModelConfig& c, const ModelView& p, const ModelView& g,
                   const float* dlogits, const float* xf, float* dxf, int64_t N) {
  if (c.labels_head()) {
    ops.matmul_backward(dxf, g.cls_w, dlogits, xf, p.cls_w, N, c.n_embd, c.output_dim());
    ops.add_bias_backward(g.cls_b, dlogits, N, c.output_dim());
  } else {
    ops.matmul_backward(dxf, g.head, dlogits, xf, p.head, N, c.n_embd, c.vocab_size);
  }
}

// The parallel forward of B sequences of T positions; input already validated and in Ops memory.
// Logits land in acts.logits. state_in/state_out (batch B) as rwkv4_forward (src/model/rwkv4.h).
template <class Ops>
void forward(const Ops& ops, const ModelConfig& c, const ModelView& p, ActivationsT<Ops>& acts,
             const ModelInput& input, int64_t B, int64_t T, const typename Ops::State* state_in,
             typename Ops::State* state_out, const ForwardOptions& opt) {
  const int64_t N = B * T, C = c.n_embd, A = c.dim_att, F = c.dim_ffn;
  acts.resize(c, B, T, opt.wkv.chunk_len);
  acts.state_in = state_in;
  if (input.tokens) ops.copy(acts.tokens.data(), input.tokens, N);  // kept for the embedding backward

  input_forward(ops, c, p, input, N, acts.emb.data(), acts.frames_norm.data());
  for (int l = 0; l < c.n_layer; ++l) {
    const BlockView& w = p.blocks[l];
    auto& a = acts.blocks[l];
    const LayerStateView* sin = nullptr;
    LayerStateView sin_view{};
    if (state_in) {
      sin_view = state_in->layer(l);
      sin = &sin_view;
    }
    // residual stream entering the block; block 0 normalises the embedding with ln0 first
    if (l == 0)
      ops.layernorm_forward(a.x_in.data(), acts.ln0_mean.data(), acts.ln0_rstd.data(), acts.emb.data(), w.ln0_w,
                            w.ln0_b, N, C);
    // (for l > 0, the previous block wrote its output into a.x_in)
    const float* x = a.x_in.data();
    // time-mix
    ops.layernorm_forward(a.ln1.data(), a.ln1_mean.data(), a.ln1_rstd.data(), x, w.ln1_w, w.ln1_b, N, C);
    const float* prev_att = sin ? sin->att_x : nullptr;
    ops.token_shift_mix_forward(a.xk.data(), a.ln1.data(), prev_att, w.att_time_mix_k, B, T, C);
    ops.token_shift_mix_forward(a.xv.data(), a.ln1.data(), prev_att, w.att_time_mix_v, B, T, C);
    ops.token_shift_mix_forward(a.xr.data(), a.ln1.data(), prev_att, w.att_time_mix_r, B, T, C);
    ops.matmul_forward(a.k.data(), a.xk.data(), w.att_key, N, C, A, false);
    ops.matmul_forward(a.v.data(), a.xv.data(), w.att_value, N, C, A, false);
    ops.matmul_forward(a.r.data(), a.xr.data(), w.att_receptance, N, C, A, false);
    ops.sigmoid_forward(a.r.data(), a.r.data(), N * A);
    kernels::Wkv4ConstState<float> wkv_in;
    if (sin) wkv_in = {sin->aa, sin->bb, sin->pp};
    kernels::Wkv4State<float> wkv_out;
    if (state_out) {
      const LayerStateView so = state_out->layer(l);
      wkv_out = {so.aa, so.bb, so.pp};
    }
    ops.wkv4_forward(a.y.data(), a.wkv_boundary.data(), wkv_out, w.att_time_decay, w.att_time_first, a.k.data(),
                     a.v.data(), wkv_in, B, T, A, opt.wkv);
    ops.mul_forward(a.ry.data(), a.r.data(), a.y.data(), N * A);
    ops.copy(a.x_mid.data(), x, N * C);
    ops.matmul_forward(a.x_mid.data(), a.ry.data(), w.att_output, N, A, C, /*accumulate=*/true);
    // channel-mix
    ops.layernorm_forward(a.ln2.data(), a.ln2_mean.data(), a.ln2_rstd.data(), a.x_mid.data(), w.ln2_w, w.ln2_b, N,
                          C);
    const float* prev_ffn = sin ? sin->ffn_x : nullptr;
    ops.token_shift_mix_forward(a.fxk.data(), a.ln2.data(), prev_ffn, w.ffn_time_mix_k, B, T, C);
    ops.token_shift_mix_forward(a.fxr.data(), a.ln2.data(), prev_ffn, w.ffn_time_mix_r, B, T, C);
    ops.matmul_forward(a.fk_pre.data(), a.fxk.data(), w.ffn_key, N, C, F, false);
    ops.relu_square_forward(a.fk.data(), a.fk_pre.data(), N * F);
    ops.matmul_forward(a.fv.data(), a.fk.data(), w.ffn_value, N, F, C, false);
    ops.matmul_forward(a.fr.data(), a.fxr.data(), w.ffn_receptance, N, C, C, false);
    ops.sigmoid_forward(a.fr.data(), a.fr.data(), N * C);
    float* x_next = l + 1 < c.n_layer ? acts.blocks[l + 1].x_in.data() : acts.x_out.data();
    ops.mul_forward(x_next, a.fr.data(), a.fv.data(), N * C);
    ops.add_inplace(x_next, a.x_mid.data(), N * C);
    if (state_out) {  // token-shift carries: the last LayerNorm outputs of each sequence
      const LayerStateView so = state_out->layer(l);
      ops.copy_last_rows(so.att_x, a.ln1.data(), B, T, C);
      ops.copy_last_rows(so.ffn_x, a.ln2.data(), B, T, C);
    }
  }
  ops.layernorm_forward(acts.xf.data(), acts.lnf_mean.data(), acts.lnf_rstd.data(), acts.x_out.data(), p.ln_out_w,
                        p.ln_out_b, N, C);
  head_forward(ops, c, p, acts.xf.data(), N, acts.logits.data());
}

// Backward of forward() given dlogits in acts.logits; accumulates into the gradient view g (the
// caller zeroes it). Uses the same chunk length as the forward.
template <class Ops>
void backward(const Ops& ops, const ModelConfig& c, const ModelView& p, const ModelView& g, ActivationsT<Ops>& acts,
              const ForwardOptions& opt) {
  const int64_t B = acts.B, T = acts.T, N = B * T, C = c.n_embd, A = c.dim_att, F = c.dim_ffn;
  auto zeroed = [&ops](auto& buf) {
    ops.zero(buf.data(), static_cast<int64_t>(buf.size()));
    return buf.data();
  };
  const float* dlogits = acts.logits.data();

  // head and ln_out: dx is the gradient of the residual stream after the last block
  float* dxf = zeroed(acts.gC[0]);
  head_backward(ops, c, p, g, dlogits, acts.xf.data(), dxf, N);
  float* dx = zeroed(acts.gC[1]);
  ops.layernorm_backward(dx, g.ln_out_w, g.ln_out_b, dxf, acts.x_out.data(), p.ln_out_w, acts.lnf_mean.data(),
                         acts.lnf_rstd.data(), N, C);

  for (int l = c.n_layer - 1; l >= 0; --l) {
    const BlockView& w = p.blocks[l];
    const BlockView& gw = g.blocks[l];
    auto& a = acts.blocks[l];
    const LayerStateView* sin = nullptr;
    LayerStateView sin_view{};
    if (acts.state_in) {
      sin_view = acts.state_in->layer(l);
      sin = &sin_view;
    }
    // channel-mix: out = x_mid + fr * fv
    float* dx_mid = acts.gC[2].data();
    ops.copy(dx_mid, dx, N * C);
    float* dfr = zeroed(acts.gC[3]);
    float* dfv = zeroed(acts.gC[4]);
    ops.mul_backward(dfr, dfv, dx, a.fr.data(), a.fv.data(), N * C);
    float* dfr_pre = zeroed(acts.gC[0]);
    ops.sigmoid_backward(dfr_pre, dfr, a.fr.data(), N * C);
    float* dfk = zeroed(acts.gF[0]);
    ops.matmul_backward(dfk, gw.ffn_value, dfv, a.fk.data(), w.ffn_value, N, F, C);
    float* dfk_pre = zeroed(acts.gF[1]);
    ops.relu_square_backward(dfk_pre, dfk, a.fk_pre.data(), N * F);
    float* dfxk = zeroed(acts.gC[3]);
    ops.matmul_backward(dfxk, gw.ffn_key, dfk_pre, a.fxk.data(), w.ffn_key, N, C, F);
    float* dfxr = zeroed(acts.gC[4]);
    ops.matmul_backward(dfxr, gw.ffn_receptance, dfr_pre, a.fxr.data(), w.ffn_receptance, N, C, C);
    float* dln2 = zeroed(acts.gC[5]);
    const float* prev_ffn = sin ? sin->ffn_x : nullptr;
    ops.token_shift_mix_backward(dln2, static_cast<float*>(nullptr), gw.ffn_time_mix_k, dfxk, a.ln2.data(),
                                 prev_ffn, w.ffn_time_mix_k, B, T, C);
    ops.token_shift_mix_backward(dln2, static_cast<float*>(nullptr), gw.ffn_time_mix_r, dfxr, a.ln2.data(),
                                 prev_ffn, w.ffn_time_mix_r, B, T, C);
    ops.layernorm_backward(dx_mid, gw.ln2_w, gw.ln2_b, dln2, a.x_mid.data(), w.ln2_w, a.ln2_mean.data(),
                           a.ln2_rstd.data(), N, C);

    // time-mix: x_mid = x_in + (r * y) @ W_o^T
    float* dx_in = dx;  // the block-output gradient is no longer needed
    ops.copy(dx_in, dx_mid, N * C);
    float* dry = zeroed(acts.gA[0]);
    ops.matmul_backward(dry, gw.att_output, dx_mid, a.ry.data(), w.att_output, N, A, C);
    float* dr = zeroed(acts.gA[1]);
    float* dy = zeroed(acts.gA[2]);
    ops.mul_backward(dr, dy, dry, a.r.data(), a.y.data(), N * A);
    float* dr_pre = zeroed(acts.gA[0]);
    ops.sigmoid_backward(dr_pre, dr, a.r.data(), N * A);
    float* dk = acts.gA[3].data();
    float* dv = acts.gA[4].data();
    kernels::Wkv4ConstState<float> wkv_in;
    if (sin) wkv_in = {sin->aa, sin->bb, sin->pp};
    ops.wkv4_backward(dk, dv, gw.att_time_decay, gw.att_time_first, kernels::Wkv4State<float>{}, dy,
                      kernels::Wkv4ConstState<float>{}, w.att_time_decay, w.att_time_first, a.k.data(), a.v.data(),
                      a.y.data(), a.wkv_boundary.data(), wkv_in, B, T, A, opt.wkv);
    float* dxk = zeroed(acts.gC[3]);
    ops.matmul_backward(dxk, gw.att_key, dk, a.xk.data(), w.att_key, N, C, A);
    float* dxv = zeroed(acts.gC[4]);
    ops.matmul_backward(dxv, gw.att_value, dv, a.xv.data(), w.att_value, N, C, A);
    float* dxr = zeroed(acts.gC[0]);
    ops.matmul_backward(dxr, gw.att_receptance, dr_pre, a.xr.data(), w.att_receptance, N, C, A);
    float* dln1 = zeroed(acts.gC[5]);
    const float* prev_att = sin ? sin->att_x : nullptr;
    ops.token_shift_mix_backward(dln1, static_cast<float*>(nullptr), gw.att_time_mix_k, dxk, a.ln1.data(),
                                 prev_att, w.att_time_mix_k, B, T, C);
    ops.token_shift_mix_backward(dln1, static_cast<float*>(nullptr), gw.att_time_mix_v, dxv, a.ln1.data(),
                                 prev_att, w.att_time_mix_v, B, T, C);
    ops.token_shift_mix_backward(dln1, static_cast<float*>(nullptr), gw.att_time_mix_r, dxr, a.ln1.data(),
                                 prev_att, w.att_time_mix_r, B, T, C);
    ops.layernorm_backward(dx_in, gw.ln1_w, gw.ln1_b, dln1, a.x_in.data(), w.ln1_w, a.ln1_mean.data(),
                           a.ln1_rstd.data(), N, C);
    if (l == 0) {
      float* demb = zeroed(acts.gC[2]);
      ops.layernorm_backward(demb, gw.ln0_w, gw.ln0_b, dx_in, acts.emb.data(), w.ln0_w, acts.ln0_mean.data(),
                             acts.ln0_rstd.data(), N, C);
      input_backward(ops, c, p, g, acts.tokens.size() ? acts.tokens.data() : nullptr, acts.frames_norm.data(),
                     demb, N);
    }
  }
}

}  // namespace graph
}  // namespace rwkvs
