// rwkvs: the command-line front of rwkv-stream. Each subcommand is one file; this file only wires
// them together and turns errors into "error: ..." lines and exit codes (usage errors exit 2).
#include <cstdio>
#include <exception>

#include "apps/rwkvs/commands.h"
#include "base/error.h"
#include "src/dist/communicator.h"

namespace {

int run(int argc, char** argv) {
  CLI::App app{"rwkv-stream: train and run RWKV-4 models on long audio and text sequences"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "rwkvs 0.1.0");
  rwkvs::app::add_train_command(app);
  rwkvs::app::add_generate_command(app);
  rwkvs::app::add_logits_command(app);
  rwkvs::app::add_grads_command(app);
  rwkvs::app::add_eval_command(app);
  rwkvs::app::add_bench_command(app);
  rwkvs::app::add_features_command(app);
  rwkvs::app::add_plot_command(app);
  rwkvs::app::add_stream_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::fprintf(stderr, "error: %s (see --help)\n", e.what());
    return 2;
  } catch (const rwkvs::app::Interrupted&) {
    return 130;
  } catch (const rwkvs::UsageError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace

// A data-parallel job (mpirun) ends through the communicator: a failing rank aborts the others.
int main(int argc, char** argv) { return rwkvs::dist::finish_world(run(argc, argv)); }
