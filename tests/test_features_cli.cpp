// rwkvs features end to end: every golden through the CLI (offline and streaming give the same
// bytes and match the oracle), raw PCM on stdin, resampling, mu-law output, --help, and bad
// input: each a one-line "error:" naming the file or flag, a non-zero exit, no crash, no output.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "frontends/audio/mulaw.h"
#include "frontends/audio/resampler.h"
#include "src/io/npy.h"
#include "tests/frontend_goldens.h"
#include "tests/wav_writer.h"

using namespace rwkvs;

namespace {

std::string features_cmd(const std::string& input, const std::string& type, const std::string& out,
                         const std::string& extra = "") {
  return test::cli() + " features '" + input + "' --type " + type + " --out '" + out + "' " + extra;
}

std::string golden_flags(const test::Golden& g) {
  std::string s;
  for (const auto& [k, v] : g.flags) s += " " + k + "=" + v;
  return s;
}

std::vector<uint8_t> file_bytes(const std::string& path) {
  const std::string s = test::read_text(path);
  return std::vector<uint8_t>(s.begin(), s.end());
}

}  // namespace

TEST_CASE("every golden through the CLI, offline and streamed, matches the oracle") {
  const std::string dir = test::temp_dir("cli_goldens");
  for (const test::Golden& g : test::load_goldens()) {
    if (g.type == "mulaw") continue;
    INFO(g.golden);
    const std::string in = test::goldens_dir() + "/" + g.input;
    std::string log;
    REQUIRE(test::run(features_cmd(in, g.type, dir + "/a.npy", golden_flags(g)), &log) == 0);
    REQUIRE(test::run(features_cmd(in, g.type, dir + "/b.npy", golden_flags(g) + " --chunk-samples 997"),
                      &log) == 0);
    CHECK(file_bytes(dir + "/a.npy") == file_bytes(dir + "/b.npy"));
    const NpyArray a = read_npy(dir + "/a.npy");
    const std::vector<float> want = test::golden_values(g);
    REQUIRE(a.shape.size() == 2);
    REQUIRE(a.shape[1] == g.dims);
    REQUIRE(static_cast<size_t>(a.size()) == want.size());
    const test::Parity p = test::parity(a.as_f32().data(), want.data(), want.size(), g.atol, g.rtol);
    INFO(p.describe());
    CHECK(p.ok);
  }
}

TEST_CASE("mu-law classes through the CLI are int64 and equal torchaudio's") {
  const std::string dir = test::temp_dir("cli_mulaw");
  const test::Golden g = test::load_goldens("mulaw").at(0);
  REQUIRE(test::run(features_cmd(test::goldens_dir() + "/" + g.input, "mulaw", dir + "/q.npy",
                                 "--chunk-samples 100")) == 0);
  const NpyArray a = read_npy(dir + "/q.npy");
  CHECK(a.dtype == NpyDtype::i64);
  const std::string want = test::read_text(test::goldens_dir() + "/" + g.golden);
  REQUIRE(a.shape == std::vector<int64_t>{static_cast<int64_t>(want.size())});
  const std::vector<int64_t> q = a.as_i64();
  size_t same = 0;
  for (size_t i = 0; i < q.size(); ++i) same += q[i] == static_cast<unsigned char>(want[i]);
  CHECK(same == q.size());
}

TEST_CASE("raw PCM on stdin gives the same features as the decoded file, streamed or not") {
  const std::string dir = test::temp_dir("cli_stdin");
  const std::string flac = test::goldens_dir() + "/u16k.flac";
  const Audio a = read_audio_file(flac);
  std::vector<uint8_t> s16, f32stereo;
  for (float v : a.samples) {
    test::put_le(s16, static_cast<uint16_t>(static_cast<int16_t>(std::lround(v * 32768.0f))), 2);
    uint32_t u;
    std::memcpy(&u, &v, 4);
    test::put_le(f32stereo, u, 4);
    test::put_le(f32stereo, u, 4);
  }
  test::write_bytes(dir + "/x.s16", s16);
  test::write_bytes(dir + "/x.f32", f32stereo);
  REQUIRE(test::run(features_cmd(flac, "fbank", dir + "/file.npy")) == 0);
  const auto want = file_bytes(dir + "/file.npy");
  const std::string s16_stdin = "cat '" + dir + "/x.s16' | ";
  REQUIRE(test::run(s16_stdin + features_cmd("-", "fbank", dir + "/a.npy", "--format s16le --rate 16000")) ==
          0);
  CHECK(file_bytes(dir + "/a.npy") == want);
  REQUIRE(test::run(s16_stdin + features_cmd("-", "fbank", dir + "/b.npy",
                                             "--format s16le --rate 16000 --chunk-samples 1")) == 0);
  CHECK(file_bytes(dir + "/b.npy") == want);
  REQUIRE(test::run("cat '" + dir + "/x.f32' | " +
                    features_cmd("-", "fbank", dir + "/c.npy",
                                 "--format f32le --rate 16000 --channels 2 --chunk-samples 4000")) == 0);
  CHECK(file_bytes(dir + "/c.npy") == want);
  REQUIRE(test::run(features_cmd(dir + "/x.s16", "fbank", dir + "/d.npy", "--format s16le --rate 16000")) ==
          0);
  CHECK(file_bytes(dir + "/d.npy") == want);
}

TEST_CASE("--resample-to: the CLI resamples with the library resampler, streamed or not") {
  const std::string dir = test::temp_dir("cli_resample");
  const std::string in = test::goldens_dir() + "/u44k.flac";
  const Audio a = read_audio_file(in);
  const std::vector<float> y = resample(a.samples.data(), a.samples.size(), a.sample_rate, 16000);
  MelSpectrogramOptions o;
  const FeatureMatrix want = compute_features(MelSpectrogram(o), y.data(), static_cast<int64_t>(y.size()));
  for (const std::string extra : {"", " --chunk-samples 333"}) {
    REQUIRE(test::run(features_cmd(in, "mel", dir + "/m.npy", "--resample-to 16000" + extra)) == 0);
    CHECK(read_npy(dir + "/m.npy").as_f32() == want.data);
  }
}

TEST_CASE("--cmvn sliding: torchaudio's sliding CMN of the fbank, the same bytes streamed") {
  const std::string dir = test::temp_dir("cli_cmvn");
  const std::string in = test::goldens_dir() + "/u16k.flac";
  const std::string flags = "--cmvn sliding --cmn-window 600 --min-cmn-window 100";
  REQUIRE(test::run(features_cmd(in, "fbank", dir + "/a.npy", flags)) == 0);
  REQUIRE(test::run(features_cmd(in, "fbank", dir + "/b.npy", flags + " --chunk-samples 333")) == 0);
  CHECK(file_bytes(dir + "/a.npy") == file_bytes(dir + "/b.npy"));
  const NpyArray arr = read_npy(dir + "/a.npy");
  REQUIRE(arr.shape == std::vector<int64_t>{82, 80});
  const std::vector<float> got = arr.as_f32();
  // The golden is torchaudio's CMN of torchaudio's fbank, which ours matches within 1e-3 (a mean
  // subtracted from both moves the difference by at most as much again).
  const std::string s = test::read_text(std::string(RWKVS_TEST_DATA_DIR) + "/cmvn/speech_w600_min100.f32");
  REQUIRE(s.size() == got.size() * 4);
  std::vector<float> want(got.size());
  std::memcpy(want.data(), s.data(), s.size());
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, double(std::abs(got[i] - want[i])));
  CHECK(worst < 2e-3);
  // The mean over the window is gone: each bin averages to ~0 over the utterance.
  for (int d = 0; d < 80; ++d) {
    double m = 0;
    for (int t = 0; t < 82; ++t) m += got[t * 80 + d];
    CHECK(std::abs(m / 82) < 1e-4);
  }
  std::string out;
  CHECK(test::run(features_cmd(in, "fbank", dir + "/c.npy", "--cmvn sliding --cmn-window 0"), &out) == 2);
  CHECK(out.find("--cmn-window must be at least 1") != std::string::npos);
  CHECK(test::run(features_cmd(in, "fbank", dir + "/c.npy", "--cmn-window 300"), &out) == 2);
  CHECK(out.find("needs --cmvn sliding") != std::string::npos);
  CHECK(test::run(features_cmd(in, "mulaw", dir + "/c.npy", "--cmvn sliding"), &out) == 2);
  CHECK(out.find("does not apply to --type mulaw") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir + "/c.npy"));
}

TEST_CASE("--help lists every option with its default") {
  std::string help;
  REQUIRE(test::run(test::cli() + " features --help", &help) == 0);
  for (const char* expected : {"--type TEXT:{fbank,mel,mfcc,mulaw}=fbank",
                               "--num-mel-bins INT=80",
                               "--frame-length FLOAT=25",
                               "--frame-shift FLOAT=10",
                               "--dither FLOAT=0",
                               "--window-type TEXT:{povey,hann,hanning,hamming,rectangular,blackman}=povey",
                               "--snip-edges BOOLEAN=true",
                               "--low-freq FLOAT=20",
                               "--high-freq FLOAT=0",
                               "--preemphasis-coefficient FLOAT=0.97",
                               "--remove-dc-offset BOOLEAN=true",
                               "--use-energy BOOLEAN=false",
                               "--raw-energy BOOLEAN=true",
                               "--energy-floor FLOAT=0",
                               "--use-log-fbank BOOLEAN=true",
                               "--use-power BOOLEAN=true",
                               "--round-to-power-of-two BOOLEAN=true",
                               "--num-ceps,--n-mfcc INT=13",
                               "--cepstral-lifter FLOAT=0",
                               "--n-fft INT=400",
                               "--win-length INT=0",
                               "--hop-length,--hop INT=160",
                               "--n-mels INT=80",
                               "--f-min FLOAT=0",
                               "--f-max FLOAT=0",
                               "--center BOOLEAN=true",
                               "--pad-mode TEXT:{reflect,replicate,constant}=reflect",
                               "--power FLOAT=2",
                               "--mel-scale TEXT:{htk,slaney}=htk",
                               "--norm,--mel-norm TEXT:{none,slaney}=none",
                               "--log TEXT:{ln,db,none}=ln",
                               "--log-eps FLOAT=1e-06",
                               "--resample-to FLOAT=0",
                               "--chunk-samples",
                               "--format TEXT:{auto,s16le,f32le}=auto",
                               "--rate FLOAT=0",
                               "--channels INT=1",
                               "--int16-scale",
                               "--mfcc-from TEXT:{mel,fbank}=mel",
                               "--dither-seed UINT=0",
                               "--blackman-coeff FLOAT=0.42"}) {
    INFO(expected);
    CHECK(help.find(expected) != std::string::npos);
  }
}

TEST_CASE("bad input: one 'error:' line naming the file or flag, non-zero exit, no crash, no output") {
  const std::string dir = test::temp_dir("cli_bad");
  const std::vector<float> x(4000, 0.25f);
  std::vector<uint8_t> cut = test::wav_bytes(test::WavSpec{}, x);
  cut.resize(cut.size() - 3001);  // also ends mid-sample
  test::write_bytes(dir + "/truncated.wav", cut);
  std::vector<uint8_t> corrupt = test::wav_bytes(test::WavSpec{}, x);
  for (size_t i = 12; i < 36; ++i) corrupt[i] = 0xff;  // garble the fmt chunk
  test::write_bytes(dir + "/corrupt.wav", corrupt);
  test::write_text(dir + "/notes.wav", "hello, I am a text file\n");
  test::write_wav(dir + "/empty.wav", test::WavSpec{}, {});
  std::vector<float> nan = x;
  nan[1234] = std::numeric_limits<float>::quiet_NaN();
  test::write_wav(dir + "/nan.wav", test::WavSpec{1, 16000, 32, true, -1}, nan);
  test::write_wav(dir + "/zero_channels.wav", test::WavSpec{0, 16000, 16, false, -1}, x);
  test::write_wav(dir + "/short.wav", test::WavSpec{}, std::vector<float>(100, 0.1f));
  const std::string g8 = test::goldens_dir() + "/u8k.flac";
  test::write_bytes(dir + "/odd.s16", {1, 2, 3});

  struct Bad {
    std::string command, names;
    int exit_code;
  };
  const std::string out = dir + "/out.npy";
  const std::vector<Bad> cases = {
      {features_cmd(dir + "/truncated.wav", "fbank", out), "truncated.wav: truncated", 1},
      {features_cmd(dir + "/corrupt.wav", "fbank", out), "corrupt.wav: cannot decode audio", 1},
      {features_cmd(dir + "/notes.wav", "mel", out), "notes.wav: cannot decode audio", 1},
      {features_cmd(dir + "/empty.wav", "mfcc", out), "empty.wav: contains no audio samples (zero length)",
       1},
      {features_cmd(dir + "/nan.wav", "fbank", out), "nan.wav: sample 1234 is nan", 1},
      {features_cmd(dir + "/zero_channels.wav", "fbank", out), "zero_channels.wav: cannot decode audio", 1},
      {features_cmd(dir + "/missing.wav", "fbank", out), "missing.wav: no such file", 1},
      {features_cmd(dir + "/short.wav", "fbank", out), "short.wav: too short for a single fbank frame", 1},
      {features_cmd(g8, "fbank", out, "--high-freq 7600"),
       "u8k.flac (8000 Hz): fbank: high_freq 7600 Hz is above the Nyquist", 2},
      {features_cmd(g8, "mel", out, "--f-max 8000"),
       "u8k.flac (8000 Hz): melspec: f_max 8000 Hz is above the Nyquist", 2},
      {features_cmd(g8, "fbank", out, "--num-mel-bins 128"), "u8k.flac (8000 Hz): fbank: mel filter", 2},
      {features_cmd(g8, "fbank", out, "--window-type foo"), "--window-type: foo not in", 2},
      {features_cmd(g8, "wavelet", out), "--type: wavelet not in", 2},
      {features_cmd(g8, "mel", out, "--mel-scale bark"), "--mel-scale: bark not in", 2},
      {features_cmd(g8, "fbank", out, "--snip-edges maybe"), "--snip-edges", 2},
      {features_cmd(g8, "mel", out, "--num-mel-bins 40"), "--num-mel-bins: Kaldi fbank options do not apply",
       2},
      {features_cmd(g8, "fbank", out, "--rate 8000"), "--rate: applies only to raw PCM", 2},
      {features_cmd("-", "fbank", out, "--format s16le --rate 16000 --channels 0 < /dev/null"), "--channels",
       2},
      {features_cmd("-", "fbank", out, "< /dev/null"), "needs --format s16le|f32le", 2},
      {"cat '" + dir + "/odd.s16' | " + features_cmd("-", "fbank", out, "--format s16le --rate 16000"),
       "stdin: raw s16le stream ends mid-sample", 1},
      {"cat '" + dir + "/odd.s16' | " +
           features_cmd("-", "fbank", out, "--format s16le --rate 16000 --chunk-samples 10"),
       "stdin: raw s16le stream ends mid-sample", 1},
      {features_cmd(g8, "fbank", dir + "/no/such/dir/out.npy"), "no/such/dir/out.npy", 1},
  };
  for (const Bad& b : cases) {
    INFO(b.command);
    std::string output;
    const int rc = test::run(b.command, &output);
    INFO(output);
    CHECK(rc == b.exit_code);
    CHECK(output.rfind("error: ", 0) == 0);
    CHECK(std::count(output.begin(), output.end(), '\n') == 1);
    CHECK(output.find(b.names) != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(out));
  }
}
