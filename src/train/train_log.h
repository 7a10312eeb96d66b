#pragma once
// Training progress: a JSON-lines log beside the checkpoint (one object per logged step) and a
// human progress line with the ETA.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

namespace rwkvs {

class TrainLog {
 public:
  // Opens 'path' for appending (a resumed run continues the same log). Errors name the path.
  explicit TrainLog(const std::string& path);
  ~TrainLog();
  TrainLog(const TrainLog&) = delete;
  TrainLog& operator=(const TrainLog&) = delete;

  void write(const nlohmann::json& record);  // one line, flushed

 private:
  std::FILE* file_ = nullptr;
  std::string path_;
};

// "1h02m", "3m12s", "45s"
std::string format_duration(double seconds);

}  // namespace rwkvs
