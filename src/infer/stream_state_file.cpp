// StreamSession::save_state / load_state: a session's stream as a safetensors file (version 1).
//
//   tensors   recurrent_state     [L, 2C + 3A]  RecurrentState of batch 1, raw layout (state.h)
//             frontend.samples    [n]           OnlineFeatures' unconsumed samples
//             frontend.frames     [m, F]        computed frames not yet stepped
//             outputs.posteriors  [k, K]        outputs not yet taken (the k frames before
//                                               frontend.first_frame)
//             frontend.cmvn_frames [j, F]       models with sliding CMVN: the raw frames its window
//                                               still needs (metadata cmvn_*: its counters, window
//                                               and running sums as exact decimal doubles)
//   metadata  rwkvs.stream_state  "1"           format version
//             model               JSON: n_layer, n_embd, dim_att, dim_ffn, input_dim, labels, frontend
//             model_fingerprint   StreamModel::fingerprint() in hex (weights and config)
//             model_source        where the model came from (for messages only)
//             input_rate, samples_start, samples_received, first_frame, frames_ready, finished
//             checksum            hash of every tensor's bytes: corruption is caught, not streamed
// Floats are stored bit for bit, so a loaded session continues exactly.
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "src/infer/stream_session.h"
#include "src/io/safetensors.h"

namespace rwkvs {
namespace {

constexpr const char* kVersionKey = "rwkvs.stream_state";
constexpr const char* kVersion = "1";

nlohmann::json model_description(const StreamModel& m) {
  const ModelConfig& c = m.config();
  return {{"arch", c.arch},           {"n_layer", c.n_layer}, {"n_embd", c.n_embd},  {"dim_att", c.dim_att},
          {"dim_ffn", c.dim_ffn},     {"input_dim", c.input_dim}, {"labels", c.labels}, {"frontend", c.frontend}};
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

// 'extra': metadata that is state too (the CMVN sums), covered by the checksum like the tensors.
uint64_t checksum(const std::vector<TensorView>& tensors, const std::string& extra) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : extra) h = (h ^ c) * 0x100000001b3ULL;
  for (const TensorView& t : tensors) {
    size_t n = 1;
    for (int64_t d : t.shape) n *= static_cast<size_t>(d);
    const auto* p = reinterpret_cast<const unsigned char*>(t.data);
    for (size_t i = 0; i < n * sizeof(float); ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
  }
  return h;
}

std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string nums(const std::vector<double>& v) {
  std::string s;
  for (double x : v) s += (s.empty() ? "" : " ") + num(x);
  return s;
}

std::string cmvn_text(const SlidingCmvnSnapshot& c) { return nums(c.sum) + "|" + nums(c.sumsq); }

// Reads and checks one file; every message names it.
class StateReader {
 public:
  explicit StateReader(const std::string& path) : path_(path), file_(path) {}

  [[noreturn]] void corrupt(const std::string& why) const {
    fail("load_state: '", path_, "' is corrupt: ", why);
  }

  const std::string& meta(const char* key) const {
    const auto it = file_.metadata().find(key);
    if (it == file_.metadata().end()) corrupt(std::string("its metadata lacks '") + key + "'");
    return it->second;
  }

  int64_t integer(const char* key) const {
    const std::string& s = meta(key);
    int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v < 0)
      corrupt(std::string("metadata '") + key + "' is not a count (" + s + ")");
    return v;
  }

  double real(const char* key) const {
    const std::string& s = meta(key);
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0' || !std::isfinite(v))
      corrupt(std::string("metadata '") + key + "' is not a number");
    return v;
  }

  // A space-separated list of finite numbers.
  std::vector<double> reals(const char* key) const {
    std::vector<double> out;
    const std::string& s = meta(key);
    const char* p = s.c_str();
    while (*p) {
      char* end = nullptr;
      const double v = std::strtod(p, &end);
      if (end == p || !std::isfinite(v)) corrupt(std::string("metadata '") + key + "' is not a list of numbers");
      out.push_back(v);
      p = end;
      while (*p == ' ') ++p;
    }
    return out;
  }

  // The tensor's floats; its shape must be 'shape' and every value finite.
  std::vector<float> tensor(const char* name, const std::vector<int64_t>& shape) const {
    const TensorEntry* t = file_.find(name);
    if (!t) corrupt(std::string("it lacks tensor ") + name);
    if (t->dtype != "F32") corrupt(std::string(name) + " is " + t->dtype + ", expected F32");
    if (t->shape != shape)
      corrupt(std::string(name) + " has shape " + shape_string(t->shape) + ", expected " +
              shape_string(shape));
    std::vector<float> v = file_.read_f32(name);
    for (float x : v)
      if (!std::isfinite(x)) corrupt(std::string(name) + " holds a non-finite value");
    return v;
  }

  const TensorEntry* entry(const char* name) const { return file_.find(name); }
  const Metadata& metadata() const { return file_.metadata(); }

 private:
  std::string path_;
  SafetensorsReader file_;
};

// The first way 'saved' (the file's model) differs from 'here', for the error message.
std::string model_difference(const nlohmann::json& saved, const nlohmann::json& here) {
  // files from before RWKV-7 carry no arch: they are RWKV-4 states
  const nlohmann::json saved_arch = saved.value("arch", nlohmann::json("rwkv4"));
  if (saved_arch != here.at("arch"))
    return "arch " + saved_arch.dump() + " there, " + here.at("arch").dump() + " here";
  for (const char* key : {"n_layer", "n_embd", "dim_att", "dim_ffn", "input_dim"})
    if (saved.value(key, nlohmann::json()) != here.at(key))
      return std::string(key) + " " + saved.value(key, nlohmann::json()).dump() + " there, " +
             here.at(key).dump() + " here";
  if (saved.value("labels", nlohmann::json()) != here.at("labels"))
    return "labels " + saved.value("labels", nlohmann::json()).dump() + " there, " +
           here.at("labels").dump() + " here";
  if (saved.value("frontend", nlohmann::json()) != here.at("frontend"))
    return "other frontend settings (" + saved.value("frontend", nlohmann::json()).dump() + " there, " +
           here.at("frontend").dump() + " here)";
  return "";
}

}  // namespace

void StreamSession::save_state(const std::string& path) const {
  if (model_->is_ctc() || model_->frame_stack() != 1)
    fail("save_state: saving the stream of a CTC model (stacked frames, log-probabilities) is not supported yet; "
         "'", model_->source(), "' is one");
  if (resampler_)
    fail("save_state: this stream is resampled from ", input_rate_, " to ", model_->sample_rate(),
         " Hz and the resampler's (libsoxr) filter state cannot be saved; feed audio at the model's rate (",
         model_->sample_rate(), " Hz) to save and restore streams");
  const ModelConfig& c = model_->config();
  const OnlineFeaturesSnapshot f = features_.snapshot();
  const int64_t K = model_->num_classes(), F = c.input_dim;
  const SlidingCmvnSnapshot no_cmvn;
  const SlidingCmvnSnapshot& cmvn = f.cmvn ? *f.cmvn : no_cmvn;
  std::vector<float> posteriors;
  posteriors.reserve(outputs_.size() * static_cast<size_t>(K));
  for (size_t i = 0; i < outputs_.size(); ++i) {
    RWKVS_CHECK(outputs_[i].frame == f.first_frame - static_cast<int64_t>(outputs_.size() - i),
                "save_state: outputs are not the frames just before the pending ones");
    posteriors.insert(posteriors.end(), outputs_[i].posteriors.begin(), outputs_[i].posteriors.end());
  }
  std::vector<TensorView> tensors = {
      {"recurrent_state", {c.n_layer, state_.floats_per_layer()}, state_.data()},
      {"frontend.samples", {static_cast<int64_t>(f.samples.size())}, f.samples.data()},
      {"frontend.frames", {static_cast<int64_t>(f.frames.size()) / F, F}, f.frames.data()},
      {"outputs.posteriors", {static_cast<int64_t>(outputs_.size()), K}, posteriors.data()}};
  if (f.cmvn)
    tensors.push_back({"frontend.cmvn_frames", {static_cast<int64_t>(cmvn.frames.size()) / F, F}, cmvn.frames.data()});
  Metadata meta = {{kVersionKey, kVersion},
                         {"model", model_description(*model_).dump()},
                         {"model_fingerprint", hex64(model_->fingerprint())},
                         {"model_source", model_->source()},
                         {"input_rate", num(input_rate_)},
                         {"samples_start", std::to_string(f.samples_start)},
                         {"samples_received", std::to_string(f.samples_received)},
                         {"first_frame", std::to_string(f.first_frame)},
                         {"frames_ready", std::to_string(f.frames_ready)},
                         {"finished", f.finished ? "1" : "0"},
                         {"checksum", hex64(checksum(tensors, f.cmvn ? cmvn_text(cmvn) : ""))}};
  if (f.cmvn) {
    meta["cmvn_frames_start"] = std::to_string(cmvn.frames_start);
    meta["cmvn_frames_in"] = std::to_string(cmvn.frames_in);
    meta["cmvn_frames_out"] = std::to_string(cmvn.frames_out);
    // -1 before the first output: stored shifted by one so that counts stay non-negative.
    meta["cmvn_window_start"] = std::to_string(cmvn.window_start + 1);
    meta["cmvn_window_end"] = std::to_string(cmvn.window_end + 1);
    meta["cmvn_sum"] = nums(cmvn.sum);
    meta["cmvn_sumsq"] = nums(cmvn.sumsq);
  }
  write_safetensors(path, tensors, meta);
}

void StreamSession::load_state(const std::string& path) {
  std::unique_ptr<StateReader> opened;
  try {
    opened = std::make_unique<StateReader>(path);
  } catch (const Error& e) {
    fail("load_state: ", e.what());
  }
  const StateReader& r = *opened;
  const auto version = r.metadata().find(kVersionKey);
  if (version == r.metadata().end())
    fail("load_state: '", path, "' is not a stream state (its metadata has no '", kVersionKey, "')");
  if (version->second != kVersion)
    fail("load_state: '", path, "' is a stream state of format version ", version->second,
         "; this build reads version ", kVersion);

  const nlohmann::json here = model_description(*model_);
  const nlohmann::json saved = nlohmann::json::parse(r.meta("model"), nullptr, /*allow_exceptions=*/false);
  if (!saved.is_object()) r.corrupt("metadata 'model' is not a JSON object");
  const std::string difference = model_difference(saved, here);
  if (!difference.empty())
    fail("load_state: '", path, "' was saved with another model ('", r.meta("model_source"),
         "'): ", difference, " ('", model_->source(), "')");
  if (r.meta("model_fingerprint") != hex64(model_->fingerprint()))
    fail("load_state: '", path, "' was saved with another model ('", r.meta("model_source"),
         "'): same shape, labels and frontend but other weights; a state continues only on the model that "
         "made it");

  const ModelConfig& c = model_->config();
  const int64_t K = model_->num_classes(), F = c.input_dim;
  OnlineFeaturesSnapshot f;
  f.samples_start = r.integer("samples_start");
  f.samples_received = r.integer("samples_received");
  f.first_frame = r.integer("first_frame");
  f.frames_ready = r.integer("frames_ready");
  f.finished = r.integer("finished") != 0;
  const double input_rate = r.real("input_rate");
  if (input_rate != 0 && input_rate != model_->sample_rate())
    r.corrupt("input rate " + num(input_rate) + " Hz is neither 0 nor the model's rate");
  if (f.samples_received < f.samples_start || f.frames_ready < f.first_frame)
    r.corrupt("its frontend counters are inconsistent");
  f.samples = r.tensor("frontend.samples", {f.samples_received - f.samples_start});
  f.frames = r.tensor("frontend.frames", {f.frames_ready - f.first_frame, F});
  const int64_t per_layer = RecurrentState(c, 1).floats_per_layer();
  const std::vector<float> state = r.tensor("recurrent_state", {c.n_layer, per_layer});
  // The outputs' count is whatever the file holds: read it from the entry's shape.
  const TensorEntry* out_entry = r.entry("outputs.posteriors");
  if (!out_entry || out_entry->shape.size() != 2) r.corrupt("it lacks tensor outputs.posteriors [k, K]");
  const int64_t n_out = out_entry->shape[0];
  if (n_out > f.first_frame) r.corrupt("it holds more outputs than frames stepped");
  const std::vector<float> posteriors = r.tensor("outputs.posteriors", {n_out, K});

  std::vector<TensorView> views = {
      {"recurrent_state", {c.n_layer, per_layer}, state.data()},
      {"frontend.samples", {static_cast<int64_t>(f.samples.size())}, f.samples.data()},
      {"frontend.frames", {f.frames_ready - f.first_frame, F}, f.frames.data()},
      {"outputs.posteriors", {n_out, K}, posteriors.data()}};
  std::string extra;
  if (model_->features().cmvn) {
    SlidingCmvnSnapshot s;
    s.frames_start = r.integer("cmvn_frames_start");
    s.frames_in = r.integer("cmvn_frames_in");
    s.frames_out = r.integer("cmvn_frames_out");
    s.window_start = r.integer("cmvn_window_start") - 1;
    s.window_end = r.integer("cmvn_window_end") - 1;
    s.finished = f.finished;
    if (s.frames_in < s.frames_start) r.corrupt("its CMVN counters are inconsistent");
    s.sum = r.reals("cmvn_sum");
    s.sumsq = r.reals("cmvn_sumsq");
    s.frames = r.tensor("frontend.cmvn_frames", {s.frames_in - s.frames_start, F});
    f.cmvn = std::move(s);
    views.push_back({"frontend.cmvn_frames", {f.cmvn->frames_in - f.cmvn->frames_start, F}, f.cmvn->frames.data()});
    extra = cmvn_text(*f.cmvn);
  }
  if (r.meta("checksum") != hex64(checksum(views, extra))) r.corrupt("its checksum does not match its data");

  OnlineFeatures features(model_->features());
  try {
    features.restore(f);
  } catch (const Error& e) {
    r.corrupt(e.what());
  }
  // Everything checked: replace the stream.
  RWKVS_CHECK(state.size() == state_.size(), "load_state: state size mismatch");
  std::copy(state.begin(), state.end(), state_.data());
  features_ = std::move(features);
  input_rate_ = input_rate;
  resampler_.reset();
  outputs_.clear();
  for (int64_t i = 0; i < n_out; ++i) {
    const int64_t frame = f.first_frame - n_out + i;
    outputs_.push_back({frame, model_->frame_end_s(frame),
                        std::vector<float>(posteriors.begin() + i * K, posteriors.begin() + (i + 1) * K), {}});
  }
}

}  // namespace rwkvs
