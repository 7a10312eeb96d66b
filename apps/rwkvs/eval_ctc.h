#pragma once
// rwkvs eval for CTC speech recognisers: CER and WER on a transcribed manifest, offline and (with
// --stream) through stream sessions, with the worst utterances listed.
#include <string>

#include "apps/rwkvs/ctc_decode_flags.h"
#include "src/model/model.h"

namespace rwkvs::app {

struct CtcEvalArgs {
  std::string model_path, data, device = "cpu", precision = "fp32";
  int64_t batch = 16;
  CtcDecodeFlags decode;  // --beam, --beam-top-k, --lm, --lm-weight, --length-bonus
  int worst = 5;
  bool json = false, stream = false, by_speaker = false;
  double chunk_s = 0.1;
};

void eval_ctc(const Model& model, const CtcEvalArgs& a);

}  // namespace rwkvs::app
