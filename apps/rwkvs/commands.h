#pragma once
// Each subcommand lives in its own file (cmd_<name>.cpp, bench_<name>.cpp) and registers itself.
#include <CLI/CLI.hpp>

namespace rwkvs::app {

// Thrown by a command stopped by Ctrl-C after saving its work; main exits with 130.
struct Interrupted {};

void add_train_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_logits_command(CLI::App& app);
void add_grads_command(CLI::App& app);
void add_eval_command(CLI::App& app);

void add_bench_command(CLI::App& app);
void add_features_command(CLI::App& app);
void add_plot_command(CLI::App& app);
void add_stream_command(CLI::App& app);

// bench sub-subcommands
void add_bench_wkv(CLI::App& bench);
void add_bench_train(CLI::App& bench);
void add_bench_generate(CLI::App& bench);
void add_bench_features(CLI::App& bench);
void add_bench_stream(CLI::App& bench);

}  // namespace rwkvs::app
