#include "src/core/peak_memory.h"

#include <fstream>
#include <sstream>
#include <string>

namespace rwkvs {

double peak_rss_mb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) != 0) continue;
    std::istringstream in(line.substr(6));
    double kb = 0;
    in >> kb;  // "VmHWM:   123456 kB"
    return kb / 1024.0;
  }
  return 0;
}

}  // namespace rwkvs
