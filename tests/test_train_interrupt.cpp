// Ctrl-C (SIGINT) and SIGTERM during `rwkvs train`: the run saves a checkpoint at the step it reached,
// exits with 130, and --resume continues from that step.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "base/rng.h"
#include "src/model/checkpoint.h"
#include "tests/support.h"

using namespace rwkvs;
namespace fs = std::filesystem;

namespace {

std::string text_file(const std::string& dir) {
  std::string t;
  Rng rng(5);
  const char* words[] = {"and ", "it ", "came ", "to ", "pass ", ". "};
  while (t.size() < 20000) t += words[rng.below(6)];
  test::write_text(dir + "/t.txt", t);
  return dir + "/t.txt";
}

// Starts training for many steps, sends 'signal' once step 5 is printed, returns the exit status.
int train_and_signal(const std::string& dir, const std::string& out, const char* signal, std::string* log) {
  const std::string cmd = test::cli() + " train --task text --data " + text_file(dir) + " --out " + out +
                          " --layers 1 --embd 16 --ctx 16 --batch 2 --steps 1000000 --log-every 1"
                          " --eval-every 1000000 --threads 1";
  const std::string script = "( " + cmd + " > " + dir + "/progress.txt 2>&1 & pid=$!; "
                             "for i in $(seq 600); do grep -q '^step 5/' " + dir + "/progress.txt && break; "
                             "sleep 0.05; done; kill -" + signal + " $pid; wait $pid; echo \"status=$?\" )";
  test::run(script, log);
  const size_t at = log->rfind("status=");
  REQUIRE(at != std::string::npos);
  return std::stoi(log->substr(at + 7));
}

}  // namespace

TEST_CASE("SIGINT and SIGTERM save the step reached, exit 130, and --resume continues") {
  for (const char* signal : {"INT", "TERM"}) {
    CAPTURE(signal);
    const std::string dir = test::temp_dir(std::string("train_interrupt_") + signal);
    const std::string out = dir + "/run";
    std::string log;
    CHECK(train_and_signal(dir, out, signal, &log) == 130);
    const std::string progress = test::read_text(dir + "/progress.txt");
    INFO(progress);
    CHECK(progress.find("interrupted at step") != std::string::npos);
    REQUIRE(fs::exists(out + "/model.safetensors"));
    const int64_t saved = load_model(out + "/model.safetensors").config().train_step;
    CHECK(saved >= 5);
    // The log's last training step is the saved one.
    int64_t last = 0;
    std::ifstream in(out + "/train_log.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      const auto j = nlohmann::json::parse(line);
      if (j.contains("loss")) last = j.at("step").get<int64_t>();
    }
    CHECK(last == saved);
    std::string resumed;
    REQUIRE(test::run(test::cli() + " train --task text --data " + dir + "/t.txt --out " + out + " --resume --steps " +
                          std::to_string(saved + 3) + " --threads 1",
                      &resumed) == 0);
    CHECK(resumed.find("resuming " + out + "/model.safetensors at step " + std::to_string(saved)) != std::string::npos);
    CHECK(load_model(out + "/model.safetensors").config().train_step == saved + 3);
  }
}
