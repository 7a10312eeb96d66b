#include "src/core/stop_signals.h"

#include <csignal>

namespace rwkvs {
namespace {

std::atomic<bool> g_stop_requested{false};
extern "C" void on_stop_signal(int) { g_stop_requested = true; }

}  // namespace

StopSignals::StopSignals() {
  g_stop_requested = false;
  previous_int_ = std::signal(SIGINT, on_stop_signal);
  previous_term_ = std::signal(SIGTERM, on_stop_signal);
}

StopSignals::~StopSignals() {
  std::signal(SIGINT, previous_int_);
  std::signal(SIGTERM, previous_term_);
}

const std::atomic<bool>& StopSignals::flag() { return g_stop_requested; }

}  // namespace rwkvs
