// Data-parallel training under mpirun (2 ranks, this machine): the same losses as one process with
// the same global batch, for the text, audio-lm and classify tasks; identical checkpoints; --resume
// with 2 ranks; and the failures that must end the job instead of hanging it (ranks that disagree,
// a rank that dies, a batch that does not divide). Skipped (77) in a build without MPI.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/rng.h"
#include "src/model/checkpoint.h"
#include "tests/support.h"
#include "tests/wav_writer.h"

using namespace rwkvs;
namespace fs = std::filesystem;

#ifndef RWKVS_HAVE_MPI

TEST_CASE("skipped: built without MPI") {
  std::puts("SKIPPED: built without MPI (Debian: apt-get install openmpi-bin libopenmpi-dev)");
  std::exit(77);
}

#else

namespace {

// Root is allowed (CI runs as root); Open MPI's own allocations are not ours to leak-check.
const std::string kEnv =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 "
    "ASAN_OPTIONS=detect_leaks=0 RWKVS_DIST_TIMEOUT_S=60 ";

std::string mpirun(int ranks) { return kEnv + "timeout 300 mpirun -np " + std::to_string(ranks) + " "; }

struct Run {
  int status = 0;
  std::string out;
};

Run run(const std::string& cmd) {
  Run r;
  r.status = test::run(cmd, &r.out);
  return r;
}

std::vector<double> losses(const std::string& dir) {
  std::vector<double> out;
  std::ifstream in(dir + "/train_log.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    if (j.contains("loss")) out.push_back(j.at("loss").get<double>());
  }
  return out;
}

void check_same_run(const std::string& one, const std::string& two, size_t steps) {
  const std::vector<double> a = losses(one), b = losses(two);
  REQUIRE(a.size() == steps);
  REQUIRE(b.size() == steps);
  for (size_t i = 0; i < steps; ++i) {
    CAPTURE(i);
    CHECK(std::fabs(a[i] - b[i]) <= 1e-5);
  }
  const Model m1 = load_model(one + "/model.safetensors"), m2 = load_model(two + "/model.safetensors");
  REQUIRE(m1.params_size() == m2.params_size());
  CHECK_ARRAYS_CLOSE(m2.params(), m1.params(), m1.params_size(), 1e-6, 0.0);
}

// Trains 'args' (ending in --out) into DIR/NAME1 as one process and DIR/NAME2 as 2 ranks, checks the
// two runs agree, and returns the 2-rank output.
std::string two_ranks_equal_one(const std::string& args, const std::string& dir, const std::string& name,
                                size_t steps) {
  const Run one = run(test::cli() + args + dir + "/" + name + "1");
  INFO(one.out);
  REQUIRE(one.status == 0);
  const Run two = run(mpirun(2) + test::cli() + args + dir + "/" + name + "2");
  INFO(two.out);
  REQUIRE(two.status == 0);
  check_same_run(dir + "/" + name + "1", dir + "/" + name + "2", steps);
  return two.out;
}

struct Data {
  std::string dir, text, tone, clips;
};

const Data& data() {
  static const Data d = [] {
    Data d;
    d.dir = test::temp_dir("mpi_train");
    d.text = d.dir + "/text.txt";
    std::string t;
    Rng rng(3);
    const char* words[] = {"in ", "the ", "beginning ", "was ", "light ", "and ", "darkness ", ". "};
    while (t.size() < 40000) t += words[rng.below(8)];
    test::write_text(d.text, t);
    // A one-second tone for audio-lm; two classes of tones for classify.
    std::vector<float> x(8000);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(0.4 * std::sin(0.2 * static_cast<double>(i)));
    d.tone = d.dir + "/tone.wav";
    test::write_wav(d.tone, test::WavSpec{1, 8000, 16, false, -1}, x);
    d.clips = d.dir + "/clips";
    for (const char* cls : {"high", "low"})
      for (int s = 0; s < 6; ++s) {
        std::vector<float> c(4000 + 400 * static_cast<size_t>(s), 0.0f);
        const double f = cls[0] == 'h' ? 0.6 : 0.1;
        for (size_t i = 800; i < c.size(); ++i) c[i] = static_cast<float>(0.3 * std::sin(f * static_cast<double>(i)));
        fs::create_directories(d.clips + "/" + cls);
        test::write_wav(d.clips + "/" + cls + "/s" + std::to_string(s) + "_nohash_0.wav", test::WavSpec{}, c);
      }
    return d;
  }();
  return d;
}

}  // namespace

TEST_CASE("text: 2 ranks with a global batch of 4 equal 1 rank with 4, losses and checkpoint") {
  const Data& d = data();
  const std::string args = " train --task text --data " + d.text +
                           " --layers 2 --embd 32 --ctx 32 --batch 4 --steps 20 --eval-every 10 --eval-tokens 1024"
                           " --threads 1 --seed 5 --out ";
  const std::string two = two_ranks_equal_one(args, d.dir, "text", 20);
  CHECK(two.find("2 ranks x 1 thread(s), 2 sequences per rank") != std::string::npos);
  // Only rank 0 prints: one "done" line.
  CHECK(two.find("done at step 20") == two.rfind("done at step 20"));

  // --resume with 2 ranks continues exactly.
  REQUIRE(run(mpirun(2) + test::cli() + args + d.dir + "/text3 --stop-at-step 8").status == 0);
  const Run resumed = run(mpirun(2) + test::cli() + args + d.dir + "/text3 --resume");
  INFO(resumed.out);
  REQUIRE(resumed.status == 0);
  check_same_run(d.dir + "/text1", d.dir + "/text3", 20);
}

TEST_CASE("audio-lm and classify: 2 ranks equal 1 rank") {
  const Data& d = data();
  const std::string alm = " train --task audio-lm --data " + d.tone +
                          " --sample-rate 8000 --layers 1 --embd 16 --ctx 256 --batch 2 --steps 6 --eval-every 3"
                          " --eval-tokens 512 --threads 1 --seed 2 --out ";
  two_ranks_equal_one(alm, d.dir, "alm", 6);

  const std::string cls = " train --task classify --data " + d.clips +
                          " --layers 1 --embd 16 --num-mel-bins 16 --batch 4 --steps 6 --eval-every 3 --threads 1"
                          " --seed 4 --out ";
  two_ranks_equal_one(cls, d.dir, "cls", 6);
}

TEST_CASE("failures end the job with an error instead of a hang") {
  const Data& d = data();
  const std::string args =
      " train --task text --data " + d.text + " --embd 32 --ctx 32 --steps 5 --threads 1 --out " + d.dir + "/bad";
  // Ranks that disagree on the model: every rank stops with the reason.
  Run r = run(kEnv + "timeout 120 mpirun -np 1 " + test::cli() + args + " --layers 2 --batch 2 : -np 1 " +
              test::cli() + args + " --layers 3 --batch 2");
  INFO(r.out);
  CHECK(r.status != 0);
  CHECK(r.out.find("rank 1 differs from rank 0 in model, data or flags") != std::string::npos);
  CHECK(r.status != 124);  // not the timeout

  // A rank that dies at start.
  r = run(kEnv + "timeout 120 mpirun -np 1 " + test::cli() + args + " --layers 2 --batch 2 : -np 1 /bin/false");
  CHECK(r.status != 0);
  CHECK(r.status != 124);

  // A rank that joins and then never answers: rank 0 gives up after the timeout.
  r = run(kEnv + "RWKVS_DIST_TIMEOUT_S=3 timeout 120 mpirun -np 1 " + test::cli() + args +
          " --layers 2 --batch 2 : -np 1 " RWKVS_MPI_SILENT_RANK);
  CHECK(r.status != 0);
  CHECK(r.status != 124);
  CHECK(r.out.find("rank 0: no answer from the other ranks within 3 s") != std::string::npos);

  // A global batch that does not divide over the ranks.
  r = run(mpirun(2) + test::cli() + args + " --layers 2 --batch 3");
  CHECK(r.status != 0);
  CHECK(r.out.find("--batch 3 is the global batch and must divide evenly over the 2 ranks") != std::string::npos);
  CHECK(!fs::exists(d.dir + "/bad/model.safetensors"));
}

#endif
