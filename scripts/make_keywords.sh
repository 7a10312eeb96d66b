#!/usr/bin/env bash
# Synthesises a keyword-spotting dataset in Google Speech Commands layout, offline, with espeak-ng
# and sox:
#   OUT/<keyword>/<voice>_nohash_<n>.wav     16 kHz mono 16-bit, exactly 1 s
#   OUT/_unknown_/<voice>_nohash_<n>.wav     other words
#   OUT/_background_noise_/*.wav             generated noises
#   OUT/validation_list.txt, OUT/testing_list.txt
# A "voice" is an espeak-ng accent plus a variant (en-gb-scotland.f2); speed, pitch, level and onset
# vary per clip. Voices, not clips, are split, so no test or validation voice is heard in training.
# The output depends only on the arguments and the installed espeak-ng/sox: the same --seed gives
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
  --seed S              seed for voices, split, prosody and noise (default: 1)
  --jobs J              parallel synthesis processes (default: the cores)
Re-running with the same arguments on a finished output returns at once; an interrupted run
resumes. Different arguments on an output made by this script regenerate it from scratch.
EOF
}

die() { echo "make_keywords: $*" >&2; exit 1; }

out="data/keywords"
keywords="yes no up down left right on off stop go"
unknown_words="bed bird cat dog happy house marvin sheila tree wow zero one two three four five six seven eight nine backward forward follow learn visual"
per_word=150
unknown_count=""
noise_seconds=20
seed=1
jobs=$(nproc 2>/dev/null || echo 2)

while (($#)); do
  case "$1" in
    --out) out=${2:?--out needs a value}; shift 2 ;;
    --keywords) keywords=${2:?--keywords needs a value}; shift 2 ;;
    --unknown-words) unknown_words=${2?--unknown-words needs a value}; shift 2 ;;
    --per-word) per_word=${2:?--per-word needs a value}; shift 2 ;;
    --unknown-count) unknown_count=${2:?--unknown-count needs a value}; shift 2 ;;
    --noise-seconds) noise_seconds=${2:?--noise-seconds needs a value}; shift 2 ;;
    --seed) seed=${2:?--seed needs a value}; shift 2 ;;
    --jobs) jobs=${2:?--jobs needs a value}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; echo "make_keywords: unknown option '$1'" >&2; exit 2 ;;
  esac
done

is_count() { [[ $1 =~ ^[0-9]+$ ]] && ((10#$1 <= 1000000)); }
is_count "$per_word" && ((10#$per_word > 0)) || die "--per-word must be a positive integer, got '$per_word'"
unknown_count=${unknown_count:-$((2 * 10#$per_word))}
is_count "$unknown_count" || die "--unknown-count must be a non-negative integer, got '$unknown_count'"
is_count "$noise_seconds" && ((10#$noise_seconds > 0)) || die "--noise-seconds must be a positive integer, got '$noise_seconds'"
is_count "$seed" || die "--seed must be a non-negative integer, got '$seed'"
is_count "$jobs" && ((10#$jobs > 0)) || die "--jobs must be a positive integer, got '$jobs'"
per_word=$((10#$per_word)) unknown_count=$((10#$unknown_count)) seed=$((10#$seed))
noise_seconds=$((10#$noise_seconds)) jobs=$((10#$jobs))
for tool in espeak-ng sox xargs; do
  command -v "$tool" >/dev/null || die "'$tool' is not on PATH (Debian: apt-get install espeak-ng sox)"
done

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

# The 8 English accents that work with espeak-ng 1.51 on Debian 12, and variants spanning male,
# female, klatt and odd timbres (espeak-ng-data/voices/!v). espeak-ng falls back to the plain
# accent for a variant it lacks, so another espeak-ng version gives less variety, not errors.
accents=(en en-us en-us-nyc en-gb-scotland en-gb-x-rp en-gb-x-gbclan en-gb-x-gbcwmd en-029)
variants=(m1 m2 m3 m4 m5 m6 m7 m8 f1 f2 f3 f4 f5 klatt klatt2 klatt3 klatt4 croak whisper
          Annie belinda david grandma linda steph travis zac)

# splitmix64 in bash arithmetic (64-bit wrap-around; logical shifts by masking), so the stream is
# the same on every machine and for every bash 4+.
rng_state=$(( (seed * 0x2545F4914F6CDD1D) ^ 0x6A09E667F3BCC909 ))
rng_next() {
  rng_state=$((rng_state + 0x9E3779B97F4A7C15))
  local z=$rng_state
  z=$(( (z ^ ((z >> 30) & 0x3FFFFFFFF)) * 0xBF58476D1CE4E5B9 ))
  z=$(( (z ^ ((z >> 27) & 0x1FFFFFFFFF)) * 0x94D049BB133111EB ))
  RNG=$(( (z ^ ((z >> 31) & 0x1FFFFFFFF)) & 0x3FFFFFFFFFFFFFFF ))
}
rand_below() { rng_next; R=$((RNG % $1)); }  # sets R in [0, $1)

# Voices, shuffled by the seed: the first tenth is test, the next tenth validation, the rest train.
voices=()
for a in "${accents[@]}"; do for v in "${variants[@]}"; do voices+=("$a+$v"); done; done
for ((i = ${#voices[@]} - 1; i > 0; i--)); do
  rand_below $((i + 1)); t=${voices[i]}; voices[i]=${voices[R]}; voices[R]=$t
done
n_voices=${#voices[@]}
n_held=$((n_voices / 10))
declare -A split_of=()
for ((i = 0; i < n_voices; i++)); do
  if ((i < n_held)); then split_of[${voices[i]}]=test
  elif ((i < 2 * n_held)); then split_of[${voices[i]}]=validation
  else split_of[${voices[i]}]=train; fi
done

noises=(white_noise pink_noise brown_noise hum band_noise)
n_clips=$((${#keyword_list[@]} * per_word + unknown_count))
params="make_keywords v1
keywords=${keyword_list[*]}
unknown_words=${unknown_list[*]}
per_word=$per_word unknown_count=$unknown_count noise_seconds=$noise_seconds seed=$seed
espeak-ng=$(espeak-ng --version | head -n1)
sox=$(sox --version | head -n1)"

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

# One clip: espeak-ng at 22.05 kHz -> sox: level (gain <= -3 dB first, so the resampler never clips),
# 16 kHz, strip silence at both ends, a short onset, then pad/trim to exactly 1 s. Written to a
# hidden temp file and renamed, so a clip exists only when complete.
synth_clips() {
  set -euo pipefail
  while (($# >= 7)); do
    local path=$1 voice=$2 speed=$3 pitch=$4 onset=$5 gain=$6 word=$7
    shift 7
    [[ -s $path ]] && continue
    local tmp="${path%/*}/.${path##*/}.tmp$$"
    espeak-ng -v "$voice" -s "$speed" -p "$pitch" --stdout "$word" |
      sox -D -V1 -t wav - -t wav -r 16000 -b 16 -c 1 -e signed-integer "$tmp" \
        gain "$gain" rate 16000 silence 1 0.01 0.1% reverse silence 1 0.01 0.1% reverse \
        pad "$onset" 1 trim 0 16000s ||
      { rm -f "$tmp"; echo "make_keywords: synthesis failed for '$word' with voice $voice" >&2; exit 255; }
    mv -f "$tmp" "$path"
  done
}
export -f synth_clips

# The plan: one line of 7 fields per clip, drawn in a fixed order so it depends only on the seed.
declare -A takes=()
plan=()
validation_list=()
testing_list=()
add_clip() {  # folder word
  rand_below "$n_voices"; local voice=${voices[R]}
  rand_below 101; local speed=$((130 + R))   # words per minute
  rand_below 61; local pitch=$((20 + R))
  rand_below 121; local onset=$(printf '0.%03d' "$R")  # seconds of silence before the word
  rand_below 7; local gain=$((-3 - R))       # dB
  local speaker=${voice/+/.}
  local key="$1/$speaker"
  local n=${takes[$key]:-0}
  takes[$key]=$((n + 1))
  local rel="$1/${speaker}_nohash_$n.wav"
  plan+=("$out/$rel" "$voice" "$speed" "$pitch" "$onset" "$gain" "$2")
  case ${split_of[$voice]} in
    validation) validation_list+=("$rel") ;;
    test) testing_list+=("$rel") ;;
  esac
}
for w in "${keyword_list[@]}"; do
  mkdir -p "$out/$w"
  for ((i = 0; i < per_word; i++)); do add_clip "$w" "$w"; done
done
mkdir -p "$out/_unknown_"
for ((i = 0; i < unknown_count; i++)); do add_clip _unknown_ "${unknown_list[i % ${#unknown_list[@]}]}"; done

echo "make_keywords: $n_clips clips (${#keyword_list[@]} keywords x $per_word + $unknown_count unknown)" \
     "from $n_voices voices ($((n_voices - 2 * n_held)) train / $n_held validation / $n_held test)" \
     "into '$out' with $jobs jobs"
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

# Synthesis in chunks, so progress can be told; within a chunk xargs keeps the cores busy.
fields=7 batch=8 chunk=256
for ((first = 0; first < n_clips; first += chunk)); do
  last=$((first + chunk < n_clips ? first + chunk : n_clips))
  printf '%s\0' "${plan[@]:first*fields:(last-first)*fields}" |
    xargs -0 -n $((fields * batch)) -P "$jobs" bash -c 'synth_clips "$@"' _ ||
    die "synthesis failed (see above); re-run to resume"
  echo "  [$last/$n_clips] $(elapsed) s"
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
