// rwkvs stream: runs a keyword spotter over a file or stdin as a stream, hop by hop as the audio
// arrives, and prints JSON lines (the contract `rwkvs plot` reads; keep it stable):
//   {"type":"header","labels":[...],"hop_s":<frame shift s>,"sample_rate":<model rate>}
//   {"type":"frame","t":<s at frame end>,"p":[posteriors...]}                    with --posteriors
//   {"type":"event","label":"yes","start":<s>,"end":<s>,"score":<0..1>}         per detection
//   {"type":"summary","audio_s":..,"frames":..,"rtf":..,"latency_algorithmic_ms":..,
//    "hop_compute_ms_p50":..,"hop_compute_ms_p99":..,"events":N,"peak_rss_mb":..}  at the end
// Compute time per hop covers resampling, features, the model and the detector (not reading or
// printing); rtf is its sum over the audio's duration.
// CTC speech recognisers stream through apps/rwkvs/stream_ctc.h (partial and final transcripts).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "apps/rwkvs/audio_source.h"
#include "apps/rwkvs/commands.h"
#include "apps/rwkvs/detector_flags.h"
#include "apps/rwkvs/json_line.h"
#include "apps/rwkvs/stream_ctc.h"
#include "base/error.h"
#include "frontends/audio/resampler.h"
#include "src/core/latency_histogram.h"
#include "src/core/peak_memory.h"
#include "src/core/threads.h"
#include "src/core/timer.h"
#include "src/infer/detector.h"
#include "src/infer/stream_session.h"

namespace rwkvs::app {
namespace {

using ojson = nlohmann::ordered_json;

struct StreamArgs {
  std::string model;
  AudioSourceSpec input;
  double hop_ms = 100;
  bool posteriors = false;
  DetectorFlags detector;
  bool realtime = false;
  int threads = 1;
  std::string step_mode = "hop";
  std::string device = "cpu", precision = "fp32";
  CtcDecodeFlags ctc;
  bool no_partials = false;
};

std::string frame_line(const FrameOutput& o) {
  std::string s = "{\"type\":\"frame\",\"t\":";
  append_number(s, o.time_s);
  s += ",\"p\":[";
  for (size_t k = 0; k < o.posteriors.size(); ++k) {
    if (k) s += ',';
    append_number(s, o.posteriors[k]);
  }
  s += "]}";
  return s;
}

std::string event_line(const StreamModel& m, const Detection& d) {
  return JsonLine("event")
      .text("label", m.labels()[static_cast<size_t>(d.label)])
      .number("start", d.start_s, 9)
      .number("end", d.end_s, 9)
      .number("score", d.score)
      .str();
}

void check_args(const StreamArgs& a) {
  if (!(a.hop_ms > 0)) fail_usage("--hop-ms must be positive, got ", a.hop_ms);
  a.detector.options();  // checks the detector flags
  if (a.threads < 0) fail_usage("--threads must be >= 0 (0: all cores), got ", a.threads);
  if (a.step_mode != "hop" && a.step_mode != "frame")
    fail_usage("--step-mode must be hop or frame, got '", a.step_mode, "'");
  validate_device_flags(a.device, a.precision);
}

// One stream from source to stdout.
class StreamRun {
 public:
  StreamRun(const StreamArgs& a, std::shared_ptr<const StreamModel> model, AudioSource& source)
      : args_(a),
        model_(std::move(model)),
        source_(source),
        session_(model_, parse_step_mode(a.step_mode)),
        detector_(model_->labels(), model_->frame_shift_s(),
                  a.detector.options(model_->config().detector, model_->source())) {
    if (a.device != "cpu") session_.set_engine(make_engine(a.device, model_->model(), a.precision));
  }

  void run() {
    print_line(ojson{{"type", "header"},
                     {"labels", model_->labels()},
                     {"hop_s", model_->frame_shift_s()},
                     {"sample_rate", model_->sample_rate()}}
                   .dump());
    std::fflush(stdout);
    for_each_hop(source_, args_.hop_ms, args_.realtime, [&](const std::vector<float>& samples) {
      Timer t;
      session_.accept_waveform(source_.sample_rate(), samples.data(), samples.size());
      process();
      record(t.seconds());
    });
    if (source_.samples_read() == 0) fail(source_.name(), ": contains no audio samples (zero length)");
    Timer t;
    session_.input_finished();
    process();
    detector_.finish(&events_);
    record(t.seconds());
    summary();
  }

 private:
  // Steps the session and runs the detector over the new frames (the timed part of a hop).
  void process() {
    session_.step();
    outputs_ = session_.take_outputs();
    for (const FrameOutput& o : outputs_) detector_.push(o.time_s, o.posteriors.data(), &events_);
  }

  void record(double seconds) {
    compute_s_ += seconds;
    hops_.add(seconds);
    print_pending();
  }

  void print_pending() {
    if (args_.posteriors)
      for (const FrameOutput& o : outputs_) print_line(frame_line(o));
    frames_ += static_cast<int64_t>(outputs_.size());
    outputs_.clear();
    for (const Detection& d : events_) print_line(event_line(*model_, d));
    event_count_ += static_cast<int64_t>(events_.size());
    events_.clear();
    std::fflush(stdout);
  }

  void summary() {
    const double audio_s = static_cast<double>(source_.samples_read()) / source_.sample_rate();
    // A frame is final once its window has arrived and the hop holding its end has been read; a
    // resampler adds up to one block of input before its output appears.
    double latency_ms = model_->window_s() * 1000 + args_.hop_ms;
    if (session_.resampling()) latency_ms += Resampler::kBlock / source_.sample_rate() * 1000;
    latency_ms += model_->cmvn_lookahead_s() * 1000;
    // peak_rss_mb is the process's peak: constant-memory streaming shows as the same number after a
    // minute and after hours of input on stdin.
    print_line(JsonLine("summary")
                   .number("audio_s", audio_s, 9)
                   .integer("frames", frames_)
                   .number("rtf", compute_s_ / audio_s)
                   .number("latency_algorithmic_ms", latency_ms)
                   .number("hop_compute_ms_p50", hops_.percentile(0.5) * 1000)
                   .number("hop_compute_ms_p99", hops_.percentile(0.99) * 1000)
                   .integer("events", event_count_)
                   .number("peak_rss_mb", peak_rss_mb())
                   .str());
    std::fflush(stdout);
  }

  const StreamArgs& args_;
  std::shared_ptr<const StreamModel> model_;
  AudioSource& source_;
  StreamSession session_;
  Detector detector_;
  std::vector<FrameOutput> outputs_;
  std::vector<Detection> events_;
  LatencyHistogram hops_;
  double compute_s_ = 0;
  int64_t frames_ = 0, event_count_ = 0;
};

void run_stream(const StreamArgs& a) {
  check_args(a);
  set_num_threads(a.threads);
  const auto model = StreamModel::load(a.model);
  if (model->is_ctc()) {
    if (a.posteriors) fail_usage("--posteriors is for keyword spotters; a CTC model prints partial and final text");
    a.ctc.options();  // checks the decoding flags before the input is opened
  } else if (!a.ctc.lm.empty() || a.ctc.beam != 1) {
    fail_usage("--beam and --lm are for CTC speech recognisers; '", a.model, "' is a keyword spotter");
  }
  AudioSource source(a.input);
  if (source.sample_rate() != model->sample_rate())
    std::fprintf(stderr, "note: %s is at %g Hz; resampling to the model's %g Hz\n", source.name().c_str(),
                 source.sample_rate(), model->sample_rate());
  if (model->is_ctc()) {
    CtcStreamSettings s;
    s.hop_ms = a.hop_ms;
    s.realtime = a.realtime;
    s.partials = !a.no_partials;
    s.step_mode = a.step_mode;
    s.device = a.device;
    s.precision = a.precision;
    s.decode = a.ctc;
    run_ctc_stream(s, model, source);
    return;
  }
  StreamRun(a, model, source).run();
}

}  // namespace

void add_stream_command(CLI::App& app) {
  auto a = std::make_shared<StreamArgs>();
  CLI::App* cmd = app.add_subcommand("stream",
                                     "Run a keyword spotter or a speech recogniser over a file or stdin as a "
                                     "stream: JSON lines of posteriors and keyword events, or of partial and "
                                     "final transcripts");
  cmd->add_option("--model", a->model,
                  "Keyword spotter (`rwkvs train --task classify`) or CTC speech recogniser (`--task ctc`)")
      ->required();
  cmd->add_option("--input", a->input.path,
                  "Audio file (any format libsndfile reads), or - for raw PCM on stdin")
      ->required();
  cmd->add_option("--format", a->input.format, "auto (decode by content) | s16le | f32le: raw PCM")
      ->capture_default_str();
  cmd->add_option("--rate", a->input.rate, "Raw PCM sample rate in Hz");
  cmd->add_option("--channels", a->input.channels, "Raw PCM channels (mixed to mono)")->capture_default_str();
  cmd->add_option("--hop-ms", a->hop_ms, "Audio processed per step, in ms")->capture_default_str();
  cmd->add_flag("--posteriors", a->posteriors, "Keyword spotters: print every frame's posteriors");
  a->detector.add_to(cmd);
  a->ctc.add_to(cmd, true);
  cmd->add_flag("--no-partials", a->no_partials, "CTC models: print final segments only");
  cmd->add_flag("--realtime", a->realtime,
                "Pace file input to the wall clock (as if it came from a microphone)");
  cmd->add_option("--threads", a->threads, "Threads for the model (0: all cores)")->capture_default_str();
  cmd->add_option("--step-mode", a->step_mode,
                  "hop: each hop's frames through the parallel form together (fastest); frame: one recurrent "
                  "step per frame (bit-identical for any chunking)")
      ->capture_default_str();
  cmd->add_option("--device", a->device, "cpu, or cuda (an NVIDIA GPU) for the model")->capture_default_str();
  cmd->add_option("--precision", a->precision, "GPU matmuls: fp32, tf32 or bf16")->capture_default_str();
  cmd->callback([a] { run_stream(*a); });
}

}  // namespace rwkvs::app
