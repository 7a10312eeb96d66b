#pragma once
// The keyword-detector flags shared by `rwkvs stream` and `rwkvs eval --stream`: one set of names,
// defaults (those of DetectorOptions) and checks.
#include <CLI/CLI.hpp>
#include <string>

#include "src/infer/detector.h"

namespace rwkvs::app {

struct DetectorFlags {
  double threshold = DetectorOptions{}.threshold;
  double smooth_ms = DetectorOptions{}.smooth_s * 1000;
  double refractory_ms = DetectorOptions{}.refractory_s * 1000;

  // --threshold, --smooth-ms, --refractory-ms; help_prefix leads each help text (e.g. "--stream: ").
  void add_to(CLI::App* cmd, const std::string& help_prefix = "");
  // Usage errors name the flag.
  DetectorOptions options() const;
};

}  // namespace rwkvs::app
