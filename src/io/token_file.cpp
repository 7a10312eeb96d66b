#include "src/io/token_file.h"

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "base/error.h"
#include "src/io/atomic_file.h"
#include "src/io/read_file.h"

namespace rwkvs {

std::vector<int32_t> read_token_file(const std::string& path, int64_t vocab) {
  const std::string text = read_file_bytes(path, "token file");
  std::istringstream in(text);
  std::vector<int32_t> ids;
  std::string word;
  while (in >> word) {
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(word.c_str(), &end, 10);
    if (*end != '\0' || errno == ERANGE)
      fail("token file '", path, "': token ", ids.size(), " is '", word, "', expected an integer id");
    if (v < 0 || v >= vocab)
      fail("token file '", path, "': token ", ids.size(), " is ", v, ", outside the model's vocabulary [0, ", vocab,
           ")");
    ids.push_back(static_cast<int32_t>(v));
  }
  if (ids.empty()) fail("token file '", path, "' holds no tokens");
  return ids;
}

void write_f32_file(const std::string& path, const float* data, size_t n) {
  AtomicFile f(path);
  f.write(data, n * sizeof(float));
  f.commit();
}

}  // namespace rwkvs
