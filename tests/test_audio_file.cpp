// Decoding: libsndfile formats to mono (channel average), raw PCM from memory and files, and
// every broken input named in the error: missing, text named .wav, truncated, zero length,
// 0 channels, NaN/Inf samples, raw streams ending mid-sample. Also the .npy writer and reader.
#include <sndfile.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "base/error.h"
#include "frontends/audio/audio_file.h"
#include "frontends/audio/raw_pcm.h"
#include "src/io/npy.h"
#include "tests/frontend_goldens.h"
#include "tests/wav_writer.h"

using namespace rwkvs;
using test::WavSpec;

namespace {
std::vector<float> ramp(size_t n, float scale) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = scale * static_cast<float>(static_cast<int>(i % 200) - 100) / 128.0f;
  return x;
}
}  // namespace

TEST_CASE("16-bit stereo WAV: scaled to [-1, 1) and averaged to mono") {
  const std::string dir = test::temp_dir("audio_file_stereo");
  const std::vector<float> left = ramp(1000, 0.5f), right = ramp(1000, -0.25f);
  std::vector<float> inter;
  for (size_t i = 0; i < 1000; ++i) inter.insert(inter.end(), {left[i], right[i]});
  test::write_wav(dir + "/s.wav", WavSpec{2, 22050, 16, false, -1}, inter);
  const Audio a = read_audio_file(dir + "/s.wav");
  CHECK(a.sample_rate == 22050);
  REQUIRE(a.samples.size() == 1000);
  for (size_t i = 0; i < 1000; ++i)
    CHECK(a.samples[i] == doctest::Approx((left[i] + right[i]) / 2).epsilon(1e-4));
  const AudioFileInfo info = probe_audio_file(dir + "/s.wav");
  CHECK(info.channels == 2);
  CHECK(info.frames == 1000);
}

TEST_CASE("float WAV, FLAC and OGG/Vorbis decode; 16-bit values are exact") {
  const std::string dir = test::temp_dir("audio_file_formats");
  const std::vector<float> x = ramp(4000, 0.7f);
  test::write_wav(dir + "/f.wav", WavSpec{1, 8000, 32, true, -1}, x);
  CHECK(read_audio_file(dir + "/f.wav").samples == x);
  test::write_wav(dir + "/i.wav", WavSpec{1, 8000, 16, false, -1}, x);
  const Audio i16 = read_audio_file(dir + "/i.wav");
  for (size_t i = 0; i < x.size(); ++i) CHECK(i16.samples[i] * 32768.0f == std::round(x[i] * 32768.0f));
  for (auto [ext, format] : {std::pair{".flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16},
                             std::pair{".ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS}}) {
    SF_INFO info{};
    info.samplerate = 8000;
    info.channels = 1;
    info.format = format;
    const std::string p = dir + "/x" + ext;
    SNDFILE* f = sf_open(p.c_str(), SFM_WRITE, &info);
    REQUIRE(f != nullptr);
    std::vector<short> q(x.size());  // the same 16-bit values as the WAV
    for (size_t i = 0; i < x.size(); ++i) q[i] = static_cast<short>(std::lround(x[i] * 32768.0f));
    sf_writef_short(f, q.data(), static_cast<sf_count_t>(q.size()));
    sf_close(f);
    const Audio a = read_audio_file(p);
    CHECK(a.sample_rate == 8000);
    CHECK(std::abs(static_cast<long>(a.samples.size()) - 4000) < 1200);  // vorbis may pad
  }
  CHECK(read_audio_file(dir + "/x.flac").samples == i16.samples);  // lossless
}

TEST_CASE("broken files give one error naming the file") {
  const std::string dir = test::temp_dir("audio_file_bad");
  auto fails_with = [](const std::string& path, const std::string& what) {
    INFO(path);
    CHECK_THROWS_WITH_AS(read_audio_file(path), doctest::Contains((path + ": " + what).c_str()), Error);
  };
  fails_with(dir + "/missing.wav", "no such file");
  fails_with(dir, "is a directory");
  test::write_text(dir + "/text.wav", "this is not audio, just text\n");
  fails_with(dir + "/text.wav", "cannot decode audio");
  const std::vector<float> x = ramp(1000, 0.5f);
  std::vector<uint8_t> b = test::wav_bytes(WavSpec{}, x);
  b.resize(b.size() - 500);  // header says 2000 data bytes, 1500 remain
  test::write_bytes(dir + "/cut.wav", b);
  fails_with(dir + "/cut.wav", "truncated");
  b.resize(30);  // cut inside the header
  test::write_bytes(dir + "/hdr.wav", b);
  fails_with(dir + "/hdr.wav", "cannot decode audio");
  test::write_wav(dir + "/empty.wav", WavSpec{}, {});
  fails_with(dir + "/empty.wav", "contains no audio samples (zero length)");
  test::write_wav(dir + "/nochan.wav", WavSpec{0, 16000, 16, false, -1}, x);
  CHECK_THROWS_WITH_AS(read_audio_file(dir + "/nochan.wav"),
                       doctest::Contains((dir + "/nochan.wav: ").c_str()), Error);
  std::vector<float> nan = x;
  nan[321] = std::numeric_limits<float>::quiet_NaN();
  test::write_wav(dir + "/nan.wav", WavSpec{1, 16000, 32, true, -1}, nan);
  fails_with(dir + "/nan.wav", "sample 321 is nan");
  std::vector<float> inf = x;
  inf[7] = std::numeric_limits<float>::infinity();
  test::write_wav(dir + "/inf.wav", WavSpec{1, 16000, 32, true, -1}, inf);
  fails_with(dir + "/inf.wav", "sample 7 is inf");
  // A placeholder size from a writer streaming to a pipe (espeak-ng --stdout) is not truncation.
  test::write_bytes(dir + "/pipe.wav", test::wav_bytes(WavSpec{1, 16000, 16, false, 0x7ffff000}, x));
  CHECK(read_audio_file(dir + "/pipe.wav").samples.size() == 1000);
}

TEST_CASE("AudioFileReader: the same samples piece by piece, the same errors") {
  const std::string dir = test::temp_dir("audio_file_reader");
  const std::vector<float> left = ramp(5000, 0.5f), right = ramp(5000, -0.3f);
  std::vector<float> inter;
  for (size_t i = 0; i < left.size(); ++i) inter.insert(inter.end(), {left[i], right[i]});
  test::write_wav(dir + "/s.wav", WavSpec{2, 22050, 16, false, -1}, inter);
  const Audio whole = read_audio_file(dir + "/s.wav");
  AudioFileReader r(dir + "/s.wav");
  CHECK(r.info().sample_rate == 22050);
  CHECK(r.info().channels == 2);
  std::vector<float> got;
  for (size_t piece : {size_t{1}, size_t{0}, size_t{333}, size_t{4096}, size_t{100000}}) r.read(piece, &got);
  CHECK(r.read(10, &got) == 0);
  CHECK(got == whole.samples);
  CHECK(r.frames_read() == 5000);

  auto read_all = [](const std::string& path) {
    AudioFileReader reader(path);
    std::vector<float> out;
    while (reader.read(700, &out) > 0) {
    }
  };
  std::vector<uint8_t> b = test::wav_bytes(WavSpec{}, left);
  b.resize(b.size() - 500);
  test::write_bytes(dir + "/cut.wav", b);
  CHECK_THROWS_WITH_AS(read_all(dir + "/cut.wav"), doctest::Contains((dir + "/cut.wav: truncated").c_str()), Error);
  test::write_text(dir + "/text.wav", "not audio\n");
  CHECK_THROWS_WITH_AS(read_all(dir + "/text.wav"), doctest::Contains("cannot decode audio"), Error);
  std::vector<float> nan = left;
  nan[4321] = std::numeric_limits<float>::quiet_NaN();
  test::write_wav(dir + "/nan.wav", WavSpec{1, 16000, 32, true, -1}, nan);
  CHECK_THROWS_WITH_AS(read_all(dir + "/nan.wav"), doctest::Contains("sample 4321 is nan"), Error);
}

TEST_CASE("raw PCM: s16le and f32le, mixed to mono, from memory and from a file in pieces") {
  const std::vector<uint8_t> s16 = {0x00, 0x40, 0x00, 0xc0, 0xff, 0x7f, 0x00, 0x80};  // 0.5 -0.5 | max min
  RawPcmSpec spec{PcmFormat::s16le, 8000, 2};
  std::vector<float> m = decode_raw_pcm(s16.data(), s16.size(), spec, "mem");
  REQUIRE(m.size() == 2);
  CHECK(m[0] == 0.0f);
  CHECK(m[1] == doctest::Approx((32767.0 / 32768 - 1) / 2));
  spec.channels = 1;
  m = decode_raw_pcm(s16.data(), s16.size(), spec, "mem");
  CHECK(m == std::vector<float>{0.5f, -0.5f, 32767.0f / 32768, -1.0f});
  const float f[3] = {0.25f, -1.5f, 3.0f};
  spec.format = PcmFormat::f32le;
  m = decode_raw_pcm(reinterpret_cast<const uint8_t*>(f), sizeof f, spec, "mem");
  CHECK(m == std::vector<float>{0.25f, -1.5f, 3.0f});

  const std::string dir = test::temp_dir("raw_pcm");
  std::vector<uint8_t> big;
  for (int i = 0; i < 10007; ++i)
    test::put_le(big, static_cast<uint16_t>(static_cast<int16_t>(i * 7 - 30000)), 2);
  test::write_bytes(dir + "/x.raw", big);
  spec = RawPcmSpec{PcmFormat::s16le, 16000, 1};
  const Audio whole = read_raw_pcm(dir + "/x.raw", spec);
  CHECK(whole.samples.size() == 10007);
  RawPcmReader reader(dir + "/x.raw", spec);
  std::vector<float> pieces;
  while (reader.read(333, &pieces) > 0) {
  }
  CHECK(pieces == whole.samples);
  CHECK(whole.samples == decode_raw_pcm(big.data(), big.size(), spec, "mem"));
}

TEST_CASE("raw PCM errors name the source") {
  const std::vector<uint8_t> b = {1, 2, 3, 4, 5};
  RawPcmSpec spec{PcmFormat::s16le, 16000, 1};
  CHECK_THROWS_WITH_AS(decode_raw_pcm(b.data(), 5, spec, "stdin"),
                       doctest::Contains("stdin: raw s16le stream ends mid-sample"), Error);
  spec.channels = 2;
  CHECK_THROWS_WITH_AS(decode_raw_pcm(b.data(), 2, spec, "stdin"),
                       doctest::Contains("stdin: raw PCM stream ends mid-frame"), Error);
  spec.channels = 0;
  CHECK_THROWS_WITH_AS(decode_raw_pcm(b.data(), 4, spec, "x.raw"),
                       doctest::Contains("x.raw: raw PCM needs at least 1 channel"), Error);
  spec = RawPcmSpec{PcmFormat::f32le, 16000, 1};
  const float nan[2] = {0.0f, std::numeric_limits<float>::quiet_NaN()};
  CHECK_THROWS_WITH_AS(decode_raw_pcm(reinterpret_cast<const uint8_t*>(nan), 8, spec, "stdin"),
                       doctest::Contains("stdin: sample 1 is nan"), Error);
  const std::string dir = test::temp_dir("raw_pcm_bad");
  test::write_bytes(dir + "/empty.raw", {});
  CHECK_THROWS_WITH_AS(read_raw_pcm(dir + "/empty.raw", spec), doctest::Contains("zero length"), Error);
  test::write_bytes(dir + "/odd.raw", {0, 0, 0, 0, 0, 0});
  RawPcmReader r(dir + "/odd.raw", spec);
  std::vector<float> out;
  CHECK_THROWS_WITH_AS(r.read(1000, &out), doctest::Contains("odd.raw: raw f32le stream ends mid-sample"),
                       Error);
  CHECK_THROWS_WITH_AS(parse_pcm_format("s24le"), doctest::Contains("s16le|f32le"), Error);
}

TEST_CASE("npy: float32 matrices and int64 ids round-trip; writes leave no temp file") {
  const std::string dir = test::temp_dir("npy");
  std::vector<float> m(3 * 5);
  for (size_t i = 0; i < m.size(); ++i) m[i] = static_cast<float>(i) * 0.5f - 2;
  write_npy_f32(dir + "/m.npy", m.data(), 3, 5);
  NpyArray a = read_npy(dir + "/m.npy");
  CHECK(a.dtype == NpyDtype::f32);
  CHECK(a.shape == std::vector<int64_t>{3, 5});
  CHECK(a.as_f32() == m);
  CHECK(std::filesystem::file_size(dir + "/m.npy") % 64 == 60 % 64);  // 128-byte header + 60 data bytes
  const std::vector<int64_t> ids = {0, 128, 255, 7};
  write_npy(dir + "/q.npy", NpyDtype::i64, ids.data(), {4});
  a = read_npy(dir + "/q.npy");
  CHECK(a.shape == std::vector<int64_t>{4});
  CHECK(a.as_i64() == ids);
  const std::vector<int32_t> i32 = {-1, 5};
  write_npy(dir + "/i.npy", NpyDtype::i32, i32.data(), {1, 2});
  CHECK(read_npy(dir + "/i.npy").as_i64() == std::vector<int64_t>{-1, 5});
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
  CHECK(files == 3);
  test::write_text(dir + "/bad.npy", "not numpy");
  CHECK_THROWS_WITH_AS(read_npy(dir + "/bad.npy"), doctest::Contains("bad.npy: not a .npy file"), Error);
  CHECK_THROWS_AS(write_npy_f32(dir + "/no/such/dir/x.npy", m.data(), 3, 5), Error);
}
