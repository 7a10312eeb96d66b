#include "frontends/audio/audio_file.h"

#include <sndfile.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>
#include <vector>

#include "base/error.h"

namespace rwkvs {
namespace {

// Owns an open SNDFILE and checks what the header says before anything is read.
class SoundFile {
 public:
  explicit SoundFile(const std::string& path) : path_(path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) fail(path, ": no such file");
    if (std::filesystem::is_directory(path, ec)) fail(path, ": is a directory, not an audio file");
    file_.reset(sf_open(path.c_str(), SFM_READ, &info_));
    if (!file_) fail(path, ": cannot decode audio (", sf_strerror(nullptr), ")");
    check_header();  // may throw: file_ is already owned, so it is closed
  }
  SoundFile(const SoundFile&) = delete;
  SoundFile& operator=(const SoundFile&) = delete;

  SNDFILE* get() { return file_.get(); }
  const SF_INFO& info() const { return info_; }

 private:
  void check_header() {
    if (info_.channels <= 0) fail(path_, ": the header declares ", info_.channels, " channels");
    if (info_.samplerate <= 0)
      fail(path_, ": the header declares a sample rate of ", info_.samplerate, " Hz");
    check_not_truncated();
    if (info_.frames <= 0) fail(path_, ": contains no audio samples (zero length)");
  }

  // libsndfile quietly shortens a WAV/AIFF whose data chunk claims more bytes than the file holds,
  // and notes "data : N (should be M)" in its log. Writers that stream to a pipe put a placeholder
  // size (0x7ffff000, 0xffffffff) there, which is not truncation.
  void check_not_truncated() {
    char log[8192] = {0};
    sf_command(file_.get(), SFC_GET_LOG_INFO, log, sizeof log);
    std::istringstream lines(log);
    std::string line;
    while (std::getline(lines, line)) {
      const bool data_chunk = line.rfind("data", 0) == 0 || line.rfind("SSND", 0) == 0;
      const size_t should = line.find("(should be ");
      const size_t colon = line.find(':');
      if (!data_chunk || should == std::string::npos || colon == std::string::npos) continue;
      const long long declared = std::strtoll(line.c_str() + colon + 1, nullptr, 10);
      const long long actual = std::strtoll(line.c_str() + should + 11, nullptr, 10);
      const bool placeholder = declared >= 0x7fff0000LL || declared <= 0;
      if (!placeholder && declared > actual)
        fail(path_, ": truncated: the header declares ", declared, " bytes of audio data but the file holds ",
             actual);
    }
  }

  std::string path_;
  SF_INFO info_{};
  struct Closer {
    void operator()(SNDFILE* f) const { sf_close(f); }
  };
  std::unique_ptr<SNDFILE, Closer> file_;
};

std::string format_name(int format) {
  SF_FORMAT_INFO fi{};
  fi.format = format & SF_FORMAT_TYPEMASK;
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &fi, sizeof fi) == 0 && fi.name) return fi.name;
  return "unknown";
}

}  // namespace

AudioFileInfo probe_audio_file(const std::string& path) {
  SoundFile f(path);
  return AudioFileInfo{static_cast<double>(f.info().samplerate), f.info().channels,
                       static_cast<int64_t>(f.info().frames), format_name(f.info().format)};
}

Audio read_audio_file(const std::string& path) {
  SoundFile f(path);
  const int channels = f.info().channels;
  const int64_t frames = f.info().frames;
  Audio audio;
  audio.sample_rate = f.info().samplerate;
  audio.samples.resize(static_cast<size_t>(frames));
  // Decode in blocks so a long multichannel file needs only its mono size in memory.
  constexpr int64_t kBlockFrames = 65536;
  std::vector<float> block(static_cast<size_t>(kBlockFrames * channels));
  int64_t done = 0;
  while (done < frames) {
    const int64_t want = std::min(kBlockFrames, frames - done);
    const sf_count_t got = sf_readf_float(f.get(), block.data(), want);
    if (got <= 0) break;
    mix_to_mono(block.data(), static_cast<size_t>(got), channels, audio.samples.data() + done);
    require_finite(audio.samples.data() + done, static_cast<size_t>(got), path, static_cast<size_t>(done));
    done += got;
  }
  if (done < frames)
    fail(path, ": truncated or corrupt: the header declares ", frames, " samples per channel but only ", done,
         " could be decoded (", sf_strerror(f.get()), ")");
  return audio;
}

struct AudioFileReader::Impl {
  explicit Impl(const std::string& p) : path(p), file(p) {
    info = AudioFileInfo{static_cast<double>(file.info().samplerate), file.info().channels,
                         static_cast<int64_t>(file.info().frames), format_name(file.info().format)};
  }
  std::string path;
  SoundFile file;
  AudioFileInfo info;
  std::vector<float> block;  // [frames, channels] interleaved
};

AudioFileReader::AudioFileReader(const std::string& path) : impl_(std::make_unique<Impl>(path)) {}
AudioFileReader::~AudioFileReader() = default;

const AudioFileInfo& AudioFileReader::info() const { return impl_->info; }

size_t AudioFileReader::read(size_t max_frames, std::vector<float>* out) {
  const int64_t left = impl_->info.frames - frames_read_;
  const int64_t want = std::min<int64_t>(static_cast<int64_t>(max_frames), left);
  if (want <= 0) return 0;
  const int channels = impl_->info.channels;
  impl_->block.resize(static_cast<size_t>(want * channels));
  const sf_count_t got = sf_readf_float(impl_->file.get(), impl_->block.data(), want);
  if (got <= 0)
    fail(impl_->path, ": truncated or corrupt: the header declares ", impl_->info.frames,
         " samples per channel but only ", frames_read_, " could be decoded (", sf_strerror(impl_->file.get()), ")");
  const size_t old = out->size();
  out->resize(old + static_cast<size_t>(got));
  mix_to_mono(impl_->block.data(), static_cast<size_t>(got), channels, out->data() + old);
  require_finite(out->data() + old, static_cast<size_t>(got), impl_->path, static_cast<size_t>(frames_read_));
  frames_read_ += got;
  return static_cast<size_t>(got);
}

}  // namespace rwkvs
