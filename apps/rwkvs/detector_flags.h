#pragma once
// The keyword-detector flags shared by `rwkvs stream` and `rwkvs eval`: one set of names, defaults
// (those of DetectorOptions) and checks. A model may carry calibrated settings (its config's
// "detector", written by `rwkvs eval --calibrate`): they replace the defaults, and flags given on
// the command line replace them.
#include <CLI/CLI.hpp>
#include <string>

#include <nlohmann/json.hpp>

#include "src/infer/detector.h"

namespace rwkvs::app {

struct DetectorFlags {
  double threshold = DetectorOptions{}.threshold;
  double smooth_ms = DetectorOptions{}.smooth_s * 1000;
  double refractory_ms = DetectorOptions{}.refractory_s * 1000;
  CLI::Option *threshold_flag = nullptr, *smooth_flag = nullptr, *refractory_flag = nullptr;

  // --threshold, --smooth-ms, --refractory-ms; help_prefix leads each help text (e.g. "--stream: ").
  void add_to(CLI::App* cmd, const std::string& help_prefix = "");
  // The flags over the defaults. Usage errors name the flag.
  DetectorOptions options() const;
  // The flags given over the model's stored settings (null: none) over the defaults; 'model' names
  // the file in errors about stored values.
  DetectorOptions options(const nlohmann::json& stored, const std::string& model) const;
};

}  // namespace rwkvs::app
