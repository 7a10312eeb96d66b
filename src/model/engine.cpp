#include "src/model/engine.h"

#include "base/error.h"
#include "src/core/threads.h"
#include "src/model/cpu_ops.h"
#include "src/model/cuda_engine.h"
#include "src/model/model_engine.h"

namespace rwkvs {

std::string CpuOps::device_name() const { return "cpu (" + std::to_string(num_threads()) + " threads)"; }

std::vector<float> Engine::logits(const ModelInput& input, int64_t B, int64_t T, const ForwardOptions& opt) {
  std::vector<float> out(static_cast<size_t>(B * T * config().output_dim()));
  forward(input, B, T, nullptr, out.data(), opt);
  return out;
}

void validate_device_flags(const std::string& device, const std::string& precision) {
  if (device != "cpu" && device != "cuda") fail_usage("--device must be cpu or cuda, got '", device, "'");
  if (precision != "fp32" && precision != "tf32" && precision != "bf16")
    fail_usage("--precision must be fp32, tf32 or bf16, got '", precision, "'");
  if (device == "cpu" && precision != "fp32")
    fail_usage("--precision ", precision, " needs --device cuda (the CPU multiplies in fp32)");
}

std::unique_ptr<Engine> make_engine(const std::string& device, const Model& model, const std::string& precision) {
  validate_device_flags(device, precision);
  if (device == "cuda") return make_cuda_engine(model, precision);
  return std::make_unique<ModelEngine<CpuOps>>(CpuOps{}, model);
}

}  // namespace rwkvs
