#pragma once
// Shared helpers for the doctest units: array comparison with a useful report, temp dirs, running
// the CLI and the Python oracles.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "base/error.h"

namespace rwkvs::test {

struct Comparison {
  bool ok = true;
  size_t n = 0;
  size_t first_bad = SIZE_MAX;  // first index outside tolerance
  size_t worst = 0;             // index of the largest absolute difference
  double max_abs = 0;           // largest |got - want|
  double nmse = 0;              // sum (got-want)^2 / sum want^2 (normalised error)
  double got_at_bad = 0, want_at_bad = 0;
  std::string describe() const;
};

// Element i passes when |got - want| <= atol + rtol * |want| (NaN never passes).
template <class A, class B>
Comparison compare(const A* got, const B* want, size_t n, double atol, double rtol);

// A fresh empty directory under the build tree, unique to this process and name.
std::string temp_dir(const std::string& name);

// Every file under 'root' (hidden ones too), relative to it and sorted.
std::vector<std::string> files_under(const std::string& root);

// Runs a shell command, returns its exit status; stdout+stderr go to *output when given.
int run(const std::string& command, std::string* output = nullptr);

// Runs `rwkvs ARGS --device cuda`. Where it runs (a CUDA build on a GPU machine) compare(output)
// checks the result; anywhere else the command must stop with exit 1 and one error line naming
// --device cuda (no usable GPU, or built without CUDA).
void run_on_gpu_or_expect_error(const std::string& args, const std::function<void(const std::string& out)>& compare);

// The rwkvs binary built with the tests, and the oracle scripts.
std::string cli();
std::string oracle(const std::string& script);  // path to ../shared/reference/<script>
bool have_torch();
std::string python();

std::vector<float> read_f32_file(const std::string& path);
// Whitespace-separated token ids (the oracles' tokens.txt).
std::vector<int32_t> read_tokens(const std::string& path);
void write_text(const std::string& path, const std::string& text);
std::string read_text(const std::string& path);

// The message of the rwkvs::Error that 'fn' throws, or "" when it throws none.
template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const rwkvs::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace rwkvs::test

// Checks two arrays element-wise and reports the first bad index, the largest difference and the
// normalised error when they disagree.
#define CHECK_ARRAYS_CLOSE(got, want, n, atol, rtol)                                   \
  do {                                                                                 \
    const auto _cmp = ::rwkvs::test::compare((got), (want), (n), (atol), (rtol));      \
    INFO(_cmp.describe());                                                             \
    CHECK(_cmp.ok);                                                                    \
  } while (0)
