#pragma once
// rwkvs stream on a CTC speech recogniser: the audio through a StreamSession hop by hop, its
// log-probabilities through a CtcTranscriber, and JSON lines out (keep them stable):
//   {"type":"header","task":"ctc","labels":[...],"position_s":<s per model position>,"sample_rate":..,
//    "decoder":"greedy","endpoint":{"trailing_silence_s":0.8,"max_segment_s":20}}
//   {"type":"partial","segment":0,"start":<s>,"end":<s>,"text":"hello wor"}   when the open segment's text changes
//   {"type":"final","segment":0,"start":<s>,"end":<s>,"text":"hello world",
//    "words":[{"word":"hello","start":<s>,"end":<s>},...]}                     at each endpoint and at the end
//   {"type":"summary","audio_s":..,"positions":..,"segments":..,"rtf":..,"latency_algorithmic_ms":..,
//    "endpoint_latency_ms":..,"hop_compute_ms_p50":..,"hop_compute_ms_p99":..,"peak_rss_mb":..}
// Times are seconds of the model's audio from the start of the stream. The segments are those of
// ctc_transcribe() over the offline log-probabilities of the same audio (src/infer/ctc_transcriber.h).
#include <memory>
#include <string>

#include "apps/rwkvs/audio_source.h"
#include "apps/rwkvs/ctc_decode_flags.h"
#include "src/infer/stream_model.h"

namespace rwkvs::app {

struct CtcStreamSettings {
  double hop_ms = 100;
  bool realtime = false;
  bool partials = true;
  std::string step_mode = "hop", device = "cpu", precision = "fp32";
  CtcDecodeFlags decode;
};

void run_ctc_stream(const CtcStreamSettings& settings, std::shared_ptr<const StreamModel> model, AudioSource& source);

}  // namespace rwkvs::app
