#include "apps/rwkvs/detector_flags.h"

#include "base/error.h"

namespace rwkvs::app {

void DetectorFlags::add_to(CLI::App* cmd, const std::string& help_prefix) {
  cmd->add_option("--threshold", threshold, help_prefix + "smoothed posterior at which a keyword fires")
      ->capture_default_str();
  cmd->add_option("--smooth-ms", smooth_ms, help_prefix + "moving-average window over the posteriors, in ms")
      ->capture_default_str();
  cmd->add_option("--refractory-ms", refractory_ms,
                  help_prefix + "time after an event before its keyword can fire again")
      ->capture_default_str();
}

DetectorOptions DetectorFlags::options() const {
  if (!(threshold > 0 && threshold <= 1)) fail_usage("--threshold must be in (0, 1], got ", threshold);
  if (!(smooth_ms >= 0)) fail_usage("--smooth-ms must be >= 0, got ", smooth_ms);
  if (!(refractory_ms >= 0)) fail_usage("--refractory-ms must be >= 0, got ", refractory_ms);
  return DetectorOptions{threshold, smooth_ms / 1000, refractory_ms / 1000};
}

}  // namespace rwkvs::app
