#pragma once
// The frontend settings a model was trained with, stored as JSON inside the model file so that
// streaming and evaluation use exactly the same features with no flags.
//   {"type": "fbank", "fbank": {...FbankOptions...}}            frames of log mel filterbanks
//   {"type": "mel",   "mel":   {...MelSpectrogramOptions...}}    torchaudio-style log-mel
//   {"type": "mfcc",  "mfcc":  {"base": "mel", "num_ceps": 13, "cepstral_lifter": 0, "mel": {...}}}
//   {"type": "mulaw", "sample_rate": 16000}                      one token per sample (audio LM)
// Framed types may add a stage over the frames:
//   "cmvn": {"type": "sliding", "cmn_window": 300, "min_window": 100, "center": false, "norm_vars": false}
// (absent: no CMVN; models trained before CMVN existed have none).
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "frontends/audio/fbank.h"
#include "frontends/audio/feature_computer.h"
#include "frontends/audio/feature_pipeline.h"
#include "frontends/audio/melspec.h"
#include "frontends/audio/mfcc.h"

namespace rwkvs {

struct FrontendConfig {
  std::string type = "fbank";  // fbank | mel | mfcc | mulaw
  FbankOptions fbank;
  MelSpectrogramOptions mel;
  MfccOptions mfcc;
  double mulaw_sample_rate = 16000;
  std::optional<SlidingCmvnOptions> cmvn;  // framed types: sliding-window CMVN after the features

  double sample_rate() const;
  bool is_framed() const { return type != "mulaw"; }
  // The feature computer for framed types (validates the options; Error names the bad one).
  std::shared_ptr<const FeatureComputer> make_computer() const;
  // The computer and the frame stages (CMVN): what training, evaluation and streaming all run.
  FeaturePipeline make_pipeline() const;

  nlohmann::json to_json() const;
  // Unknown types, unknown enum names and wrong value types are errors naming 'source'.
  static FrontendConfig from_json(const nlohmann::json& j, const std::string& source);
};

}  // namespace rwkvs
