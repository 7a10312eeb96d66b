#pragma once
// The global input normalisation a frames model stores (input_norm.mean / input_norm.scale):
// per-feature mean and 1/std of the unaugmented training audio, tiled over the frame_stack copies
// of each feature in a stacked position.
#include <string>
#include <vector>

#include "frontends/audio/feature_pipeline.h"
#include "src/audio/pcm16_clip.h"
#include "src/model/model.h"

namespace rwkvs {

// Measures the statistics on 'waves' (each turned into floats in turn) through 'features' and
// writes them into the model. Error naming 'data' when no wave is long enough for one frame.
void set_input_norm(Model& model, const FeaturePipeline& features, const std::vector<Pcm16Clip>& waves,
                    const std::string& data);

}  // namespace rwkvs
