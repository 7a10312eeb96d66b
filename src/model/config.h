#pragma once
// Architecture sizes and the description of a model's input and head. Stored as JSON under the
// safetensors metadata key "rwkvs.config", so a model file alone is enough to run it.
//
// Inputs:  "tokens": ids fed to emb.weight [V, C]; tokenizer "bytes" (text), "ids" (given ids) or
//                    "mulaw" (one token per audio sample; the frontend holds the sample rate).
//          "frames": float feature frames [F] normalised by the stored training-set statistics
//                    (input_norm.*) and projected by input_proj (Linear F -> C with bias); the
//                    frontend JSON holds the full feature settings.
// Heads:   "lm":      next-token logits, head.weight [V, C].
//          "classes": per-frame class logits, cls_head (Linear C -> K with bias); an utterance's
//                     label comes from its last frame ("last") or the mean of its frames ("mean").
//          "ctc":     per-position logits over a character vocabulary (labels; labels[0] is the CTC
//                     blank), the same cls_head parameters; trained with the CTC loss.
// frame_stack (frames input): s consecutive feature frames are concatenated into one position of
// s * F values (input_dim = s * F), so the trunk runs at 1/s of the frame rate (CTC models).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rwkvs {

struct ModelConfig {
  std::string arch = "rwkv4";  // rwkv4 | rwkv7 (x070, ../shared/reference/rwkv7-spec.md)
  int n_layer = 0;     // L
  int n_embd = 0;      // C, residual width
  int dim_att = 0;     // A, time-mix width (C in every released RWKV-4)
  int dim_ffn = 0;     // F, channel-mix hidden width (4C in every released RWKV-4)
  int vocab_size = 0;  // V: token vocabulary (tokens input) and lm-head outputs; 0 when unused
  // rwkv7 only: head size N (C / N heads) and the LoRA ranks of decay, in-context rate, value
  // residual and gate (taken from the tensor shapes of a file; defaults: the official suggestion).
  int head_size = 0;
  int lora_w = 0, lora_a = 0, lora_v = 0, lora_g = 0;
  std::string input_kind = "tokens";  // tokens | frames
  std::string tokenizer = "bytes";    // tokens input: bytes | ids | mulaw
  int input_dim = 0;                  // frames input: values per position (frame_stack x features)
  int frame_stack = 1;                // frames input: feature frames per position
  nlohmann::json frontend;            // audio models: FrontendConfig JSON (null for text)
  std::string head_kind = "lm";       // lm | classes | ctc
  std::vector<std::string> labels;    // classes head: K names; ctc head: the vocabulary, blank first
  std::string pool = "last";          // classes head: last | mean
  // classes head: the keyword detector's settings calibrated for this model (null: the defaults),
  // {"threshold": 0.93, "smooth_ms": 300, "refractory_ms": 300, "target_fa_per_hour": 2, "calibrated_on": "..."}
  nlohmann::json detector;
  int64_t train_step = 0;             // optimizer steps taken so far

  bool rwkv7() const { return arch == "rwkv7"; }
  int n_head() const { return rwkv7() ? n_embd / head_size : 0; }
  const char* arch_title() const { return rwkv7() ? "RWKV-7" : "RWKV-4"; }  // for messages
  bool frames_input() const { return input_kind == "frames"; }
  bool classes_head() const { return head_kind == "classes"; }
  bool ctc_head() const { return head_kind == "ctc"; }
  // The head is cls_head (Linear C -> labels.size() with bias): classes and ctc; lm uses head.weight.
  bool labels_head() const { return classes_head() || ctc_head(); }
  // Width of the head's output: V for lm, the labels for classes and ctc.
  int output_dim() const { return labels_head() ? static_cast<int>(labels.size()) : vocab_size; }

  // Checks sizes are positive and consistent; 'source' names the file or flag they came from.
  void validate(const std::string& source) const;

  nlohmann::json to_json() const;
  // Reads the JSON written by to_json(); 'source' is used in error messages.
  static ModelConfig from_json(const nlohmann::json& j, const std::string& source);

  // The RWKV-4 default shape with token input and an lm head: dim_att = C, dim_ffn = 4C.
  static ModelConfig rwkv4(int n_layer, int n_embd, int vocab_size);
  // The RWKV-7 shape with token input and an lm head: dim_ffn = 4C, head size 64 (or C when C < 64),
  // LoRA ranks as the official trainer suggests for C (max(32, round(k sqrt(C) / 32) * 32)).
  static ModelConfig rwkv7(int n_layer, int n_embd, int vocab_size);
};

}  // namespace rwkvs
