#include "src/model/model.h"

namespace rwkvs {

Model::Model(const ModelConfig& config) : config_(config), layout_(config), params_(layout_.total()) {
  config_.validate("model config");
}

size_t Model::num_parameters() const {
  size_t n = 0;
  for (const ParamInfo& p : layout_.tensors()) n += p.numel;
  return n;
}

}  // namespace rwkvs
