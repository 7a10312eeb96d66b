#include "apps/rwkvs/eval_ctc.h"

#include <cstdio>
#include <memory>

#include "base/error.h"
#include "src/audio/frontend_config.h"
#include "src/model/engine.h"
#include "src/train/ctc_eval.h"
#include "src/train/utterances.h"

namespace rwkvs::app {

void eval_ctc(const Model& model, const CtcEvalArgs& a) {
  if (a.data.empty()) fail_usage("a CTC model is evaluated on --data, a JSON-lines manifest with \"text\"");
  const CtcTranscriberOptions decode_options = a.decode.options();  // checks the flags
  if (a.worst < 0) fail_usage("--worst must be >= 0, got ", a.worst);
  const ModelConfig& c = model.config();
  const FrontendConfig fe = FrontendConfig::from_json(c.frontend, a.model_path);
  const FeaturePipeline features = fe.make_pipeline();
  const UtteranceSet set = load_utterances(a.data, fe.sample_rate(), "eval");
  if (set.waves.empty()) fail("manifest '", a.data, "' has no utterances");
  const std::shared_ptr<Engine> engine = make_engine(a.device, model, a.precision);
  const LoadedFusionLm lm(a.decode, c.labels);
  CtcDecodeSettings decode;
  decode.beam = decode_options.beam;
  decode.beam_options = decode_options.beam_options;
  decode.lm = lm.get();
  const CtcMetrics m = evaluate_ctc(*engine, features, set, a.batch, {}, 0, decode);
  CtcStreamedMetrics sm;
  if (a.stream) sm = evaluate_ctc_streamed(std::make_shared<const StreamModel>(model, a.model_path), set, m, a.chunk_s, decode);
  const std::string decoder = a.decode.describe();
  if (a.json) {
    nlohmann::json j = m.to_json("");
    j["model"] = a.model_path;
    j["data"] = a.data;
    j["decoder"] = decoder;
    j["hours"] = set.seconds / 3600;
    if (a.stream) {
      j["stream_cer"] = sm.metrics.cer();
      j["stream_wer"] = sm.metrics.wer();
      j["stream_differs"] = sm.differs;
    }
    nlohmann::json worst = nlohmann::json::array();
    for (const CtcUtteranceResult& r : m.worst(static_cast<size_t>(a.worst)))
      worst.push_back({{"audio_filepath", set.paths[r.index]}, {"reference", r.reference}, {"hypothesis", r.hypothesis},
                       {"word_edits", r.word_edits}, {"char_edits", r.char_edits}});
    j["worst"] = worst;
    if (a.by_speaker) {
      nlohmann::json groups = nlohmann::json::array();
      for (const CtcGroupErrors& g : m.by_speaker(set))
        groups.push_back({{"speaker", g.name}, {"utterances", g.utterances}, {"cer", g.cer()}, {"wer", g.wer()}});
      j["by_speaker"] = groups;
    }
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("%s with %s (%s decoding): %lld utterances, %.2f minutes\n", a.data.c_str(), a.model_path.c_str(),
              decoder.c_str(), static_cast<long long>(m.utterances), set.seconds / 60);
  std::printf("  CER %.2f%% (%lld edits / %lld characters)  WER %.2f%% (%lld / %lld words)  loss %.4f per character\n",
              100 * m.cer(), static_cast<long long>(m.char_edits), static_cast<long long>(m.ref_chars), 100 * m.wer(),
              static_cast<long long>(m.word_edits), static_cast<long long>(m.ref_words), m.loss());
  if (m.unalignable > 0)
    std::printf("  %lld utterances are too short for their transcript (no alignment; scored all the same)\n",
                static_cast<long long>(m.unalignable));
  if (a.stream)
    std::printf("  streamed (recurrent form, %.0f ms chunks): CER %.2f%%  WER %.2f%%; %lld of %lld transcripts differ "
                "from the offline ones\n",
                1000 * a.chunk_s, 100 * sm.metrics.cer(), 100 * sm.metrics.wer(), static_cast<long long>(sm.differs),
                static_cast<long long>(m.utterances));
  if (a.by_speaker) {
    std::printf("by speaker (highest CER first):\n");
    for (const CtcGroupErrors& g : m.by_speaker(set))
      std::printf("  %-32s %4lld utterances  CER %6.2f%%  WER %6.2f%%\n", g.name.empty() ? "(none)" : g.name.c_str(),
                  static_cast<long long>(g.utterances), 100 * g.cer(), 100 * g.wer());
  }
  const auto worst = m.worst(static_cast<size_t>(a.worst));
  if (!worst.empty()) std::printf("worst utterances:\n");
  for (const CtcUtteranceResult& r : worst)
    std::printf("  %s (%lld word / %lld character edits)\n    ref: %s\n    hyp: %s\n", set.paths[r.index].c_str(),
                static_cast<long long>(r.word_edits), static_cast<long long>(r.char_edits), r.reference.c_str(),
                r.hypothesis.c_str());
}

}  // namespace rwkvs::app
