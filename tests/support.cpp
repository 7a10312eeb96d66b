#include "tests/support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace rwkvs::test {

std::string Comparison::describe() const {
  std::ostringstream s;
  s.precision(9);
  s << "n=" << n << " max|diff|=" << max_abs << " at " << worst << ", nmse=" << nmse;
  if (first_bad != SIZE_MAX) s << ", first bad index " << first_bad << ": got " << got_at_bad << " want " << want_at_bad;
  return s.str();
}

template <class A, class B>
Comparison compare(const A* got, const B* want, size_t n, double atol, double rtol) {
  Comparison c;
  c.n = n;
  double err2 = 0, ref2 = 0;
  for (size_t i = 0; i < n; ++i) {
    const double g = static_cast<double>(got[i]), w = static_cast<double>(want[i]);
    const double d = std::fabs(g - w);
    err2 += (g - w) * (g - w);
    ref2 += w * w;
    if (d > c.max_abs) {  // NaN never compares greater; it is caught as a bad index below
      c.max_abs = d;
      c.worst = i;
    }
    if (!(d <= atol + rtol * std::fabs(w)) && c.first_bad == SIZE_MAX) {
      c.first_bad = i;
      c.got_at_bad = g;
      c.want_at_bad = w;
      c.ok = false;
    }
  }
  c.nmse = ref2 > 0 ? err2 / ref2 : err2;
  return c;
}

template Comparison compare<float, float>(const float*, const float*, size_t, double, double);
template Comparison compare<double, double>(const double*, const double*, size_t, double, double);
template Comparison compare<float, double>(const float*, const double*, size_t, double, double);
template Comparison compare<double, float>(const double*, const float*, size_t, double, double);

std::vector<std::string> files_under(const std::string& root) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root))
    if (e.is_regular_file()) files.push_back(e.path().lexically_relative(root).generic_string());
  std::sort(files.begin(), files.end());
  return files;
}

std::string temp_dir(const std::string& name) {
  namespace fs = std::filesystem;
  const fs::path p = fs::path(RWKVS_BINARY_DIR) / "test_tmp" / (name + "_" + std::to_string(getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

void run_on_gpu_or_expect_error(const std::string& args, const std::function<void(const std::string& out)>& compare) {
  std::string out;
  const int rc = run(cli() + " " + args + " --device cuda", &out);
  INFO("rwkvs " << args << " --device cuda -> " << rc << ": " << out);
  if (rc == 0) {
    compare(out);
    return;
  }
  CHECK(rc == 1);
  CHECK(out.rfind("error: --device cuda: ", 0) == 0);
  CHECK((out.find("no usable GPU") != std::string::npos || out.find("built without CUDA") != std::string::npos));
  CHECK(std::count(out.begin(), out.end(), '\n') == 1);
}

int run(const std::string& command, std::string* output) {
  const std::string full = command + " 2>&1";
  FILE* pipe = popen(full.c_str(), "r");
  if (!pipe) return -1;
  std::string out;
  char buf[4096];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, got);
  const int status = pclose(pipe);
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string cli() { return RWKVS_CLI; }
std::string oracle(const std::string& script) {
  return (std::filesystem::path(RWKVS_SOURCE_DIR) / ".." / "shared" / "reference" / script).string();
}
bool have_torch() { return RWKVS_HAVE_TORCH; }
std::string python() { return RWKVS_PYTHON; }

std::vector<int32_t> read_tokens(const std::string& path) {
  std::ifstream f(path);
  return {std::istream_iterator<int32_t>(f), std::istream_iterator<int32_t>()};
}

std::vector<float> read_f32_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), "cannot open " << path);
  f.seekg(0, std::ios::end);
  const auto bytes = static_cast<size_t>(f.tellg());
  f.seekg(0);
  std::vector<float> v(bytes / 4);
  f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
  return v;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace rwkvs::test
