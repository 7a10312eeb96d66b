#pragma once
// Writes a mono 16-bit PCM WAV file progressively and atomically (libsndfile). Samples go to
// "<path>.tmp.<pid>" in the same folder; flush() rewrites its header and syncs it, so the partial
// file is a valid WAV a player can open at every flush; commit() closes it and renames it over
// <path>. Without commit() (an error, an exception) the temp file is removed and <path> is untouched.
#include <cstddef>
#include <cstdint>
#include <string>

namespace rwkvs {

class PcmWavWriter {
 public:
  // Error naming the path when the temp file cannot be created or the rate is not positive.
  PcmWavWriter(const std::string& path, int sample_rate);
  ~PcmWavWriter();
  PcmWavWriter(const PcmWavWriter&) = delete;
  PcmWavWriter& operator=(const PcmWavWriter&) = delete;

  // Appends samples in [-1, 1] (values outside are clipped). Error on a short write (disk full).
  void write(const float* samples /*[n]*/, size_t n);
  // Updates the header to the samples written so far and syncs the file to disk.
  void flush();
  // Closes the file and renames it over the target. Further writes are errors.
  void commit();

  int64_t frames() const { return frames_; }
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }

 private:
  std::string path_, temp_;
  void* file_ = nullptr;  // SNDFILE*
  int64_t frames_ = 0;
  bool committed_ = false;
};

}  // namespace rwkvs
