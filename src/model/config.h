#pragma once
// Architecture sizes and the description of a model's input and head. Stored as JSON under the
// safetensors metadata key "rwkvs.config", so a model file alone is enough to run it.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace rwkvs {

struct ModelConfig {
  int n_layer = 0;     // L
  int n_embd = 0;      // C, residual width
  int dim_att = 0;     // A, time-mix width (C in every released RWKV-4)
  int dim_ffn = 0;     // F, channel-mix hidden width (4C in every released RWKV-4)
  int vocab_size = 0;  // V, input embedding rows and lm-head outputs
  std::string tokenizer = "bytes";  // how text becomes ids: "bytes" (vocab 256) or "ids" (given)
  int64_t train_step = 0;           // optimizer steps taken so far

  // Checks sizes are positive and consistent; 'source' names the file or flag they came from.
  void validate(const std::string& source) const;

  nlohmann::json to_json() const;
  // Reads the JSON written by to_json(); 'source' is used in error messages.
  static ModelConfig from_json(const nlohmann::json& j, const std::string& source);

  // The RWKV-4 default shape: dim_att = C, dim_ffn = 4C.
  static ModelConfig rwkv4(int n_layer, int n_embd, int vocab_size);
};

}  // namespace rwkvs
