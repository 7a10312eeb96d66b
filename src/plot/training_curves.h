#pragma once
// The training-curves figure: panels in a two-column grid, each drawn only when its data is in the
// log:
//   - loss against step: raw values (light) and a smoothed line, with val_loss when logged;
//   - every other validation metric (val_bpb, val_accuracy, ...) against step;
//   - learning rate against step;
//   - loss against wall-clock time.
// A header line names the run and sums it up (records, steps, time, last smoothed loss, last
// value of each validation metric).
#include <string>
#include <vector>

#include "src/plot/axes.h"
#include "src/plot/training_history.h"

namespace rwkvs {

struct TrainingCurvesOptions {
  int width = 1200;  // pixels
  int height = 800;
  std::string title;  // the header's name for the run (e.g. the log's path)
};

// Where a panel's data rectangle ended up, for callers and tests that look at the pixels.
struct PanelPlacement {
  std::string title;
  Rect area;
  Range x, y;
};

// Exponential moving average with bias correction (the first values are not pulled toward 0);
// 'span' is the number of points the average roughly spans (alpha = 2 / (span + 1)).
std::vector<double> smoothed(const std::vector<double>& values, double span);

// Draws the figure to 'out_path' (.png or .svg); Error naming the path when it cannot be written.
std::vector<PanelPlacement> plot_training_curves(const TrainingHistory& history, const std::string& out_path,
                                                 const TrainingCurvesOptions& options);

}  // namespace rwkvs
