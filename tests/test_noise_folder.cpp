// --noise-dir: every audio file under the folders (any depth, any format libsndfile reads) joins
// the noise pool, resampled to the model's rate; hidden entries and other files are skipped; a
// folder without audio is a usage error naming it.
#include <sndfile.h>

#include <cmath>
#include <filesystem>
#include <vector>

#include "base/error.h"
#include "src/train/audio_clips.h"
#include "src/train/noise_folder.h"
#include "tests/support.h"
#include "tests/wav_writer.h"

using namespace rwkvs;
namespace fs = std::filesystem;

namespace {

std::vector<float> tone(size_t n, double rate) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = static_cast<float>(0.3 * std::sin(2 * M_PI * 440 * double(i) / rate));
  return x;
}

void write_flac(const std::string& path, const std::vector<float>& x, int rate) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = 1;
  info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  REQUIRE(f != nullptr);
  REQUIRE(sf_write_float(f, x.data(), static_cast<sf_count_t>(x.size())) == static_cast<sf_count_t>(x.size()));
  sf_close(f);
}

}  // namespace

TEST_CASE("find_noise_files: audio at any depth, sorted; load_noises resamples to the model's rate") {
  const std::string dir = test::temp_dir("noise_folder");
  fs::create_directories(dir + "/a/deep/er");
  fs::create_directories(dir + "/.hidden");
  fs::create_directories(dir + "/b");
  test::write_wav(dir + "/a/deep/er/hum.wav", test::WavSpec{1, 8000, 16, false, -1}, tone(8000, 8000));
  write_flac(dir + "/b/fan.FLAC", tone(16000, 16000), 16000);
  test::write_wav(dir + "/top.wav", test::WavSpec{}, tone(4000, 16000));
  test::write_wav(dir + "/.hidden/skip.wav", test::WavSpec{}, tone(4000, 16000));
  test::write_text(dir + "/b/readme.txt", "not audio\n");
  test::write_text(dir + "/.skip.wav", "hidden\n");

  const std::vector<std::string> files = find_noise_files({dir});
  REQUIRE(files.size() == 3);
  CHECK(files[0] == dir + "/a/deep/er/hum.wav");
  CHECK(files[1] == dir + "/b/fan.FLAC");
  CHECK(files[2] == dir + "/top.wav");
  const std::vector<std::vector<float>> noises = load_noises(files, 16000);
  REQUIRE(noises.size() == 3);
  CHECK(std::abs(static_cast<double>(noises[0].size()) - 16000) <= 2);  // 1 s at 8 kHz, now at 16 kHz
  CHECK(noises[1].size() == 16000);
  CHECK(noises[2].size() == 4000);

  // Several folders: each folder's files in turn.
  const std::vector<std::string> two = find_noise_files({dir + "/b", dir + "/a"});
  REQUIRE(two.size() == 2);
  CHECK(two[0] == dir + "/b/fan.FLAC");
  CHECK(two[1] == dir + "/a/deep/er/hum.wav");
  CHECK(find_noise_files({}).empty());
}

TEST_CASE("find_noise_files: a folder without audio, or no folder at all, is a usage error naming it") {
  const std::string dir = test::temp_dir("noise_folder_bad");
  fs::create_directories(dir + "/empty");
  fs::create_directories(dir + "/text/sub");
  test::write_text(dir + "/text/sub/notes.txt", "no audio here\n");
  for (const std::string& bad : {dir + "/empty", dir + "/text", dir + "/missing"}) {
    CAPTURE(bad);
    bool usage = false;
    std::string message;
    try {
      find_noise_files({bad});
    } catch (const UsageError& e) {
      usage = true;
      message = e.what();
    }
    CHECK(usage);
    CHECK(message.find("--noise-dir '" + bad + "'") != std::string::npos);
  }
}
