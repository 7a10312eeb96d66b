// rwkvs eval: accuracy, per-class accuracy and confusion matrix of an audio classifier on a split
// of a dataset, with the frontend stored in the model; with --stream also the keyword-spotting
// figures of the split played back to back as one stream; with --streams those of recordings of
// running speech (a manifest naming the keywords said in each), over a sweep of detector
// thresholds, optionally calibrated for a target false-alarm rate and stored in the model.
#include <cstdio>
#include <map>
#include <memory>

#include "apps/rwkvs/commands.h"
#include "apps/rwkvs/detector_flags.h"
#include "apps/rwkvs/eval_ctc.h"
#include "base/error.h"
#include "src/audio/frontend_config.h"
#include "src/core/threads.h"
#include "src/infer/stream_eval.h"
#include "src/audio/clip_loader.h"
#include "src/io/audio_dataset.h"
#include "src/io/manifest.h"
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
  bool by_speaker = false;  // ctc: errors per speaker
  std::string streams;  // a manifest of recordings with "keywords"
  double target_fa_per_hour = 0;
  bool calibrate = false;  // store the calibrated threshold in the model
  DetectorFlags detector;
  uint64_t seed = 1;
  CtcEvalArgs ctc;  // CTC models: --beam, --worst, --chunk-ms
  CLI::Option* batch_flag = nullptr;
};

// Running speech: every recording of the manifest through a session and the detector.
StreamEvalResult eval_recordings(const EvalArgs& a, const std::shared_ptr<const StreamModel>& model,
                                 const StreamEvalOptions& so) {
  const std::vector<ManifestEntry> recordings = read_manifest(a.streams);
  for (const ManifestEntry& e : recordings)
    if (!e.keywords)
      fail("manifest '", a.streams, "' line ", e.line, ": --streams needs 'keywords' on every line (an empty list "
           "for speech without any)");
  double noted_rate = 0;
  return evaluate_recordings(model, recordings.size(), [&](size_t i) {
    const ManifestEntry& e = recordings[i];
    AudioExample ex;
    ex.path = e.audio_path;
    ex.offset = 0;
    ex.duration = e.duration;
    double from = 0;
    KeywordRecording r;
    r.name = a.streams + " line " + std::to_string(e.line);
    r.samples = load_clip(ex, model->sample_rate(), &from);
    if (from > 0 && noted_rate == 0) {
      std::fprintf(stderr, "note: resampling the recordings from %g Hz to the model's %g Hz\n", from,
                   model->sample_rate());
      noted_rate = from;
    }
    r.keywords = *e.keywords;
    if (recordings.size() >= 4)
      std::fprintf(stderr, "  stream %zu/%zu: %s\n", i + 1, recordings.size(), e.audio_path.c_str());
    return r;
  }, so);
}

// Writes the operating point into the model file (atomically), so stream uses it by default.
void store_calibration(const EvalArgs& a, Model model, const StreamEvalResult& r, const DetectorOptions& d) {
  if (!r.target_met)
    fail("--calibrate: no threshold of the sweep keeps the false alarms at or under ", a.target_fa_per_hour,
         " per hour on '", a.streams, "' (the highest gives ", r.false_alarms_per_hour(), "); the model is unchanged");
  model.config().detector = {{"threshold", r.at.threshold},
                             {"smooth_ms", d.smooth_s * 1000},
                             {"refractory_ms", d.refractory_s * 1000},
                             {"target_fa_per_hour", a.target_fa_per_hour},
                             {"calibrated_on", a.streams},
                             {"recall_there", r.recall()},
                             {"false_alarms_per_hour_there", r.false_alarms_per_hour()}};
  save_model(a.model, model);
  std::fprintf(stderr, "calibrated: threshold %g stored in %s\n", r.at.threshold, a.model.c_str());
}

void run_eval(const EvalArgs& a) {
  if (a.batch < 1) fail_usage("--batch must be at least 1");
  validate_device_flags(a.device, a.precision);
  if (a.data.empty() && a.streams.empty()) fail_usage("give --data (a dataset split) or --streams (recordings)");
  if (a.stream && a.data.empty()) fail_usage("--stream plays a split of --data back to back: give --data");
  if (!(a.target_fa_per_hour >= 0)) fail_usage("--target-fa-per-hour must not be negative, got ", a.target_fa_per_hour);
  if (a.calibrate && (a.streams.empty() || a.target_fa_per_hour <= 0))
    fail_usage("--calibrate needs --streams and --target-fa-per-hour");
  if (a.target_fa_per_hour > 0 && a.streams.empty() && !a.stream)
    fail_usage("--target-fa-per-hour applies to --streams or --stream");
  set_num_threads(a.threads);
  const Model model = load_model(a.model);
  const ModelConfig& c = model.config();
  if (c.frames_input() && c.ctc_head()) {
    if (!a.streams.empty() || a.calibrate || a.target_fa_per_hour > 0)
      fail_usage("--streams, --calibrate and --target-fa-per-hour are for keyword spotters; '", a.model,
                 "' is a CTC recogniser");
    CtcEvalArgs e = a.ctc;
    e.model_path = a.model;
    e.data = a.data;
    e.device = a.device;
    e.precision = a.precision;
    if (a.batch_flag->count() > 0) e.batch = a.batch;
    e.json = a.json;
    e.stream = a.stream;
    e.by_speaker = a.by_speaker;
    return eval_ctc(model, e);
  }
  if (!c.frames_input() || !c.classes_head())
    fail("'", a.model, "' is not an audio classifier (input ", c.input_kind, ", head ", c.head_kind, ")");
  if (a.ctc.decode.beam != 1 || !a.ctc.decode.lm.empty())
    fail_usage("--beam and --lm are for CTC speech recognisers; '", a.model, "' is a keyword spotter");
  // The stored calibration is the default, except when calibrating anew.
  const DetectorOptions detector = a.detector.options(a.calibrate ? nlohmann::json() : c.detector, a.model);
  const std::shared_ptr<Engine> engine = make_engine(a.device, model, a.precision);
  StreamEvalOptions so;
  so.detector = detector;
  so.seed = a.seed;
  so.target_fa_per_hour = a.target_fa_per_hour;
  if (a.device != "cpu") so.engine = engine;  // the CPU keeps the session's own functions, as `rwkvs stream`
  if (a.data.empty()) {
    const StreamEvalResult r = eval_recordings(a, std::make_shared<const StreamModel>(model, a.model), so);
    if (a.json) {
      nlohmann::json j = r.to_json();
      j["model"] = a.model;
      j["streams"] = a.streams;
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("recordings of %s with %s:\n%s", a.streams.c_str(), a.model.c_str(), r.table().c_str());
    }
    if (a.calibrate) store_calibration(a, model, r, detector);
    return;
  }
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
  const ClassifyMetrics m = evaluate_classifier(*engine, features, clips, a.batch, {});
  const auto stream_model = std::make_shared<const StreamModel>(model, a.model);
  StreamEvalResult sr, rr;
  if (a.stream) sr = evaluate_stream(stream_model, clips.waves, clips.labels, so);
  if (!a.streams.empty()) rr = eval_recordings(a, stream_model, so);
  if (a.json) {
    nlohmann::json j = m.to_json("");
    j["split"] = a.split;
    j["model"] = a.model;
    if (a.stream) j.update(sr.to_json());
    if (!a.streams.empty()) {
      nlohmann::json r = rr.to_json();
      for (auto& [k, v] : r.items()) j["recordings_" + k.substr(7)] = v;  // stream_x -> recordings_x
      j["streams"] = a.streams;
    }
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s split of %s with %s:\n%s", a.split.c_str(), a.data.c_str(), a.model.c_str(), m.table().c_str());
    if (a.stream) std::printf("%s", sr.table().c_str());
    if (!a.streams.empty()) std::printf("recordings of %s:\n%s", a.streams.c_str(), rr.table().c_str());
  }
  if (a.calibrate) store_calibration(a, model, rr, detector);
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand(
      "eval", "Evaluate an audio classifier on a dataset split, or a CTC recogniser (CER, WER) on a transcribed manifest");
  cmd->option_defaults()->always_capture_default();
  cmd->add_option("--model", a->model, "classifier .safetensors")->required();
  cmd->add_option("--data", a->data, "Speech Commands style folder or JSON-lines manifest (a split of it is scored)");
  cmd->add_option("--streams", a->streams,
                  "JSON-lines manifest of recordings of running speech, each with \"keywords\": [{label, start, "
                  "end}] (seconds): keywords found and false alarms per hour over a sweep of thresholds");
  cmd->add_option("--target-fa-per-hour", a->target_fa_per_hour,
                  "--streams/--stream: the operating threshold is the lowest of the sweep with at most this many "
                  "false alarms per hour (0: --threshold)");
  cmd->add_flag("--calibrate", a->calibrate,
                "--streams: store that threshold (and the smoothing and refractory times) in the model file, "
                "so stream and eval use it by default");
  cmd->add_option("--split", a->split, "which split")->check(CLI::IsMember({"test", "validation", "train"}));
  cmd->add_option("--validation-manifest", a->validation_manifest, "manifest data: the validation split");
  cmd->add_option("--test-manifest", a->test_manifest, "manifest data: the test split");
  a->batch_flag = cmd->add_option("--batch", a->batch, "clips per forward pass [classify 32, ctc 16]");
  a->ctc.decode.add_to(cmd, false);
  cmd->add_option("--worst", a->ctc.worst, "ctc: how many of the worst utterances to list");
  cmd->add_flag("--by-speaker", a->by_speaker, "ctc: CER and WER per speaker (the manifest's \"speaker\")");
  cmd->add_option_function<double>(
         "--chunk-ms", [a](double ms) { if (!(ms > 0)) fail_usage("--chunk-ms must be positive"); a->ctc.chunk_s = ms / 1000; },
         "ctc, --stream: audio per chunk fed to the stream sessions, ms")
      ->default_str("100");
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
