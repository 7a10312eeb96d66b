#pragma once
// Where a model's forward, backward and optimizer step run: the CPU or an NVIDIA GPU. Trainers,
// evaluations and inspection commands talk to this interface, so one code path serves both
// devices and the GPU path is the CPU path with other kernels (src/model/model_engine.h).
// Inputs, logits, states and losses cross the interface in host memory; weights, gradients and
// AdamW moments stay on the device and are copied only when asked (checkpoints).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "src/model/model.h"
#include "src/model/model_io.h"
#include "src/model/rwkv4_graph.h"
#include "src/model/state.h"
#include "src/train/optimizer.h"

namespace rwkvs {

// The processes of a data-parallel job, as an engine needs them (src/dist fills it in from MPI).
struct RankGroup {
  int rank = 0, size = 1;
  double timeout_s = 600;
  std::function<void(float* data, size_t n)> host_sum;           // in-place sum over ranks, host memory
  std::function<void(int64_t* data, size_t n)> broadcast_i64;    // rank 0's values to every rank
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual const ModelConfig& config() const = 0;
  // "cpu (N threads)" or the GPU's name.
  virtual std::string device_name() const = 0;

  // Parallel forward of B sequences of T positions (validated as rwkv4_forward does); logits
  // (B*T*output_dim) to 'logits'. state (batch B), when given, is the state before the first
  // position and is replaced by the state after the last (generation and streaming chain calls).
  virtual void forward(const ModelInput& input, int64_t B, int64_t T, RecurrentState* state, float* logits,
                       const ForwardOptions& opt = {}) = 0;
  std::vector<float> logits(const ModelInput& input, int64_t B, int64_t T, const ForwardOptions& opt = {});

  // Training. Gradients accumulate, laid out like the parameters, until zero_grads().
  virtual void zero_grads() = 0;
  // Forward, cross-entropy over targets >= 0 and backward (token LMs): returns the mean loss and
  // accumulates grad_scale * its gradient.
  virtual double lm_forward_backward(const int32_t* tokens, const int32_t* targets, int64_t B, int64_t T,
                                     float grad_scale = 1.0f, const ForwardOptions& opt = {}) = 0;
  // Forward, a loss computed on the host, backward: 'loss' receives the logits (B*T*output_dim),
  // overwrites them with d(loss)/d(logits) and returns the loss (classification heads).
  using HostLoss = std::function<double(float* logits)>;
  virtual double forward_backward(const ModelInput& input, int64_t B, int64_t T, const HostLoss& loss,
                                  const ForwardOptions& opt = {}) = 0;
  // The mean cross-entropy of targets >= 0 without gradients (evaluation).
  virtual double lm_loss(const int32_t* tokens, const int32_t* targets, int64_t B, int64_t T,
                         const ForwardOptions& opt = {}) = 0;
  // Data parallelism: replaces the gradients by their mean over the ranks and returns the mean of
  // 'loss', with one fused allreduce (MPI on host memory; NCCL between GPUs).
  virtual double average_across(const RankGroup& ranks, double loss) = 0;
  virtual void get_grads(float* host) = 0;        // params_size floats
  virtual void set_grads(const float* host) = 0;  // e.g. after a sum across processes
  // Gradient clipping and AdamW exactly as AdamW::step (src/train/optimizer.h). Returns the norm
  // before clipping; throws (parameters untouched) when it is not finite.
  virtual double adamw_step(const OptimizerConfig& config, double lr, int64_t step) = 0;
  virtual void set_moments(const AdamW& optimizer) = 0;
  virtual void get_moments(AdamW& optimizer) = 0;
  virtual void get_params(Model& model) = 0;
  // Waits for all queued work (a GPU runs asynchronously; the CPU has nothing to wait for).
  virtual void synchronize() = 0;
};

// "cpu" or "cuda" (precision: the GPU's matmul mode, fp32 | tf32 | bf16; the CPU takes fp32 only).
// Errors name --device / --precision: no CUDA in this build, no usable GPU.
std::unique_ptr<Engine> make_engine(const std::string& device, const Model& model,
                                    const std::string& precision = "fp32");

// Checks a --device / --precision pair before any work (UsageError naming the flag).
void validate_device_flags(const std::string& device, const std::string& precision);

}  // namespace rwkvs
