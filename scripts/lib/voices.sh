# shellcheck shell=bash
# The synthetic voices of make_keywords.sh and make_running_speech.sh, sourced by both: the engines
# and their voices, which speaker each voice is, the seeded train/validation/test split of speakers,
# the seeded generator, and the commands that synthesise one piece of text.
#
# Engines (all offline, deterministic: the same text and settings give the same bytes):
#   espeak    espeak-ng: 8 English accents x 27 variants = 216 voices, each its own speaker.
#   flite     flite's built-in kal (8 kHz), kal16, awb, rms and slt, each in 8 personas.
#   festival  kal_diphone, ked_diphone (festvox-kallpc16k, festvox-kdlpc16k) and
#             cmu_us_slt_arctic_hts (festvox-us-slt-hts), each in 8 personas.
# A persona (p0..p7) is a fixed spectrum shift (sox pitch, which moves formants and f0 together,
# like a longer or shorter vocal tract), a fixed f0 factor through the engine (f0 alone; flite kal,
# kal16, awb, slt and the festival diphones) and a fixed speaking-rate factor; clips and sentences
# then vary around their persona. p0 is the voice as the engine ships it.
#
# Split rule. The unit of the split is the speaker, never a single voice or persona:
#   - an espeak voice (accent+variant) is a speaker of its own, as before;
#   - a flite or festival voice is the recorded person behind it, with all its personas and across
#     engines: kal (flite kal and kal16, festival kal_diphone), slt (flite slt, festival
#     cmu_us_slt_arctic_hts), awb, rms (flite), ked (festival).
# Each group (the 216 espeak speakers; the 5 recorded speakers) is shuffled by the split seed; the
# first tenth of the group (at least one) is test, the next tenth (at least one) validation, the
# rest train. The recorded group is shuffled again (same stream) until flite and festival each have
# a test and a train speaker and every sex among the recorded speakers has a train speaker. slt is
# the only woman among them, so she is always trained on and the test speaker is kal (the other
# speaker both engines have); the held-out speaker is then a man, like three of the four trained
# on. Why: a model that never heard a real woman's voice fails on one whatever else it learnt (slt
# held out scored 64% on the keywords and 41% CER on sentences), which measures the data, not the
# recipe; a deployment would never train that way. The split is drawn over the whole catalogue,
# whatever engines are chosen or installed, so a speaker's split depends on the split seed alone
# and is the same in every script.

# The catalogue. Recorded voices: engine, engine's voice name, short name, speaker, the f0 mean (Hz)
# the engine's f0 setting starts from ("-": the engine cannot move this voice's f0).
VOICES_ESPEAK_ACCENTS=(en en-us en-us-nyc en-gb-scotland en-gb-x-rp en-gb-x-gbclan en-gb-x-gbcwmd en-029)
# Variants spanning male, female, klatt and odd timbres (espeak-ng-data/voices/!v). espeak-ng falls
# back to the plain accent for a variant it lacks, so another version gives less variety, not errors.
VOICES_ESPEAK_VARIANTS=(m1 m2 m3 m4 m5 m6 m7 m8 f1 f2 f3 f4 f5 klatt klatt2 klatt3 klatt4 croak whisper
                        Annie belinda david grandma linda steph travis zac)
VOICES_RECORDED=(
  "flite kal kal kal 95"
  "flite kal16 kal16 kal 95"
  "flite awb awb awb 125"
  "flite rms rms rms -"
  "flite slt slt slt 165"
  "festival kal_diphone kal kal 105"
  "festival ked_diphone ked ked 105"
  "festival cmu_us_slt_arctic_hts slt slt -"
)
VOICES_SPEAKERS_RECORDED=(kal slt awb rms ked)
# The sex of each recorded speaker (CMU ARCTIC and the diphone databases' documentation).
declare -gA VOICES_SPEAKER_SEX=([kal]=m [slt]=f [awb]=m [rms]=m [ked]=m)
# Personas: spectrum shift (cents), f0 factor and duration factor (per mille).
VOICES_PERSONAS=("0 1000 1000" "-250 1000 1050" "200 1000 950" "-120 850 1100"
                 "120 1200 920" "280 1600 960" "-200 1250 1000" "60 900 1120")
VOICES_ALL_ENGINES=(espeak flite festival)

# splitmix64 in bash arithmetic (64-bit wrap-around; logical shifts by masking), so the stream is
# the same on every machine and for every bash 4+. 'rng_seed SEED [STREAM]' starts a stream.
rng_seed() {
  rng_state=$(( (${1} * 0x2545F4914F6CDD1D) ^ 0x6A09E667F3BCC909 ^ (${2:-0} * 0x632BE59BD9B4E019) ))
}
rng_next() {
  rng_state=$((rng_state + 0x9E3779B97F4A7C15))
  local z=$rng_state
  z=$(( (z ^ ((z >> 30) & 0x3FFFFFFFF)) * 0xBF58476D1CE4E5B9 ))
  z=$(( (z ^ ((z >> 27) & 0x1FFFFFFFFF)) * 0x94D049BB133111EB ))
  RNG=$(( (z ^ ((z >> 31) & 0x1FFFFFFFF)) & 0x3FFFFFFFFFFFFFFF ))
}
rand_below() { rng_next; R=$((RNG % $1)); }  # sets R in [0, $1)
rand_range() { rng_next; R=$(($1 + RNG % ($2 - $1 + 1))); }  # sets R in [$1, $2]
permille() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }  # 1234 -> 1.234 (non-negative)

# voices_split SPLIT_SEED: sets SPEAKER_SPLIT[speaker] = train|validation|test for every speaker of
# the catalogue. Uses its own generator stream and leaves rng_state seeded for nothing in particular:
# seed the content stream after it.
voices_split() {
  declare -gA SPEAKER_SPLIT=()
  local -a group
  local g i t n held
  rng_seed "$1" 1
  for g in espeak recorded; do
    group=()
    if [[ $g == espeak ]]; then
      local a v
      for a in "${VOICES_ESPEAK_ACCENTS[@]}"; do
        for v in "${VOICES_ESPEAK_VARIANTS[@]}"; do group+=("$a.$v"); done
      done
    else
      group=("${VOICES_SPEAKERS_RECORDED[@]}")
    fi
    n=${#group[@]}
    held=$((n / 10 > 0 ? n / 10 : 1))
    while :; do
      for ((i = n - 1; i > 0; i--)); do
        rand_below $((i + 1)); t=${group[i]}; group[i]=${group[R]}; group[R]=$t
      done
      [[ $g == espeak ]] && break
      voices_split_covers "${group[*]:0:held}" "${group[*]:2*held}" && break
    done
    for ((i = 0; i < n; i++)); do
      if ((i < held)); then SPEAKER_SPLIT[${group[i]}]=test
      elif ((i < 2 * held)); then SPEAKER_SPLIT[${group[i]}]=validation
      else SPEAKER_SPLIT[${group[i]}]=train; fi
    done
  done
}

# voices_split_covers "TEST SPEAKERS" "TRAIN SPEAKERS": whether every engine of the recorded voices
# has a voice of a test speaker and one of a train speaker, and every sex a train speaker.
voices_split_covers() {
  local row eng voice short speaker f0base e s
  local -A test=() train=() trained_sex=()
  for row in "${VOICES_RECORDED[@]}"; do
    read -r eng voice short speaker f0base <<<"$row"
    [[ " $1 " == *" $speaker "* ]] && test[$eng]=1
    [[ " $2 " == *" $speaker "* ]] && train[$eng]=1
  done
  for e in flite festival; do [[ -n ${test[$e]:-} && -n ${train[$e]:-} ]] || return 1; done
  for s in $2; do trained_sex[${VOICES_SPEAKER_SEX[$s]}]=1; done
  for s in "${VOICES_SPEAKER_SEX[@]}"; do [[ -n ${trained_sex[$s]:-} ]] || return 1; done
}

# Whether an engine is usable here: its program and every one of its voices. Sets ENGINE_MISSING to
# what is lacking (with the Debian package) when it is not.
engine_ready() {
  ENGINE_MISSING=""
  case $1 in
    espeak)
      command -v espeak-ng >/dev/null || ENGINE_MISSING="espeak-ng (apt-get install espeak-ng)" ;;
    flite)
      if ! command -v flite >/dev/null; then ENGINE_MISSING="flite (apt-get install flite)"; return 1; fi
      local have v
      have=" $(flite -lv 2>&1 | sed 's/^Voices available://') "
      for v in kal kal16 awb rms slt; do
        [[ $have == *" $v "* ]] || ENGINE_MISSING+="${ENGINE_MISSING:+, }flite voice $v"
      done ;;
    festival)
      if ! command -v festival >/dev/null; then ENGINE_MISSING="festival (apt-get install festival)"; return 1; fi
      local have
      have=" $(festival -b '(print (voice.list))' 2>/dev/null | tr -d '()') "
      [[ $have == *" kal_diphone "* ]] || ENGINE_MISSING+="${ENGINE_MISSING:+, }kal_diphone (apt-get install festvox-kallpc16k)"
      [[ $have == *" ked_diphone "* ]] || ENGINE_MISSING+="${ENGINE_MISSING:+, }ked_diphone (apt-get install festvox-kdlpc16k)"
      [[ $have == *" cmu_us_slt_arctic_hts "* ]] || ENGINE_MISSING+="${ENGINE_MISSING:+, }cmu_us_slt_arctic_hts (apt-get install festvox-us-slt-hts)" ;;
    *) ENGINE_MISSING="an engine named '$1' (known: ${VOICES_ALL_ENGINES[*]})" ;;
  esac
  [[ -z $ENGINE_MISSING ]]
}

# voices_use_engines "LIST" PROG: sets ENGINES to the chosen engines (all ready ones when LIST is
# empty; then a note names the engines left out) and exits with a clear error for a named engine
# that is unknown or not installed. Then fills the voice table for those engines:
#   V_ID[i]       voice id: espeak-en-gb-scotland.m1, flite-kal16.p3, festival-slt.p0
#   V_ENGINE[i]   espeak | flite | festival;  V_VOICE[i] the engine's voice name
#   V_SPEAKER[i]  the split unit;  V_SPLIT[i] its split (voices_split first)
#   V_CENTS[i] V_F0[i] V_STRETCH[i]   the persona (cents, f0 factor and duration factor per mille)
#   V_F0BASE[i]   the engine f0 the f0 factor multiplies, or "-"
voices_use_engines() {
  local list=$1 prog=$2 e
  ENGINES=()
  if [[ -z ${list//[[:space:]]/} ]]; then
    for e in "${VOICES_ALL_ENGINES[@]}"; do
      if engine_ready "$e"; then ENGINES+=("$e")
      else echo "$prog: note: engine $e left out, missing $ENGINE_MISSING" >&2; fi
    done
    ((${#ENGINES[@]})) || { echo "$prog: no speech engine is installed (scripts/deps.sh installs them)" >&2; exit 1; }
  else
    declare -A seen=()
    for e in $list; do
      [[ -z ${seen[$e]:-} ]] || { echo "$prog: --engines names '$e' twice" >&2; exit 2; }
      seen[$e]=1
      case " ${VOICES_ALL_ENGINES[*]} " in
        *" $e "*) ;;
        *) echo "$prog: unknown engine '$e' in --engines (known: ${VOICES_ALL_ENGINES[*]})" >&2; exit 2 ;;
      esac
      engine_ready "$e" || { echo "$prog: engine '$e' is not installed: missing $ENGINE_MISSING" >&2; exit 1; }
      ENGINES+=("$e")
    done
    # Always in catalogue order, so "flite espeak" and "espeak flite" make the same data.
    local -a ordered=()
    for e in "${VOICES_ALL_ENGINES[@]}"; do [[ -n ${seen[$e]:-} ]] && ordered+=("$e"); done
    ENGINES=("${ordered[@]}")
  fi
  V_ID=() V_ENGINE=() V_VOICE=() V_SPEAKER=() V_SPLIT=() V_CENTS=() V_F0=() V_STRETCH=() V_F0BASE=()
  local a v row p k eng voice short speaker f0base cents f0 stretch
  for e in "${ENGINES[@]}"; do
    if [[ $e == espeak ]]; then
      for a in "${VOICES_ESPEAK_ACCENTS[@]}"; do
        for v in "${VOICES_ESPEAK_VARIANTS[@]}"; do
          V_ID+=("espeak-$a.$v") V_ENGINE+=(espeak) V_VOICE+=("$a+$v") V_SPEAKER+=("$a.$v")
          V_SPLIT+=("${SPEAKER_SPLIT[$a.$v]}") V_CENTS+=(0) V_F0+=(1000) V_STRETCH+=(1000) V_F0BASE+=(-)
        done
      done
      continue
    fi
    for row in "${VOICES_RECORDED[@]}"; do
      read -r eng voice short speaker f0base <<<"$row"
      [[ $eng == "$e" ]] || continue
      for ((k = 0; k < ${#VOICES_PERSONAS[@]}; k++)); do
        read -r cents f0 stretch <<<"${VOICES_PERSONAS[k]}"
        V_ID+=("$e-$short.p$k") V_ENGINE+=("$e") V_VOICE+=("$voice") V_SPEAKER+=("$speaker")
        V_SPLIT+=("${SPEAKER_SPLIT[$speaker]}") V_CENTS+=("$cents") V_F0+=("$f0") V_STRETCH+=("$stretch")
        V_F0BASE+=("$f0base")
      done
    done
  done
}

# voices_list: prints "VOICE SPEAKER SPLIT ENGINE", one line a voice of the chosen engines.
voices_list() {
  local i
  for ((i = 0; i < ${#V_ID[@]}; i++)); do
    echo "${V_ID[i]} ${V_SPEAKER[i]} ${V_SPLIT[i]} ${V_ENGINE[i]}"
  done
}

# The engine versions, one line each (for the parameter stamps and READMEs).
engine_versions() {
  local e
  for e in "${ENGINES[@]}"; do
    case $e in
      espeak) echo "espeak-ng=$(espeak-ng --version | head -n1)" ;;
      flite) echo "flite=$(flite --version 2>&1 | grep -m1 version | sed 's/^ *//')" ;;
      festival) echo "festival=$(festival --version 2>&1 | head -n1)" ;;
    esac
  done
}

# voice_prosody I STRETCH F0 CENTS: the engine settings for voice I at its persona times a duration
# factor STRETCH and an f0 factor F0 (per mille) plus CENTS of spectrum shift. Sets PROS_A, PROS_B
# and PROS_CENTS, the fields synth_piece takes:
#   espeak    A = words per minute, B = espeak pitch 0..99 (spectrum shift: none)
#   flite     A = duration_stretch, B = int_f0_target_mean in Hz or "-"
#   festival  A = Duration_Stretch (diphones) or the HTS rate -r (slt), B = target f0 mean or "-"
voice_prosody() {
  local i=$1 stretch=$(($2 * V_STRETCH[$1] / 1000)) f0=$(($3 * V_F0[$1] / 1000))
  PROS_CENTS=$((V_CENTS[i] + $4))
  case ${V_ENGINE[i]} in
    espeak)
      PROS_A=$((175000 / stretch)) PROS_B=$((50 * f0 / 1000)) PROS_CENTS=0
      ((PROS_B <= 99)) || PROS_B=99 ;;
    flite) PROS_A=$(permille "$stretch") ;;
    festival)
      if [[ ${V_VOICE[i]} == *_hts ]]; then PROS_A=$(permille $((1000000 / stretch)))
      else PROS_A=$(permille $((stretch * 11 / 10))); fi ;;  # the diphone voices' own default is 1.1
  esac
  if [[ ${V_ENGINE[i]} != espeak ]]; then
    if [[ ${V_F0BASE[i]} == - ]]; then PROS_B=-; else PROS_B=$((V_F0BASE[i] * f0 / 1000)); fi
  fi
}

# synth_pieces: the worker, run through xargs. Arguments come in groups of 9:
#   OUT ENGINE VOICE A B CENTS GAIN ONSET TEXT
# Each piece is synthesised, peak-normalised to -3 dBFS, shifted by CENTS, resampled to 16 kHz,
# trimmed of silence at both ends (below 0.5% of full scale, -43 dB under the peak) and scaled by
# GAIN dB. OUT ending in .raw gets headerless s16le (ONSET unused); OUT ending in .wav gets a WAV
# with ONSET seconds of silence before the speech, padded or cut to $SYNTH_CLIP_SAMPLES samples when
# that is set. Written through a hidden temp file and renamed; an OUT that exists is skipped.
# TEXT holds no '"' or '\'. The festival pieces of one call share one festival process.
synth_pieces() {
  set -euo pipefail
  local -a args=("$@") fest=()
  local n=${#args[@]} j out engine voice a b cents gain onset text tmpdir
  tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/synth.XXXXXX")
  SYNTH_TMPDIR=$tmpdir
  trap 'rm -rf "$SYNTH_TMPDIR"' EXIT
  local scm="$tmpdir/batch.scm" current=""
  : >"$scm"
  for ((j = 0; j + 9 <= n; j += 9)); do
    out=${args[j]} engine=${args[j + 1]} voice=${args[j + 2]} a=${args[j + 3]} b=${args[j + 4]} text=${args[j + 8]}
    [[ -s $out ]] && continue
    [[ $text != *[\\\"]* ]] || { echo "synth_pieces: text may not hold '\"' or '\\': $text" >&2; exit 255; }
    local raw="$tmpdir/$((j / 9)).wav"
    case $engine in
      espeak) espeak-ng -v "$voice" -s "$a" -p "$b" -w "$raw" -- "$text" ;;
      flite)
        if [[ $b == - ]]; then flite -voice "$voice" --setf duration_stretch="$a" -t "$text" -o "$raw"
        else flite -voice "$voice" --setf duration_stretch="$a" --setf int_f0_target_mean="$b" -t "$text" -o "$raw"; fi ;;
      festival)
        # Every setting is given for every piece, so a piece sounds the same in any batch.
        [[ $voice == "$current" ]] || { echo "(voice_$voice)" >>"$scm"; current=$voice; }
        if [[ $voice == *_hts ]]; then
          echo "(set! hts_engine_params (append ${voice}::hts_engine_params (list (list \"-r\" $a))))" >>"$scm"
        else
          echo "(Parameter.set 'Duration_Stretch $a)" >>"$scm"
          [[ $b == - ]] || echo "(set! int_lr_params '((target_f0_mean $b) (target_f0_std $((b * 2 / 15))) (model_f0_mean 170) (model_f0_std 34)))" >>"$scm"
        fi
        echo "(utt.save.wave (utt.synth (Utterance Text \"$text\")) \"$raw\" 'riff)" >>"$scm"
        fest+=("$raw") ;;
      *) echo "synth_pieces: unknown engine '$engine'" >&2; exit 255 ;;
    esac || { echo "synthesis failed for '$text' with $engine voice $voice" >&2; exit 255; }
  done
  if ((${#fest[@]})); then
    festival -b "$scm" >"$tmpdir/festival.log" 2>&1 && [[ -s ${fest[-1]} ]] ||
      { echo "festival failed:" >&2; cat "$tmpdir/festival.log" >&2; exit 255; }
  fi
  for ((j = 0; j + 9 <= n; j += 9)); do
    out=${args[j]} cents=${args[j + 5]} gain=${args[j + 6]} onset=${args[j + 7]} text=${args[j + 8]}
    [[ -s $out ]] && continue
    local raw="$tmpdir/$((j / 9)).wav" tmp="${out%/*}/.${out##*/}.tmp$$"
    local -a fx=(gain -n -3)
    ((cents == 0)) || fx+=(pitch "$cents")
    fx+=(rate 16000 silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse gain "$gain")
    local -a to=(-t raw)
    if [[ $out == *.wav ]]; then
      to=(-t wav)
      fx+=(pad "$onset")
      [[ -z ${SYNTH_CLIP_SAMPLES:-} ]] || fx+=(pad 0 "$((SYNTH_CLIP_SAMPLES))s" trim 0 "${SYNTH_CLIP_SAMPLES}s")
    fi
    sox -D -V1 "$raw" "${to[@]}" -r 16000 -b 16 -c 1 -e signed-integer "$tmp" "${fx[@]}" &&
      [[ -s $tmp ]] ||
      { rm -f "$tmp"; echo "synthesis failed for '$text' with ${args[j + 1]} voice ${args[j + 2]}" >&2; exit 255; }
    mv -f "$tmp" "$out"
  done
}
