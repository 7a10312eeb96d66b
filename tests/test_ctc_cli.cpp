// rwkvs train --task ctc and rwkvs eval on a CTC model, end to end on a few sentences spoken by
// espeak-ng: the CTC gradient trains a small model to transcribe them (CER under 10% on its own
// training audio, from about 100% at the start), the checkpoint carries the vocabulary and the
// stacking, the streamed transcripts (stream sessions, 70 ms chunks) equal the offline ones, and
// bad manifests and flags get one-line errors naming the line or flag.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/infer/edit_distance.h"
#include "src/model/checkpoint.h"
#include "tests/support.h"
#include "tests/wav_writer.h"

using namespace rwkvs;
using nlohmann::json;
using rwkvs::test::cli;
using rwkvs::test::run;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kSentences = {"Go left, then stop.", "Turn the radio on!", "No; go right now.",
                                             "Up and down.", "Open the door.", "A dog's day."};

// The sentences spoken by espeak-ng at 16 kHz, and a manifest of them.
std::string make_corpus(const std::string& dir) {
  std::ofstream m(dir + "/train.jsonl");
  for (size_t i = 0; i < kSentences.size(); ++i) {
    const std::string wav = dir + "/u" + std::to_string(i) + ".wav";
    REQUIRE(run("espeak-ng -v en-us -s 150 -w " + wav + " \"" + kSentences[i] + "\"") == 0);
    m << json{{"audio_filepath", "u" + std::to_string(i) + ".wav"},
              {"text", kSentences[i]},
              {"speaker", i % 2 ? "odd" : "even"}}
             .dump()
      << "\n";
  }
  return dir + "/train.jsonl";
}

double char_error_rate(const std::string& reference, const std::string& hypothesis) {
  const EditCounts e = char_errors(reference, hypothesis);
  return static_cast<double>(e.edits()) / static_cast<double>(e.reference_length);
}

json eval_json(const std::string& model, const std::string& data, const std::string& extra = "") {
  std::string out;
  REQUIRE(run(cli() + " eval --model " + model + " --data " + data + " --json --threads 2 " + extra, &out) == 0);
  // the JSON line (stderr notes, such as the resampling one, come with it)
  const size_t at = out.find("\n{");
  return json::parse(out[0] == '{' ? out.substr(0, out.find('\n')) : out.substr(at + 1, out.find('\n', at + 1) - at - 1));
}

}  // namespace

TEST_CASE("train --task ctc learns to transcribe; eval streams the same transcripts") {
  if (run("command -v espeak-ng > /dev/null") != 0) {
    MESSAGE("espeak-ng is not installed (scripts/deps.sh --test installs it)");
    return;
  }
  const std::string dir = test::temp_dir("ctc_cli");
  const std::string data = make_corpus(dir);
  std::string out;
  const std::string train = cli() + " train --task ctc --data " + data +
                            " --layers 2 --embd 64 --batch 3 --warmup 30 --lr 3e-3 --eval-every 100 "
                            "--threads 2 --no-augment --seed 3 ";
  // one step: the untrained model's transcripts are nowhere near
  REQUIRE(run(train + "--steps 1 --out " + dir + "/one", &out) == 0);
  const json before = eval_json(dir + "/one/model.safetensors", data);
  CHECK(before["cer"].get<double>() > 0.6);
  REQUIRE(run(train + "--steps 400 --out " + dir + "/run", &out) == 0);
  INFO(out);
  CHECK(out.find("CTC recogniser") != std::string::npos);
  CHECK(out.find("stacked 3") != std::string::npos);
  const std::string model = dir + "/run/model.safetensors";
  const Model m = load_model(model);
  CHECK(m.config().ctc_head());
  CHECK(m.config().frame_stack == 3);
  CHECK(m.config().input_dim == 3 * 80);
  // blank, space, apostrophe, then the letters of the normalised sentences, sorted
  CHECK(m.config().labels.front() == "<blank>");
  CHECK(m.config().labels[1] == " ");
  CHECK(m.config().labels[2] == "'");
  CHECK(m.config().labels[3] == "a");
  CHECK(m.config().labels.back() == "y");
  // the log carries the decoding metrics
  std::ifstream log(dir + "/run/train_log.jsonl");
  std::string line, last_eval;
  while (std::getline(log, line))
    if (line.find("val_cer") != std::string::npos) last_eval = line;
  REQUIRE(!last_eval.empty());
  const json after = eval_json(model, data, "--stream --chunk-ms 70 --beam 4");
  INFO(after.dump());
  CHECK(after["cer"].get<double>() < 0.1);
  CHECK(after["utterances"] == 6);
  CHECK(after["stream_differs"] == 0);
  CHECK(after["stream_cer"].get<double>() == doctest::Approx(after["cer"].get<double>()));
  // per speaker: the two groups of three, whose errors make the totals
  const json by = eval_json(model, data, "--by-speaker --worst 0")["by_speaker"];
  REQUIRE(by.size() == 2);
  CHECK(by[0]["utterances"].get<int>() + by[1]["utterances"].get<int>() == 6);
  CHECK(by[0]["cer"].get<double>() >= by[1]["cer"].get<double>());
  CHECK((by[0]["speaker"] == "odd" || by[0]["speaker"] == "even"));
  // the text report names the worst utterances with reference and hypothesis
  REQUIRE(run(cli() + " eval --model " + model + " --data " + data + " --threads 2 2>&1", &out) == 0);
  CHECK(out.find("CER ") != std::string::npos);
  CHECK(out.find("WER ") != std::string::npos);

  // rwkvs stream: two sentences with 1.5 s of silence between them give final segments whose words
  // lie inside them in order, with partials before, and the same finals for any chunking of the
  // audio (frame mode), greedy and beam alike. (This model heard six isolated clips and nothing
  // else, so what it says in a long silence is not a test of the endpointer: tests/test_ctc_stream.cpp
  // checks segments against the offline decode, test_ctc_transcriber.cpp the rules.)
  const std::string both = dir + "/both.wav";
  REQUIRE(run("sox " + dir + "/u0.wav -p pad 0 1.5 | sox - " + dir + "/u3.wav " + both) == 0);
  for (const std::string beam : {"1", "4"}) {
    CAPTURE(beam);
    std::vector<std::string> finals[2];
    for (int k = 0; k < 2; ++k) {
      const std::string hop = k == 0 ? "70" : "130";
      REQUIRE(run(cli() + " stream --model " + model + " --input " + both + " --step-mode frame --hop-ms " + hop +
                      " --beam " + beam,
                  &out) == 0);
      int partials = 0;
      json summary;
      std::istringstream lines(out);
      for (std::string l; std::getline(lines, l);) {
        if (l.empty() || l[0] != '{') continue;  // the note on stderr about resampling espeak's 22 kHz
        const json j = json::parse(l);
        if (j["type"] == "partial") ++partials;
        if (j["type"] == "summary") summary = j;
        if (j["type"] != "final") continue;
        finals[k].push_back(l);
        double last = j["start"].get<double>();
        for (const json& w : j["words"]) {
          CHECK(w["start"].get<double>() >= last);
          CHECK(w["end"].get<double>() > w["start"].get<double>());
          CHECK(w["end"].get<double>() <= j["end"].get<double>() + 1e-9);
          last = w["end"].get<double>();
        }
      }
      CHECK(partials >= 2);
      CHECK(summary["segments"].get<size_t>() == finals[k].size());
      CHECK(summary["audio_s"].get<double>() > 3.0);
    }
    REQUIRE(!finals[0].empty());
    CHECK(finals[0] == finals[1]);
    // the first sentence is heard first
    CHECK(char_error_rate("go left then stop", json::parse(finals[0][0])["text"].get<std::string>().substr(0, 17)) < 0.3);
  }

  // Shallow fusion with a byte-level text LM (here one barely trained, which only has to run): the
  // decoder is named, and --lm without a beam is refused.
  test::write_text(dir + "/lm.txt", "go left then stop\nturn the radio on\nup and down\nopen the door\n");
  REQUIRE(run(cli() + " train --task text --data " + dir + "/lm.txt --layers 1 --embd 32 --ctx 16 --batch 2 "
                  "--steps 2 --threads 1 --val-fraction 0.3 --out " + dir + "/lm 2>&1",
              &out) == 0);
  const json fused = eval_json(model, data, "--beam 4 --lm " + dir + "/lm/model.safetensors --lm-weight 0.3");
  CHECK(fused["decoder"].get<std::string>().find("beam 4 + model.safetensors") == 0);
  CHECK(fused["cer"].get<double>() < 0.5);
  REQUIRE(run(cli() + " eval --model " + model + " --data " + data + " --lm " + dir + "/lm/model.safetensors 2>&1",
              &out) != 0);
  CHECK(out.find("--lm needs a beam search") != std::string::npos);
  REQUIRE(run(cli() + " stream --model " + model + " --input " + both + " --lm " + model + " --beam 4 2>&1", &out) != 0);
  CHECK(out.find("is not a byte-level text LM") != std::string::npos);
}

TEST_CASE("train --task ctc: bad manifests and flags are one-line errors naming the line or flag") {
  const std::string dir = test::temp_dir("ctc_cli_bad");
  std::vector<float> tone(8000);
  for (size_t i = 0; i < tone.size(); ++i) tone[i] = 0.1f * static_cast<float>((i % 40) < 20 ? 1 : -1);
  test::write_wav(dir + "/a.wav", test::WavSpec{}, tone);
  test::write_wav(dir + "/tiny.wav", test::WavSpec{}, std::vector<float>(800, 0.01f));
  auto manifest = [&](const std::string& name, const std::vector<std::string>& lines) {
    std::ofstream f(dir + "/" + name);
    for (const std::string& l : lines) f << l << "\n";
    return dir + "/" + name;
  };
  const std::string base = cli() + " train --task ctc --steps 2 --layers 1 --embd 16 --threads 1 --overwrite --out " +
                           dir + "/run --data ";
  auto error_line = [&](const std::string& args) {
    std::string out;
    const int rc = run(base + args + " 2>&1", &out);
    CHECK(rc != 0);
    return out;
  };
  std::string out = error_line(manifest("no_text.jsonl", {R"({"audio_filepath": "a.wav", "text": "hi"})",
                                                          R"({"audio_filepath": "a.wav", "label": "x"})"}));
  CHECK(out.find("line 2 has no \"text\"") != std::string::npos);
  out = error_line(manifest("digits.jsonl", {R"({"audio_filepath": "a.wav", "text": "room 101"})"}));
  CHECK(out.find("line 1") != std::string::npos);
  CHECK(out.find("'1' (a digit)") != std::string::npos);
  out = error_line(manifest("empty.jsonl", {}));
  CHECK(out.find("empty.jsonl") != std::string::npos);
  // 50 ms cannot hold 40 characters: skipped and counted; when nothing is left, an error
  const std::string long_text = R"({"audio_filepath": "tiny.wav", "text": "a very long transcript for so short a clip"})";
  out = error_line(manifest("short.jsonl", {long_text}));
  CHECK(out.find("every utterance is too short for its transcript (1 skipped)") != std::string::npos);
  REQUIRE(run(base + manifest("mixed.jsonl", {long_text, R"({"audio_filepath": "a.wav", "text": "hi"})"}) + " 2>&1",
              &out) == 0);
  CHECK(out.find("1 training utterances are too short for their transcript and are skipped") != std::string::npos);
  out = error_line(dir + "/mixed.jsonl --frame-stack 0");
  CHECK(out.find("--frame-stack") != std::string::npos);
  out = error_line(dir + "/mixed.jsonl --pool mean");
  CHECK(out.find("--pool does not apply to --task ctc") != std::string::npos);
  // a CTC model is not a keyword spotter
  REQUIRE(run(cli() + " eval --model " + dir + "/run/model.safetensors --data " + dir + "/mixed.jsonl --streams " +
                  dir + "/mixed.jsonl 2>&1",
              &out) != 0);
  CHECK(out.find("CTC recogniser") != std::string::npos);
  REQUIRE(run(cli() + " stream --model " + dir + "/run/model.safetensors --input " + dir + "/a.wav --posteriors 2>&1",
              &out) != 0);
  CHECK(out.find("--posteriors is for keyword spotters") != std::string::npos);
  REQUIRE(run(cli() + " stream --model " + dir + "/run/model.safetensors --input " + dir +
                  "/a.wav --endpoint-silence 2 --max-segment 1 2>&1",
              &out) != 0);
  CHECK(out.find("--max-segment") != std::string::npos);
}
