#pragma once
// While a StopSignals lives, Ctrl-C (SIGINT) and SIGTERM (a scheduler's preemption, mpirun passing
// on a Ctrl-C) set a flag instead of ending the process, so long work can finish its files (a
// checkpoint, a WAV) and stop cleanly. One at a time; the previous handlers come back at the end.
#include <atomic>

namespace rwkvs {

class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  bool requested() const { return flag().load(); }
  // The flag the handlers set (for code that polls a std::atomic<bool>*).
  static const std::atomic<bool>& flag();

 private:
  void (*previous_int_)(int) = nullptr;
  void (*previous_term_)(int) = nullptr;
};

}  // namespace rwkvs
