#include "apps/rwkvs/ctc_decode_flags.h"

#include <cmath>
#include <filesystem>

#include "base/error.h"
#include "src/model/checkpoint.h"

namespace rwkvs::app {

void CtcDecodeFlags::add_to(CLI::App* cmd, bool with_endpoints) {
  cmd->add_option("--beam", beam, "CTC models: 1 = greedy decoding; more = prefix beam search of that width")
      ->capture_default_str();
  cmd->add_option("--beam-top-k", top_k, "CTC beam search: symbols considered per position (0: all)")
      ->capture_default_str();
  cmd->add_option("--lm", lm,
                  "CTC beam search: a byte-level text LM (rwkvs train --task text) fused with the acoustic scores "
                  "(shallow fusion; needs --beam > 1)");
  cmd->add_option("--lm-weight", lm_weight, "CTC beam search with --lm: weight of the LM's log-probability")
      ->capture_default_str();
  cmd->add_option("--length-bonus", length_bonus,
                  "CTC beam search: score added per character (> 0 offsets the LM's taste for short text)")
      ->capture_default_str();
  if (!with_endpoints) return;
  cmd->add_option("--endpoint-silence", endpoint_silence_s,
                  "CTC models: seconds of silence (blank or space most likely) after speech that end a segment")
      ->capture_default_str();
  cmd->add_option("--max-segment", max_segment_s, "CTC models: longest segment, seconds (a segment is cut there)")
      ->capture_default_str();
}

CtcTranscriberOptions CtcDecodeFlags::options() const {
  if (beam < 1) fail_usage("--beam must be at least 1, got ", beam);
  if (top_k < 0) fail_usage("--beam-top-k must be >= 0 (0: all symbols), got ", top_k);
  if (!(lm_weight >= 0) || !std::isfinite(lm_weight)) fail_usage("--lm-weight must be >= 0, got ", lm_weight);
  if (!std::isfinite(length_bonus)) fail_usage("--length-bonus must be a finite number, got ", length_bonus);
  if (!lm.empty() && beam < 2) fail_usage("--lm needs a beam search: give --beam 2 or more (8 is a good start)");
  if (!(endpoint_silence_s > 0) || !std::isfinite(endpoint_silence_s))
    fail_usage("--endpoint-silence must be a positive number of seconds, got ", endpoint_silence_s);
  if (!(max_segment_s > endpoint_silence_s) || !std::isfinite(max_segment_s))
    fail_usage("--max-segment must be longer than --endpoint-silence (", endpoint_silence_s, " s), got ",
               max_segment_s);
  CtcTranscriberOptions o;
  o.beam = beam;
  o.beam_options.beam = beam;
  o.beam_options.top_k = top_k;
  o.beam_options.lm_weight = lm_weight;
  o.beam_options.length_bonus = length_bonus;
  o.endpoint.trailing_silence_s = endpoint_silence_s;
  o.endpoint.max_segment_s = max_segment_s;
  return o;
}

std::string CtcDecodeFlags::describe() const {
  if (beam <= 1) return "greedy";
  std::string s = "beam " + std::to_string(beam);
  if (!lm.empty()) {
    char w[32];
    std::snprintf(w, sizeof w, "%g", lm_weight);
    s += " + " + std::filesystem::path(lm).filename().string() + " (weight " + w + ")";
  }
  return s;
}

LoadedFusionLm::LoadedFusionLm(const CtcDecodeFlags& flags, const std::vector<std::string>& vocab) {
  if (flags.lm.empty()) return;
  model_ = std::make_unique<Model>(load_model(flags.lm));
  fusion_ = std::make_unique<ByteLmFusion>(*model_, vocab, flags.lm);
}

}  // namespace rwkvs::app
