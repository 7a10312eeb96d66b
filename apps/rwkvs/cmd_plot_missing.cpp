// `rwkvs plot` in a build without cairo (RWKVS_PLOT=OFF, or AUTO with cairo absent): the command
// stays listed so scripts get a clear reason instead of "unknown subcommand", whichever of its
// subcommands (train, stream, det) they ask for.
#include <CLI/CLI.hpp>

#include "apps/rwkvs/commands.h"
#include "base/error.h"

namespace rwkvs::app {

void add_plot_command(CLI::App& app) {
  CLI::App* plot = app.add_subcommand("plot", "Draw pictures: train, stream, det (unavailable: built without cairo)");
  plot->allow_extras();
  plot->callback([] {
    fail_usage("rwkvs plot: this build has no cairo; install libcairo2-dev and reconfigure "
               "with -DRWKVS_PLOT=ON");
  });
}

}  // namespace rwkvs::app
