// rwkvs train: train a model.
//   --task text      byte-level language model on a text file
//   --task classify  keyword spotting / utterance classification on an audio dataset
//   --task audio-lm  next-sample language model on mu-law audio
//   --task ctc       speech recognition: a CTC head over characters on transcribed audio
// Options a task does not use are rejected; unset options take the task's defaults.
#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

#include "apps/rwkvs/commands.h"
#include "base/error.h"
#include "src/dist/communicator.h"
#include "src/train/audio_lm_trainer.h"
#include "src/train/classify_trainer.h"
#include "src/train/ctc_trainer.h"
#include "src/train/text_trainer.h"

namespace rwkvs::app {
namespace {

// Every flag writes into 'given'; apply() copies the flags the user actually gave onto a task's
// defaults, so each task keeps its own defaults without flags having to know them.
struct TrainFlags {
  std::string task = "text";
  TextTrainOptions given;
  ClassifyTrainOptions given_audio;
  std::string frontend = "fbank";
  std::string cmvn = "none";  // none | sliding: a CMVN stage after the features of a new model
  SlidingCmvnOptions cmvn_options;
  std::vector<CLI::Option*> cmvn_flags;  // the sliding CMVN's settings
  std::vector<std::pair<CLI::Option*, std::function<void(TrainOptions&)>>> common;
  // Flags that only some tasks take, with those tasks.
  std::vector<std::pair<CLI::Option*, std::vector<std::string>>> restricted;
  CLI::Option *sample_rate = nullptr, *val_fraction = nullptr, *eval_tokens = nullptr, *num_mel_bins = nullptr;
  CtcTrainOptions given_ctc;  // ctc-only flags
  CLI::Option *frame_stack = nullptr, *eval_utterances = nullptr;
};

CLI::Option* only_for(TrainFlags& f, CLI::Option* opt, std::vector<std::string> tasks) {
  f.restricted.emplace_back(opt, std::move(tasks));
  return opt;
}

template <class T>
CLI::Option* add_common(CLI::App* cmd, TrainFlags& f, const char* name, T TrainOptions::*field,
                        const std::string& help) {
  CLI::Option* opt = cmd->add_option(name, f.given.*field, help);
  f.common.emplace_back(opt, [&f, field](TrainOptions& o) { o.*field = f.given.*field; });
  return opt;
}

void apply_common(const TrainFlags& f, TrainOptions& o) {
  for (const auto& [opt, copy] : f.common)
    if (opt->count() > 0) copy(o);
}

void reject_inapplicable(const TrainFlags& f) {
  for (const auto& [opt, tasks] : f.restricted)
    if (opt->count() > 0 && std::find(tasks.begin(), tasks.end(), f.task) == tasks.end())
      fail_usage(opt->get_name(), " does not apply to --task ", f.task);
}

// "MIN,MAX" (or one value for both) into lo and hi.
std::function<void(const std::vector<double>&)> range_into(double& lo, double& hi, const char* flag) {
  return [&lo, &hi, flag](const std::vector<double>& v) {
    if (v.size() != 1 && v.size() != 2) fail_usage(flag, " takes MIN,MAX (or one value), got ", v.size(), " values");
    lo = v.front();
    hi = v.back();
  };
}

// Audio flags that classify and ctc share: "classify: ..." in their help becomes "classify, ctc: ...".
void share_with_ctc(TrainFlags& f, CLI::Option* opt) {
  std::string d = opt->get_description();
  if (d.rfind("classify", 0) == 0) d.replace(0, 8, "classify, ctc");
  opt->description(d);
  only_for(f, opt, {"classify", "ctc"});
}

// The augmentation stages added to shift/gain/noise (src/train/augment.h gives their order).
void add_augment_flags(CLI::App* cmd, TrainFlags& f) {
  AugmentOptions& g = f.given_audio.augmentation;
  const std::initializer_list<CLI::Option*> flags = {
      cmd->add_option("--speed-factors", g.speed_factors,
                      "classify: speed perturbation, a factor drawn per clip from this list (0.5..2; faster and "
                      "higher for > 1, as sox speed; 1 = off)")
          ->delimiter(',')
          ->default_str("0.9,1.0,1.1"),
      cmd->add_option("--reverb-prob", g.reverb.prob, "classify: chance of reverberating a clip (synthetic room)")
          ->capture_default_str(),
      cmd->add_option_function<std::vector<double>>(
             "--reverb-rt60", range_into(g.reverb.rt60_min_s, g.reverb.rt60_max_s, "--reverb-rt60"),
             "classify: MIN,MAX seconds of the room's RT60 (in (0, 5])")
          ->delimiter(',')
          ->default_str("0.2,0.8"),
      cmd->add_option_function<std::vector<double>>(
             "--reverb-drr-db", range_into(g.reverb.drr_db_min, g.reverb.drr_db_max, "--reverb-drr-db"),
             "classify: MIN,MAX direct-to-reverberant energy ratio, dB")
          ->delimiter(',')
          ->default_str("0,10"),
      cmd->add_option("--reverb-predelay-ms", g.reverb.predelay_max_ms,
                      "classify: longest gap from the direct path to the reverberant tail (ms)")
          ->capture_default_str(),
      cmd->add_option("--telephone-prob", g.telephone.prob,
                      "classify: chance of a telephone channel (8 kHz and back, 300-3400 Hz, mu-law)")
          ->capture_default_str(),
      cmd->add_flag("!--no-telephone-band-pass", g.telephone.band_pass,
                    "classify: telephone channel without the 300-3400 Hz band-pass"),
      cmd->add_flag("!--no-telephone-mulaw", g.telephone.mulaw, "classify: telephone channel without mu-law"),
      cmd->add_option("--noise-dir", g.noise_dirs,
                      "classify: a folder whose audio files (any depth, any format libsndfile reads) join the noise "
                      "pool; repeat or comma-separate for several")
          ->delimiter(','),
      cmd->add_option("--spec-time-masks", g.spec.time_masks, "classify: SpecAugment time masks per clip")
          ->capture_default_str(),
      cmd->add_option("--spec-time-width", g.spec.time_width,
                      "classify: widest time mask, frames (each drawn from 0..this)")
          ->capture_default_str(),
      cmd->add_option("--spec-freq-masks", g.spec.freq_masks, "classify: SpecAugment frequency masks per clip")
          ->capture_default_str(),
      cmd->add_option("--spec-freq-width", g.spec.freq_width,
                      "classify: widest frequency mask, bins (each drawn from 0..this)")
          ->capture_default_str()};
  for (CLI::Option* o : flags) share_with_ctc(f, o);
}

// --frontend, the mel settings and --cmvn onto a new model's frontend (classify and ctc).
void apply_audio_frontend(TrainFlags& f, FrontendConfig& fe) {
  if (f.frontend != "fbank" && f.frontend != "mel" && f.frontend != "mfcc")
    fail_usage("--frontend must be fbank, mel or mfcc, got '", f.frontend, "'");
  fe.type = f.frontend;
  fe.mel.n_mels = fe.fbank.num_mel_bins;
  fe.mel.sample_rate = fe.fbank.sample_rate;
  fe.mfcc.mel.sample_rate = fe.fbank.sample_rate;
  fe.mfcc.mel.n_mels = fe.fbank.num_mel_bins;
  if (f.cmvn == "sliding") {
    f.cmvn_options.validate();
    fe.cmvn = f.cmvn_options;
  } else {
    for (CLI::Option* opt : f.cmvn_flags)
      if (opt->count() > 0) fail_usage(opt->get_name(), " needs --cmvn sliding");
  }
}

void run_train(TrainFlags& f) {
  reject_inapplicable(f);
  // Under mpirun: start MPI before any work; only rank 0 prints progress (errors still reach stderr).
  dist::Communicator& comm = dist::Communicator::world();
  if (!comm.is_root() && !std::freopen("/dev/null", "w", stdout)) fail("rank ", comm.rank(), ": cannot silence stdout");
  TrainResult r;
  if (f.task == "text") {
    TextTrainOptions o;
    apply_common(f, o);
    o.optimizer = f.given.optimizer;
    o.eval_tokens = f.given.eval_tokens;
    o.val_fraction = f.given.val_fraction;
    o.out_dir = f.given.out_dir.empty() ? "runs/text" : f.given.out_dir;
    r = train_text(o);
  } else if (f.task == "audio-lm") {
    AudioLmTrainOptions o;  // task defaults, then the flags given
    apply_common(f, o);
    o.optimizer = f.given.optimizer;
    if (f.sample_rate->count() > 0) o.sample_rate = f.given_audio.frontend.fbank.sample_rate;
    if (f.val_fraction->count() > 0) o.val_fraction = f.given.val_fraction;
    if (f.eval_tokens->count() > 0) o.eval_samples = f.given.eval_tokens;
    r = train_audio_lm(o);
  } else if (f.task == "ctc") {
    CtcTrainOptions o;  // task defaults, then the flags given
    apply_common(f, o);
    o.optimizer = f.given.optimizer;
    o.out_dir = f.given.out_dir.empty() ? "runs/asr" : f.given.out_dir;
    const AugmentOptions ctc_defaults = o.augmentation;
    static_cast<AudioTrainSettings&>(o) = f.given_audio;
    // the stream tricks of keyword spotting stay off (and are rejected as flags)
    o.augmentation.context_prob = ctc_defaults.context_prob;
    o.augmentation.tail_prob = ctc_defaults.tail_prob;
    if (f.num_mel_bins->count() == 0) o.frontend.fbank.num_mel_bins = CtcTrainOptions().frontend.fbank.num_mel_bins;
    if (f.frame_stack->count() > 0) o.frame_stack = f.given_ctc.frame_stack;
    if (f.eval_utterances->count() > 0) o.eval_utterances = f.given_ctc.eval_utterances;
    apply_audio_frontend(f, o.frontend);
    r = train_ctc(o);
  } else {
    ClassifyTrainOptions o = f.given_audio;  // task defaults plus the audio-only flags
    apply_common(f, o);
    o.optimizer = f.given.optimizer;
    o.out_dir = f.given.out_dir.empty() ? "runs/kws" : f.given.out_dir;
    apply_audio_frontend(f, o.frontend);
    r = train_classify(o);
  }
  if (r.interrupted) throw Interrupted();
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto f = std::make_shared<TrainFlags>();
  f->given.out_dir.clear();
  CLI::App* cmd = app.add_subcommand(
      "train",
      "Train an RWKV-4 or RWKV-7 model: --task text (byte-level LM on a text file), --task classify (audio dataset) or "
      "--task audio-lm (mu-law audio LM) or --task ctc (speech recognition on a manifest with \"text\")");
  cmd->add_option("--task", f->task, "what to train: text, classify, audio-lm or ctc")
      ->check(CLI::IsMember({"text", "classify", "audio-lm", "ctc"}))
      ->capture_default_str();
  add_common(cmd, *f, "--data", &TrainOptions::data,
             "training data: a text file (text); a Speech Commands style folder or a JSON-lines manifest (classify); "
             "a folder of audio files (searched recursively), a JSON-lines manifest or one audio file (audio-lm); "
             "a JSON-lines manifest with \"text\" (ctc)");
  add_common(cmd, *f, "--out", &TrainOptions::out_dir,
             "output folder: model.safetensors, model_best.safetensors, model.opt.safetensors, train_log.jsonl "
             "[default: runs/text, runs/kws, runs/audio-lm, runs/asr]");
  only_for(*f,
           add_common(cmd, *f, "--ctx", &TrainOptions::ctx,
                      "text, audio-lm: positions per training window, bytes or samples [text 256, audio-lm 16384] "
                      "(classify trains on whole clips)"),
           {"text", "audio-lm"});
  add_common(cmd, *f, "--batch", &TrainOptions::batch, "sequences per step [text 16, classify 32, audio-lm 1, ctc 16]");
  add_common(cmd, *f, "--arch", &TrainOptions::arch, "architecture of a new model: rwkv4 or rwkv7 [rwkv4]")
      ->check(CLI::IsMember({"rwkv4", "rwkv7"}));
  add_common(cmd, *f, "--layers", &TrainOptions::layers,
             "blocks of a new model [text 6, classify 4, audio-lm 2, ctc 4]");
  add_common(cmd, *f, "--embd", &TrainOptions::embd, "width C of a new model [text 256, classify 96, audio-lm 128, ctc 192]");
  add_common(cmd, *f, "--head-size", &TrainOptions::head_size,
             "rwkv7: head size N of a new model, dividing --embd (C / N heads) [0: the largest <= 64 that divides "
             "--embd: 64 for 128, 192 and 256, 48 for 96]");
  add_common(cmd, *f, "--lr", &TrainOptions::lr, "peak learning rate [text 6e-4, classify 2e-3, audio-lm 4e-3, ctc 2e-3]");
  add_common(cmd, *f, "--lr-min-ratio", &TrainOptions::lr_min_ratio, "final lr as a fraction of --lr [0.1]");
  add_common(cmd, *f, "--warmup", &TrainOptions::warmup, "linear warm-up steps [50, audio-lm 5, ctc 100]");
  add_common(cmd, *f, "--steps", &TrainOptions::steps, "optimizer steps in all (0: use --minutes) [0]");
  add_common(cmd, *f, "--minutes", &TrainOptions::minutes, "wall-clock budget when --steps is 0 [text 0, classify 8, audio-lm 5, ctc 30]");
  add_common(cmd, *f, "--stop-at-step", &TrainOptions::stop_at_step,
             "save and stop at this step, to continue later with --resume [0 = off]");
  add_common(cmd, *f, "--threads", &TrainOptions::threads, "threads (0 = all cores) [0]");
  add_common(cmd, *f, "--seed", &TrainOptions::seed, "seed for initialisation, sampling and augmentation [1]");
  add_common(cmd, *f, "--eval-every", &TrainOptions::eval_every,
             "evaluate on held-out data every N steps [100, audio-lm 20, ctc 200]");
  add_common(cmd, *f, "--save-every", &TrainOptions::save_every,
             "checkpoint every N steps (and at the end) [500, audio-lm 100]");
  add_common(cmd, *f, "--log-every", &TrainOptions::log_every, "print a progress line every N steps [10, audio-lm 5]");
  add_common(cmd, *f, "--chunk", &TrainOptions::chunk, "WKV chunk length [64]");
  add_common(cmd, *f, "--device", &TrainOptions::device,
             "cpu, or cuda: weights, activations and optimizer state on an NVIDIA GPU [cpu]")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  add_common(cmd, *f, "--precision", &TrainOptions::precision,
             "GPU matmuls: fp32, tf32 or bf16 (fp32 master weights, accumulation and WKV state) [fp32]")
      ->check(CLI::IsMember({"fp32", "tf32", "bf16"}));
  {
    CLI::Option* o = cmd->add_flag("--resume", f->given.resume, "continue the checkpoint in --out exactly");
    f->common.emplace_back(o, [flags = f.get()](TrainOptions& t) { t.resume = flags->given.resume; });
    o = cmd->add_flag("--overwrite", f->given.overwrite, "start a new model even if --out holds a checkpoint");
    f->common.emplace_back(o, [flags = f.get()](TrainOptions& t) { t.overwrite = flags->given.overwrite; });
  }
  cmd->add_option("--weight-decay", f->given.optimizer.weight_decay, "AdamW weight decay (matrices only)")
      ->capture_default_str();
  cmd->add_option("--clip", f->given.optimizer.clip_norm, "gradient clipping by global norm (0 = off)")
      ->capture_default_str();
  cmd->add_option("--beta2", f->given.optimizer.beta2, "AdamW beta2")->capture_default_str();
  // text and audio-lm
  const std::vector<std::string> text_lm = {"text", "audio-lm"};
  f->eval_tokens = only_for(*f, cmd->add_option("--eval-tokens", f->given.eval_tokens,
                                                "text, audio-lm: held-out predictions per evaluation")
                                    ->capture_default_str(),
                            text_lm);
  f->val_fraction =
      only_for(*f, cmd->add_option("--val-fraction", f->given.val_fraction,
                                   "text: fraction of the file (its tail) held out; audio-lm: share of speakers held "
                                   "out (one file: its tail)")
                       ->capture_default_str(),
               text_lm);
  // classify and audio-lm
  ClassifyTrainOptions& a = f->given_audio;
  f->sample_rate = only_for(*f, cmd->add_option("--sample-rate", a.frontend.fbank.sample_rate,
                                                "classify, audio-lm, ctc: model sample rate (audio is resampled; "
                                                "audio-lm: 8000 or 16000)")
                                    ->capture_default_str(),
                            {"classify", "audio-lm", "ctc"});
  // classify only (an initializer list is evaluated in order, so --help lists them as written)
  const std::initializer_list<CLI::Option*> classify_flags = {
      cmd->add_option("--frontend", f->frontend, "classify: features fbank, mel or mfcc")->capture_default_str(),
      f->num_mel_bins = cmd->add_option("--num-mel-bins", a.frontend.fbank.num_mel_bins, "classify: mel bins [classify 40, ctc 80]"),
      cmd->add_option("--pool", a.pool, "classify: utterance logits from the last frame or the mean")
          ->check(CLI::IsMember({"last", "mean"}))
          ->capture_default_str(),
      cmd->add_flag("!--no-augment", a.augment, "classify: train on the clips as they are"),
      cmd->add_option("--shift", a.augmentation.shift_s, "classify: random time shift, seconds either way")
          ->capture_default_str(),
      cmd->add_option("--gain-db", a.augmentation.gain_db, "classify: random gain range (+-dB)")->capture_default_str(),
      cmd->add_option("--noise-prob", a.augmentation.noise_prob,
                      "classify: chance of mixing noise (_background_noise_ and --noise-dir) into a clip")
          ->capture_default_str(),
      cmd->add_option("--snr-min", a.augmentation.snr_db_min, "classify: lowest SNR of mixed noise (dB)")
          ->capture_default_str(),
      cmd->add_option("--snr-max", a.augmentation.snr_db_max, "classify: highest SNR of mixed noise (dB)")
          ->capture_default_str(),
      cmd->add_option("--context-prob", a.augmentation.context_prob,
                      "classify: chance of preceding a clip by the tail of another (streams carry history)")
          ->check(CLI::Range(0.0, 1.0))
          ->capture_default_str(),
      cmd->add_option("--context-s", a.augmentation.context_s, "classify: longest such tail (seconds)")
          ->check(CLI::Range(0.0, 10.0))
          ->capture_default_str(),
      cmd->add_option("--tail-prob", a.augmentation.tail_prob,
                      "classify: chance of cutting a clip shortly after its last loud frame (answer early)")
          ->check(CLI::Range(0.0, 1.0))
          ->capture_default_str(),
      cmd->add_option("--tail-min-s", a.augmentation.tail_min_s, "classify: shortest kept tail after it (seconds)")
          ->check(CLI::Range(0.0, 10.0))
          ->capture_default_str(),
      cmd->add_option("--tail-max-s", a.augmentation.tail_max_s, "classify: longest kept tail after it (seconds)")
          ->check(CLI::Range(0.0, 10.0))
          ->capture_default_str(),
      cmd->add_option("--validation-manifest", a.validation_manifest, "classify: held-out manifest (manifest data)"),
      cmd->add_option("--test-manifest", a.test_manifest, "classify: test manifest")};
  // pool and the stream tricks (context, tail) are keyword spotting's own; the rest ctc shares
  for (CLI::Option* o : classify_flags) {
    const std::string& name = o->get_name();
    if (name == "--pool" || name.rfind("--context", 0) == 0 || name.rfind("--tail", 0) == 0)
      only_for(*f, o, {"classify"});
    else
      share_with_ctc(*f, o);
  }
  f->frame_stack = only_for(*f, cmd->add_option("--frame-stack", f->given_ctc.frame_stack,
                                                "ctc: feature frames per trunk position (1..8)")
                                    ->capture_default_str(),
                            {"ctc"});
  f->eval_utterances =
      only_for(*f, cmd->add_option("--eval-utterances", f->given_ctc.eval_utterances,
                                   "ctc: validation utterances decoded per evaluation (0: all)")
                       ->capture_default_str(),
               {"ctc"});
  add_augment_flags(cmd, *f);
  // Feature normalisation of a new classifier, stored in its frontend settings.
  SlidingCmvnOptions& n = f->cmvn_options;
  only_for(*f,
           cmd->add_option("--cmvn", f->cmvn,
                           "classify, ctc: none, or sliding: Kaldi's sliding-window CMVN (apply-cmvn-sliding) after the "
                           "features, the same offline and streaming (the global train-set normalisation is "
                           "applied either way)")
               ->check(CLI::IsMember({"none", "sliding"}))
               ->capture_default_str(),
           {"classify", "ctc"});
  f->cmvn_flags = {
      cmd->add_option("--cmn-window", n.cmn_window, "classify, --cmvn sliding: window in frames")->capture_default_str(),
      cmd->add_option("--min-cmn-window", n.min_window,
                      "classify, --cmvn sliding: the first frames of a stream wait for this many (causal mode)")
          ->capture_default_str(),
      cmd->add_flag("--cmn-center", n.center,
                    "classify, --cmvn sliding: a window centred on the frame (adds half a window of latency)"),
      cmd->add_flag("--cmn-norm-vars", n.norm_vars, "classify, --cmvn sliding: also normalise the variance")};
  for (CLI::Option* o : f->cmvn_flags) share_with_ctc(*f, o);
  // Running speech: streaming-aware training and the detector's calibration.
  StreamCropOptions& sc = a.stream_crops;
  const std::initializer_list<CLI::Option*> stream_flags = {
      cmd->add_option("--train-streams", a.train_streams,
                      "classify: JSON-lines manifest of recordings of running speech with their \"keywords\" "
                      "(scripts/make_running_speech.sh): crops of them join the batches with a target per frame"),
      cmd->add_option("--stream-prob", sc.prob, "classify, --train-streams: share of the rows that are such crops")
          ->capture_default_str(),
      cmd->add_option("--stream-crop-s", sc.crop_s, "classify, --train-streams: crop length, seconds")
          ->capture_default_str(),
      cmd->add_option_function<std::vector<double>>(
             "--stream-target-s",
             [&sc](const std::vector<double>& v) {
               if (v.size() != 2) fail_usage("--stream-target-s takes FROM,TO seconds after the keyword's end");
               sc.target_from_s = v[0];
               sc.target_to_s = v[1];
             },
             "classify, --train-streams: FROM,TO seconds after a keyword's end where its class is the target "
             "(no loss from its start to 0.6 s after its end otherwise)")
          ->delimiter(',')
          ->default_str("0.1,0.4"),
      cmd->add_option("--validation-streams", a.validation_streams,
                      "classify: recordings (as --train-streams) on which the detector threshold is calibrated "
                      "after training and stored in the models"),
      cmd->add_option("--target-fa-per-hour", a.target_fa_per_hour,
                      "classify, --validation-streams: false alarms per hour the calibration allows")
          ->capture_default_str()};
  for (CLI::Option* o : stream_flags) only_for(*f, o, {"classify"});
  cmd->callback([f] { run_train(*f); });
}

}  // namespace rwkvs::app
