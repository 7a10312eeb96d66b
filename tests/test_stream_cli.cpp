// rwkvs stream and rwkvs bench stream through the CLI: the JSON-lines contract (header first,
// frames on request, events, summary last), posteriors equal to the library session and within
// 1e-5 of the parallel forward, stdin equal to the file, events from a deterministic "loudness
// keyword" model, resampling said once, --realtime pacing, and one-line errors for bad input.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "frontends/audio/audio_file.h"
#include "src/model/checkpoint.h"
#include "tests/stream_support.h"
#include "tests/support.h"
#include "tests/wav_writer.h"

using namespace rwkvs;
using nlohmann::json;

namespace {

struct Files {
  std::string dir, random_model, loud_model, text_model, wav, raw, wav8k, bursts, corrupt;
};

// Models and audio shared by the cases (made once per process).
const Files& files() {
  static const Files f = [] {
    Files f;
    f.dir = test::temp_dir("stream_cli");
    f.random_model = f.dir + "/random.safetensors";
    save_model(f.random_model, test::random_classifier(1));
    f.text_model = f.dir + "/text.safetensors";
    save_model(f.text_model, Model(ModelConfig::rwkv4(1, 16, 256)));
    const std::vector<float> x = test::synthetic_audio(3.0, 16000, 5);
    f.wav = f.dir + "/x.wav";
    test::write_wav(f.wav, test::WavSpec{}, x);
    // The same 16-bit samples as raw PCM.
    std::vector<uint8_t> wav = test::wav_bytes(test::WavSpec{}, x);
    f.raw = f.dir + "/x.raw";
    test::write_bytes(f.raw, std::vector<uint8_t>(wav.begin() + 44, wav.end()));
    f.wav8k = f.dir + "/x8k.wav";
    test::write_wav(f.wav8k, test::WavSpec{1, 8000, 16, false, -1}, test::synthetic_audio(2.0, 8000, 6));
    const std::vector<float> b = test::bursts_audio(5.0, 16000, {1.0, 3.0});
    f.bursts = f.dir + "/bursts.wav";
    test::write_wav(f.bursts, test::WavSpec{}, b);
    f.loud_model = f.dir + "/loud.safetensors";
    save_model(f.loud_model, test::loudness_model(test::energy_midpoint(read_audio_file(f.bursts).samples)));
    f.corrupt = f.dir + "/corrupt.wav";
    test::write_text(f.corrupt, "this is not audio\n");
    return f;
  }();
  return f;
}

struct Result {
  int status = 0;
  std::vector<json> lines;  // stdout, one JSON value per line
  std::vector<std::string> raw_lines;
  std::string err;
};

Result stream(const std::string& args, const std::string& stdin_from = "") {
  const Files& f = files();
  static int counter = 0;
  const std::string out = f.dir + "/out" + std::to_string(counter) + ".jsonl";
  const std::string err = f.dir + "/err" + std::to_string(counter++) + ".txt";
  std::string cmd = test::cli() + " stream " + args + " > " + out + " 2> " + err;
  if (!stdin_from.empty()) cmd = stdin_from + " | " + cmd;
  Result r;
  r.status = test::run("{ " + cmd + "; }");  // run() adds 2>&1: keep it outside our redirections
  std::ifstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    r.raw_lines.push_back(line);
    r.lines.push_back(json::parse(line));  // throws (failing the test) on a line that is not JSON
  }
  r.err = test::read_text(err);
  return r;
}

std::vector<const json*> of_type(const Result& r, const std::string& type) {
  std::vector<const json*> out;
  for (const json& j : r.lines)
    if (j.at("type") == type) out.push_back(&j);
  return out;
}

size_t count_lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST_CASE("a file: header, frames, summary; posteriors equal the library session and the parallel forward") {
  const Files& f = files();
  const Result r = stream("--model " + f.random_model + " --input " + f.wav + " --posteriors");
  INFO(r.err);
  REQUIRE(r.status == 0);
  REQUIRE(r.lines.size() >= 3);
  const auto model = StreamModel::load(f.random_model);
  const json& header = r.lines.front();
  CHECK(header.at("type") == "header");
  CHECK(header.at("labels") == json(model->labels()));
  CHECK(header.at("hop_s").get<double>() == doctest::Approx(0.01));
  CHECK(header.at("sample_rate") == 16000);
  const json& summary = r.lines.back();
  REQUIRE(summary.at("type") == "summary");

  const std::vector<const json*> frames = of_type(r, "frame");
  const std::vector<float> x = read_audio_file(f.wav).samples;
  StreamSession session(model);  // the CLI's pieces: 100 ms hops, stepped after each
  const std::vector<FrameOutput> want =
      test::stream_in_chunks(session, x, 16000, [] { return size_t{1600}; });
  REQUIRE(frames.size() == want.size());
  std::vector<float> got;
  for (size_t i = 0; i < frames.size(); ++i) {
    CHECK(frames[i]->at("t").get<double>() == want[i].time_s);
    for (const json& p : frames[i]->at("p")) got.push_back(p.get<float>());
  }
  const std::vector<float> lib = test::flatten(want), offline = test::offline_posteriors(*model, x);
  CHECK_ARRAYS_CLOSE(got.data(), lib.data(), lib.size(), 0.0, 0.0);  // printed exactly
  CHECK_ARRAYS_CLOSE(got.data(), offline.data(), offline.size(), 1e-5, 0.0);

  CHECK(summary.at("audio_s").get<double>() == doctest::Approx(3.0));
  CHECK(summary.at("frames") == frames.size());
  CHECK(summary.at("rtf").get<double>() > 0);
  CHECK(summary.at("latency_algorithmic_ms").get<double>() == doctest::Approx(125.0));  // 25 ms window + hop
  CHECK(summary.at("hop_compute_ms_p50").get<double>() > 0);
  CHECK(summary.at("hop_compute_ms_p99").get<double>() >= summary.at("hop_compute_ms_p50").get<double>());
  CHECK(summary.at("peak_rss_mb").get<double>() > 0);
  CHECK(summary.at("events") == of_type(r, "event").size());

  // Frame stepping agrees within rounding; without --posteriors no frame lines are printed.
  const Result fr =
      stream("--model " + f.random_model + " --input " + f.wav + " --posteriors --step-mode frame");
  REQUIRE(fr.status == 0);
  std::vector<float> got_frame;
  for (const json* j : of_type(fr, "frame"))
    for (const json& p : j->at("p")) got_frame.push_back(p.get<float>());
  CHECK_ARRAYS_CLOSE(got_frame.data(), offline.data(), offline.size(), 1e-5, 0.0);
  const Result quiet = stream("--model " + f.random_model + " --input " + f.wav);
  REQUIRE(quiet.status == 0);
  CHECK(of_type(quiet, "frame").empty());
  CHECK(quiet.lines.front().at("type") == "header");
  CHECK(quiet.lines.back().at("type") == "summary");
}

TEST_CASE("raw PCM on stdin gives the same frames as the file") {
  const Files& f = files();
  const Result a = stream("--model " + f.random_model + " --input " + f.wav + " --posteriors");
  const Result b = stream("--model " + f.random_model + " --input - --format s16le --rate 16000 --posteriors",
                          "cat " + f.raw);
  INFO(b.err);
  REQUIRE(a.status == 0);
  REQUIRE(b.status == 0);
  std::vector<std::string> fa, fb;
  for (const std::string& l : a.raw_lines)
    if (l.find("\"type\":\"frame\"") != std::string::npos) fa.push_back(l);
  for (const std::string& l : b.raw_lines)
    if (l.find("\"type\":\"frame\"") != std::string::npos) fb.push_back(l);
  CHECK(fa.size() == 298);
  CHECK(fa == fb);
}

TEST_CASE("keyword events: loud bursts fire 'yes' with times around them; refractory and threshold apply") {
  const Files& f = files();
  const Result r = stream("--model " + f.loud_model + " --input " + f.bursts);
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::vector<const json*> events = of_type(r, "event");
  REQUIRE(events.size() == 2);
  const double bursts[2] = {1.0, 3.0};
  for (int i = 0; i < 2; ++i) {
    const json& e = *events[static_cast<size_t>(i)];
    CAPTURE(e.dump());
    CHECK(e.at("label") == "yes");
    // A 300 ms average crosses 0.7 about 0.21 s into a burst and falls below about 0.1 s after it.
    CHECK(e.at("start").get<double>() > bursts[i] + 0.1);
    CHECK(e.at("start").get<double>() < bursts[i] + 0.35);
    CHECK(e.at("end").get<double>() > bursts[i] + 0.4);
    CHECK(e.at("end").get<double>() < bursts[i] + 0.6);
    CHECK(e.at("score").get<double>() > 0.9);
    CHECK(e.at("score").get<double>() <= 1.0);
  }
  CHECK(r.lines.back().at("events") == 2);
  const Result refractory =
      stream("--model " + f.loud_model + " --input " + f.bursts + " --refractory-ms 2500");
  CHECK(of_type(refractory, "event").size() == 1);
  const Result no_smoothing = stream("--model " + f.loud_model + " --input " + f.bursts + " --smooth-ms 0");
  REQUIRE(of_type(no_smoothing, "event").size() == 2);
  CHECK(of_type(no_smoothing, "event")[0]->at("start").get<double>() < 1.05);
}

TEST_CASE("another sample rate is resampled and said once on stderr") {
  const Files& f = files();
  const Result r = stream("--model " + f.random_model + " --input " + f.wav8k + " --posteriors");
  REQUIRE(r.status == 0);
  CHECK(r.err.find("resampling to the model's 16000 Hz") != std::string::npos);
  CHECK(count_lines(r.err) == 1);
  CHECK(r.lines.front().at("sample_rate") == 16000);
  CHECK(of_type(r, "frame").size() == 198);  // 2 s at 16 kHz
  CHECK(r.lines.back().at("audio_s").get<double>() == doctest::Approx(2.0));
}

TEST_CASE("--realtime paces a file to the wall clock") {
  const Files& f = files();
  const auto start = std::chrono::steady_clock::now();
  const Result r = stream("--model " + f.random_model + " --input " + f.wav8k + " --realtime");
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE(r.status == 0);
  CHECK(elapsed >= 1.9);  // 2 s of audio
}

TEST_CASE("bad input: one-line errors and a non-zero exit, never a crash") {
  const Files& f = files();
  auto fails = [](const Result& r, int status, const std::string& what) {
    CAPTURE(r.err);
    CHECK(r.status == status);
    CHECK(r.err.rfind("error: ", 0) == 0);
    CHECK(r.err.find(what) != std::string::npos);
    CHECK(count_lines(r.err) == 1);
  };
  fails(stream("--model " + f.random_model + " --input - --format s16le --rate 16000", "printf 'abc'"), 1,
        "stdin: raw s16le stream ends mid-sample");
  fails(stream("--model " + f.random_model + " --input - --format s16le --rate 16000",
               "head -c 32001 " + f.raw),
        1, "ends mid-sample");
  fails(stream("--model " + f.random_model + " --input - --format s16le --rate 16000", "true"), 1,
        "stdin: contains no audio samples");
  fails(stream("--model " + f.text_model + " --input " + f.wav), 1,
        "'" + f.text_model + "' is a text model; stream needs an audio model with a classes or ctc head");
  fails(stream("--model " + f.random_model + " --input " + f.corrupt), 1,
        f.corrupt + ": cannot decode audio");
  fails(stream("--model " + f.random_model + " --input " + f.dir + "/missing.wav"), 1, "no such file");
  fails(stream("--model " + f.dir + "/missing.safetensors --input " + f.wav), 1, "missing.safetensors");
  fails(stream("--model " + f.random_model + " --input - --rate 16000", "cat " + f.raw), 2, "needs --format");
  fails(stream("--model " + f.random_model + " --input " + f.wav + " --rate 8000"), 2, "describe raw PCM");
  fails(stream("--model " + f.random_model + " --input " + f.wav + " --hop-ms 0"), 2, "--hop-ms");
  fails(stream("--model " + f.random_model + " --input " + f.wav + " --threshold 1.5"), 2, "--threshold");
  fails(stream("--model " + f.random_model + " --input " + f.wav + " --step-mode chunk"), 2, "--step-mode");
  fails(stream("--model " + f.random_model + " --input " + f.wav + " --beam 4"), 2,
        "--beam and --lm are for CTC speech recognisers");
}

TEST_CASE("bench stream checks against the parallel forward and reports every field") {
  const Files& f = files();
  std::string out;
  const int status = test::run(
      test::cli() + " bench stream --model " + f.random_model + " --streams 3 --seconds 2 --json 2>/dev/null",
      &out);
  INFO(out);
  REQUIRE(status == 0);
  std::istringstream lines(out);
  std::string line;
  std::vector<std::string> modes;
  while (std::getline(lines, line)) {
    const json j = json::parse(line);
    modes.push_back(j.at("mode"));
    CHECK(j.at("streams") == 3);
    CHECK(j.at("max_diff_vs_parallel").get<double>() <= 1e-5);
    CHECK(j.at("max_diff_batch_vs_alone").get<double>() <= 1e-5);
    CHECK(j.at("frames") == 3 * 198);
    for (const char* key : {"hops_per_s", "rtf_per_stream", "rtf_all_streams", "hop_compute_ms_p50",
                            "hop_compute_ms_p99", "cpu_rtf_per_stream"})
      CHECK(j.at(key).get<double>() > 0);
  }
  CHECK(modes == std::vector<std::string>{"hop", "frame"});
}

TEST_CASE("eval --streams: recordings with their keywords, a threshold sweep, and --calibrate for stream") {
  const Files& f = files();
  const std::string dir = test::temp_dir("stream_cli_calibrate");
  // R: a 0.1 s unlabelled burst at 1 s (smoothed peak about 1/3) and a 0.4 s "yes" at 3 s.
  std::vector<float> r = test::bursts_audio(5.0, 16000, {1.0}, 0.1, 21);
  const std::vector<float> yes = test::bursts_audio(5.0, 16000, {3.0}, 0.4, 22);
  for (size_t i = 48000; i < 48000 + 6400; ++i) r[i] = yes[i];
  test::write_wav(dir + "/r.wav", test::WavSpec{}, r);
  test::write_text(dir + "/streams.jsonl",
                   "{\"audio_filepath\": \"r.wav\", \"keywords\": [{\"label\": \"yes\", \"start\": 3.0, \"end\": 3.4}]}\n"
                   "{\"audio_filepath\": \"r.wav\", \"keywords\": [{\"label\": \"yes\", \"start\": 3.0, \"end\": 3.4}]}\n");
  // Q: a 0.15 s burst (smoothed peak about 1/2): under the default 0.7, over a calibrated threshold.
  test::write_wav(dir + "/q.wav", test::WavSpec{}, test::bursts_audio(3.0, 16000, {1.0}, 0.15, 23));
  const std::string model = dir + "/loud.safetensors";
  std::filesystem::copy_file(f.loud_model, model);

  std::string out;
  REQUIRE(test::run("{ " + test::cli() + " eval --model " + model + " --streams " + dir + "/streams.jsonl --json 2>/dev/null; }", &out) == 0);
  const json j = json::parse(out);
  CHECK(j.at("stream_keyword_clips") == 2);
  CHECK(j.at("stream_found") == 2);
  CHECK(j.at("stream_false_alarms") == 0);  // at 0.7 the short burst stays quiet
  CHECK(j.at("stream_threshold") == 0.7);
  CHECK(j.at("stream_audio_s").get<double>() == doctest::Approx(10.0));
  const json& sweep = j.at("stream_sweep");
  REQUIRE(sweep.size() >= 20);
  CHECK(sweep.front().at("false_alarms") == 2);  // at 0.05 the short burst fires in both recordings
  CHECK(sweep.front().at("false_alarms_per_hour").get<double>() == doctest::Approx(2 * 360.0));

  REQUIRE(test::run("{ " + test::cli() + " eval --model " + model + " --streams " + dir +
                        "/streams.jsonl --target-fa-per-hour 1 --calibrate --json 2>/dev/null; }",
                    &out) == 0);
  const json c = json::parse(out);
  const double calibrated = c.at("stream_threshold").get<double>();
  CHECK(c.at("stream_target_met") == true);
  CHECK(c.at("stream_false_alarms") == 0);
  CHECK(c.at("stream_found") == 2);
  CHECK(calibrated < 0.5);
  const Model m = load_model(model);
  CHECK(m.config().detector.at("threshold") == calibrated);
  CHECK(m.config().detector.at("target_fa_per_hour") == 1.0);
  // stream now fires at the calibrated threshold; --threshold still overrides it; the original
  // model (default threshold) stays quiet on Q.
  const Result after = stream("--model " + model + " --input " + dir + "/q.wav");
  REQUIRE(after.status == 0);
  CHECK(of_type(after, "event").size() == 1);
  CHECK(of_type(stream("--model " + model + " --input " + dir + "/q.wav --threshold 0.7"), "event").empty());
  CHECK(of_type(stream("--model " + f.loud_model + " --input " + dir + "/q.wav"), "event").empty());

  // Bad usage and bad recordings: one-line errors.
  test::write_text(dir + "/loud.jsonl", "{\"audio_filepath\": \"" + f.bursts + "\", \"keywords\": []}\n");
  auto error_of = [&](const std::string& args, int want) {
    std::string o;
    const int rc = test::run("{ " + test::cli() + " eval " + args + " > /dev/null; }", &o);
    CAPTURE(args);
    CAPTURE(o);
    CHECK(rc == want);
    CHECK(o.rfind("error: ", 0) == 0);
    CHECK(count_lines(o) == 1);
    return o;
  };
  CHECK(error_of("--model " + model + " --streams " + dir + "/streams.jsonl --calibrate", 2).find(
            "--calibrate needs --streams and --target-fa-per-hour") != std::string::npos);
  CHECK(error_of("--model " + model, 2).find("give --data") != std::string::npos);
  // Long loud bursts no one asked for: every threshold of the sweep fires on them.
  const std::string before = test::read_text(model);
  CHECK(error_of("--model " + model + " --streams " + dir + "/loud.jsonl --target-fa-per-hour 1 --calibrate", 1)
            .find("no threshold of the sweep keeps the false alarms") != std::string::npos);
  CHECK(test::read_text(model) == before);
  test::write_text(dir + "/plain.jsonl", "{\"audio_filepath\": \"r.wav\", \"label\": \"yes\"}\n");
  CHECK(error_of("--model " + model + " --streams " + dir + "/plain.jsonl", 1).find("needs 'keywords'") !=
        std::string::npos);
  test::write_text(dir + "/other.jsonl",
                   "{\"audio_filepath\": \"r.wav\", \"keywords\": [{\"label\": \"no\", \"start\": 1, \"end\": 2}]}\n");
  CHECK(error_of("--model " + model + " --streams " + dir + "/other.jsonl", 1).find("keyword 'no' is not a class") !=
        std::string::npos);
}
