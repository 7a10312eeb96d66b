#include "src/io/read_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"

namespace rwkvs {

std::string read_file_bytes(const std::string& path, const std::string& what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(what, " '", path, "' does not exist");
  if (fs::is_directory(path, ec)) fail(what, " '", path, "' is a directory, expected a file");
  std::ifstream f(path, std::ios::binary);
  if (!f) fail(what, " '", path, "' cannot be read: ", std::strerror(errno));
  std::ostringstream s;
  s << f.rdbuf();
  if (f.bad()) fail(what, " '", path, "': read error");
  return s.str();
}

}  // namespace rwkvs
