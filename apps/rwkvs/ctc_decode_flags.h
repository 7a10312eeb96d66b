#pragma once
// The CTC decoding flags shared by `rwkvs stream` and `rwkvs eval` on speech recognisers: one set of
// names, defaults and checks (--beam, --beam-top-k, --lm, --lm-weight, --length-bonus, and for the
// stream the endpoint rules in seconds).
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "src/infer/byte_lm_fusion.h"
#include "src/infer/ctc_transcriber.h"
#include "src/model/model.h"

namespace rwkvs::app {

struct CtcDecodeFlags {
  int beam = 1;
  int top_k = CtcBeamOptions{}.top_k;
  std::string lm;
  double lm_weight = CtcBeamOptions{}.lm_weight;
  double length_bonus = CtcBeamOptions{}.length_bonus;
  double endpoint_silence_s = CtcEndpointRules{}.trailing_silence_s;
  double max_segment_s = CtcEndpointRules{}.max_segment_s;

  // with_endpoints: also --endpoint-silence and --max-segment (stream).
  void add_to(CLI::App* cmd, bool with_endpoints);
  // The flags as transcriber options; usage errors name the flag.
  CtcTranscriberOptions options() const;
  // "greedy", "beam 8" or "beam 8 + lm.safetensors (weight 0.5)".
  std::string describe() const;
};

// The language model of --lm loaded and wrapped for fusion with a CTC model's vocabulary (null
// without --lm). The Model lives as long as the returned object.
class LoadedFusionLm {
 public:
  LoadedFusionLm(const CtcDecodeFlags& flags, const std::vector<std::string>& vocab);
  const CtcLanguageModel* get() const { return fusion_.get(); }
  const ByteLmFusion* fusion() const { return fusion_.get(); }

 private:
  std::unique_ptr<Model> model_;
  std::unique_ptr<ByteLmFusion> fusion_;
};

}  // namespace rwkvs::app
