#pragma once
// One error type for the whole library. Messages name the file, flag or tensor, what was expected
// and what was found. Apps catch it, print "error: <message>" and exit non-zero.
#include <sstream>
#include <stdexcept>
#include <string>

namespace rwkvs {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A bad flag or flag value: the CLI exits with status 2 instead of 1.
class UsageError : public Error {
 public:
  using Error::Error;
};

template <class... Parts>
std::string str_cat(const Parts&... parts) {
  std::ostringstream s;
  (s << ... << parts);
  return s.str();
}

template <class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  throw Error(str_cat(parts...));
}

template <class... Parts>
[[noreturn]] void fail_usage(const Parts&... parts) {
  throw UsageError(str_cat(parts...));
}

}  // namespace rwkvs

// Checks an input condition; on failure throws rwkvs::Error with the given message parts.
#define RWKVS_CHECK(cond, ...)                    \
  do {                                            \
    if (!(cond)) ::rwkvs::fail(__VA_ARGS__);      \
  } while (0)
