#include "src/infer/stream_model.h"

#include <cstring>

#include "base/error.h"
#include "src/model/checkpoint.h"

namespace rwkvs {
namespace {

// Why a model cannot stream, or "" when it can. Worded for the common mistakes: a text model, an
// audio language model (mu-law tokens), a model saved without its frontend settings.
std::string unsuitable(const ModelConfig& c) {
  if (!c.frames_input()) {
    if (c.tokenizer == "mulaw") return "is an audio language model (mu-law tokens, lm head)";
    return "is a text model";
  }
  if (!c.labels_head()) return "has an lm head, not a classes or ctc head";
  if (c.frontend.is_null()) return "has no frontend settings in its config";
  return "";
}

// FNV-1a over 64-bit words, then a final avalanche; cheap enough for any model (~1 ms per 2 MB).
uint64_t hash_bytes(uint64_t h, const void* data, size_t bytes) {
  const auto* p = static_cast<const unsigned char*>(data);
  size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 0x100000001b3ULL;
  }
  for (; i < bytes; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

uint64_t avalanche(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 33);
}

}  // namespace

std::shared_ptr<const StreamModel> StreamModel::load(const std::string& path) {
  return std::make_shared<const StreamModel>(load_model(path), path);
}

StreamModel::StreamModel(Model model, std::string source)
    : model_(std::move(model)), source_(std::move(source)) {
  const ModelConfig& c = model_.config();
  const std::string why = unsuitable(c);
  if (!why.empty())
    fail("'", source_, "' ", why, "; stream needs an audio model with a classes or ctc head (frames input, ",
         "frontend settings, labels)");
  frontend_ = FrontendConfig::from_json(c.frontend, source_);
  if (!frontend_.is_framed())
    fail("'", source_, "' has a '", frontend_.type,
         "' frontend; stream needs framed features (fbank, mel, mfcc)");
  features_ = frontend_.make_pipeline();
  if (features_.dim() * c.frame_stack != c.input_dim)
    fail("'", source_, "': its frontend makes ", features_.dim(), " features per frame (x ", c.frame_stack,
         " stacked), the model takes ", c.input_dim);
  if (c.labels.empty()) fail("'", source_, "' has a ", c.head_kind, " head without labels");

  ModelConfig identity = c;
  identity.train_step = 0;  // the same weights saved at another step are the same model
  identity.detector = nullptr;  // and so are they with the detector recalibrated
  const std::string config_text = identity.to_json().dump();
  uint64_t h = 0xcbf29ce484222325ULL;
  h = hash_bytes(h, config_text.data(), config_text.size());
  h = hash_bytes(h, model_.params(), model_.params_size() * sizeof(float));
  fingerprint_ = avalanche(h);
}

double StreamModel::frame_shift_s() const { return features_.geometry().shift / sample_rate(); }

double StreamModel::window_s() const { return features_.geometry().length / sample_rate(); }

double StreamModel::frame_end_s(int64_t frame) const {
  const FrameGeometry& g = features_.geometry();
  return static_cast<double>(g.start(frame) + g.length) / sample_rate();
}

double StreamModel::cmvn_lookahead_s() const {
  if (!features_.cmvn || !features_.cmvn->center) return 0;
  const int w = features_.cmvn->cmn_window;
  return (w - w / 2 - 1) * frame_shift_s();
}

std::shared_ptr<Engine> StreamModel::default_engine() const {
  if (!config().rwkv7()) return nullptr;
  return make_engine("cpu", model());
}

void StreamModel::check_engine(const Engine& engine, const char* who) const {
  if (engine.config().to_json() != config().to_json())
    fail(who, ": the engine holds another model than '", source_, "'");
}

}  // namespace rwkvs
