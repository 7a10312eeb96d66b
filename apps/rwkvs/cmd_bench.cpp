// rwkvs bench: the parent of the benchmark subcommands (one file each: bench_<name>.cpp).
#include "apps/rwkvs/commands.h"

namespace rwkvs::app {

void add_bench_command(CLI::App& app) {
  CLI::App* bench = app.add_subcommand("bench", "Measure speed (after checking results against a reference)");
  bench->require_subcommand(1);
  add_bench_wkv(*bench);
  add_bench_train(*bench);
  add_bench_generate(*bench);
  add_bench_features(*bench);
  add_bench_stream(*bench);
}

}  // namespace rwkvs::app
