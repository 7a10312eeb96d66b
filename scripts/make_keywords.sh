#!/usr/bin/env bash
# Synthesises a keyword-spotting dataset in Google Speech Commands layout, offline, with espeak-ng,
# flite and festival (scripts/lib/voices.sh) and sox:
#   OUT/<keyword>/<speaker>_nohash_<n>.wav   16 kHz mono 16-bit, exactly 1 s
#   OUT/_unknown_/<speaker>_nohash_<n>.wav   other words
#   OUT/_background_noise_/*.wav             generated noises
#   OUT/validation_list.txt, OUT/testing_list.txt
# Each clip picks an engine (evenly among the chosen ones), a side of the speaker split (test and
# validation a tenth of the clips each, among the sides that engine has voices on), then one of the
# engine's voices on that side. An espeak-ng voice is an accent plus a variant and its own speaker:
# en-gb-scotland.m1_nohash_3.wav. A flite or festival voice is a recorded speaker in one of 8
# personas, named by speaker then voice: slt_nohash_festival-slt.p5.0.wav. Speed, pitch, level and
# onset vary per clip. Speakers, not clips, are split (the rule is in scripts/lib/voices.sh;
# make_running_speech.sh uses the same one), so no test or validation speaker is heard in training
# in any engine or persona.
# The output depends only on the arguments and the installed engines and sox: the same --seed gives
# byte-identical files (no dither, fixed noise seeds, a seeded generator in this script).
set -euo pipefail
export LC_ALL=C

usage() {
  cat <<'EOF'
usage: make_keywords.sh [options]
  --out DIR             output folder (default: data/keywords)
  --keywords "a b c"    the keyword classes (default: "yes no up down left right on off stop go")
  --unknown-words "..." words for the _unknown_ class (default: the other Speech Commands words)
  --per-word N          clips per keyword (default: 150)
  --unknown-count N     clips in _unknown_ (default: 2 x per-word)
  --noise-seconds S     length of each _background_noise_ file (default: 20)
  --engines "e1 e2"     speech engines among espeak, flite and festival (default: all installed)
  --seed S              seed for voices, prosody and noise (default: 1)
  --split-seed S        seed of the speaker split (default: the --seed value); make_running_speech.sh
                        with the same split seed holds out the same speakers
  --list-voices         print "voice speaker split engine" for every voice and stop
  --jobs J              parallel synthesis processes (default: the cores)
Re-running with the same arguments on a finished output returns at once; an interrupted run
resumes. Other arguments, tools or script versions on an output made by this script regenerate it.
EOF
}

die() { echo "make_keywords: $*" >&2; exit 1; }
usage_error() { echo "make_keywords: $* (--help lists the options)" >&2; exit 2; }

out="data/keywords"
keywords="yes no up down left right on off stop go"
unknown_words="bed bird cat dog happy house marvin sheila tree wow zero one two three four five six seven eight nine backward forward follow learn visual"
per_word=150
unknown_count=""
noise_seconds=20
seed=1
split_seed=""
list_voices=0
engines=""
jobs=$(nproc 2>/dev/null || echo 2)

# needs_value FLAG [VALUE...]: a flag's value is there and is not the next flag; only --engines and
# --unknown-words may be given an empty one (which they check themselves).
needs_value() {
  (($# >= 2)) && [[ $2 != --* ]] && [[ -n $2 || $1 == --engines || $1 == --unknown-words ]] ||
    usage_error "$1 needs a value"
}
while (($#)); do
  case "$1" in
    --out) needs_value "$@"; out=$2; shift 2 ;;
    --keywords) needs_value "$@"; keywords=$2; shift 2 ;;
    --unknown-words) needs_value "$@"; unknown_words=$2; shift 2 ;;
    --per-word) needs_value "$@"; per_word=$2; shift 2 ;;
    --unknown-count) needs_value "$@"; unknown_count=$2; shift 2 ;;
    --noise-seconds) needs_value "$@"; noise_seconds=$2; shift 2 ;;
    --seed) needs_value "$@"; seed=$2; shift 2 ;;
    --split-seed) needs_value "$@"; split_seed=$2; shift 2 ;;
    --list-voices) list_voices=1; shift ;;
    --engines) needs_value "$@"; engines=$2; [[ -n ${engines//[[:space:]]/} ]] ||
      usage_error "--engines is empty"; shift 2 ;;
    --jobs) needs_value "$@"; jobs=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done

is_count() { [[ $1 =~ ^[0-9]+$ ]] && ((10#$1 <= 1000000)); }
is_count "$per_word" && ((10#$per_word > 0)) || die "--per-word must be a positive integer, got '$per_word'"
unknown_count=${unknown_count:-$((2 * 10#$per_word))}
is_count "$unknown_count" || die "--unknown-count must be a non-negative integer, got '$unknown_count'"
is_count "$noise_seconds" && ((10#$noise_seconds > 0)) || die "--noise-seconds must be a positive integer, got '$noise_seconds'"
is_count "$seed" || die "--seed must be a non-negative integer, got '$seed'"
split_seed=${split_seed:-$seed}
is_count "$split_seed" || die "--split-seed must be a non-negative integer, got '$split_seed'"
is_count "$jobs" && ((10#$jobs > 0)) || die "--jobs must be a positive integer, got '$jobs'"
per_word=$((10#$per_word)) unknown_count=$((10#$unknown_count)) seed=$((10#$seed))
split_seed=$((10#$split_seed)) noise_seconds=$((10#$noise_seconds)) jobs=$((10#$jobs))
for tool in sox xargs; do
  command -v "$tool" >/dev/null || die "'$tool' is not on PATH (Debian: apt-get install sox)"
done
# shellcheck source=lib/voices.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/voices.sh"
voices_split "$split_seed"
voices_use_engines "$engines" make_keywords
if ((list_voices)); then voices_list; exit 0; fi

read -r -a keyword_list <<<"$keywords"
((${#keyword_list[@]} > 0)) || die "--keywords is empty"
declare -A is_keyword=()
for w in "${keyword_list[@]}"; do
  [[ $w =~ ^[a-z][a-z\'-]*$ ]] || die "keyword '$w' must be a lower-case word (letters, ' and -)"
  [[ $w != _* ]] || die "keyword '$w' may not start with '_'"
  [[ -z ${is_keyword[$w]:-} ]] || die "keyword '$w' is given twice"
  is_keyword[$w]=1
done
unknown_list=()
for w in $unknown_words; do
  [[ $w =~ ^[a-z][a-z\'-]*$ ]] || die "unknown word '$w' must be a lower-case word"
  [[ -n ${is_keyword[$w]:-} ]] || unknown_list+=("$w")
done
((unknown_count == 0 || ${#unknown_list[@]} > 0)) || die "no unknown words left after removing the keywords"

# The voices of each engine, and the content generator (its own stream, apart from the split's).
declare -A engine_voices=()  # [engine/split] = voice indices
for ((i = 0; i < ${#V_ID[@]}; i++)); do engine_voices[${V_ENGINE[i]}/${V_SPLIT[i]}]+="$i "; done
declare -A n_split_speakers=() seen_speaker=()
for ((i = 0; i < ${#V_ID[@]}; i++)); do
  [[ -n ${seen_speaker[${V_SPEAKER[i]}]:-} ]] && continue
  seen_speaker[${V_SPEAKER[i]}]=1
  n_split_speakers[${V_SPLIT[i]}]=$((${n_split_speakers[${V_SPLIT[i]}]:-0} + 1))
done
rng_seed "$seed"

noises=(white_noise pink_noise brown_noise hum band_noise)
n_clips=$((${#keyword_list[@]} * per_word + unknown_count))
params="make_keywords v2
keywords=${keyword_list[*]}
unknown_words=${unknown_list[*]}
per_word=$per_word unknown_count=$unknown_count noise_seconds=$noise_seconds seed=$seed split_seed=$split_seed
engines=${ENGINES[*]}
$(engine_versions)
sox=$(sox --version | head -n1)
code=$(cat "${BASH_SOURCE[0]}" "$(dirname "${BASH_SOURCE[0]}")/lib/voices.sh" | cksum)"

# Output folder: ours (marked by .make_keywords.params) or new; never someone else's files.
params_file="$out/.make_keywords.params"
done_file="$out/.make_keywords.done"
if [[ -e $out && ! -d $out ]]; then die "--out '$out' exists and is not a folder"; fi
if [[ -d $out ]] && [[ -n $(ls -A "$out") ]]; then
  [[ -f $params_file ]] || die "--out '$out' is not empty and was not made by this script; pick another folder"
  if [[ $(<"$params_file") != "$params" ]]; then
    echo "make_keywords: '$out' was made with other arguments; regenerating it"
    find "$out" -mindepth 1 -delete
  elif [[ -f $done_file && $(<"$done_file") == "$params" ]] &&
       (($(find "$out" -name '*.wav' -not -name '.*' | wc -l) == n_clips + ${#noises[@]})); then
    echo "make_keywords: '$out' is complete and up to date ($n_clips clips)"
    exit 0
  else
    echo "make_keywords: resuming the unfinished dataset in '$out'"
  fi
fi
mkdir -p "$out"
rm -f "$done_file"
printf '%s\n' "$params" >"$params_file.tmp" && mv -f "$params_file.tmp" "$params_file"
find "$out" -name '.*.tmp*' -type f -delete  # leftovers of an interrupted run

# One clip: the engine's output -> sox (scripts/lib/voices.sh, synth_pieces): peak -3 dBFS, the
# persona's spectrum shift, 16 kHz, silence stripped at both ends, the clip's level, a short onset,
# then padded or cut to exactly 1 s. Written to a hidden temp file and renamed, so a clip exists only
# when complete.
export -f synth_pieces
export SYNTH_CLIP_SAMPLES=16000

# The plan: 9 fields per clip (synth_pieces' arguments), drawn in a fixed order so it depends only
# on the seed; kept per engine, so that festival pieces share festival processes.
declare -A takes=() engine_clips=() split_weight=([test]=1 [validation]=1 [train]=8)
plan_espeak=() plan_flite=() plan_festival=()
validation_list=()
testing_list=()
add_clip() {  # folder word
  rand_below "${#ENGINES[@]}"; local engine=${ENGINES[R]}
  # The side of the split: test and validation a tenth each, train the rest, among the sides this
  # engine has voices on (a few recorded speakers must not make a third of the clips held out).
  local side total=0 pick
  for side in test validation train; do
    [[ -n ${engine_voices[$engine/$side]:-} ]] && total=$((total + ${split_weight[$side]}))
  done
  rand_below "$total"; pick=$R
  for side in test validation train; do
    [[ -n ${engine_voices[$engine/$side]:-} ]] || continue
    ((pick < split_weight[$side])) && break
    pick=$((pick - split_weight[$side]))
  done
  local -a pool
  read -r -a pool <<<"${engine_voices[$engine/$side]}"
  rand_below "${#pool[@]}"; local v=${pool[R]}
  if [[ $engine == espeak ]]; then
    rand_below 101; PROS_A=$((130 + R))    # words per minute
    rand_below 61; PROS_B=$((20 + R))      # espeak pitch
    PROS_CENTS=0
  else
    rand_range 850 1180; local stretch=$R  # duration, per mille of the persona's
    rand_range 900 1100; local f0=$R       # f0, per mille of the persona's
    rand_range -50 50; local cents=$R      # spectrum shift around the persona's
    voice_prosody "$v" "$stretch" "$f0" "$cents"
  fi
  rand_below 121; local onset=$(printf '0.%03d' "$R")  # seconds of silence before the word
  rand_below 7; local gain=$((-R))         # dB below the -3 dBFS peak
  local speaker=${V_SPEAKER[v]} tag=""
  [[ $engine == espeak ]] || tag="${V_ID[v]}."
  local key="$1/$speaker/$tag"
  local n=${takes[$key]:-0}
  takes[$key]=$((n + 1))
  local rel="$1/${speaker}_nohash_$tag$n.wav"
  local -n plan_of_engine="plan_$engine"
  plan_of_engine+=("$out/$rel" "$engine" "${V_VOICE[v]}" "$PROS_A" "$PROS_B" "$PROS_CENTS" "$gain" "$onset" "$2")
  engine_clips[$engine]=$((${engine_clips[$engine]:-0} + 1))
  case ${V_SPLIT[v]} in
    validation) validation_list+=("$rel") ;;
    test) testing_list+=("$rel") ;;
  esac
}
for w in "${keyword_list[@]}"; do
  mkdir -p "$out/$w"
  for ((i = 0; i < per_word; i++)); do add_clip "$w" "$w"; done
done
# No _unknown_ folder at all for --unknown-count 0: an empty class folder is no dataset.
((unknown_count == 0)) || mkdir -p "$out/_unknown_"
for ((i = 0; i < unknown_count; i++)); do add_clip _unknown_ "${unknown_list[i % ${#unknown_list[@]}]}"; done

per_engine=""
for e in "${ENGINES[@]}"; do per_engine+="${per_engine:+, }$e ${engine_clips[$e]:-0}"; done
echo "make_keywords: $n_clips clips (${#keyword_list[@]} keywords x $per_word + $unknown_count unknown;" \
     "$per_engine) from ${#V_ID[@]} voices of ${#seen_speaker[@]} speakers" \
     "(${n_split_speakers[train]:-0} train / ${n_split_speakers[validation]:-0} validation /" \
     "${n_split_speakers[test]:-0} test) into '$out' with $jobs jobs"
start_us=${EPOCHREALTIME/./}
elapsed() {  # seconds since start, one decimal, in bash integer arithmetic
  local ds=$(((${EPOCHREALTIME/./} - start_us) / 100000))
  echo "$((ds / 10)).$((ds % 10))"
}

# Noise for _background_noise_: fixed sox seeds (-R); the seed picks where each one starts.
noise_dir="$out/_background_noise_"
mkdir -p "$noise_dir"
for name in "${noises[@]}"; do
  rand_below 1000; skip=$(printf '0.%03d' "$R")
  path="$noise_dir/$name.wav"
  [[ -s $path ]] && continue
  len=$((noise_seconds + 1))
  case $name in
    white_noise) source=(-c 1 -n); effects=(synth "$len" whitenoise vol 0.3) ;;
    pink_noise) source=(-c 1 -n); effects=(synth "$len" pinknoise vol 0.4) ;;
    brown_noise) source=(-c 1 -n); effects=(synth "$len" brownnoise vol 0.5) ;;
    hum) source=(-c 3 -n); effects=(synth "$len" sine 50 sine 150 pinknoise remix 1v0.3,2v0.1,3v0.03) ;;
    band_noise) source=(-c 1 -n); effects=(synth "$len" whitenoise band 1800 1200 tremolo 6 40 vol 0.5) ;;
  esac
  sox -D -R -V1 -r 16000 "${source[@]}" -t wav -r 16000 -b 16 -c 1 -e signed-integer "$path.tmp" \
    "${effects[@]}" trim "$skip" "$noise_seconds"
  mv -f "$path.tmp" "$path"
done

# Synthesis per engine in chunks, so progress can be told; within a chunk xargs keeps the cores
# busy. festival starts once per batch, so its batches are larger.
fields=9 chunk=256 done_clips=0
for engine in "${ENGINES[@]}"; do
  declare -n engine_plan="plan_$engine"
  batch=8
  [[ $engine == festival ]] && batch=32
  n=$((${#engine_plan[@]} / fields))
  for ((first = 0; first < n; first += chunk)); do
    last=$((first + chunk < n ? first + chunk : n))
    printf '%s\0' "${engine_plan[@]:first*fields:(last-first)*fields}" |
      xargs -0 -n $((fields * batch)) -P "$jobs" bash -c 'synth_pieces "$@"' _ ||
      die "synthesis failed (see above); re-run to resume"
    echo "  [$((done_clips + last))/$n_clips] $engine $(elapsed) s"
  done
  done_clips=$((done_clips + n))
  unset -n engine_plan
done

write_list() {  # file entries...
  local file=$1; shift
  if (($#)); then printf '%s\n' "$@" | sort >"$file.tmp"; else : >"$file.tmp"; fi
  mv -f "$file.tmp" "$file"
}
write_list "$out/validation_list.txt" "${validation_list[@]}"
write_list "$out/testing_list.txt" "${testing_list[@]}"
printf '%s\n' "$params" >"$done_file.tmp" && mv -f "$done_file.tmp" "$done_file"
echo "make_keywords: done in $(elapsed) s: ${#validation_list[@]} validation and ${#testing_list[@]} test clips" \
     "listed, $((n_clips - ${#validation_list[@]} - ${#testing_list[@]})) train, ${#noises[@]} noise files"
