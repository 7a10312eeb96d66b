#include "src/infer/stream_eval.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <numeric>

#include "base/error.h"
#include "base/rng.h"

namespace rwkvs {
namespace {

// A recording once scored: the detector's smoothed posteriors per frame, and its keywords.
struct Scored {
  std::vector<float> smoothed;  // [frames, K]
  std::vector<double> times;    // [frames] end of each frame's window
  struct Keyword {
    int label;
    double start_s, end_s;
  };
  std::vector<Keyword> keywords;
};

Scored score(const StreamModel& model, std::shared_ptr<const StreamModel> shared, const KeywordRecording& rec,
             const std::map<std::string, int>& label_ids, const StreamEvalOptions& o) {
  Scored s;
  for (const KeywordSpan& k : rec.keywords) {
    const auto it = label_ids.find(k.label);
    if (it == label_ids.end())
      fail(rec.name, ": keyword '", k.label, "' is not a class of the model '", model.source(), "'");
    if (!k.label.empty() && k.label[0] == '_')
      fail(rec.name, ": '", k.label, "' is a filler class, not a keyword");
    s.keywords.push_back({it->second, k.start_s, k.end_s});
  }
  StreamSession session(std::move(shared));
  session.set_engine(o.engine);
  // Only the smoothing of this detector is used: its events come from the replays below.
  Detector smoother(model.labels(), model.frame_shift_s(), o.detector);
  std::vector<Detection> unused;
  const size_t K = model.labels().size();
  auto drain = [&] {
    session.step();
    for (const FrameOutput& f : session.take_outputs()) {
      smoother.push(f.time_s, f.posteriors.data(), &unused);
      s.smoothed.insert(s.smoothed.end(), smoother.smoothed().begin(), smoother.smoothed().begin() + K);
      s.times.push_back(f.time_s);
    }
    unused.clear();
  };
  const double rate = model.sample_rate();
  const auto hop = std::max<size_t>(1, static_cast<size_t>(o.hop_s * rate));
  for (size_t at = 0; at < rec.samples.size(); at += hop) {
    session.accept_waveform(rate, rec.samples.data() + at, std::min(hop, rec.samples.size() - at));
    drain();
  }
  session.input_finished();
  drain();
  return s;
}

// The detector at 'threshold' over the smoothed posteriors (smoothing 0: the values are used as
// they are, so its decisions equal a live detector's with the smoothing), events matched to keywords.
void count(const Scored& s, const std::vector<std::string>& labels, double frame_shift_s,
           const StreamEvalOptions& o, DetectionCounts& c) {
  DetectorOptions d = o.detector;
  d.smooth_s = 0;
  Detector detector(labels, frame_shift_s, d);
  std::vector<Detection> events;
  const size_t K = labels.size();
  for (size_t f = 0; f < s.times.size(); ++f) detector.push(s.times[f], s.smoothed.data() + f * K, &events);
  detector.finish(&events);
  std::sort(events.begin(), events.end(), [](const Detection& a, const Detection& b) { return a.start_s < b.start_s; });
  std::vector<bool> found(s.keywords.size(), false);
  for (const Scored::Keyword& k : s.keywords) ++c.keywords[static_cast<size_t>(k.label)];
  for (const Detection& e : events) {
    bool matched = false;
    for (size_t j = 0; j < s.keywords.size() && !matched; ++j) {
      const Scored::Keyword& k = s.keywords[j];
      if (k.start_s > e.start_s) break;  // keywords are in time order
      if (e.start_s > k.end_s + o.grace_s || found[j] || k.label != e.label) continue;
      found[j] = true;
      ++c.found[static_cast<size_t>(e.label)];
      matched = true;
    }
    if (!matched) ++c.false_alarms;
  }
}

}  // namespace

std::vector<double> default_sweep_thresholds() {
  std::vector<double> t;
  for (int i = 1; i <= 19; ++i) t.push_back(0.05 * i);
  for (double v : {0.96, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9999}) t.push_back(v);
  return t;
}

int64_t DetectionCounts::keywords_said() const { return std::accumulate(keywords.begin(), keywords.end(), int64_t{0}); }
int64_t DetectionCounts::keywords_found() const { return std::accumulate(found.begin(), found.end(), int64_t{0}); }
double DetectionCounts::recall() const {
  return keywords_said() ? static_cast<double>(keywords_found()) / static_cast<double>(keywords_said()) : 0.0;
}
double DetectionCounts::false_alarms_per_hour() const {
  return audio_s > 0 ? static_cast<double>(false_alarms) * 3600.0 / audio_s : 0.0;
}

nlohmann::json StreamEvalResult::to_json() const {
  nlohmann::json per = nlohmann::json::object();
  for (size_t k = 0; k < labels.size(); ++k)
    if (at.keywords[k] > 0) per[labels[k]] = static_cast<double>(at.found[k]) / static_cast<double>(at.keywords[k]);
  nlohmann::json points = nlohmann::json::array();
  for (const DetectionCounts& c : sweep)
    points.push_back({{"threshold", c.threshold},
                      {"found", c.keywords_found()},
                      {"recall", c.recall()},
                      {"false_alarms", c.false_alarms},
                      {"false_alarms_per_hour", c.false_alarms_per_hour()}});
  nlohmann::json j = {{"stream_audio_s", at.audio_s},
                      {"stream_keyword_clips", at.keywords_said()},
                      {"stream_found", at.keywords_found()},
                      {"stream_recall", recall()},
                      {"stream_false_alarms", at.false_alarms},
                      {"stream_false_alarms_per_hour", false_alarms_per_hour()},
                      {"stream_per_class_recall", per},
                      {"stream_threshold", at.threshold},
                      {"stream_sweep", points}};
  if (target_fa_per_hour > 0) {
    j["stream_target_fa_per_hour"] = target_fa_per_hour;
    j["stream_target_met"] = target_met;
  }
  return j;
}

std::string StreamEvalResult::table() const {
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "as a stream (%.1f s): found %lld of %lld keywords (%.2f%%), %lld false alarms (%.1f per hour) at "
                "threshold %g%s\n",
                at.audio_s, static_cast<long long>(at.keywords_found()), static_cast<long long>(at.keywords_said()),
                100 * recall(), static_cast<long long>(at.false_alarms), false_alarms_per_hour(), at.threshold,
                target_fa_per_hour <= 0 ? ""
                : target_met            ? " (calibrated for the target false-alarm rate)"
                                        : " (no threshold of the sweep reaches the target false-alarm rate)");
  std::string s = buf;
  for (size_t k = 0; k < labels.size(); ++k) {
    if (at.keywords[k] == 0) continue;
    std::snprintf(buf, sizeof buf, "  %-16.16s %4lld / %-4lld %7.2f%%\n", labels[k].c_str(),
                  static_cast<long long>(at.found[k]), static_cast<long long>(at.keywords[k]),
                  100.0 * static_cast<double>(at.found[k]) / static_cast<double>(at.keywords[k]));
    s += buf;
  }
  s += "  threshold   recall   false alarms per hour\n";
  for (const DetectionCounts& c : sweep) {
    std::snprintf(buf, sizeof buf, "  %9g  %6.2f%%  %10.2f\n", c.threshold, 100 * c.recall(), c.false_alarms_per_hour());
    s += buf;
  }
  return s;
}

namespace {
void require_keyword_model(const StreamModel& m) {
  if (!m.config().classes_head())
    fail("'", m.source(), "' has a ", m.config().head_kind, " head; keyword detection needs a classes head");
}
}  // namespace

StreamEvalResult evaluate_recordings(std::shared_ptr<const StreamModel> model, size_t count_recordings,
                                     const std::function<KeywordRecording(size_t)>& load,
                                     const StreamEvalOptions& o) {
  require_keyword_model(*model);
  if (count_recordings == 0) fail("stream evaluation: no recordings");
  if (!(o.hop_s > 0)) fail("stream evaluation: the hop must be positive, got ", o.hop_s);
  if (!(o.grace_s >= 0)) fail("stream evaluation: the grace time must be >= 0 s, got ", o.grace_s);
  if (o.target_fa_per_hour < 0) fail("--target-fa-per-hour must not be negative, got ", o.target_fa_per_hour);
  std::vector<double> thresholds = o.thresholds.empty() ? default_sweep_thresholds() : o.thresholds;
  thresholds.push_back(o.detector.threshold);
  std::sort(thresholds.begin(), thresholds.end());
  thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
  for (double t : thresholds)
    if (!(t > 0 && t <= 1)) fail("stream evaluation: thresholds must be in (0, 1], got ", t);

  const std::vector<std::string>& labels = model->labels();
  const size_t K = labels.size();
  std::map<std::string, int> ids;
  for (size_t k = 0; k < K; ++k) ids[labels[k]] = static_cast<int>(k);
  StreamEvalResult r;
  r.labels = labels;
  r.target_fa_per_hour = o.target_fa_per_hour;
  for (double t : thresholds) {
    DetectionCounts c;
    c.threshold = t;
    c.keywords.assign(K, 0);
    c.found.assign(K, 0);
    r.sweep.push_back(std::move(c));
  }
  double audio_s = 0;
  for (size_t i = 0; i < count_recordings; ++i) {
    const KeywordRecording rec = load(i);
    audio_s += static_cast<double>(rec.samples.size()) / model->sample_rate();
    const Scored s = score(*model, model, rec, ids, o);
    for (DetectionCounts& c : r.sweep) {
      StreamEvalOptions at = o;
      at.detector.threshold = c.threshold;
      count(s, labels, model->frame_shift_s(), at, c);
    }
  }
  for (DetectionCounts& c : r.sweep) c.audio_s = audio_s;
  // The operating point.
  size_t pick = 0;
  if (o.target_fa_per_hour > 0) {
    r.target_met = false;
    pick = r.sweep.size() - 1;
    for (size_t j = 0; j < r.sweep.size(); ++j)
      if (r.sweep[j].false_alarms_per_hour() <= o.target_fa_per_hour) {
        pick = j;
        r.target_met = true;
        break;
      }
  } else {
    while (r.sweep[pick].threshold != o.detector.threshold) ++pick;
  }
  r.at = r.sweep[pick];
  return r;
}

namespace {

// The clips back to back as one recording: append(i, samples) adds clip i's samples.
template <class Append>
StreamEvalResult evaluate_back_to_back(std::shared_ptr<const StreamModel> model, size_t count,
                                       const Append& append, const std::vector<int32_t>& labels,
                                       const StreamEvalOptions& o) {
  require_keyword_model(*model);
  if (count != labels.size()) fail("stream evaluation: ", count, " clips but ", labels.size(), " labels");
  if (count == 0) fail("stream evaluation: no clips");
  const std::vector<std::string>& names = model->labels();
  // Clip order: Fisher-Yates with the seed; spans in seconds on the stream's clock.
  std::vector<size_t> order(count);
  std::iota(order.begin(), order.end(), size_t{0});
  Rng rng(o.seed);
  for (size_t i = order.size(); i-- > 1;) std::swap(order[i], order[rng.below(i + 1)]);
  const double rate = model->sample_rate();
  KeywordRecording all;
  all.name = "the clips back to back";
  for (size_t i : order) {
    if (labels[i] < 0 || static_cast<size_t>(labels[i]) >= names.size())
      fail("stream evaluation: clip ", i, " has label ", labels[i]);
    const double begin = static_cast<double>(all.samples.size()) / rate;
    append(i, all.samples);
    const std::string& name = names[static_cast<size_t>(labels[i])];
    if (!name.empty() && name[0] != '_')
      all.keywords.push_back({name, begin, static_cast<double>(all.samples.size()) / rate});
  }
  return evaluate_recordings(model, 1, [&](size_t) { return all; }, o);
}

}  // namespace

StreamEvalResult evaluate_stream(std::shared_ptr<const StreamModel> model,
                                 const std::vector<std::vector<float>>& clips, const std::vector<int32_t>& labels,
                                 const StreamEvalOptions& o) {
  const auto append = [&](size_t i, std::vector<float>& out) {
    out.insert(out.end(), clips[i].begin(), clips[i].end());
  };
  return evaluate_back_to_back(std::move(model), clips.size(), append, labels, o);
}

StreamEvalResult evaluate_stream(std::shared_ptr<const StreamModel> model, const std::vector<Pcm16Clip>& clips,
                                 const std::vector<int32_t>& labels, const StreamEvalOptions& o) {
  const auto append = [&](size_t i, std::vector<float>& out) { clips[i].append_float(out, 0, clips[i].size()); };
  return evaluate_back_to_back(std::move(model), clips.size(), append, labels, o);
}

}  // namespace rwkvs
