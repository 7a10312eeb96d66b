#include "src/train/ctc_eval.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <optional>

#include "base/error.h"
#include "kernels/ctc_loss.h"
#include "src/audio/frame_stack.h"
#include "src/infer/ctc_decode.h"
#include "src/infer/edit_distance.h"
#include "src/infer/session_batch.h"
#include "src/infer/stream_session.h"
#include "src/train/audio_clips.h"
#include "frontends/text/transcript.h"

namespace rwkvs {

nlohmann::json CtcMetrics::to_json(const std::string& prefix) const {
  return {{prefix + "cer", cer()},
          {prefix + "wer", wer()},
          {prefix + "loss", loss()},
          {prefix + "utterances", utterances},
          {prefix + "unalignable", unalignable}};
}

std::vector<CtcUtteranceResult> CtcMetrics::worst(size_t n) const {
  std::vector<CtcUtteranceResult> r;
  for (const CtcUtteranceResult& u : results)
    if (u.char_edits > 0) r.push_back(u);
  std::stable_sort(r.begin(), r.end(), [](const CtcUtteranceResult& a, const CtcUtteranceResult& b) {
    return a.word_edits != b.word_edits ? a.word_edits > b.word_edits : a.char_edits > b.char_edits;
  });
  r.resize(std::min(n, r.size()));
  return r;
}

std::vector<CtcGroupErrors> CtcMetrics::by_speaker(const UtteranceSet& set) const {
  std::map<std::string, CtcGroupErrors> groups;
  for (const CtcUtteranceResult& r : results) {
    const std::string& name = r.index < set.speakers.size() ? set.speakers[r.index] : std::string();
    CtcGroupErrors& g = groups[name];
    g.name = name;
    ++g.utterances;
    g.char_edits += r.char_edits;
    g.ref_chars += r.ref_chars;
    g.word_edits += r.word_edits;
    g.ref_words += r.ref_words;
  }
  std::vector<CtcGroupErrors> out;
  for (auto& [name, g] : groups) out.push_back(g);
  std::stable_sort(out.begin(), out.end(), [](const CtcGroupErrors& a, const CtcGroupErrors& b) { return a.cer() > b.cer(); });
  return out;
}

namespace {

// Scores one utterance's hypothesis against its reference into m: its result and the totals.
void add_scored(CtcMetrics& m, size_t index, const std::string& reference, std::string hypothesis) {
  CtcUtteranceResult r;
  r.index = index;
  r.reference = reference;
  r.hypothesis = std::move(hypothesis);
  const EditCounts ce = char_errors(r.reference, r.hypothesis), we = word_errors(r.reference, r.hypothesis);
  r.char_edits = ce.edits();
  r.word_edits = we.edits();
  r.ref_words = we.reference_length;
  r.ref_chars = ce.reference_length;
  m.char_edits += r.char_edits;
  m.ref_chars += r.ref_chars;
  m.word_edits += r.word_edits;
  m.ref_words += r.ref_words;
  m.results.push_back(std::move(r));
}

}  // namespace

CtcMetrics evaluate_ctc(Engine& engine, const FeaturePipeline& features, const UtteranceSet& set, int64_t batch,
                        const ForwardOptions& fopt, size_t max_utterances, const CtcDecodeSettings& decode) {
  const ModelConfig& c = engine.config();
  const CharVocab vocab(c.labels, "the model");
  const int64_t V = c.output_dim();
  const int s = c.frame_stack;
  const size_t n = max_utterances ? std::min(max_utterances, set.waves.size()) : set.waves.size();
  const CtcBeamOptions beam = decode.beam_search();
  CtcMetrics m;
  FrameBatch fb;
  std::vector<float> stacked, log_probs, losses;
  std::vector<int64_t> lengths;
  for (size_t i = 0; i < n; i += static_cast<size_t>(batch)) {
    const size_t count = std::min<size_t>(static_cast<size_t>(batch), n - i);
    std::vector<const Pcm16Clip*> waves;
    for (size_t j = 0; j < count; ++j) waves.push_back(&set.waves[i + j]);
    featurize_batch(features, waves, fb);
    int64_t T = 0;
    stack_frame_batch(fb.frames, fb.lengths, fb.B, fb.T, fb.F, s, stacked, lengths, T);
    const std::vector<float> logits = engine.logits(ModelInput{nullptr, stacked.data()}, fb.B, T, fopt);
    // The loss of the alignable ones, per character.
    std::vector<std::vector<int32_t>> ids(count);
    int64_t S = 1;
    for (size_t j = 0; j < count; ++j) {
      ids[j] = vocab.encode(set.texts[i + j]);  // references the model cannot spell: an Error
      S = std::max<int64_t>(S, static_cast<int64_t>(ids[j].size()));
    }
    std::vector<int32_t> labels(static_cast<size_t>(fb.B * S), 0);
    std::vector<int64_t> label_lengths(count);
    for (size_t j = 0; j < count; ++j) {
      std::copy(ids[j].begin(), ids[j].end(), labels.begin() + static_cast<int64_t>(j) * S);
      label_lengths[j] = static_cast<int64_t>(ids[j].size());
    }
    losses.resize(count);
    kernels::ctc_loss_forward<float>(losses.data(), logits.data(), lengths.data(), labels.data(), label_lengths.data(),
                                     fb.B, T, V, S, CharVocab::kBlank);
    for (size_t j = 0; j < count; ++j) {
      if (std::isfinite(losses[j])) {
        m.loss_sum += losses[j];
        m.loss_chars += std::max<int64_t>(1, label_lengths[j]);
      } else {
        ++m.unalignable;
      }
      // Decoding: the same log_softmax rows a stream gives.
      const int64_t len = lengths[j];
      log_probs.resize(static_cast<size_t>(len * V));
      for (int64_t t = 0; t < len; ++t)
        log_softmax_row(logits.data() + (static_cast<int64_t>(j) * T + t) * V, V, log_probs.data() + t * V);
      const CtcHypothesis hyp = decode.beam <= 1 ? ctc_greedy_decode(log_probs.data(), len, V)
                                                 : ctc_beam_search(log_probs.data(), len, V, beam, decode.lm).front();
      add_scored(m, i + j, set.texts[i + j], ctc_text(hyp.ids, c.labels));
    }
  }
  m.utterances = static_cast<int64_t>(n);
  return m;
}

namespace {

// One utterance being streamed: its session, its decoder and how much of its audio went in.
struct StreamedUtterance {
  StreamedUtterance(const std::shared_ptr<const StreamModel>& model, const Pcm16Clip& wave,
                    const CtcDecodeSettings& decode)
      : session(model, StepMode::frame), greedy(model->num_classes()) {
    if (decode.beam > 1) beams.emplace(model->num_classes(), decode.beam_search(), decode.lm);
    // The offline path pads a clip shorter than one window with silence: so does the stream.
    wave.to_float(audio);
    const auto min_len = static_cast<size_t>(model->features().geometry().length);
    if (audio.size() < min_len) audio.resize(min_len, 0.0f);
  }
  void drain() {
    for (const FrameOutput& o : session.take_outputs()) {
      if (beams)
        beams->push(o.log_probs.data());
      else
        greedy.push(o.log_probs.data());
    }
  }
  CtcHypothesis hypothesis() const { return beams ? beams->best() : greedy.hypothesis(); }

  StreamSession session;
  CtcGreedyDecoder greedy;
  std::optional<CtcPrefixBeamDecoder> beams;
  std::vector<float> audio;
  size_t fed = 0;
};

}  // namespace

CtcStreamedMetrics evaluate_ctc_streamed(const std::shared_ptr<const StreamModel>& model, const UtteranceSet& set,
                                         const CtcMetrics& offline, double chunk_s, const CtcDecodeSettings& decode,
                                         int64_t streams) {
  RWKVS_CHECK(streams >= 1, "evaluate_ctc_streamed: streams must be >= 1, got ", streams);
  CtcStreamedMetrics out;
  const size_t chunk = std::max<size_t>(1, static_cast<size_t>(chunk_s * model->sample_rate()));
  SessionBatch batch(model);
  const size_t n = offline.results.size();
  for (size_t first = 0; first < n; first += static_cast<size_t>(streams)) {
    // A group of utterances streamed side by side, chunk by chunk, the sessions stepped together.
    std::vector<std::unique_ptr<StreamedUtterance>> group;
    for (size_t i = first; i < std::min(n, first + static_cast<size_t>(streams)); ++i)
      group.push_back(std::make_unique<StreamedUtterance>(model, set.waves[offline.results[i].index], decode));
    for (bool live = true; live;) {
      live = false;
      std::vector<StreamSession*> sessions;
      for (auto& u : group) {
        if (u->session.input_done()) continue;
        if (u->fed < u->audio.size()) {
          const size_t m = std::min(chunk, u->audio.size() - u->fed);
          u->session.accept_waveform(model->sample_rate(), u->audio.data() + u->fed, m);
          u->fed += m;
        } else {
          u->session.input_finished();
        }
        sessions.push_back(&u->session);
        live = true;
      }
      if (!sessions.empty()) batch.step(sessions);
      for (auto& u : group) u->drain();
    }
    for (size_t k = 0; k < group.size(); ++k) {
      const CtcUtteranceResult& off = offline.results[first + k];
      add_scored(out.metrics, off.index, off.reference, ctc_text(group[k]->hypothesis().ids, model->labels()));
      out.differs += out.metrics.results.back().hypothesis != off.hypothesis;
    }
  }
  out.metrics.utterances = static_cast<int64_t>(n);
  return out;
}

}  // namespace rwkvs
