#pragma once
// Writes a file so that readers only ever see the old version or the complete new one: the bytes go
// to "<path>.tmp.<pid>", commit() flushes and fsyncs them and renames the temp file over <path>.
// If commit() is never reached (an error, an exception) the temp file is removed and <path> keeps
// its old contents.
#include <cstddef>
#include <cstdio>
#include <string>

namespace rwkvs {

class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path);  // throws Error naming the path if it cannot be created
  ~AtomicFile();                                 // removes the temp file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t bytes);  // throws Error on a short write (disk full, ...)
  void commit();                               // flush, fsync, rename over the target, fsync the folder

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }

 private:
  std::string path_;
  std::string temp_;
  std::FILE* file_ = nullptr;
  bool committed_ = false;
};

}  // namespace rwkvs
