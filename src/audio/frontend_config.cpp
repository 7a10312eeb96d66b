#include "src/audio/frontend_config.h"

#include "base/error.h"
#include "frontends/audio/framing.h"
#include "frontends/audio/mel_filters.h"
#include "frontends/audio/window.h"

namespace rwkvs {
namespace {

using nlohmann::json;

json fbank_json(const FbankOptions& o) {
  return {{"sample_rate", o.sample_rate},
          {"frame_length_ms", o.frame_length_ms},
          {"frame_shift_ms", o.frame_shift_ms},
          {"dither", o.dither},
          {"dither_seed", o.dither_seed},
          {"preemphasis_coefficient", o.preemphasis_coefficient},
          {"remove_dc_offset", o.remove_dc_offset},
          {"window_type", window_type_name(o.window_type)},
          {"blackman_coeff", o.blackman_coeff},
          {"round_to_power_of_two", o.round_to_power_of_two},
          {"snip_edges", o.snip_edges},
          {"num_mel_bins", o.num_mel_bins},
          {"low_freq", o.low_freq},
          {"high_freq", o.high_freq},
          {"use_energy", o.use_energy},
          {"raw_energy", o.raw_energy},
          {"energy_floor", o.energy_floor},
          {"use_log_fbank", o.use_log_fbank},
          {"use_power", o.use_power},
          {"int16_scale", o.int16_scale}};
}

json mel_json(const MelSpectrogramOptions& o) {
  return {{"sample_rate", o.sample_rate}, {"n_fft", o.n_fft},
          {"win_length", o.win_length},   {"hop_length", o.hop_length},
          {"n_mels", o.n_mels},           {"f_min", o.f_min},
          {"f_max", o.f_max},             {"center", o.center},
          {"pad_mode", pad_mode_name(o.pad_mode)}, {"power", o.power},
          {"mel_scale", mel_scale_name(o.mel_scale)}, {"norm", mel_norm_name(o.norm)},
          {"log", log_kind_name(o.log)},  {"log_eps", o.log_eps},
          {"int16_scale", o.int16_scale}};
}

// Reads j[key] into out when present, checking the JSON type.
class Reader {
 public:
  Reader(const json& j, std::string where) : j_(j), where_(std::move(where)) {
    if (!j_.is_object()) fail(where_, " is not a JSON object");
  }
  template <class T>
  void get(const char* key, T& out) const {
    if (!j_.contains(key)) return;
    const json& v = j_.at(key);
    bool ok;
    if constexpr (std::is_same_v<T, bool>)
      ok = v.is_boolean();
    else if constexpr (std::is_integral_v<T>)
      ok = v.is_number_integer();
    else
      ok = v.is_number();
    if (!ok) fail(where_, ": '", key, "' has the wrong type (", v.dump(), ")");
    out = v.get<T>();
  }
  std::string name(const char* key, const std::string& fallback) const {
    if (!j_.contains(key)) return fallback;
    if (!j_.at(key).is_string()) fail(where_, ": '", key, "' must be a string");
    return j_.at(key).get<std::string>();
  }
  const json& sub(const char* key) const {
    if (!j_.contains(key)) fail(where_, " lacks '", key, "'");
    return j_.at(key);
  }
  const std::string& where() const { return where_; }

 private:
  const json& j_;
  std::string where_;
};

FbankOptions fbank_from(const json& j, const std::string& where) {
  const Reader r(j, where);
  FbankOptions o;
  r.get("sample_rate", o.sample_rate);
  r.get("frame_length_ms", o.frame_length_ms);
  r.get("frame_shift_ms", o.frame_shift_ms);
  r.get("dither", o.dither);
  r.get("dither_seed", o.dither_seed);
  r.get("preemphasis_coefficient", o.preemphasis_coefficient);
  r.get("remove_dc_offset", o.remove_dc_offset);
  o.window_type = parse_window_type(r.name("window_type", window_type_name(o.window_type)));
  r.get("blackman_coeff", o.blackman_coeff);
  r.get("round_to_power_of_two", o.round_to_power_of_two);
  r.get("snip_edges", o.snip_edges);
  r.get("num_mel_bins", o.num_mel_bins);
  r.get("low_freq", o.low_freq);
  r.get("high_freq", o.high_freq);
  r.get("use_energy", o.use_energy);
  r.get("raw_energy", o.raw_energy);
  r.get("energy_floor", o.energy_floor);
  r.get("use_log_fbank", o.use_log_fbank);
  r.get("use_power", o.use_power);
  r.get("int16_scale", o.int16_scale);
  return o;
}

MelSpectrogramOptions mel_from(const json& j, const std::string& where) {
  const Reader r(j, where);
  MelSpectrogramOptions o;
  r.get("sample_rate", o.sample_rate);
  r.get("n_fft", o.n_fft);
  r.get("win_length", o.win_length);
  r.get("hop_length", o.hop_length);
  r.get("n_mels", o.n_mels);
  r.get("f_min", o.f_min);
  r.get("f_max", o.f_max);
  r.get("center", o.center);
  o.pad_mode = parse_pad_mode(r.name("pad_mode", pad_mode_name(o.pad_mode)));
  r.get("power", o.power);
  o.mel_scale = parse_mel_scale(r.name("mel_scale", mel_scale_name(o.mel_scale)));
  o.norm = parse_mel_norm(r.name("norm", mel_norm_name(o.norm)));
  o.log = parse_log_kind(r.name("log", log_kind_name(o.log)));
  r.get("log_eps", o.log_eps);
  r.get("int16_scale", o.int16_scale);
  return o;
}

json cmvn_json(const SlidingCmvnOptions& o) {
  return {{"type", "sliding"},
          {"cmn_window", o.cmn_window},
          {"min_window", o.min_window},
          {"center", o.center},
          {"norm_vars", o.norm_vars}};
}

SlidingCmvnOptions cmvn_from(const json& j, const std::string& where) {
  const Reader r(j, where);
  if (r.name("type", "sliding") != "sliding") fail(where, ": unknown type '", r.name("type", ""), "' (expected sliding)");
  SlidingCmvnOptions o;
  r.get("cmn_window", o.cmn_window);
  r.get("min_window", o.min_window);
  r.get("center", o.center);
  r.get("norm_vars", o.norm_vars);
  try {
    o.validate();
  } catch (const Error& e) {
    fail(where, ": ", e.what());
  }
  return o;
}

}  // namespace

double FrontendConfig::sample_rate() const {
  if (type == "fbank") return fbank.sample_rate;
  if (type == "mel") return mel.sample_rate;
  if (type == "mfcc") return mfcc.base == MfccBase::mel ? mfcc.mel.sample_rate : mfcc.fbank.sample_rate;
  return mulaw_sample_rate;
}

std::shared_ptr<const FeatureComputer> FrontendConfig::make_computer() const {
  if (type == "fbank") return std::make_shared<Fbank>(fbank);
  if (type == "mel") return std::make_shared<MelSpectrogram>(mel);
  if (type == "mfcc") return std::make_shared<Mfcc>(mfcc);
  fail("frontend '", type, "' has no frame computer");
}

FeaturePipeline FrontendConfig::make_pipeline() const {
  if (cmvn) cmvn->validate();
  return FeaturePipeline(make_computer(), cmvn);
}

nlohmann::json FrontendConfig::to_json() const {
  json j;
  if (type == "fbank") {
    j = {{"type", type}, {"fbank", fbank_json(fbank)}};
  } else if (type == "mel") {
    j = {{"type", type}, {"mel", mel_json(mel)}};
  } else if (type == "mfcc") {
    j = {{"type", type},
         {"mfcc",
          {{"base", mfcc_base_name(mfcc.base)},
           {"num_ceps", mfcc.num_ceps},
           {"cepstral_lifter", mfcc.cepstral_lifter},
           {"mel", mel_json(mfcc.mel)},
           {"fbank", fbank_json(mfcc.fbank)}}}};
  } else {
    return {{"type", type}, {"sample_rate", mulaw_sample_rate}};
  }
  if (cmvn) j["cmvn"] = cmvn_json(*cmvn);
  return j;
}

FrontendConfig FrontendConfig::from_json(const nlohmann::json& j, const std::string& source) {
  const Reader r(j, source + ": frontend");
  FrontendConfig c;
  c.type = r.name("type", "");
  try {
    if (c.type == "fbank") {
      c.fbank = fbank_from(r.sub("fbank"), source + ": frontend.fbank");
    } else if (c.type == "mel") {
      c.mel = mel_from(r.sub("mel"), source + ": frontend.mel");
    } else if (c.type == "mfcc") {
      const Reader m(r.sub("mfcc"), source + ": frontend.mfcc");
      c.mfcc.base = parse_mfcc_base(m.name("base", "mel"));
      m.get("num_ceps", c.mfcc.num_ceps);
      m.get("cepstral_lifter", c.mfcc.cepstral_lifter);
      c.mfcc.mel = mel_from(m.sub("mel"), source + ": frontend.mfcc.mel");
      c.mfcc.fbank = fbank_from(m.sub("fbank"), source + ": frontend.mfcc.fbank");
    } else if (c.type == "mulaw") {
      if (j.contains("cmvn")) fail("a mulaw frontend has no frames for 'cmvn'");
      r.get("sample_rate", c.mulaw_sample_rate);
      if (!(c.mulaw_sample_rate > 0)) fail("sample_rate must be positive");
    } else {
      fail("unknown type '", c.type, "' (expected fbank, mel, mfcc or mulaw)");
    }
    if (c.type != "mulaw" && j.contains("cmvn")) c.cmvn = cmvn_from(j.at("cmvn"), source + ": frontend.cmvn");
  } catch (const Error& e) {
    const std::string msg = e.what();
    if (msg.rfind(source, 0) == 0) throw;
    fail(source, ": frontend: ", msg);
  }
  return c;
}

}  // namespace rwkvs
