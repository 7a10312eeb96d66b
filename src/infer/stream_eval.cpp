#include "src/infer/stream_eval.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "base/error.h"
#include "base/rng.h"

namespace rwkvs {

int64_t StreamEvalResult::keyword_clips() const { return std::accumulate(clips.begin(), clips.end(), int64_t{0}); }
int64_t StreamEvalResult::keywords_found() const { return std::accumulate(found.begin(), found.end(), int64_t{0}); }
double StreamEvalResult::recall() const {
  return keyword_clips() ? static_cast<double>(keywords_found()) / static_cast<double>(keyword_clips()) : 0.0;
}
double StreamEvalResult::false_alarms_per_hour() const {
  return audio_s > 0 ? static_cast<double>(false_alarms) * 3600.0 / audio_s : 0.0;
}

nlohmann::json StreamEvalResult::to_json() const {
  nlohmann::json per = nlohmann::json::object();
  for (size_t k = 0; k < labels.size(); ++k)
    if (clips[k] > 0) per[labels[k]] = static_cast<double>(found[k]) / static_cast<double>(clips[k]);
  return {{"stream_audio_s", audio_s},         {"stream_keyword_clips", keyword_clips()},
          {"stream_found", keywords_found()},  {"stream_recall", recall()},
          {"stream_false_alarms", false_alarms}, {"stream_false_alarms_per_hour", false_alarms_per_hour()},
          {"stream_per_class_recall", per}};
}

std::string StreamEvalResult::table() const {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "as a stream (%.1f s, clips back to back): found %lld of %lld keywords (%.2f%%), %lld false alarms "
                "(%.1f per hour)\n",
                audio_s, static_cast<long long>(keywords_found()), static_cast<long long>(keyword_clips()),
                100 * recall(), static_cast<long long>(false_alarms), false_alarms_per_hour());
  std::string s = buf;
  for (size_t k = 0; k < labels.size(); ++k) {
    if (clips[k] == 0) continue;
    std::snprintf(buf, sizeof buf, "  %-16.16s %4lld / %-4lld %7.2f%%\n", labels[k].c_str(),
                  static_cast<long long>(found[k]), static_cast<long long>(clips[k]),
                  100.0 * static_cast<double>(found[k]) / static_cast<double>(clips[k]));
    s += buf;
  }
  return s;
}

StreamEvalResult evaluate_stream(std::shared_ptr<const StreamModel> model,
                                 const std::vector<std::vector<float>>& clips, const std::vector<int32_t>& labels,
                                 const StreamEvalOptions& o) {
  if (clips.size() != labels.size()) fail("stream evaluation: ", clips.size(), " clips but ", labels.size(), " labels");
  if (clips.empty()) fail("stream evaluation: no clips");
  if (!(o.hop_s > 0)) fail("stream evaluation: the hop must be positive, got ", o.hop_s);
  const std::vector<std::string>& names = model->labels();
  const auto K = names.size();
  StreamEvalResult r;
  r.labels = names;
  r.clips.assign(K, 0);
  r.found.assign(K, 0);
  auto filler = [&](size_t k) { return !names[k].empty() && names[k][0] == '_'; };

  // Clip order: Fisher-Yates with the seed; spans in seconds on the stream's clock.
  std::vector<size_t> order(clips.size());
  std::iota(order.begin(), order.end(), size_t{0});
  Rng rng(o.seed);
  for (size_t i = order.size(); i-- > 1;) std::swap(order[i], order[rng.below(i + 1)]);
  const double rate = model->sample_rate();
  std::vector<double> begin(order.size()), end(order.size());
  double t = 0;
  for (size_t j = 0; j < order.size(); ++j) {
    const size_t i = order[j];
    if (labels[i] < 0 || static_cast<size_t>(labels[i]) >= K) fail("stream evaluation: clip ", i, " has label ", labels[i]);
    begin[j] = t;
    t += static_cast<double>(clips[i].size()) / rate;
    end[j] = t;
    if (!filler(static_cast<size_t>(labels[i]))) ++r.clips[static_cast<size_t>(labels[i])];
  }
  r.audio_s = t;

  StreamSession session(model);
  session.set_engine(o.engine);
  Detector detector(names, model->frame_shift_s(), o.detector);
  std::vector<Detection> events;
  auto drain = [&] {
    session.step();
    for (const FrameOutput& f : session.take_outputs()) detector.push(f.time_s, f.posteriors.data(), &events);
  };
  const auto hop = std::max<size_t>(1, static_cast<size_t>(o.hop_s * rate));
  for (size_t i : order)
    for (size_t at = 0; at < clips[i].size(); at += hop) {
      session.accept_waveform(rate, clips[i].data() + at, std::min(hop, clips[i].size() - at));
      drain();
    }
  session.input_finished();
  drain();
  detector.finish(&events);

  // Each event goes to the first clip whose window holds its start, has its label and is not found.
  std::vector<bool> found(order.size(), false);
  for (const Detection& e : events) {
    bool matched = false;
    for (size_t j = 0; j < order.size() && !matched; ++j) {
      if (begin[j] > e.start_s) break;  // clips are in time order
      if (e.start_s > end[j] + o.grace_s) continue;
      if (labels[order[j]] == e.label && !found[j]) {
        found[j] = true;
        ++r.found[static_cast<size_t>(e.label)];
        matched = true;
      }
    }
    if (!matched) ++r.false_alarms;
  }
  return r;
}

}  // namespace rwkvs
