#include "apps/rwkvs/features_options.h"

#include <type_traits>

#include "base/error.h"
#include "frontends/audio/framing.h"
#include "frontends/audio/mel_filters.h"
#include "frontends/audio/window.h"

namespace rwkvs::app {
namespace {

template <class T>
CLI::Option* flag(CLI::App& app, std::vector<CLI::Option*>& group, const std::string& name, T& var,
                  const std::string& help) {
  CLI::Option* o = app.add_option(name, var, help)->capture_default_str();
  if constexpr (std::is_same_v<T, bool>) o->default_str(var ? "true" : "false");  // not 1/0
  group.push_back(o);
  return o;
}

std::string given_flags(const std::vector<CLI::Option*>& flags) {
  std::string names;
  for (const CLI::Option* o : flags)
    if (o->count() > 0) names += (names.empty() ? "" : ", ") + o->get_name();
  return names;
}

}  // namespace

void add_features_options(CLI::App& sub, FeaturesArgs& a) {
  std::vector<CLI::Option*> general;  // apply to every --type: never rejected, so not kept
  sub.add_option("IN", a.input,
                 "Audio file (anything libsndfile reads), a raw PCM file with --format, or '-' for raw "
                 "PCM on stdin")
      ->required();
  sub.add_option("--out,-o", a.output, "Output .npy: float32 [frames, dims]; int64 [samples] for mulaw")
      ->required();
  flag(sub, general, "--type", a.type,
       "Features: fbank (Kaldi), mel (torchaudio log-mel), mfcc, mulaw (256 classes)")
      ->check(CLI::IsMember({"fbank", "mel", "mfcc", "mulaw"}));
  flag(sub, general, "--resample-to", a.resample_to,
       "Resample to this rate first (libsoxr HQ); 0 keeps the input rate");
  flag(sub, general, "--chunk-samples", a.chunk_samples,
       "Run the streaming path, feeding this many input samples per call (0: offline)")
      ->check(CLI::NonNegativeNumber);
  a.scale_flags.push_back(
      sub.add_flag("--int16-scale", a.int16_scale,
                   "Multiply [-1,1) samples by 32768 first, as Kaldi's binaries see them (default: off)")
          ->capture_default_str());

  CLI::App* raw = sub.add_option_group("Raw PCM input (IN '-' or --format s16le|f32le)");
  flag(*raw, a.raw_flags, "--format", a.format,
       "auto: decode the file by its content; s16le|f32le: headerless PCM")
      ->check(CLI::IsMember({"auto", "s16le", "f32le"}));
  flag(*raw, a.raw_flags, "--rate", a.rate, "Sample rate of raw PCM input (Hz)");
  flag(*raw, a.raw_flags, "--channels", a.channels,
       "Interleaved channels of raw PCM input (averaged to mono)");

  FbankOptions& f = a.fbank;
  CLI::App* k = sub.add_option_group("Kaldi fbank options (--type fbank, or mfcc with --mfcc-from fbank)");
  flag(*k, a.kaldi_flags, "--num-mel-bins", f.num_mel_bins, "Number of triangular mel bins");
  flag(*k, a.kaldi_flags, "--frame-length", f.frame_length_ms, "Frame length in milliseconds");
  flag(*k, a.kaldi_flags, "--frame-shift", f.frame_shift_ms, "Frame shift in milliseconds");
  flag(*k, a.kaldi_flags, "--dither", f.dither,
       "Dithering constant (0 means no dither; Kaldi uses 1.0 on int16 scale)");
  flag(*k, a.kaldi_flags, "--dither-seed", f.dither_seed,
       "Seed of the dither noise (keyed by frame, not chunk)");
  flag(*k, a.kaldi_flags, "--preemphasis-coefficient", f.preemphasis_coefficient,
       "Coefficient for preemphasis");
  flag(*k, a.kaldi_flags, "--remove-dc-offset", f.remove_dc_offset,
       "Subtract the mean of each frame (true|false)");
  flag(*k, a.kaldi_flags, "--window-type", a.window_type,
       "Window: povey|hann|hanning|hamming|rectangular|blackman")
      ->check(CLI::IsMember(window_type_names()));
  flag(*k, a.kaldi_flags, "--blackman-coeff", f.blackman_coeff,
       "Constant of the generalised Blackman window");
  flag(*k, a.kaldi_flags, "--round-to-power-of-two", f.round_to_power_of_two,
       "Zero-pad each frame to a power of two for the FFT (true|false)");
  flag(*k, a.kaldi_flags, "--snip-edges", f.snip_edges,
       "true: only frames that fit in the signal; false: frames every shift, edges mirrored");
  flag(*k, a.kaldi_flags, "--low-freq", f.low_freq, "Low cutoff of the mel bins (Hz)");
  flag(*k, a.kaldi_flags, "--high-freq", f.high_freq,
       "High cutoff of the mel bins (Hz); <= 0 means Nyquist + value");
  flag(*k, a.kaldi_flags, "--use-energy", f.use_energy,
       "Add log energy as column 0 (MFCC: replace c0) (true|false)");
  flag(*k, a.kaldi_flags, "--raw-energy", f.raw_energy,
       "Energy before preemphasis and window (true) or after the window (false)");
  flag(*k, a.kaldi_flags, "--energy-floor", f.energy_floor, "Floor on the energy (absolute; 0: none)");
  flag(*k, a.kaldi_flags, "--use-log-fbank", f.use_log_fbank,
       "Log of the mel energies (true|false; fbank only)");
  flag(*k, a.kaldi_flags, "--use-power", f.use_power, "Power spectrum (true) or magnitude (false)");

  MelSpectrogramOptions& m = a.mel;
  CLI::App* t = sub.add_option_group("torchaudio log-mel options (--type mel, or mfcc with --mfcc-from mel)");
  flag(*t, a.torch_flags, "--n-fft", m.n_fft, "FFT size (samples)");
  flag(*t, a.torch_flags, "--win-length", m.win_length, "Window length (samples); 0 means n_fft");
  flag(*t, a.torch_flags, "--hop-length,--hop", m.hop_length, "Hop between frames (samples)");
  flag(*t, a.torch_flags, "--n-mels", m.n_mels, "Number of mel bins");
  flag(*t, a.torch_flags, "--f-min", m.f_min, "Lowest mel frequency (Hz)");
  flag(*t, a.torch_flags, "--f-max", m.f_max,
       "Highest mel frequency (Hz); <= 0 means sample_rate // 2 + value");
  flag(*t, a.torch_flags, "--center", m.center,
       "Pad n_fft/2 on both sides so frame t is centred at t*hop (true|false)");
  flag(*t, a.torch_flags, "--pad-mode", a.pad_mode, "Padding with --center: reflect|replicate|constant")
      ->check(CLI::IsMember({"reflect", "replicate", "constant"}));
  flag(*t, a.torch_flags, "--power", m.power, "Exponent of the magnitude (2: power, 1: magnitude)");
  flag(*t, a.torch_flags, "--mel-scale", a.mel_scale, "htk|slaney")->check(CLI::IsMember({"htk", "slaney"}));
  flag(*t, a.torch_flags, "--norm,--mel-norm", a.norm, "none|slaney (area normalisation)")
      ->check(CLI::IsMember({"none", "slaney"}));
  flag(*t, a.torch_flags, "--log", a.log, "ln: ln(x + log-eps); db: 10 log10(max(x, 1e-10)), no top_db; none")
      ->check(CLI::IsMember({"ln", "db", "none"}));
  flag(*t, a.torch_flags, "--log-eps", m.log_eps, "Added before ln");

  CLI::App* c = sub.add_option_group("MFCC options (--type mfcc)");
  flag(*c, a.mfcc_flags, "--mfcc-from", a.mfcc_from,
       "mel: DCT of the torchaudio log-mel (as torchaudio MFCC(log_mels=True)); fbank: Kaldi "
       "compute-mfcc-feats")
      ->check(CLI::IsMember({"mel", "fbank"}));
  flag(*c, a.mfcc_flags, "--num-ceps,--n-mfcc", a.num_ceps, "Number of cepstra (orthonormal DCT-II)");
  flag(*c, a.mfcc_flags, "--cepstral-lifter", a.cepstral_lifter,
       "Lifter L: c[k] *= 1 + L/2 sin(pi k / L); 0: none");

  SlidingCmvnOptions& n = a.cmvn_options;
  CLI::App* s = sub.add_option_group("Sliding-window CMVN after the features (Kaldi apply-cmvn-sliding)");
  flag(*s, general, "--cmvn", a.cmvn, "none, or sliding: subtract the mean of a sliding window of frames")
      ->check(CLI::IsMember({"none", "sliding"}));
  flag(*s, a.cmvn_flags, "--cmn-window", n.cmn_window, "Window in frames (Kaldi --cmn-window)");
  flag(*s, a.cmvn_flags, "--min-cmn-window", n.min_window,
       "Causal mode: the first frames use at least this many frames (Kaldi --min-cmn-window)");
  flag(*s, a.cmvn_flags, "--cmn-center", n.center, "A window centred on the frame (Kaldi --center)");
  flag(*s, a.cmvn_flags, "--cmn-norm-vars", n.norm_vars, "Normalise the variance too (Kaldi --norm-vars)");
}

void check_flag_combinations(const FeaturesArgs& a) {
  const bool mfcc = a.type == "mfcc";
  const bool kaldi = a.type == "fbank" || (mfcc && a.mfcc_from == "fbank");
  const bool torch = a.type == "mel" || (mfcc && a.mfcc_from == "mel");
  const std::string where = "--type " + a.type + (mfcc ? " --mfcc-from " + a.mfcc_from : "");
  if (!kaldi && !given_flags(a.kaldi_flags).empty())
    fail_usage(given_flags(a.kaldi_flags), ": Kaldi fbank options do not apply to ", where,
               " (they are for --type fbank, or mfcc with --mfcc-from fbank)");
  if (!torch && !given_flags(a.torch_flags).empty())
    fail_usage(given_flags(a.torch_flags), ": torchaudio log-mel options do not apply to ", where,
               " (they are for --type mel, or mfcc with --mfcc-from mel)");
  if (!mfcc) {
    if (!given_flags(a.mfcc_flags).empty())
      fail_usage(given_flags(a.mfcc_flags), ": MFCC options apply only to --type mfcc");
  }
  if (mfcc && a.fbank.use_log_fbank == false)
    fail_usage("--use-log-fbank=false: MFCC always takes the log of the mel energies");
  if (a.cmvn != "sliding" && !given_flags(a.cmvn_flags).empty())
    fail_usage(given_flags(a.cmvn_flags), ": needs --cmvn sliding");
  if (a.cmvn == "sliding") {
    if (a.type == "mulaw") fail_usage("--cmvn does not apply to --type mulaw (no frames)");
    a.cmvn_options.validate();
  }
  if (a.type == "mulaw" && !given_flags(a.scale_flags).empty())
    fail_usage("--int16-scale does not apply to --type mulaw (classes are defined on [-1, 1])");
  const bool raw = a.input == "-" || a.format != "auto";
  if (raw) {
    if (a.format == "auto")
      fail_usage("reading raw PCM from stdin needs --format s16le|f32le (and --rate, --channels)");
    if (!(a.rate > 0)) fail_usage("--rate: raw PCM input needs a positive sample rate, got ", a.rate);
    if (a.channels < 1) fail_usage("--channels: raw PCM input needs at least 1 channel, got ", a.channels);
  } else {
    for (const CLI::Option* o : a.raw_flags)
      if (o->count() > 0 && o->get_name() != "--format")
        fail_usage(o->get_name(), ": applies only to raw PCM input (IN '-' or --format s16le|f32le)");
  }
  if (a.resample_to < 0)
    fail_usage("--resample-to must be >= 0 (0 keeps the input rate), got ", a.resample_to);
}

FeaturePipeline make_feature_pipeline(const FeaturesArgs& a, double sample_rate) {
  FeaturePipeline p(make_feature_computer(a, sample_rate));
  if (a.cmvn == "sliding") p.cmvn = a.cmvn_options;
  return p;
}

RawPcmSpec raw_pcm_spec(const FeaturesArgs& a) {
  RawPcmSpec spec;
  spec.format = parse_pcm_format(a.format);
  spec.sample_rate = a.rate;
  spec.channels = a.channels;
  return spec;
}

std::shared_ptr<const FeatureComputer> make_feature_computer(const FeaturesArgs& a, double sample_rate) {
  FbankOptions f = a.fbank;
  f.sample_rate = sample_rate;
  f.window_type = parse_window_type(a.window_type);
  f.int16_scale = a.int16_scale;
  MelSpectrogramOptions m = a.mel;
  m.sample_rate = sample_rate;
  m.pad_mode = parse_pad_mode(a.pad_mode);
  m.mel_scale = parse_mel_scale(a.mel_scale);
  m.norm = parse_mel_norm(a.norm);
  m.log = parse_log_kind(a.log);
  m.int16_scale = a.int16_scale;
  const std::string source = a.input == "-" ? "stdin" : a.input;
  try {
    if (a.type == "fbank") return std::make_shared<Fbank>(f);
    if (a.type == "mel") return std::make_shared<MelSpectrogram>(m);
    MfccOptions o;
    o.base = parse_mfcc_base(a.mfcc_from);
    o.fbank = f;
    o.mel = m;
    o.num_ceps = a.num_ceps;
    o.cepstral_lifter = a.cepstral_lifter;
    return std::make_shared<Mfcc>(o);
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    fail_usage(source, " (", sample_rate, " Hz): ", e.what());
  }
}

}  // namespace rwkvs::app
