#include "src/io/pcm_wav_writer.h"

#include <sndfile.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/error.h"

namespace rwkvs {

namespace {
SNDFILE* as_sndfile(void* f) { return static_cast<SNDFILE*>(f); }
}  // namespace

PcmWavWriter::PcmWavWriter(const std::string& path, int sample_rate)
    : path_(path), temp_(path + ".tmp." + std::to_string(::getpid())) {
  if (sample_rate <= 0) fail("cannot write '", path, "': sample rate ", sample_rate, " Hz is not positive");
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open(temp_.c_str(), SFM_WRITE, &info);
  if (!f) fail("cannot write '", path, "': cannot create '", temp_, "': ", sf_strerror(nullptr));
  sf_command(f, SFC_SET_CLIPPING, nullptr, SF_TRUE);  // clip instead of wrapping around
  file_ = f;
}

PcmWavWriter::~PcmWavWriter() {
  if (file_) sf_close(as_sndfile(file_));
  if (!committed_) std::remove(temp_.c_str());
}

void PcmWavWriter::write(const float* samples, size_t n) {
  if (!file_) fail("internal: write to '", path_, "' after commit");
  if (n == 0) return;
  const sf_count_t got = sf_write_float(as_sndfile(file_), samples, static_cast<sf_count_t>(n));
  if (got != static_cast<sf_count_t>(n))
    fail("cannot write '", path_, "': writing '", temp_, "' failed: ", sf_strerror(as_sndfile(file_)));
  frames_ += got;
}

void PcmWavWriter::flush() {
  if (!file_) fail("internal: flush of '", path_, "' after commit");
  sf_command(as_sndfile(file_), SFC_UPDATE_HEADER_NOW, nullptr, 0);
  sf_write_sync(as_sndfile(file_));
}

void PcmWavWriter::commit() {
  if (!file_) fail("internal: '", path_, "' committed twice");
  flush();
  const int err = sf_close(as_sndfile(file_));
  file_ = nullptr;
  if (err != 0) fail("cannot write '", path_, "': closing '", temp_, "' failed: ", sf_error_number(err));
  if (std::rename(temp_.c_str(), path_.c_str()) != 0)
    fail("cannot write '", path_, "': renaming '", temp_, "' over it failed: ", std::strerror(errno));
  committed_ = true;
}

}  // namespace rwkvs
