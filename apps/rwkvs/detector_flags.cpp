#include "apps/rwkvs/detector_flags.h"

#include "base/error.h"

namespace rwkvs::app {

void DetectorFlags::add_to(CLI::App* cmd, const std::string& help_prefix) {
  threshold_flag = cmd->add_option("--threshold", threshold,
                                   help_prefix + "smoothed posterior at which a keyword fires (default: the "
                                                 "model's calibrated threshold, else this)")
                       ->capture_default_str();
  smooth_flag = cmd->add_option("--smooth-ms", smooth_ms, help_prefix + "moving-average window over the posteriors, in ms")
                    ->capture_default_str();
  refractory_flag = cmd->add_option("--refractory-ms", refractory_ms,
                                    help_prefix + "time after an event before its keyword can fire again")
                        ->capture_default_str();
}

DetectorOptions DetectorFlags::options() const { return options(nullptr, ""); }

DetectorOptions DetectorFlags::options(const nlohmann::json& stored, const std::string& model) const {
  double t = DetectorOptions{}.threshold, s = DetectorOptions{}.smooth_s * 1000, r = DetectorOptions{}.refractory_s * 1000;
  if (stored.is_object()) {
    auto read = [&](const char* key, double& out) {
      if (!stored.contains(key)) return;
      if (!stored.at(key).is_number()) fail("'", model, "': detector setting '", key, "' is not a number");
      out = stored.at(key).get<double>();
    };
    read("threshold", t);
    read("smooth_ms", s);
    read("refractory_ms", r);
    if (!(t > 0 && t <= 1) || !(s >= 0) || !(r >= 0))
      fail("'", model, "': its stored detector settings are out of range (", stored.dump(), ")");
  }
  // Flags given win; without the CLI (no options registered) the members are the values.
  auto given = [](const CLI::Option* o) { return o == nullptr || o->count() > 0; };
  if (given(threshold_flag)) t = threshold;
  if (given(smooth_flag)) s = smooth_ms;
  if (given(refractory_flag)) r = refractory_ms;
  if (!(t > 0 && t <= 1)) fail_usage("--threshold must be in (0, 1], got ", t);
  if (!(s >= 0)) fail_usage("--smooth-ms must be >= 0, got ", s);
  if (!(r >= 0)) fail_usage("--refractory-ms must be >= 0, got ", r);
  return DetectorOptions{t, s / 1000, r / 1000};
}

}  // namespace rwkvs::app
