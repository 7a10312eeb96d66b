#pragma once
// The frontend parity goldens (tests/data/frontends/goldens.json, made by make_goldens.sh with
// torchaudio): loading, turning an entry's CLI flags into option structs, and the parity check
// |ours - oracle| <= max(atol, rtol * |oracle|). Header-only: shared by the test_* executables.
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "frontends/audio/audio_file.h"
#include "frontends/audio/fbank.h"
#include "frontends/audio/melspec.h"
#include "frontends/audio/mfcc.h"
#include "tests/support.h"

namespace rwkvs::test {

struct Golden {
  std::string golden;  // file name in the goldens folder
  std::string input;
  std::string type;  // fbank | mel | mfcc | mulaw
  int dims = 0;
  double atol = 0, rtol = 0;
  std::map<std::string, std::string> flags;  // rwkvs features flags that reproduce it
};

inline std::string goldens_dir() { return std::string(RWKVS_TEST_DATA_DIR) + "/frontends"; }

inline std::vector<Golden> load_goldens(const std::string& type = "") {
  std::ifstream f(goldens_dir() + "/goldens.json");
  REQUIRE_MESSAGE(f.good(), "cannot open goldens.json");
  const nlohmann::json j = nlohmann::json::parse(f);
  std::vector<Golden> out;
  for (const auto& e : j.at("entries")) {
    Golden g;
    g.golden = e.at("golden");
    g.input = e.at("input");
    g.type = e.at("type");
    g.dims = e.at("dims");
    g.atol = e.at("atol");
    g.rtol = e.at("rtol");
    for (const auto& [k, v] : e.at("flags").items()) g.flags[k] = v.get<std::string>();
    if (type.empty() || g.type == type) out.push_back(g);
  }
  REQUIRE(!out.empty());
  return out;
}

inline bool flag_bool(const std::string& v) { return v == "true" || v == "1"; }

// Applies the entry's flags to the option structs (the same names as rwkvs features).
inline void apply_flags(const Golden& g, FbankOptions& f, MelSpectrogramOptions& m, MfccOptions& c) {
  for (const auto& [k, v] : g.flags) {
    const auto num = [&v = v] { return std::stod(v); };
    if (k == "--num-mel-bins")
      f.num_mel_bins = static_cast<int>(num());
    else if (k == "--frame-length")
      f.frame_length_ms = num();
    else if (k == "--frame-shift")
      f.frame_shift_ms = num();
    else if (k == "--preemphasis-coefficient")
      f.preemphasis_coefficient = num();
    else if (k == "--window-type")
      f.window_type = parse_window_type(v);
    else if (k == "--snip-edges")
      f.snip_edges = flag_bool(v);
    else if (k == "--low-freq")
      f.low_freq = num();
    else if (k == "--high-freq")
      f.high_freq = num();
    else if (k == "--use-energy")
      f.use_energy = flag_bool(v);
    else if (k == "--raw-energy")
      f.raw_energy = flag_bool(v);
    else if (k == "--energy-floor")
      f.energy_floor = num();
    else if (k == "--use-power")
      f.use_power = flag_bool(v);
    else if (k == "--use-log-fbank")
      f.use_log_fbank = flag_bool(v);
    else if (k == "--remove-dc-offset")
      f.remove_dc_offset = flag_bool(v);
    else if (k == "--round-to-power-of-two")
      f.round_to_power_of_two = flag_bool(v);
    else if (k == "--int16-scale")
      f.int16_scale = m.int16_scale = flag_bool(v);
    else if (k == "--n-fft")
      m.n_fft = static_cast<int>(num());
    else if (k == "--win-length")
      m.win_length = static_cast<int>(num());
    else if (k == "--hop-length")
      m.hop_length = static_cast<int>(num());
    else if (k == "--n-mels")
      m.n_mels = static_cast<int>(num());
    else if (k == "--f-min")
      m.f_min = num();
    else if (k == "--f-max")
      m.f_max = num();
    else if (k == "--center")
      m.center = flag_bool(v);
    else if (k == "--pad-mode")
      m.pad_mode = parse_pad_mode(v);
    else if (k == "--power")
      m.power = num();
    else if (k == "--mel-scale")
      m.mel_scale = parse_mel_scale(v);
    else if (k == "--norm")
      m.norm = parse_mel_norm(v);
    else if (k == "--log")
      m.log = parse_log_kind(v);
    else if (k == "--log-eps")
      m.log_eps = num();
    else if (k == "--mfcc-from")
      c.base = parse_mfcc_base(v);
    else if (k == "--num-ceps")
      c.num_ceps = static_cast<int>(num());
    else if (k == "--cepstral-lifter")
      c.cepstral_lifter = num();
    else
      FAIL("goldens.json uses a flag the test does not map: " << k);
  }
}

inline std::shared_ptr<const FeatureComputer> computer_for(const Golden& g, double sample_rate) {
  FbankOptions f;
  MelSpectrogramOptions m;
  MfccOptions c;
  f.sample_rate = m.sample_rate = sample_rate;
  apply_flags(g, f, m, c);
  if (g.type == "fbank") return std::make_shared<Fbank>(f);
  if (g.type == "mel") return std::make_shared<MelSpectrogram>(m);
  c.fbank = f;
  c.mel = m;
  return std::make_shared<Mfcc>(c);
}

inline Audio golden_input(const Golden& g) { return read_audio_file(goldens_dir() + "/" + g.input); }

inline std::vector<float> golden_values(const Golden& g) {
  return read_f32_file(goldens_dir() + "/" + g.golden);
}

struct Parity {
  bool ok = true;
  size_t n = 0, failures = 0, worst = 0;
  double max_abs = 0, max_rel = 0;  // max_rel over elements with |oracle| >= 1e-2
  std::string describe() const {
    return "n=" + std::to_string(n) + " failures=" + std::to_string(failures) +
           " max_abs=" + std::to_string(max_abs) + " (index " + std::to_string(worst) +
           ") max_rel=" + std::to_string(max_rel);
  }
};

// Element i passes when |got - want| <= max(atol, rtol * |want|).
inline Parity parity(const float* got, const float* want, size_t n, double atol, double rtol) {
  Parity p;
  p.n = n;
  for (size_t i = 0; i < n; ++i) {
    const double w = want[i], d = std::fabs(static_cast<double>(got[i]) - w);
    if (!(d <= std::max(atol, rtol * std::fabs(w)))) {
      ++p.failures;
      p.ok = false;
    }
    if (d > p.max_abs) {
      p.max_abs = d;
      p.worst = i;
    }
    if (std::fabs(w) >= 1e-2) p.max_rel = std::max(p.max_rel, d / std::fabs(w));
  }
  return p;
}

// Computes the entry offline and checks it against the oracle.
inline void check_golden(const Golden& g) {
  INFO(g.golden << " from " << g.input << " (" << g.type << ")");
  const Audio a = golden_input(g);
  const auto c = computer_for(g, a.sample_rate);
  const FeatureMatrix m = compute_features(*c, a.samples.data(), static_cast<int64_t>(a.samples.size()));
  const std::vector<float> want = golden_values(g);
  REQUIRE(m.cols == g.dims);
  REQUIRE(static_cast<size_t>(m.rows * m.cols) == want.size());
  const Parity p = parity(m.data.data(), want.data(), want.size(), g.atol, g.rtol);
  MESSAGE(g.golden << ": " << p.describe());
  INFO(p.describe());
  CHECK(p.ok);
}

}  // namespace rwkvs::test
