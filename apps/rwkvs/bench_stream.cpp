// rwkvs bench stream: N concurrent audio streams stepped as one batch (SessionBatch), hop by hop,
// through an audio classifier (a file, or a random keyword-sized model: 4 layers x 96, 40-bin
// fbank, 11 classes). First checks that one stream's posteriors match the parallel forward over the
// whole signal (1e-5) and that the batch matches that stream stepped alone; then times every hop
// (frontend + model for all N streams) and prints one line per step mode.
#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include "apps/rwkvs/bench_util.h"
#include "apps/rwkvs/commands.h"
#include "base/error.h"
#include "base/rng.h"
#include "src/core/latency_histogram.h"
#include "src/core/threads.h"
#include "src/core/timer.h"
#include "src/infer/session_batch.h"
#include "src/model/engine.h"

namespace rwkvs::app {
namespace {

struct StreamBenchArgs {
  std::string model;  // empty: a random keyword-sized model
  int streams = 1;
  double seconds = 30;
  int threads = 1;
  double hop_ms = 100;
  std::string mode = "both";  // hop | frame | both
  bool json = false;
  std::string device = "cpu", precision = "fp32";
};

// A random 4 x 96 classifier on 40-bin 16 kHz fbank with 11 labels, normalised with statistics of
// 'signal' so that its activations look like a trained model's.
std::shared_ptr<const StreamModel> random_keyword_model(const std::vector<float>& signal) {
  FrontendConfig f;
  f.type = "fbank";
  f.fbank.num_mel_bins = 40;
  ModelConfig c = ModelConfig::rwkv4(4, 96, 0);
  c.input_kind = "frames";
  c.frontend = f.to_json();
  c.input_dim = 40;
  c.head_kind = "classes";
  c.labels = {"_unknown_", "down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes"};
  Model m(c);
  init_random(m, 1);
  const FeatureMatrix feats =
      compute_features(*f.make_computer(), signal.data(), static_cast<int64_t>(signal.size()));
  const ModelView v = m.view();
  for (int64_t j = 0; j < feats.cols; ++j) {
    double sum = 0, sum2 = 0;
    for (int64_t r = 0; r < feats.rows; ++r) {
      sum += feats.row(r)[j];
      sum2 += static_cast<double>(feats.row(r)[j]) * feats.row(r)[j];
    }
    const double mean = sum / feats.rows, var = std::max(sum2 / feats.rows - mean * mean, 1e-8);
    v.input_mean[j] = static_cast<float>(mean);
    v.input_scale[j] = static_cast<float>(1 / std::sqrt(var));
  }
  return std::make_shared<const StreamModel>(std::move(m), "random 4 x 96 keyword model");
}

// Syllable-like segments: harmonic glides, noise bursts and pauses, different for every seed.
std::vector<float> test_signal(double seconds, double rate, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(static_cast<size_t>(seconds * rate));
  double phase = 0;
  for (size_t i = 0; i < x.size();) {
    const size_t len = std::min(x.size() - i, static_cast<size_t>((0.08 + 0.3 * rng.uniform()) * rate));
    const double kind = rng.uniform(), amp = 0.05 + 0.3 * rng.uniform(), f0 = 90 + 200 * rng.uniform();
    for (size_t j = 0; j < len; ++j, ++i) {
      const double env = std::sin(std::numbers::pi * j / len);
      double v = 1e-3 * rng.normal();
      if (kind < 0.6) {
        phase += 2 * std::numbers::pi * f0 / rate;
        for (int h = 1; h <= 8; ++h) v += amp * env * std::sin(h * phase) / h;
      } else if (kind < 0.8) {
        v += amp * env * rng.normal();
      }
      x[i] = static_cast<float>(v);
    }
  }
  return x;
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

double load_average() {
  std::ifstream f("/proc/loadavg");
  double l = -1;
  f >> l;
  return l;
}

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, static_cast<double>(std::fabs(a[i] - b[i])));
  return m;
}

// Posteriors (T, K) of one signal streamed hop by hop through a session alone.
std::vector<float> stream_alone(const std::shared_ptr<const StreamModel>& model, StepMode mode,
                                const std::vector<float>& x, size_t hop) {
  StreamSession s(model, mode);
  std::vector<float> p;
  auto take = [&] {
    for (const FrameOutput& o : s.take_outputs()) p.insert(p.end(), o.posteriors.begin(), o.posteriors.end());
  };
  for (size_t pos = 0; pos < x.size(); pos += hop) {
    s.accept_waveform(model->sample_rate(), x.data() + pos, std::min(hop, x.size() - pos));
    s.step();
    take();
  }
  s.input_finished();
  s.step();
  take();
  return p;
}

// The parallel (training-path) forward over the whole signal's offline features.
std::vector<float> parallel_posteriors(const StreamModel& model, const std::vector<float>& x) {
  const FeatureMatrix feats = compute_features(model.features(), x.data(), static_cast<int64_t>(x.size()));
  Activations acts;
  rwkv4_forward(model.model(), acts, ModelInput{nullptr, feats.data.data()}, 1, feats.rows, nullptr, nullptr);
  const int64_t K = model.num_classes();
  std::vector<float> p(static_cast<size_t>(feats.rows * K));
  for (int64_t t = 0; t < feats.rows; ++t)
    softmax_posteriors(acts.logits.data() + t * K, K, p.data() + t * K);
  return p;
}

void run_mode(const StreamBenchArgs& a, const std::shared_ptr<const StreamModel>& model, StepMode mode,
              const std::vector<std::vector<float>>& signals, const std::shared_ptr<Engine>& engine) {
  const double rate = model->sample_rate();
  const size_t hop = std::max<size_t>(1, static_cast<size_t>(std::llround(a.hop_ms / 1000 * rate)));
  const std::vector<float> alone = stream_alone(model, mode, signals[0], hop);
  const double diff_parallel = max_diff(alone, parallel_posteriors(*model, signals[0]));
  if (!(diff_parallel <= 1e-5))
    fail("bench stream: ", step_mode_name(mode),
         " mode: streamed posteriors differ from the parallel forward by ", diff_parallel, " (limit 1e-5)");

  std::vector<std::unique_ptr<StreamSession>> owned;
  std::vector<StreamSession*> sessions;
  for (int i = 0; i < a.streams; ++i) {
    owned.push_back(std::make_unique<StreamSession>(model, mode));
    sessions.push_back(owned.back().get());
  }
  SessionBatch batch(model);
  batch.set_engine(engine);  // null: the CPU functions
  std::vector<float> first;  // stream 0's posteriors in the batch
  LatencyHistogram hops;
  int64_t frames = 0, hop_count = 0;
  const size_t n = signals[0].size();
  const double cpu0 = cpu_seconds();
  Timer total;
  for (size_t pos = 0; pos <= n; pos += hop) {
    Timer t;
    const bool last = pos + hop > n;
    for (int i = 0; i < a.streams; ++i) {
      sessions[i]->accept_waveform(rate, signals[i].data() + pos, std::min(hop, n - pos));
      if (last) sessions[i]->input_finished();
    }
    batch.step(sessions);
    for (int i = 0; i < a.streams; ++i) {
      std::vector<FrameOutput> outs = sessions[i]->take_outputs();
      frames += static_cast<int64_t>(outs.size());
      if (i == 0)
        for (const FrameOutput& o : outs) first.insert(first.end(), o.posteriors.begin(), o.posteriors.end());
    }
    hops.add(t.seconds());
    ++hop_count;
  }
  const double seconds = total.seconds(), cpu = cpu_seconds() - cpu0;
  const double diff_batch = max_diff(first, alone);  // alone: the CPU session, the reference
  if (!(diff_batch <= (engine ? 1e-4 : 1e-5)))
    fail("bench stream: ", step_mode_name(mode), " mode: the batch differs from stepping alone by ",
         diff_batch);
  const double audio_s = static_cast<double>(n) / rate;
  print_result({{"bench", "stream"},
                {"mode", step_mode_name(mode)},
                {"model", model->source()},
                {"device", engine ? engine->device_name() + " (" + a.precision + ")" : cpu_description()},
                {"streams", a.streams},
                {"hop_ms", a.hop_ms},
                {"audio_s_per_stream", audio_s},
                {"frames", frames},
                {"hops_per_s", static_cast<double>(hop_count) * a.streams / seconds},
                {"frames_per_s", static_cast<double>(frames) / seconds},
                {"rtf_per_stream", seconds / (audio_s * a.streams)},
                {"rtf_all_streams", seconds / audio_s},
                {"cpu_rtf_per_stream", cpu / (audio_s * a.streams)},
                {"hop_compute_ms_p50", hops.percentile(0.5) * 1000},
                {"hop_compute_ms_p99", hops.percentile(0.99) * 1000},
                {"max_diff_vs_parallel", diff_parallel},
                {"max_diff_batch_vs_alone", diff_batch},
                {"load_average_1m", load_average()}},
               a.json);
}

void run_bench_stream(const StreamBenchArgs& a) {
  if (a.streams < 1) fail_usage("--streams must be at least 1, got ", a.streams);
  if (!(a.seconds >= 1)) fail_usage("--seconds must be at least 1, got ", a.seconds);
  if (!(a.hop_ms > 0)) fail_usage("--hop-ms must be positive, got ", a.hop_ms);
  if (a.mode != "hop" && a.mode != "frame" && a.mode != "both")
    fail_usage("--mode must be hop, frame or both, got '", a.mode, "'");
  validate_device_flags(a.device, a.precision);
  set_num_threads(a.threads);
  const double rate = a.model.empty() ? 16000 : StreamModel::load(a.model)->sample_rate();
  std::vector<std::vector<float>> signals;
  for (int i = 0; i < a.streams; ++i) signals.push_back(test_signal(a.seconds, rate, 100 + i));
  const auto model = a.model.empty() ? random_keyword_model(signals[0]) : StreamModel::load(a.model);
  std::shared_ptr<Engine> engine;
  if (a.device != "cpu") engine = make_engine(a.device, model->model(), a.precision);
  if (a.mode != "frame") run_mode(a, model, StepMode::hop, signals, engine);
  if (a.mode != "hop") run_mode(a, model, StepMode::frame, signals, engine);
}

}  // namespace

void add_bench_stream(CLI::App& bench) {
  auto a = std::make_shared<StreamBenchArgs>();
  CLI::App* cmd = bench.add_subcommand(
      "stream",
      "Streaming sessions: hops/s, real-time factor and per-hop compute for N streams stepped as one batch");
  cmd->add_option("--model", a->model,
                  "Audio classifier to run (default: a random 4 x 96, 40-bin, 11-class model)");
  cmd->add_option("--streams", a->streams, "Concurrent streams stepped as one batch")->capture_default_str();
  cmd->add_option("--seconds", a->seconds, "Seconds of synthetic audio per stream")->capture_default_str();
  cmd->add_option("--threads", a->threads, "Threads (0: all cores)")->capture_default_str();
  cmd->add_option("--hop-ms", a->hop_ms, "Audio per step, in ms")->capture_default_str();
  cmd->add_option("--mode", a->mode, "Step mode to time: hop, frame or both")->capture_default_str();
  cmd->add_flag("--json", a->json, "Print one JSON object per configuration");
  cmd->add_option("--device", a->device, "cpu, or cuda: the batch on an NVIDIA GPU")->capture_default_str();
  cmd->add_option("--precision", a->precision, "GPU matmuls: fp32, tf32 or bf16")->capture_default_str();
  cmd->callback([a] { run_bench_stream(*a); });
}

}  // namespace rwkvs::app
