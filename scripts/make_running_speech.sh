#!/usr/bin/env bash
# Synthesises running speech with keywords at known times, offline, with the voices of
# make_keywords.sh (scripts/lib/voices.sh: espeak-ng, flite, festival; the same speaker split):
#   OUT/streams/speech_NNN.wav   sentences with keywords in them, one voice a file, 16 kHz mono s16
#   OUT/streams/free_NNN.wav     sentences with no keyword at all (hard negatives)
#   OUT/streams.jsonl            one line a file: {"audio_filepath": "streams/speech_000.wav",
#                                "duration": 300.123, "voice": "flite-slt.p3", "speaker": "slt",
#                                "keywords": [{"label": "yes", "start": 12.345, "end": 12.789}, ...],
#                                "transcript": "..."}
#   OUT/README.txt               how it was made: voices, minutes, keyword counts
# Filler sentences come from Debian's fortune cookies (fortunes-min, fortunes) and the King James
# Bible (bible-kjv), cut into sentences and kept only when no word of them is a keyword or a
# homophone of one (scripts/lib/sentences.awk). The sentences are split by their place in the
# sorted list (every tenth from the first is test, from the second validation, the rest train).
# Engines do not tell word times, so a keyword sentence is spoken in pieces with one voice and one
# prosody: the text before the keyword, the keyword, the text after. Each piece is trimmed of
# silence and the pieces are joined with pauses of 30-200 ms, so a keyword's start and end are its
# piece's first and last samples (times are rounded outwards to the millisecond). Sentences without a
# keyword are cut at up to two random word boundaries with the same pauses, so a pause tells nothing.
# Sentences are 250-900 ms apart. The output depends only on the arguments and the installed
# engines, texts and sox: the same --seed gives byte-identical files.
set -euo pipefail
export LC_ALL=C

usage() {
  cat <<'EOF'
usage: make_running_speech.sh --out DIR [options]
  --out DIR                  output folder (required)
  --split S                  train, validation or test: whose speakers and sentences (default: test)
  --minutes M                minutes of speech with keywords in it (default: 10; decimals allowed)
  --keyword-free-minutes K   minutes of speech without any keyword (default: 0)
  --file-minutes F           length of each recording (default: 5)
  --keywords "a b c"         the keywords (default: "yes no up down left right on off stop go")
  --keyword-share P          percent of sentences that carry a keyword in speech files (default: 50)
  --engines "e1 e2"          speech engines among espeak, flite and festival (default: all installed)
  --seed S                   seed for voices, sentences, keywords and pauses (default: 1)
  --split-seed S             seed of the speaker split (default: the --seed value); the same as
                             make_keywords.sh's --split-seed (or --seed) holds out the same speakers
  --list-voices              print "voice speaker split engine" for every voice and stop
  --jobs J                   parallel synthesis processes (default: the cores)
Re-running with the same arguments on a finished output returns at once; an interrupted run
resumes. Other arguments, tools or script versions on an output made by this script regenerate it.
EOF
}

die() { echo "make_running_speech: $*" >&2; exit 1; }
usage_error() { echo "make_running_speech: $* (--help lists the options)" >&2; exit 2; }

out=""
split=test
minutes=10
free_minutes=0
file_minutes=5
keywords="yes no up down left right on off stop go"
keyword_share=50
engines=""
seed=1
split_seed=""
list_voices=0
jobs=$(nproc 2>/dev/null || echo 2)

# needs_value FLAG [VALUE...]: a flag's value is there and is not the next flag; only --engines may
# be given an empty one (which it checks itself).
needs_value() {
  (($# >= 2)) && [[ $2 != --* ]] && [[ -n $2 || $1 == --engines ]] ||
    usage_error "$1 needs a value"
}
while (($#)); do
  case "$1" in
    --out) needs_value "$@"; out=$2; shift 2 ;;
    --split) needs_value "$@"; split=$2; shift 2 ;;
    --minutes) needs_value "$@"; minutes=$2; shift 2 ;;
    --keyword-free-minutes) needs_value "$@"; free_minutes=$2; shift 2 ;;
    --file-minutes) needs_value "$@"; file_minutes=$2; shift 2 ;;
    --keywords) needs_value "$@"; keywords=$2; shift 2 ;;
    --keyword-share) needs_value "$@"; keyword_share=$2; shift 2 ;;
    --engines) needs_value "$@"; engines=$2; [[ -n ${engines//[[:space:]]/} ]] ||
      usage_error "--engines is empty"; shift 2 ;;
    --seed) needs_value "$@"; seed=$2; shift 2 ;;
    --split-seed) needs_value "$@"; split_seed=$2; shift 2 ;;
    --list-voices) list_voices=1; shift ;;
    --jobs) needs_value "$@"; jobs=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done

[[ -n $out ]] || ((list_voices)) || usage_error "--out is required"
is_count() { [[ $1 =~ ^[0-9]+$ ]] && ((10#$1 <= 1000000)); }
# Minutes with up to 3 decimals -> milliseconds in MS.
to_ms() {
  [[ $2 =~ ^([0-9]{1,5})(\.([0-9]{1,3}))?$ ]] || die "$1 must be a number of minutes like 5 or 0.25, got '$2'"
  local frac=${BASH_REMATCH[3]:-0}
  while ((${#frac} < 3)); do frac+=0; done
  MS=$(((10#${BASH_REMATCH[1]} * 1000 + 10#$frac) * 60))
}
case $split in train|validation|test) ;; *) die "--split must be train, validation or test, got '$split'" ;; esac
to_ms --minutes "$minutes"; kw_ms=$MS
to_ms --keyword-free-minutes "$free_minutes"; free_ms=$MS
to_ms --file-minutes "$file_minutes"; file_ms=$MS
((kw_ms + free_ms > 0)) || die "--minutes and --keyword-free-minutes are both 0: nothing to make"
((file_ms >= 6000)) || die "--file-minutes must be at least 0.1 (6 s), got '$file_minutes'"
is_count "$keyword_share" && ((10#$keyword_share >= 1 && 10#$keyword_share <= 100)) ||
  die "--keyword-share must be a percentage from 1 to 100, got '$keyword_share'"
is_count "$seed" || die "--seed must be a non-negative integer, got '$seed'"
split_seed=${split_seed:-$seed}
is_count "$split_seed" || die "--split-seed must be a non-negative integer, got '$split_seed'"
is_count "$jobs" && ((10#$jobs > 0)) || die "--jobs must be a positive integer, got '$jobs'"
keyword_share=$((10#$keyword_share)) seed=$((10#$seed)) split_seed=$((10#$split_seed)) jobs=$((10#$jobs))
for tool in sox xargs stat; do
  command -v "$tool" >/dev/null || die "'$tool' is not on PATH (Debian: apt-get install sox)"
done

read -r -a keyword_list <<<"$keywords"
((${#keyword_list[@]} > 0)) || die "--keywords is empty"
declare -A is_keyword=()
for w in "${keyword_list[@]}"; do
  [[ $w =~ ^[a-z]+$ ]] || die "keyword '$w' must be a lower-case word of letters"
  [[ -z ${is_keyword[$w]:-} ]] || die "keyword '$w' is given twice"
  is_keyword[$w]=1
done
# Filler may not hold a keyword, nor a word that sounds the same.
declare -A homophones=([no]="know" [right]="write rite wright" [yes]="" [up]="" [down]="" [left]=""
                       [on]="" [off]="" [stop]="" [go]="" [four]="for fore" [two]="too" [one]="won")
banned="${keyword_list[*]}"
for w in "${keyword_list[@]}"; do banned+=" ${homophones[$w]:-}"; done
read -r -a banned_list <<<"$banned"

lib="$(dirname "${BASH_SOURCE[0]}")/lib"
# shellcheck source=lib/voices.sh
source "$lib/voices.sh"
voices_split "$split_seed"
voices_use_engines "$engines" make_running_speech
if ((list_voices)); then voices_list; exit 0; fi

# The voices of this split, per engine; engines without one here are left out.
declare -A split_voices=()
for ((i = 0; i < ${#V_ID[@]}; i++)); do
  [[ ${V_SPLIT[i]} == "$split" ]] && split_voices[${V_ENGINE[i]}]+="$i "
done
use_engines=()
for e in "${ENGINES[@]}"; do [[ -n ${split_voices[$e]:-} ]] && use_engines+=("$e"); done
((${#use_engines[@]})) || die "no voice of the chosen engines (${ENGINES[*]}) is in the $split split"

# Texts: fortune cookies (minus the ascii-art pictures) and the Bible, one text a line.
fortune_files=()
for f in /usr/share/games/fortunes/*; do
  [[ -f $f && $f != *.dat && $f != *.u8 && ${f##*/} != ascii-art ]] && fortune_files+=("$f")
done
have_bible=0
command -v bible >/dev/null && have_bible=1
((${#fortune_files[@]} + have_bible > 0)) ||
  die "no text to read: install fortunes-min, fortunes or bible-kjv (scripts/deps.sh does)"
sources=()
((${#fortune_files[@]})) && sources+=(fortunes)
((have_bible)) && sources+=(bible)
text_versions=""
for p in fortunes-min fortunes bible-kjv-text; do
  text_versions+="$p=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo none) "
done

params="make_running_speech v1
split=$split minutes=$minutes keyword_free_minutes=$free_minutes file_minutes=$file_minutes
keywords=${keyword_list[*]} keyword_share=$keyword_share banned=${banned_list[*]}
seed=$seed split_seed=$split_seed
engines=${ENGINES[*]}
$(engine_versions)
sox=$(sox --version | head -n1)
texts=${sources[*]} ${text_versions% }
code=$(cat "${BASH_SOURCE[0]}" "$lib/voices.sh" "$lib/sentences.awk" | cksum)"

# Output folder: ours (marked by .make_running_speech.params) or new; never someone else's files.
params_file="$out/.make_running_speech.params"
done_file="$out/.make_running_speech.done"
work="$out/.work"
if [[ -e $out && ! -d $out ]]; then die "--out '$out' exists and is not a folder"; fi
if [[ -d $out ]] && [[ -n $(ls -A "$out") ]]; then
  [[ -f $params_file ]] || die "--out '$out' is not empty and was not made by this script; pick another folder"
  if [[ $(<"$params_file") != "$params" ]]; then
    echo "make_running_speech: '$out' was made with other arguments; regenerating it"
    find "$out" -mindepth 1 -delete
  elif [[ -f $done_file && $(<"$done_file") == "$params" && -f $out/streams.jsonl ]]; then
    echo "make_running_speech: '$out' is complete and up to date"
    exit 0
  else
    echo "make_running_speech: resuming the unfinished output in '$out'"
  fi
fi
mkdir -p "$out/streams" "$work"
rm -f "$done_file"
printf '%s\n' "$params" >"$params_file.tmp" && mv -f "$params_file.tmp" "$params_file"
find "$out" -name '.*.tmp*' -type f -delete  # leftovers of an interrupted run

start_us=${EPOCHREALTIME/./}
elapsed_ds() { echo $(((${EPOCHREALTIME/./} - start_us) / 100000)); }
elapsed() { local ds; ds=$(elapsed_ds); echo "$((ds / 10)).$((ds % 10))"; }

# The sentence pools of this split, one per source.
split_index=$(case $split in test) echo 0 ;; validation) echo 1 ;; train) echo 2 ;; esac)
for s in "${sources[@]}"; do
  pool="$work/pool_$s.txt"
  [[ -s $pool ]] && continue
  case $s in
    fortunes)
      awk 'BEGIN { RS = "%\n" }
           { n = split($0, L, "\n"); t = ""
             for (i = 1; i <= n; i++) { if (L[i] ~ /^[ \t]*--/) break; t = t " " L[i] }
             print t }' "${fortune_files[@]}" ;;
    bible) bible -f gen1:1-rev22:21 | sed 's/^[^ ]* //' ;;
  esac | awk -v banned="${banned_list[*]}" -v minw=4 -v maxw=24 -f "$lib/sentences.awk" | sort -u |
    awk -v k="$split_index" '(k < 2 && (NR - 1) % 10 == k) || (k == 2 && (NR - 1) % 10 >= 2)' >"$pool.tmp"
  [[ -s $pool.tmp ]] || die "no usable sentence in $s for the $split split"
  mv -f "$pool.tmp" "$pool"
done
declare -A pool_size=()
for s in "${sources[@]}"; do
  mapfile -t "pool_$s" <"$work/pool_$s.txt"
  declare -n p="pool_$s"; pool_size[$s]=${#p[@]}; unset -n p
done

rng_seed "$seed"
export -f synth_pieces
fields=9

# The recordings: keyword files, then keyword-free ones, each file_ms long but the last of a kind.
rec_kind=() rec_ms=()
for kind in speech free; do
  left=$kw_ms
  [[ $kind == free ]] && left=$free_ms
  while ((left > 0)); do
    len=$((left < file_ms ? left : file_ms))
    rec_kind+=("$kind") rec_ms+=("$len")
    left=$((left - len))
  done
done

# Keywords come round in shuffled rounds, so every keyword is about as frequent as every other.
kw_deck=()
next_keyword() {
  if ((${#kw_deck[@]} == 0)); then
    kw_deck=("${keyword_list[@]}")
    local i t
    for ((i = ${#kw_deck[@]} - 1; i > 0; i--)); do
      rand_below $((i + 1)); t=${kw_deck[i]}; kw_deck[i]=${kw_deck[R]}; kw_deck[R]=$t
    done
  fi
  KW=${kw_deck[0]}
  kw_deck=("${kw_deck[@]:1}")
}

pause_samples() { rand_range "$1" "$2"; R=$((R * 16)); }  # milliseconds -> samples

# plan_sentence: one more sentence for the current recording. Appends its pieces (text, keyword
# label or "", the pause before it in samples) and the synthesis arguments; sets EST_MS.
plan_sentence() {
  local source words n i k cut1 cut2 text
  rand_below "${#sources[@]}"; source=${sources[R]}
  local -n pool="pool_$source"
  rand_below "${pool_size[$source]}"; text=${pool[R]}
  read -r -a words <<<"$text"
  n=${#words[@]}
  rand_range 920 1080; local stretch=$((rec_stretch * R / 1000))
  rand_range 950 1050; local f0=$((rec_f0 * R / 1000))
  rand_range -20 20; local cents=$((rec_cents + R))
  rand_range -1 1; local gain=$((rec_gain + R))
  voice_prosody "$rec_voice" "$stretch" "$f0" "$cents"
  local -a texts=() labels=()
  local carry=0
  if [[ $rec_kind_now == speech ]] && { rand_below 100; ((R < keyword_share)); }; then
    next_keyword
    rand_range 0 "$n"; k=$R
    ((k == 0)) || { texts+=("${words[*]:0:k}"); labels+=(""); }
    texts+=("$KW") labels+=("$KW")
    ((k == n)) || { texts+=("${words[*]:k}"); labels+=(""); }
    carry=1
  else
    rand_range 0 2; local cuts=$R
    ((n > 1)) || cuts=0
    cut1=$n cut2=$n
    if ((cuts >= 1)); then rand_range 1 $((n - 1)); cut1=$R; fi
    if ((cuts == 2)); then rand_range 1 $((n - 1)); cut2=$R; fi
    if ((cut2 < cut1)); then i=$cut1; cut1=$cut2; cut2=$i; fi
    texts+=("${words[*]:0:cut1}") labels+=("")
    ((cut2 > cut1)) && { texts+=("${words[*]:cut1:cut2-cut1}"); labels+=(""); }
    ((cut2 < n)) && { texts+=("${words[*]:cut2}"); labels+=(""); }
  fi
  local first=1 piece
  for ((i = 0; i < ${#texts[@]}; i++)); do
    if ((first)); then pause_samples 250 900; first=0; else pause_samples 30 200; fi
    piece=${#pc_text[@]}
    pc_text+=("${texts[i]}") pc_label+=("${labels[i]}") pc_pause+=("$R") pc_sentence+=("${#sent_first[@]}")
    todo+=("$rec_dir/$piece.raw" "${V_ENGINE[rec_voice]}" "${V_VOICE[rec_voice]}" "$PROS_A" "$PROS_B"
           "$PROS_CENTS" "$gain" 0 "${texts[i]}")
  done
  sent_first+=($((${#pc_text[@]} - ${#texts[@]})))
  EST_MS=$((n * 380 + carry * 500 + 700))
}

# synth_todo ENGINE: synthesises the planned pieces (festival in larger batches: one process each).
synth_todo() {
  ((${#todo[@]})) || return 0
  local batch=8
  [[ $1 == festival ]] && batch=24
  printf '%s\0' "${todo[@]}" | xargs -0 -n $((fields * batch)) -P "$jobs" bash -c 'synth_pieces "$@"' _ ||
    die "synthesis failed (see above); re-run to resume"
  todo=()
}

ms_down() { echo $(($1 / 16 / 1000)).$(printf '%03d' $(($1 / 16 % 1000))); }      # samples -> s
ms_up() { local m=$((($1 + 15) / 16)); echo $((m / 1000)).$(printf '%03d' $((m % 1000))); }

echo "make_running_speech: ${#rec_kind[@]} recordings ($minutes min with keywords, $free_minutes min without)" \
     "of $split speakers (engines ${use_engines[*]}) into '$out' with $jobs jobs"
rng_offset=0
rand_below "${#use_engines[@]}"; rng_offset=$R
declare -A kw_count=() voice_ms=() rec_number=()
total_samples=0 total_kw=0 free_samples=0
jsonl=()
silence="$work/silence.raw"
head -c 64000 /dev/zero >"$silence"  # 2 s, more than any pause
for ((r = 0; r < ${#rec_kind[@]}; r++)); do
  rec_kind_now=${rec_kind[r]}
  engine=${use_engines[(rng_offset + r) % ${#use_engines[@]}]}
  read -r -a vs <<<"${split_voices[$engine]}"
  rand_below "${#vs[@]}"; rec_voice=${vs[R]}
  rand_range 900 1100; rec_stretch=$R
  if [[ $engine == espeak ]]; then rand_range 750 1250; else rand_range 900 1100; fi; rec_f0=$R
  rand_range -30 30; rec_cents=$R
  rand_range -5 -1; rec_gain=$R
  name=$(printf '%s_%03d' "$rec_kind_now" "${rec_number[$rec_kind_now]:-0}")
  rec_number[$rec_kind_now]=$((${rec_number[$rec_kind_now]:-0} + 1))
  rec_dir="$work/$name"
  mkdir -p "$rec_dir"
  pc_text=() pc_label=() pc_pause=() pc_sentence=() pc_samples=() sent_first=() todo=()
  target=$((rec_ms[r] * 16))  # samples
  have=0 walked=0 cut=-1
  # Plan about as much as the file needs (by a words-per-second estimate), synthesise, measure;
  # plan more while the measured speech falls short. Planning never looks at --jobs, so the result
  # does not either.
  while ((cut < 0)); do
    need=$(((rec_ms[r] - have / 16) * 11 / 10 + 2000)) est=0
    while ((est < need)); do plan_sentence; est=$((est + EST_MS)); done
    synth_todo "$engine"
    mapfile -t sizes < <(cd "$rec_dir" && for ((i = walked; i < ${#pc_text[@]}; i++)); do echo "$i.raw"; done |
                         xargs stat -c %s)
    ((${#sizes[@]} == ${#pc_text[@]} - walked)) || die "pieces of $name are missing in '$rec_dir'"
    for ((i = walked; i < ${#pc_text[@]}; i++)); do
      pc_samples[i]=$((sizes[i - walked] / 2))
      have=$((have + pc_pause[i] + pc_samples[i]))
      # The file ends after the sentence whose last piece reaches the target.
      s=${pc_sentence[i]}
      next_first=$((s + 1 < ${#sent_first[@]} ? sent_first[s + 1] : ${#pc_text[@]}))
      if ((have >= target && i + 1 == next_first)); then cut=$i; break; fi
    done
    walked=${#pc_text[@]}
  done
  # Assemble: pauses and pieces in order, then trailing silence up to a whole millisecond.
  raw="$rec_dir/all.raw"
  : >"$raw"
  keys=() transcript="" pos=0
  for ((i = 0; i <= cut; i++)); do
    head -c $((pc_pause[i] * 2)) "$silence" >>"$raw"
    pos=$((pos + pc_pause[i]))
    cat "$rec_dir/$i.raw" >>"$raw"
    if [[ -n ${pc_label[i]} ]]; then
      keys+=("{\"label\": \"${pc_label[i]}\", \"start\": $(ms_down "$pos"), \"end\": $(ms_up $((pos + pc_samples[i])))}")
      kw_count[${pc_label[i]}]=$((${kw_count[${pc_label[i]}]:-0} + 1))
      total_kw=$((total_kw + 1))
    fi
    pos=$((pos + pc_samples[i]))
    transcript+="${transcript:+ }${pc_text[i]}"
  done
  tail_samples=$((8000 + (16 - (pos + 8000) % 16) % 16))
  head -c $((tail_samples * 2)) "$silence" >>"$raw"
  pos=$((pos + tail_samples))
  wav="$out/streams/$name.wav"
  sox -D -V1 -t raw -r 16000 -b 16 -c 1 -e signed-integer "$raw" -t wav "$wav.tmp" &&
    mv -f "$wav.tmp" "$wav" || die "could not write '$wav'"
  rm -f "$raw"
  dur=$(ms_down "$pos")
  keys_json=""
  ((${#keys[@]})) && keys_json=$(IFS=,; echo "${keys[*]}" | sed 's/},{/}, {/g')
  jsonl+=("{\"audio_filepath\": \"streams/$name.wav\", \"duration\": $dur, \"voice\": \"${V_ID[rec_voice]}\", \"speaker\": \"${V_SPEAKER[rec_voice]}\", \"keywords\": [$keys_json], \"transcript\": \"$transcript\"}")
  voice_ms[${V_ID[rec_voice]}]=$((${voice_ms[${V_ID[rec_voice]}]:-0} + pos / 16))
  total_samples=$((total_samples + pos))
  [[ $rec_kind_now == free ]] && free_samples=$((free_samples + pos))
  echo "  [$((r + 1))/${#rec_kind[@]}] $name.wav: ${dur} s, ${V_ID[rec_voice]}, ${#keys[@]} keywords, $(elapsed) s"
done

printf '%s\n' "${jsonl[@]}" >"$out/streams.jsonl.tmp" && mv -f "$out/streams.jsonl.tmp" "$out/streams.jsonl"
wall_ds=$(elapsed_ds)
minutes_of() { local m=$(($1 / 16 / 600)); echo "$((m / 100)).$(printf '%02d' $((m % 100)))"; }  # samples -> min
{
  echo "Running speech made by scripts/make_running_speech.sh (rwkv-stream), offline."
  echo
  echo "Arguments and tools:"
  printf '  %s\n' "${params//$'\n'/$'\n'  }"
  echo
  echo "Split: $split speakers (speaker split seed $split_seed; make_keywords.sh with the same split seed"
  echo "holds out the same speakers) and $split sentences."
  echo "Texts: ${sources[*]}: $(for s in "${sources[@]}"; do printf '%s %s sentences; ' "$s" "${pool_size[$s]}"; done)"
  echo "  filler holds none of: ${banned_list[*]} (whole words, any case)."
  echo
  echo "Recordings: ${#rec_kind[@]}, $(minutes_of "$total_samples") min in all, $(minutes_of "$free_samples") min keyword-free."
  echo "Keywords: $total_kw: $(for w in "${keyword_list[@]}"; do printf '%s %s, ' "$w" "${kw_count[$w]:-0}"; done | sed 's/, $//')"
  echo "Voices (minutes):"
  for v in $(printf '%s\n' "${!voice_ms[@]}" | sort); do
    printf '  %s %d.%02d\n' "$v" $((voice_ms[$v] / 60000)) $((voice_ms[$v] % 60000 / 600))
  done
  echo
  echo "streams.jsonl: one line a recording: audio_filepath (relative to this folder), duration (s),"
  echo "voice, speaker, keywords (label, start, end in seconds from the file's start, sorted; the"
  echo "interval holds the keyword's speech, rounded outwards to the ms) and transcript (the words"
  echo "spoken, keywords included)."
} >"$out/README.txt.tmp"
mv -f "$out/README.txt.tmp" "$out/README.txt"
rm -rf "$work"
printf '%s\n' "$params" >"$done_file.tmp" && mv -f "$done_file.tmp" "$done_file"
speed=$((total_samples / 1600 * 10 / (wall_ds > 0 ? wall_ds : 1)))  # audio per wall time, x10
echo "make_running_speech: done in $(elapsed) s: $(minutes_of "$total_samples") min of audio" \
     "($(minutes_of "$free_samples") keyword-free), $total_kw keywords," \
     "$((speed / 10)).$((speed % 10)) audio min per wall min"
