#include "src/io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "base/error.h"

namespace rwkvs {

namespace {

std::string errno_text() { return std::strerror(errno); }

// The rename is durable only once the directory entry itself reaches the disk.
void fsync_parent_dir(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // best effort: the data itself is already synced
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

AtomicFile::AtomicFile(const std::string& path)
    : path_(path), temp_(path + ".tmp." + std::to_string(::getpid())) {
  file_ = std::fopen(temp_.c_str(), "wb");
  if (!file_) fail("cannot write '", path_, "': cannot create '", temp_, "': ", errno_text());
}

AtomicFile::~AtomicFile() {
  if (file_) std::fclose(file_);
  if (!committed_) std::remove(temp_.c_str());
}

void AtomicFile::write(const void* data, size_t bytes) {
  if (!file_) fail("internal: write to '", path_, "' after commit");
  if (bytes == 0) return;
  if (std::fwrite(data, 1, bytes, file_) != bytes)
    fail("cannot write '", path_, "': writing '", temp_, "' failed: ", errno_text());
}

void AtomicFile::commit() {
  if (!file_) fail("internal: '", path_, "' committed twice");
  std::FILE* f = std::exchange(file_, nullptr);
  bool ok = std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  std::string why = ok ? "" : errno_text();
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    why = errno_text();
  }
  if (!ok) fail("cannot write '", path_, "': flushing '", temp_, "' failed: ", why);
  if (std::rename(temp_.c_str(), path_.c_str()) != 0)
    fail("cannot write '", path_, "': renaming '", temp_, "' over it failed: ", errno_text());
  committed_ = true;
  fsync_parent_dir(path_);
}

}  // namespace rwkvs
