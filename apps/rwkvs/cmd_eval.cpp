// rwkvs eval: accuracy, per-class accuracy and confusion matrix of an audio classifier on a split
// of a dataset, with the frontend stored in the model; with --stream also the keyword-spotting
// figures of the split played back to back as one stream.
#include <cstdio>
#include <map>
#include <memory>

#include "apps/rwkvs/commands.h"
#include "apps/rwkvs/detector_flags.h"
#include "base/error.h"
#include "src/audio/frontend_config.h"
#include "src/core/threads.h"
#include "src/infer/stream_eval.h"
#include "src/io/audio_dataset.h"
#include "src/model/checkpoint.h"
#include "src/model/engine.h"
#include "src/train/classify_eval.h"

namespace rwkvs::app {
namespace {

struct EvalArgs {
  std::string model, data, split = "test", validation_manifest, test_manifest, device = "cpu", precision = "fp32";
  int64_t batch = 32;
  int threads = 0;
  bool json = false;
  bool stream = false;  // also play the split back to back through a stream session
  DetectorFlags detector;
  uint64_t seed = 1;
};

void run_eval(const EvalArgs& a) {
  if (a.batch < 1) fail_usage("--batch must be at least 1");
  validate_device_flags(a.device, a.precision);
  const DetectorOptions detector = a.detector.options();
  set_num_threads(a.threads);
  const Model model = load_model(a.model);
  const ModelConfig& c = model.config();
  if (!c.frames_input() || !c.classes_head())
    fail("'", a.model, "' is not an audio classifier (input ", c.input_kind, ", head ", c.head_kind, ")");
  AudioDatasetOptions dopt;
  dopt.validation_manifest = a.validation_manifest;
  dopt.test_manifest = a.test_manifest;
  const AudioDataset data = load_audio_dataset(a.data, dopt);
  std::vector<AudioExample> examples = a.split == "test" ? data.test : a.split == "validation" ? data.validation : data.train;
  if (examples.empty()) fail("dataset '", a.data, "' has no ", a.split, " examples");
  // the dataset's class ids -> the model's label ids, by name
  std::map<std::string, int> model_label;
  for (size_t k = 0; k < c.labels.size(); ++k) model_label[c.labels[k]] = static_cast<int>(k);
  for (AudioExample& ex : examples) {
    const auto it = model_label.find(ex.label_name);
    if (it == model_label.end())
      fail("'", ex.path, "' is labelled '", ex.label_name, "', a class the model '", a.model, "' does not know");
    ex.label = it->second;
  }
  const FrontendConfig fe = FrontendConfig::from_json(c.frontend, a.model);
  const FeaturePipeline features = fe.make_pipeline();
  const ClipSet clips = load_clips(examples, fe.sample_rate(), a.split);
  const std::shared_ptr<Engine> engine = make_engine(a.device, model, a.precision);
  const ClassifyMetrics m = evaluate_classifier(*engine, features, clips, a.batch, {});
  StreamEvalResult sr;
  if (a.stream) {
    StreamEvalOptions so;
    so.detector = detector;
    so.seed = a.seed;
    if (a.device != "cpu") so.engine = engine;  // the CPU keeps the session's own functions, as `rwkvs stream`
    sr = evaluate_stream(StreamModel::load(a.model), clips.waves, clips.labels, so);
  }
  if (a.json) {
    nlohmann::json j = m.to_json("");
    j["split"] = a.split;
    j["model"] = a.model;
    if (a.stream) j.update(sr.to_json());
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s split of %s with %s:\n%s", a.split.c_str(), a.data.c_str(), a.model.c_str(), m.table().c_str());
    if (a.stream) std::printf("%s", sr.table().c_str());
  }
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate an audio classifier on a dataset split");
  cmd->option_defaults()->always_capture_default();
  cmd->add_option("--model", a->model, "classifier .safetensors")->required();
  cmd->add_option("--data", a->data, "Speech Commands style folder or JSON-lines manifest")->required();
  cmd->add_option("--split", a->split, "which split")->check(CLI::IsMember({"test", "validation", "train"}));
  cmd->add_option("--validation-manifest", a->validation_manifest, "manifest data: the validation split");
  cmd->add_option("--test-manifest", a->test_manifest, "manifest data: the test split");
  cmd->add_option("--batch", a->batch, "clips per forward pass");
  cmd->add_option("--threads", a->threads, "threads (0 = all cores)");
  cmd->add_option("--device", a->device, "cpu, or cuda (an NVIDIA GPU)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--precision", a->precision, "GPU matmuls: fp32, tf32 or bf16")
      ->check(CLI::IsMember({"fp32", "tf32", "bf16"}));
  cmd->add_flag("--json", a->json, "print one JSON object");
  cmd->add_flag("--stream", a->stream,
                "also play the split's clips back to back (order shuffled by --seed) through a stream session "
                "and the keyword detector: keywords found, per class, and false alarms per hour");
  a->detector.add_to(cmd, "--stream: ");
  cmd->add_option("--seed", a->seed, "--stream: order of the clips");
  cmd->callback([a] { run_eval(*a); });
}

}  // namespace rwkvs::app
