#pragma once
// Engine (src/model/engine.h) written once over a backend: ModelEngine<CpuOps> runs on the host and
// ModelEngine<CudaOps> on a GPU, with the same graph (rwkv4_graph.h, or rwkv7_graph.h for RWKV-7
// on a backend that has its ops), loss bookkeeping, state carrying and AdamW loop. The CPU instance is what the CPU tests exercise, so the GPU instance
// differs from tested code only in its kernels and copies.
//
// Beyond the graph's ops, Ops provides: upload/download (host <-> backend memory),
// cross_entropy_forward/backward, sum_squares, scale_inplace, adamw_update, allreduce_sum (over a
// RankGroup), synchronize(), device_name().
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "kernels/adamw.h"
#include "src/model/engine.h"
#include "src/model/rwkv7_graph.h"

namespace rwkvs {

// A backend whose Ops carry the RWKV-7 block's kernels says so with kHasRwkv7 (CpuOps and CudaOps
// do); the engine refuses RWKV-7 models on one that does not.
template <class Ops>
constexpr bool backend_runs_rwkv7() {
  if constexpr (requires { Ops::kHasRwkv7; })
    return Ops::kHasRwkv7;
  else
    return false;
}

template <class Ops>
class ModelEngine : public Engine {
 public:
  template <class T>
  using Buffer = typename Ops::template Buffer<T>;
  using State = typename Ops::State;

  ModelEngine(const Ops& ops, const Model& model)
      : ops_(ops), config_(model.config()), layout_(model.layout()), params_(model.params_size()),
        grads_(model.params_size() + 1), m_(model.params_size()), v_(model.params_size()) {
    if (config_.rwkv7() && !backend_runs_rwkv7<Ops>())
      fail("RWKV-7 on ", ops_.device_name(), ": this backend lacks the RWKV-7 block's kernels (use --device cpu)");
    ops_.upload(params_.data(), model.params(), n_params());
    view_ = make_view(layout_, params_.data(), config_.n_layer);
    grad_view_ = make_view(layout_, grads_.data(), config_.n_layer);
  }

  const ModelConfig& config() const override { return config_; }
  std::string device_name() const override { return ops_.device_name(); }

  void forward(const ModelInput& input, int64_t B, int64_t T, RecurrentState* state, float* logits,
               const ForwardOptions& opt) override {
    if (state && state->batch() != B) fail("forward: state has batch ", state->batch(), ", input has ", B);
    if (!state) {
      run_forward(input, B, T, nullptr, nullptr, opt);
    } else {  // the state goes in and comes back through two buffers kept for the next call
      State& in = cached(state_in_, B);
      State& out = cached(state_out_, B);
      ops_.upload(in.data(), state->data(), static_cast<int64_t>(state->size()));
      run_forward(input, B, T, &in, &out, opt);
      ops_.download(state->data(), out.data(), static_cast<int64_t>(state->size()));
    }
    ops_.download(logits, logits_buffer(), B * T * config_.output_dim());
  }

  void zero_grads() override { ops_.zero(grads_.data(), n_params()); }

  double lm_forward_backward(const int32_t* tokens, const int32_t* targets, int64_t B, int64_t T,
                             float grad_scale, const ForwardOptions& opt) override {
    const double loss = lm_forward(tokens, targets, B, T, opt);
    const int64_t N = B * T;
    const float dloss = target_count_ ? grad_scale / static_cast<float>(target_count_) : 0.0f;
    ops_.cross_entropy_backward(logits_buffer(), logits_buffer(), targets_.data(), dloss, N,
                                static_cast<int64_t>(config_.vocab_size));
    run_backward(opt);
    return loss;
  }

  double lm_loss(const int32_t* tokens, const int32_t* targets, int64_t B, int64_t T,
                 const ForwardOptions& opt) override {
    return lm_forward(tokens, targets, B, T, opt);
  }

  double forward_backward(const ModelInput& input, int64_t B, int64_t T, const HostLoss& loss,
                          const ForwardOptions& opt) override {
    run_forward(input, B, T, nullptr, nullptr, opt);
    const int64_t n = B * T * config_.output_dim();
    host_logits_.resize(static_cast<size_t>(n));
    ops_.download(host_logits_.data(), logits_buffer(), n);
    const double value = loss(host_logits_.data());
    ops_.upload(logits_buffer(), host_logits_.data(), n);
    run_backward(opt);
    return value;
  }

  // The loss rides in the slot after the gradients, so the step's allreduce is one buffer in place.
  double average_across(const RankGroup& ranks, double loss) override {
    if (ranks.size <= 1) return loss;
    const float slot = static_cast<float>(loss);
    ops_.upload(grads_.data() + n_params(), &slot, 1);
    ops_.allreduce_sum(ranks, grads_.data(), n_params() + 1);
    ops_.scale_inplace(grads_.data(), 1.0f / static_cast<float>(ranks.size), n_params() + 1);
    float mean = 0;
    ops_.download(&mean, grads_.data() + n_params(), 1);
    return mean;
  }

  void get_grads(float* host) override { ops_.download(host, grads_.data(), n_params()); }
  void set_grads(const float* host) override { ops_.upload(grads_.data(), host, n_params()); }

  double adamw_step(const OptimizerConfig& config, double lr, int64_t step) override {
    const double norm = std::sqrt(ops_.sum_squares(grads_.data(), n_params()));
    if (!std::isfinite(norm))
      fail("training diverged: the gradient norm is ", norm, " at step ", step,
           " (try a lower --lr or a smaller --clip)");
    if (config.clip_norm > 0 && norm > config.clip_norm)
      ops_.scale_inplace(grads_.data(), static_cast<float>(config.clip_norm / norm), n_params());
    kernels::AdamWHyper h;
    h.lr = static_cast<float>(lr);
    h.beta1 = config.beta1;
    h.beta2 = config.beta2;
    h.eps = config.eps;
    for (const ParamInfo& p : layout_.tensors()) {  // weight decay on matrices only
      h.weight_decay = p.weight_decay ? config.weight_decay : 0.0f;
      ops_.adamw_update(params_.data() + p.offset, m_.data() + p.offset, v_.data() + p.offset,
                        grads_.data() + p.offset, static_cast<int64_t>(p.numel), h, step);
    }
    return norm;
  }

  void set_moments(const AdamW& optimizer) override {
    ops_.upload(m_.data(), optimizer.m(), n_params());
    ops_.upload(v_.data(), optimizer.v(), n_params());
  }
  void get_moments(AdamW& optimizer) override {
    ops_.download(optimizer.m(), m_.data(), n_params());
    ops_.download(optimizer.v(), v_.data(), n_params());
  }
  void synchronize() override { ops_.synchronize(); }
  void get_params(Model& model) override {
    if (model.params_size() != params_.size()) fail("engine: the model has another size than the engine's");
    ops_.download(model.params(), params_.data(), n_params());
  }

 private:
  int64_t n_params() const { return static_cast<int64_t>(params_.size()); }

  // The host input copied into backend memory, then the graph.
  void run_forward(const ModelInput& in, int64_t B, int64_t T, const State* sin, State* sout,
                   const ForwardOptions& opt) {
    if (B < 1 || T < 1) fail("forward: batch and length must be positive, got B=", B, " T=", T);
    const int64_t N = B * T;
    validate_input(config_, in, N, "forward");
    ModelInput d;
    if (config_.frames_input()) {
      fit(frames_, N * config_.input_dim);
      ops_.upload(frames_.data(), in.frames, N * config_.input_dim);
      d.frames = frames_.data();
    } else {
      fit(ids_, N);
      ops_.upload(ids_.data(), in.tokens, N);
      d.tokens = ids_.data();
    }
    if constexpr (backend_runs_rwkv7<Ops>()) {
      if (config_.rwkv7()) {
        graph7::forward(ops_, config_, view_, acts7_, d, B, T, sin, sout, Forward7Options{});
        return;
      }
    }
    graph::forward(ops_, config_, view_, acts_, d, B, T, sin, sout, opt);
  }

  void run_backward(const ForwardOptions& opt) {
    if constexpr (backend_runs_rwkv7<Ops>()) {
      if (config_.rwkv7()) {
        graph7::backward(ops_, config_, view_, grad_view_, acts7_, static_cast<State*>(nullptr), Forward7Options{});
        return;
      }
    }
    graph::backward(ops_, config_, view_, grad_view_, acts_, opt);
  }

  // The logits (and, after a loss backward, their gradient) of the last forward.
  float* logits_buffer() { return config_.rwkv7() ? acts7_.logits.data() : acts_.logits.data(); }

  // Forward and the mean cross-entropy over targets >= 0; leaves the targets in targets_ and their
  // count in target_count_ for the backward.
  double lm_forward(const int32_t* tokens, const int32_t* targets, int64_t B, int64_t T, const ForwardOptions& opt) {
    if (config_.labels_head()) fail("lm loss: this model has a ", config_.head_kind, " head");
    run_forward(ModelInput{tokens, nullptr}, B, T, nullptr, nullptr, opt);
    const int64_t N = B * T, V = config_.vocab_size;
    target_count_ = 0;
    for (int64_t i = 0; i < N; ++i) {
      if (targets[i] >= V) fail("lm loss: target ", targets[i], " at ", i, " is outside [0, ", V, ")");
      target_count_ += targets[i] >= 0;
    }
    fit(targets_, N);
    ops_.upload(targets_.data(), targets, N);
    fit(losses_, N);
    ops_.cross_entropy_forward(losses_.data(), logits_buffer(), targets_.data(), N, V);
    host_losses_.resize(static_cast<size_t>(N));
    ops_.download(host_losses_.data(), losses_.data(), N);
    double sum = 0;
    for (int64_t i = 0; i < N; ++i)
      if (targets[i] >= 0) sum += host_losses_[static_cast<size_t>(i)];
    return target_count_ ? sum / static_cast<double>(target_count_) : 0.0;
  }

  State& cached(std::unique_ptr<State>& s, int64_t B) {
    if (!s || s->batch() != B) s = std::make_unique<State>(config_, B);
    return *s;
  }

  template <class T>
  static void fit(Buffer<T>& b, int64_t n) {
    if (b.size() < static_cast<size_t>(n)) b.resize(static_cast<size_t>(n));
  }

  Ops ops_;
  ModelConfig config_;
  ParamLayout layout_;
  Buffer<float> params_, grads_, m_, v_;
  ModelView view_, grad_view_;
  ActivationsT<Ops> acts_;
  Activations7T<Ops> acts7_;  // used instead of acts_ by RWKV-7 models
  Buffer<int32_t> ids_, targets_;
  Buffer<float> frames_, losses_;
  std::unique_ptr<State> state_in_, state_out_;
  std::vector<float> host_logits_, host_losses_;
  int64_t target_count_ = 0;
};

}  // namespace rwkvs
