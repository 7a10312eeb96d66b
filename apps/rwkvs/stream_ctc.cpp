#include "apps/rwkvs/stream_ctc.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "apps/rwkvs/json_line.h"
#include "base/error.h"
#include "frontends/audio/resampler.h"
#include "src/core/latency_histogram.h"
#include "src/core/peak_memory.h"
#include "src/core/timer.h"
#include "src/infer/stream_session.h"

namespace rwkvs::app {
namespace {

std::string words_json(const std::vector<WordTiming>& words) {
  std::string s = "[";
  for (size_t i = 0; i < words.size(); ++i) {
    if (i) s += ',';
    s += JsonLine().text("word", words[i].word).number("start", words[i].start_s, 9).number("end", words[i].end_s, 9).str();
  }
  return s + "]";
}

class CtcStreamRun {
 public:
  CtcStreamRun(const CtcStreamSettings& s, std::shared_ptr<const StreamModel> model, AudioSource& source)
      : s_(s),
        options_(s.decode.options()),
        model_(std::move(model)),
        source_(source),
        session_(model_, parse_step_mode(s.step_mode)),
        lm_(s.decode, model_->labels()),
        transcriber_(model_->labels(), model_->frame_shift_s() * model_->frame_stack(), options_, lm_.get()) {
    if (s.device != "cpu") session_.set_engine(make_engine(s.device, model_->model(), s.precision));
  }

  void run() {
    nlohmann::ordered_json header{{"type", "header"},
                                  {"task", "ctc"},
                                  {"labels", model_->labels()},
                                  {"position_s", model_->frame_shift_s() * model_->frame_stack()},
                                  {"sample_rate", model_->sample_rate()},
                                  {"decoder", s_.decode.describe()},
                                  {"endpoint",
                                   {{"trailing_silence_s", options_.endpoint.trailing_silence_s},
                                    {"max_segment_s", options_.endpoint.max_segment_s}}}};
    print_line(header.dump());
    std::fflush(stdout);
    for_each_hop(source_, s_.hop_ms, s_.realtime, [&](const std::vector<float>& samples) {
      Timer t;
      session_.accept_waveform(source_.sample_rate(), samples.data(), samples.size());
      process();
      // The open segment's decode is only worth its cost when partials are printed.
      const CtcSegment partial = s_.partials ? transcriber_.partial() : CtcSegment{};
      record(t.seconds());
      print(partial);
    });
    if (source_.samples_read() == 0) fail(source_.name(), ": contains no audio samples (zero length)");
    Timer t;
    session_.input_finished();
    process();
    transcriber_.finish(&finals_);
    record(t.seconds());
    print_finals();
    summary();
  }

 private:
  // Steps the session and decodes its new positions (the timed part of a hop).
  void process() {
    session_.step();
    for (const FrameOutput& o : session_.take_outputs()) {
      transcriber_.push(o.log_probs.data(), 1, &finals_);
      ++positions_;
    }
  }

  void record(double seconds) {
    compute_s_ += seconds;
    hops_.add(seconds);
  }

  void print_finals() {
    for (const CtcSegment& f : finals_) {
      print_line(JsonLine("final")
                     .integer("segment", f.index)
                     .number("start", f.start_s, 9)
                     .number("end", f.end_s, 9)
                     .text("text", f.text)
                     .raw("words", words_json(f.words))
                     .str());
      last_partial_.clear();
    }
    segments_ += static_cast<int64_t>(finals_.size());
    finals_.clear();
  }

  void print(const CtcSegment& partial) {
    print_finals();
    if (!partial.text.empty() && partial.text != last_partial_) {
      print_line(JsonLine("partial")
                     .integer("segment", partial.index)
                     .number("start", partial.start_s, 9)
                     .number("end", partial.end_s, 9)
                     .text("text", partial.text)
                     .str());
      last_partial_ = partial.text;
    }
    std::fflush(stdout);
  }

  void summary() {
    const double audio_s = static_cast<double>(source_.samples_read()) / source_.sample_rate();
    // A position is ready once the window of its last stacked frame has arrived and the hop holding
    // it has been read (see cmd_stream.cpp); a segment is final endpoint_silence later.
    double latency_ms = (model_->window_s() + (model_->frame_stack() - 1) * model_->frame_shift_s()) * 1000 + s_.hop_ms;
    if (session_.resampling()) latency_ms += Resampler::kBlock / source_.sample_rate() * 1000;
    latency_ms += model_->cmvn_lookahead_s() * 1000;
    print_line(JsonLine("summary")
                   .number("audio_s", audio_s, 9)
                   .integer("positions", positions_)
                   .integer("segments", segments_)
                   .number("rtf", compute_s_ / audio_s)
                   .number("latency_algorithmic_ms", latency_ms)
                   .number("endpoint_latency_ms", options_.endpoint.trailing_silence_s * 1000)
                   .number("hop_compute_ms_p50", hops_.percentile(0.5) * 1000)
                   .number("hop_compute_ms_p99", hops_.percentile(0.99) * 1000)
                   .number("peak_rss_mb", peak_rss_mb())
                   .str());
    std::fflush(stdout);
  }

  const CtcStreamSettings& s_;
  CtcTranscriberOptions options_;
  std::shared_ptr<const StreamModel> model_;
  AudioSource& source_;
  StreamSession session_;
  LoadedFusionLm lm_;
  CtcTranscriber transcriber_;
  std::vector<CtcSegment> finals_;
  std::string last_partial_;
  LatencyHistogram hops_;
  double compute_s_ = 0;
  int64_t positions_ = 0, segments_ = 0;
};

}  // namespace

void run_ctc_stream(const CtcStreamSettings& settings, std::shared_ptr<const StreamModel> model, AudioSource& source) {
  CtcStreamRun(settings, std::move(model), source).run();
}

}  // namespace rwkvs::app
