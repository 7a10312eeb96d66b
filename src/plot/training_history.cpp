#include "src/plot/training_history.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/error.h"

namespace rwkvs {

namespace {

using nlohmann::json;

// The number under 'key', NaN when absent or null; Error for any other type.
double number_or_nan(const json& rec, const char* key, const std::string& where) {
  const auto it = rec.find(key);
  if (it == rec.end() || it->is_null()) return NAN;
  if (!it->is_number()) fail(where, ": '", key, "' is not a number (", it->dump(), ")");
  return it->get<double>();
}

// "val_*" numbers, except sizes such as val_count (how many examples were evaluated).
bool is_validation_metric(const std::string& key) {
  const std::string count = "_count";
  return key.rfind("val_", 0) == 0 &&
         !(key.size() >= count.size() && key.compare(key.size() - count.size(), count.size(), count) == 0);
}

void append(Series& s, double step, double time, double value) {
  if (!std::isfinite(value)) return;
  s.step.push_back(step);
  s.time.push_back(time);
  s.value.push_back(value);
}

// Drops the points at or after 'step' (a resumed run replays them).
void truncate_from(Series& s, double step) {
  size_t keep = s.step.size();
  while (keep > 0 && s.step[keep - 1] >= step) --keep;
  s.step.resize(keep);
  s.time.resize(keep);
  s.value.resize(keep);
}

}  // namespace

TrainingHistory read_training_history(const std::string& path) {
  std::ifstream in(path);
  RWKVS_CHECK(in, "cannot open training log '", path, "'");
  TrainingHistory h;
  h.loss.name = "loss";
  h.lr.name = "lr";
  std::string text;
  long line_no = 0;
  double last_step = -INFINITY, last_raw_time = -INFINITY, time_offset = 0;
  while (std::getline(in, text)) {
    ++line_no;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(line_no);
    json rec = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!rec.is_object()) fail(where, ": not a JSON object");
    const double step = number_or_nan(rec, "step", where);
    if (!std::isfinite(step)) fail(where, ": no numeric 'step'");
    const double raw_time = number_or_nan(rec, "time", where);
    const double loss = number_or_nan(rec, "loss", where);
    const double lr = number_or_nan(rec, "lr", where);

    bool restarted = false;  // a resumed run: its clock starts again from 0
    if (std::isfinite(raw_time)) {
      restarted = raw_time < last_raw_time;
      if (restarted) time_offset += last_raw_time;
      last_raw_time = raw_time;
    }
    if (step < last_step || (restarted && step == last_step)) {
      truncate_from(h.loss, step);
      truncate_from(h.lr, step);
      for (Series& s : h.validation) truncate_from(s, step);
    }
    last_step = step;
    const double time = raw_time + time_offset;  // NaN stays NaN

    append(h.loss, step, time, loss);
    append(h.lr, step, time, lr);
    for (const auto& [key, value] : rec.items()) {
      if (!is_validation_metric(key) || !value.is_number()) continue;
      auto it = std::find_if(h.validation.begin(), h.validation.end(),
                             [&](const Series& s) { return s.name == key; });
      if (it == h.validation.end()) {
        h.validation.emplace_back().name = key;
        it = h.validation.end() - 1;
      }
      append(*it, step, time, value.get<double>());
    }
    ++h.lines;
  }
  RWKVS_CHECK(!in.bad(), "error reading training log '", path, "'");
  bool any = !h.loss.empty() || !h.lr.empty();
  for (const Series& s : h.validation) any = any || !s.empty();
  RWKVS_CHECK(any, "training log '", path,
              "' has no records to plot (JSON lines with a 'step' and a 'loss', ", "'lr' or 'val_*' number; ",
              h.lines, " record(s) read)");
  return h;
}

}  // namespace rwkvs
