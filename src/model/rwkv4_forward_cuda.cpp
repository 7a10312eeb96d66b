#include "src/model/rwkv4_forward_cuda.h"

#include "base/error.h"

#ifdef RWKVS_HAVE_CUDA
#include "kernels/cuda/activations.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/embedding.h"
#include "kernels/cuda/layernorm.h"
#include "kernels/cuda/matmul.h"
#include "kernels/cuda/token_shift.h"
#include "kernels/cuda/wkv4.h"
#endif

namespace rwkvs {

#ifdef RWKVS_HAVE_CUDA
namespace cu = kernels::cuda;

struct CudaForward::Impl {
  cu::OwnedCudaContext ctx;
  ModelConfig config;
  ParamLayout layout;
  cu::DeviceBuffer<float> params;
  ModelView view;  // pointers into 'params' (device memory)

  explicit Impl(const Model& m)
      : config(m.config()), layout(m.layout()), params(m.params_size()) {
    params.upload(ctx, m.params(), m.params_size());
    view = make_view(layout, params.data(), config.n_layer);
  }
};

CudaForward::CudaForward(const Model& model) {
  const ModelConfig& c = model.config();
  if (c.frames_input() || c.classes_head())
    fail("--device cuda: the GPU forward covers token-input language models so far; this model has ",
         c.input_kind, " input and a ", c.head_kind, " head (use --device cpu)");
  try {
    impl_ = std::make_unique<Impl>(model);
  } catch (const Error& e) {
    fail("--device cuda: no usable GPU (", e.what(), ")");
  }
}

CudaForward::~CudaForward() = default;

std::vector<float> CudaForward::logits(const int32_t* tokens, int64_t B, int64_t T, const kernels::Wkv4Options& wkv) {
  const ModelConfig& c = impl_->config;
  const cu::CudaContext& ctx = impl_->ctx;
  const ModelView& p = impl_->view;
  if (B < 1 || T < 1) fail("cuda forward: batch and length must be positive, got B=", B, " T=", T);
  const int64_t N = B * T, C = c.n_embd, A = c.dim_att, F = c.dim_ffn, V = c.vocab_size;
  for (int64_t i = 0; i < N; ++i)
    if (tokens[i] < 0 || tokens[i] >= V) fail("cuda forward: token ", tokens[i], " at ", i, " is outside [0, ", V, ")");
  cu::DeviceBuffer<int32_t> ids(static_cast<size_t>(N));
  ids.upload(ctx, tokens, static_cast<size_t>(N));
  // Working buffers, reused by every block (inference keeps no activations for a backward pass).
  auto buf = [](int64_t n) { return cu::DeviceBuffer<float>(static_cast<size_t>(n)); };
  cu::DeviceBuffer<float> x = buf(N * C), ln = buf(N * C), xk = buf(N * C), xv = buf(N * C), xr = buf(N * C),
                          x_mid = buf(N * C), mean = buf(N), rstd = buf(N), k = buf(N * A), v = buf(N * A),
                          r = buf(N * A), y = buf(N * A), fk = buf(N * F), fv = buf(N * C), fr = buf(N * C),
                          boundary = buf(static_cast<int64_t>(kernels::wkv4_boundary_size(B, T, A, wkv.chunk_len))),
                          out = buf(N * V);
  cu::embedding_forward(ctx, ln.data(), ids.data(), p.emb, N, C);
  for (int l = 0; l < c.n_layer; ++l) {
    const BlockView& w = p.blocks[l];
    if (l == 0) cu::layernorm_forward(ctx, x.data(), mean.data(), rstd.data(), ln.data(), w.ln0_w, w.ln0_b, N, C);
    // time-mix
    cu::layernorm_forward(ctx, ln.data(), mean.data(), rstd.data(), x.data(), w.ln1_w, w.ln1_b, N, C);
    cu::token_shift_mix_forward(ctx, xk.data(), ln.data(), nullptr, w.att_time_mix_k, B, T, C);
    cu::token_shift_mix_forward(ctx, xv.data(), ln.data(), nullptr, w.att_time_mix_v, B, T, C);
    cu::token_shift_mix_forward(ctx, xr.data(), ln.data(), nullptr, w.att_time_mix_r, B, T, C);
    cu::matmul_forward(ctx, k.data(), xk.data(), w.att_key, N, C, A);
    cu::matmul_forward(ctx, v.data(), xv.data(), w.att_value, N, C, A);
    cu::matmul_forward(ctx, r.data(), xr.data(), w.att_receptance, N, C, A);
    cu::sigmoid_forward(ctx, r.data(), r.data(), N * A);
    cu::wkv4_forward(ctx, y.data(), boundary.data(), kernels::Wkv4State<float>{}, w.att_time_decay, w.att_time_first,
                     k.data(), v.data(), kernels::Wkv4ConstState<float>{}, B, T, A, wkv);
    cu::mul_forward(ctx, y.data(), r.data(), y.data(), N * A);
    // x_mid = x + att_output(r * y)
    cu::matmul_forward(ctx, x_mid.data(), y.data(), w.att_output, N, A, C);
    cu::add_inplace(ctx, x_mid.data(), x.data(), N * C);
    // channel-mix
    cu::layernorm_forward(ctx, ln.data(), mean.data(), rstd.data(), x_mid.data(), w.ln2_w, w.ln2_b, N, C);
    cu::token_shift_mix_forward(ctx, xk.data(), ln.data(), nullptr, w.ffn_time_mix_k, B, T, C);
    cu::token_shift_mix_forward(ctx, xr.data(), ln.data(), nullptr, w.ffn_time_mix_r, B, T, C);
    cu::matmul_forward(ctx, fk.data(), xk.data(), w.ffn_key, N, C, F);
    cu::relu_square_forward(ctx, fk.data(), fk.data(), N * F);
    cu::matmul_forward(ctx, fv.data(), fk.data(), w.ffn_value, N, F, C);
    cu::matmul_forward(ctx, fr.data(), xr.data(), w.ffn_receptance, N, C, C);
    cu::sigmoid_forward(ctx, fr.data(), fr.data(), N * C);
    // x = x_mid + fr * fv
    cu::mul_forward(ctx, x.data(), fr.data(), fv.data(), N * C);
    cu::add_inplace(ctx, x.data(), x_mid.data(), N * C);
  }
  cu::layernorm_forward(ctx, ln.data(), mean.data(), rstd.data(), x.data(), p.ln_out_w, p.ln_out_b, N, C);
  cu::matmul_forward(ctx, out.data(), ln.data(), p.head, N, C, V);
  std::vector<float> host(static_cast<size_t>(N * V));
  out.download(ctx, host.data(), host.size());
  impl_->ctx.synchronize();
  return host;
}

#else

struct CudaForward::Impl {};

CudaForward::CudaForward(const Model& model) {
  (void)model;
  fail("--device cuda: this rwkvs was built without CUDA (configure with nvcc on the PATH and -DRWKVS_CUDA=ON)");
}
CudaForward::~CudaForward() = default;
std::vector<float> CudaForward::logits(const int32_t*, int64_t, int64_t, const kernels::Wkv4Options&) { return {}; }

#endif

}  // namespace rwkvs
