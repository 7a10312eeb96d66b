#pragma once
// The flags of `rwkvs features`: Kaldi's names for fbank/MFCC options, torchaudio's (kebab-case)
// for log-mel, plus input, resampling and streaming. Registration and the mapping from flag
// values to the frontend option structs live here; cmd_features.cpp runs the pipeline.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "frontends/audio/fbank.h"
#include "frontends/audio/feature_pipeline.h"
#include "frontends/audio/melspec.h"
#include "frontends/audio/mfcc.h"
#include "frontends/audio/raw_pcm.h"

namespace rwkvs::app {

struct FeaturesArgs {
  std::string input;   // path, or "-" for raw PCM on stdin
  std::string output;  // .npy
  std::string type = "fbank";
  // Input
  std::string format = "auto";  // auto (libsndfile by content) | s16le | f32le (raw PCM)
  double rate = 0;              // raw PCM sample rate
  int channels = 1;             // raw PCM channels
  double resample_to = 0;
  int64_t chunk_samples = 0;  // > 0: run the streaming path with chunks of this many samples
  bool int16_scale = false;
  // Kaldi fbank (and MFCC with --mfcc-from fbank)
  FbankOptions fbank;
  std::string window_type = "povey";
  // torchaudio log-mel (and MFCC with --mfcc-from mel)
  MelSpectrogramOptions mel;
  std::string pad_mode = "reflect", mel_scale = "htk", norm = "none", log = "ln";
  // MFCC
  std::string mfcc_from = "mel";
  int num_ceps = 13;
  double cepstral_lifter = 0;
  // Sliding-window CMVN after the features (Kaldi apply-cmvn-sliding)
  std::string cmvn = "none";
  SlidingCmvnOptions cmvn_options;

  // The flags of each group, to tell which ones were given.
  std::vector<CLI::Option*> kaldi_flags, torch_flags, mfcc_flags, raw_flags, scale_flags, cmvn_flags;
};

void add_features_options(CLI::App& sub, FeaturesArgs& args);

// Rejects flags that do not apply to the chosen --type (so they are not silently ignored) and
// raw-PCM flags on a decoded file. Throws UsageError.
void check_flag_combinations(const FeaturesArgs& args);

// The feature computer for --type fbank|mel|mfcc at the given (final) sample rate. Bad settings,
// including a sample rate too low for the mel range, are UsageErrors naming the input.
std::shared_ptr<const FeatureComputer> make_feature_computer(const FeaturesArgs& args, double sample_rate);

// The computer and, with --cmvn sliding, the CMVN stage after it.
FeaturePipeline make_feature_pipeline(const FeaturesArgs& args, double sample_rate);

RawPcmSpec raw_pcm_spec(const FeaturesArgs& args);

}  // namespace rwkvs::app
