#!/usr/bin/env bash
# Synthesises a speech-recognition corpus with transcripts, offline, from Debian packages: sentences
# of fortune cookies (fortunes-min, fortunes), the King James Bible (bible-kjv) and the Jargon File
# (jargon-text), read by the voices of scripts/lib/voices.sh (espeak-ng's 216 accent x variant
# voices, flite's kal/kal16/awb/rms/slt and festival's kal/ked/slt in 8 personas each) at varied
# rates, pitches and levels:
#   OUT/train.jsonl, OUT/validation.jsonl, OUT/test.jsonl   one line a clip (src/io/manifest.h):
#     {"audio_filepath": "train/000000.wav", "duration": 3.456, "text": "and god saw the light",
#      "speaker": "slt", "voice": "flite-slt.p3", "source": "bible"}
#     (audio_filepath relative to OUT, where the manifests are; duration exact: whole milliseconds)
#   OUT/{train,validation,test}/NNNNNN.wav   one sentence a file, 16 kHz mono 16-bit, 50-300 ms of
#                                            silence before and after the speech
#   OUT/README.txt                           how it was made, and what each split holds
# Splits. Speakers are split as in make_keywords.sh and make_running_speech.sh (the recorded person
# behind a voice, by --split-seed; scripts/lib/voices.sh), and so are sentences: each distinct
# transcript goes to test (a tenth), validation (a tenth) or train by a hash of it and the split
# seed, so test and validation hold new voices reading new sentences, whatever the minutes asked.
# Each clip picks an engine evenly among those with voices in its split, one of their voices there,
# a text evenly among the texts, and the next sentence of that text's share in a seeded shuffle
# (a share read to its end is shuffled anew).
#
# Text rules (the transcript "text" is exactly what the engine is given, normalised; the trainer's
# alphabet is a-z, apostrophe and space):
#   - texts are cut into sentences after . ! ? ; and : (scripts/lib/sentences.awk); quote marks and
#     brackets are dropped; a sentence is kept only when it is plain ASCII letters, spaces and
#     , . ' ! ? ; : - (no digits, no symbols such as & % $ @ # / +, no non-ASCII), with no period
#     inside a word (e.g. U.S. a.m.) and no dashes standing alone;
#   - capitals: in the Bible a word in capitals is a word (LORD, GOD), written Lord, God so engines
#     read it as one; elsewhere a word with two capitals in a row (IBM, OK, NASA's) drops its
#     sentence, as does a capital after a small letter (PhD, McDonald);
#   - dropped too: a word without a vowel a e i o u y (Mr, Dr, St, tv, hmm), a one-letter word
#     other than a, i, o (initials, plan B, roman V and X), "I" after a capitalised word other than
#     a common opener at the start or after a numbering word (Charles I, World War I, book I:
#     engines read a number), "ok", an abbreviation (etc, esp, vs, Jan: espeak says "et cetera"
#     even without a period), a period anywhere but at the end (etc., Inc.'s), and a final word
#     before the period that is a capitalised abbreviation of a word (Gen. Sun. Co.; "under the
#     sun." is kept) (scripts/lib/transcripts.awk);
#   - a hyphen is a space, in what is spoken and in the transcript (set-up: "set up");
#   - the transcript is the sentence in lower case with every other character a space, apostrophes
#     kept only between letters (don't; 'tis and dogs' lose theirs), spaces collapsed; sentences
#     with --min-words..--max-words words of it are kept (default 3..20, about 1-8 s);
#   - the Jargon File's cross-references ("See also ...", "Compare ...") are left out.
# The output depends only on the arguments and the installed engines, texts and sox: the same
# --seed gives byte-identical files, whatever --jobs.
set -euo pipefail
export LC_ALL=C

usage() {
  cat <<'EOF'
usage: make_sentences.sh [options]
  --out DIR                 output folder (default: data/sentences)
  --train-minutes M         minutes of train speech (default: 60; decimals allowed; 0: no train split)
  --validation-minutes M    minutes of validation speech (default: 5)
  --test-minutes M          minutes of test speech (default: 10)
  --minutes M               the same minutes for every split (the three flags above take precedence)
  --texts "t1 t2"           texts among fortunes, bible and jargon (default: all)
  --engines "e1 e2"         speech engines among espeak, flite and festival (default: all installed)
  --min-words N             fewest words in a sentence (default: 3)
  --max-words N             most words in a sentence (default: 20)
  --seed S                  seed for voices, prosody and sentence order (default: 1)
  --split-seed S            seed of the speaker and sentence split (default: the --seed value);
                            make_keywords.sh and make_running_speech.sh with the same split seed
                            hold out the same speakers
  --jobs J                  parallel synthesis processes (default: the cores)
  --no-install              never call apt-get: use the engines and texts that are installed
  --list-voices             print "voice speaker split engine" for every voice and stop
  --list-sentences          print "split<tab>text<tab>spoken<tab>transcript" for every sentence of
                            the pools (after the text rules) and stop
Writes OUT/{train,validation,test}.jsonl (audio_filepath relative to OUT, duration, text, speaker,
voice, source) and one 16 kHz mono 16-bit wav a sentence under OUT/{train,validation,test}/; a
split of 0 minutes has no manifest. Missing Debian packages of the engines and texts are installed
(as root, or through sudo) unless --no-install.
Text rules: sentences of plain ASCII letters and , . ' ! ? ; : - only (no digits, symbols or
non-ASCII); no word with two capitals in a row (acronyms; the Bible's LORD is read as Lord), with a
capital after a small letter, without a vowel (Mr, St, tv), of one letter other than a/i/o, "I"
after a name or a numbering word (Charles I, book I), "ok", an abbreviation (etc, vs, Jan), a
period anywhere but at the end (U.S., Inc.'s, etc.,), nor a capitalised abbreviation before the
final period (Gen. Co.).
Hyphens are spaces. The transcript is the sentence lower-cased, other characters made spaces,
apostrophes kept between letters only, spaces collapsed. Train, validation and test share no
speaker and no transcript.
Re-running with the same arguments on a finished output returns at once; an interrupted run
resumes. Other arguments, tools or script versions on an output made by this script regenerate it.
EOF
}

die() { echo "make_sentences: $*" >&2; exit 1; }
usage_error() { echo "make_sentences: $* (--help lists the options)" >&2; exit 2; }

out="data/sentences"
minutes=""
declare -A split_minutes=([train]="" [validation]="" [test]="")
texts=""
engines=""
min_words=3
max_words=20
seed=1
split_seed=""
jobs=$(nproc 2>/dev/null || echo 2)
install=1
list_voices=0
list_sentences=0

# needs_value FLAG [VALUE...]: a flag's value is there and is not the next flag; only --engines and
# --texts may be given an empty one (which they check themselves).
needs_value() {
  (($# >= 2)) && [[ $2 != --* ]] && [[ -n $2 || $1 == --engines || $1 == --texts ]] ||
    usage_error "$1 needs a value"
}
while (($#)); do
  case "$1" in
    --out) needs_value "$@"; out=$2; shift 2 ;;
    --minutes) needs_value "$@"; minutes=$2; shift 2 ;;
    --train-minutes) needs_value "$@"; split_minutes[train]=$2; shift 2 ;;
    --validation-minutes) needs_value "$@"; split_minutes[validation]=$2; shift 2 ;;
    --test-minutes) needs_value "$@"; split_minutes[test]=$2; shift 2 ;;
    --texts) needs_value "$@"; texts=$2; [[ -n ${texts//[[:space:]]/} ]] || usage_error "--texts is empty"; shift 2 ;;
    --engines) needs_value "$@"; engines=$2; [[ -n ${engines//[[:space:]]/} ]] ||
      usage_error "--engines is empty"; shift 2 ;;
    --min-words) needs_value "$@"; min_words=$2; shift 2 ;;
    --max-words) needs_value "$@"; max_words=$2; shift 2 ;;
    --seed) needs_value "$@"; seed=$2; shift 2 ;;
    --split-seed) needs_value "$@"; split_seed=$2; shift 2 ;;
    --jobs) needs_value "$@"; jobs=$2; shift 2 ;;
    --no-install) install=0; shift ;;
    --list-voices) list_voices=1; shift ;;
    --list-sentences) list_sentences=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done

is_count() { [[ $1 =~ ^[0-9]+$ ]] && ((10#$1 <= 1000000)); }
# Minutes with up to 3 decimals -> milliseconds in MS.
to_ms() {
  [[ $2 =~ ^([0-9]{1,5})(\.([0-9]{1,3}))?$ ]] || die "$1 must be a number of minutes like 5 or 0.25, got '$2'"
  local frac=${BASH_REMATCH[3]:-0}
  while ((${#frac} < 3)); do frac+=0; done
  MS=$(((10#${BASH_REMATCH[1]} * 1000 + 10#$frac) * 60))
}
splits=(train validation test)
declare -A default_minutes=([train]=60 [validation]=5 [test]=10) target_ms=()
[[ -z $minutes ]] || to_ms --minutes "$minutes"
total_ms=0
for s in "${splits[@]}"; do
  m=${split_minutes[$s]:-${minutes:-${default_minutes[$s]}}}
  split_minutes[$s]=$m
  to_ms "--$s-minutes" "$m"
  target_ms[$s]=$MS
  total_ms=$((total_ms + MS))
done
listing=$((list_voices || list_sentences))
((total_ms > 0)) || ((listing)) || die "every split has 0 minutes: nothing to make"
is_count "$min_words" && ((10#$min_words >= 1)) || die "--min-words must be a positive integer, got '$min_words'"
is_count "$max_words" && ((10#$max_words >= 10#$min_words && 10#$max_words <= 60)) ||
  die "--max-words must be an integer from --min-words ($min_words) to 60, got '$max_words'"
is_count "$seed" || die "--seed must be a non-negative integer, got '$seed'"
split_seed=${split_seed:-$seed}
is_count "$split_seed" || die "--split-seed must be a non-negative integer, got '$split_seed'"
is_count "$jobs" && ((10#$jobs > 0)) || die "--jobs must be a positive integer, got '$jobs'"
min_words=$((10#$min_words)) max_words=$((10#$max_words)) seed=$((10#$seed))
split_seed=$((10#$split_seed)) jobs=$((10#$jobs))

lib="$(dirname "${BASH_SOURCE[0]}")/lib"
# shellcheck source=lib/voices.sh
source "$lib/voices.sh"
# shellcheck source=lib/texts.sh
source "$lib/texts.sh"
if [[ -n $texts ]]; then
  declare -A seen_text=()
  for t in $texts; do
    [[ " ${TEXTS_ALL[*]} " == *" $t "* ]] || usage_error "unknown text '$t' in --texts (known: ${TEXTS_ALL[*]})"
    [[ -z ${seen_text[$t]:-} ]] || usage_error "--texts names '$t' twice"
    seen_text[$t]=1
  done
fi
if [[ -n $engines ]]; then
  for e in $engines; do
    [[ " ${VOICES_ALL_ENGINES[*]} " == *" $e "* ]] ||
      usage_error "unknown engine '$e' in --engines (known: ${VOICES_ALL_ENGINES[*]})"
  done
fi

# Folder checks before anything slow: never someone else's files.
params_file="$out/.make_sentences.params"
done_file="$out/.make_sentences.done"
work="$out/.work"
if ((!listing)); then
  if [[ -e $out && ! -d $out ]]; then die "--out '$out' exists and is not a folder"; fi
  if [[ -d $out ]] && [[ -n $(ls -A "$out") ]] && [[ ! -f $params_file ]]; then
    die "--out '$out' is not empty and was not made by this script; pick another folder"
  fi
fi

# --- packages (like make_real_speech.sh): what the chosen engines and texts need ---------------------
engine_packages() {
  case $1 in
    espeak) echo espeak-ng ;;
    flite) echo flite ;;
    festival) echo festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts ;;
  esac
}
if ((install && !listing)); then
  missing=()
  for p in sox $(for e in ${engines:-${VOICES_ALL_ENGINES[*]}}; do engine_packages "$e"; done) \
           $(for t in ${texts:-${TEXTS_ALL[*]}}; do texts_packages "$t"; done); do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "make_sentences: installing ${missing[*]}"
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq || die "apt-get update failed (--no-install uses what is installed)"
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      die "apt-get install ${missing[*]} failed (--no-install uses what is installed)"
  fi
fi
for tool in sox soxi xargs stat; do
  command -v "$tool" >/dev/null || die "'$tool' is not on PATH (Debian: apt-get install sox)"
done

# The texts: the named ones must be here; otherwise every one that is (a note names the others).
use_texts=()
if [[ -n $texts ]]; then
  for t in "${TEXTS_ALL[@]}"; do
    [[ -n ${seen_text[$t]:-} ]] || continue
    text_ready "$t" || die "text '$t' is not installed: missing $TEXT_MISSING"
    use_texts+=("$t")
  done
else
  for t in "${TEXTS_ALL[@]}"; do
    if text_ready "$t"; then use_texts+=("$t")
    else echo "make_sentences: note: text $t left out, missing $TEXT_MISSING" >&2; fi
  done
  ((${#use_texts[@]})) || die "no text is installed (apt-get install fortunes-min fortunes bible-kjv jargon-text)"
fi

# --- the sentence pools -------------------------------------------------------------------------
# make_pools DIR: all texts' sentences; one line per distinct transcript (the first text and spoken
# form in sort order); its split by a hash of the transcript and the split seed (test: hash % 10 ==
# 0, validation: 1, train: the rest); then one pool per split and text, DIR/pool_SPLIT_TEXT.txt,
# of "SPOKEN<tab>TEXT" lines sorted by TEXT.
make_pools() {
  local dir=$1 t p
  local -a pids=()
  for t in "${use_texts[@]}"; do  # the texts side by side when --jobs allows
    text_sentences "$t" "$min_words" "$max_words" | awk -v t="$t" '{ print $0 "\t" t }' >"$dir/sentences_$t.tsv" &
    pids+=($!)
    ((${#pids[@]} < jobs)) || { wait "${pids[0]}" || die "could not read the texts"; pids=("${pids[@]:1}"); }
  done
  for p in "${pids[@]}"; do wait "$p" || die "could not read the texts"; done
  for t in "${use_texts[@]}"; do cat "$dir/sentences_$t.tsv"; done |
    sort -t $'\t' -k2,2 -k3,3 -k1,1 | awk -F'\t' -v seed="$split_seed" -v dir="$dir" '
    BEGIN { for (i = 32; i < 127; i++) ord[sprintf("%c", i)] = i; P = 2147483647 }
    function bucket(s,   h, i, n) {
      h = seed % P + 1; n = length(s)
      for (i = 1; i <= n; i++) h = (h * 131 + ord[substr(s, i, 1)]) % P
      for (i = 0; i < 3; i++) h = (h * 48271 + seed % 1000) % P
      return h % 10
    }
    $2 != last { last = $2; b = bucket($2); s = b == 0 ? "test" : b == 1 ? "validation" : "train"
                 print $1 "\t" $2 > (dir "/pool_" s "_" $3 ".txt") }'
  rm -f "$dir"/sentences_*.tsv
  local s
  for s in "${splits[@]}"; do
    for t in "${use_texts[@]}"; do [[ -f $dir/pool_${s}_$t.txt ]] || : >"$dir/pool_${s}_$t.txt"; done
  done
}
if ((list_sentences)); then
  pools=$(mktemp -d "${TMPDIR:-/tmp}/make_sentences.XXXXXX")
  trap 'rm -rf "$pools"' EXIT
  make_pools "$pools"
  for s in "${splits[@]}"; do
    for t in "${use_texts[@]}"; do awk -v s="$s" -v t="$t" '{ print s "\t" t "\t" $0 }' "$pools/pool_${s}_$t.txt"; done
  done
  exit 0
fi

voices_split "$split_seed"
voices_use_engines "$engines" make_sentences
if ((list_voices)); then voices_list; exit 0; fi

# The voices of each split, per engine; a split with minutes needs a voice.
declare -A split_voices=()  # [split/engine] = voice indices
for ((i = 0; i < ${#V_ID[@]}; i++)); do split_voices[${V_SPLIT[i]}/${V_ENGINE[i]}]+="$i "; done
declare -A split_engines=()
for s in "${splits[@]}"; do
  for e in "${ENGINES[@]}"; do [[ -n ${split_voices[$s/$e]:-} ]] && split_engines[$s]+="$e "; done
  ((target_ms[$s] == 0)) || [[ -n ${split_engines[$s]:-} ]] ||
    die "no voice of the chosen engines (${ENGINES[*]}) is in the $s split (try other --engines," \
        "another --split-seed or --$s-minutes 0)"
done

params="make_sentences v1
minutes: train=${split_minutes[train]} validation=${split_minutes[validation]} test=${split_minutes[test]}
words=$min_words..$max_words seed=$seed split_seed=$split_seed
engines=${ENGINES[*]}
$(engine_versions)
sox=$(sox --version | head -n1)
texts=${use_texts[*]} $(text_versions "${use_texts[@]}")
code=$(cat "${BASH_SOURCE[0]}" "$lib/voices.sh" "$lib/sentences.awk" "$lib/texts.sh" "$lib/transcripts.awk" | cksum)"

if [[ -d $out ]] && [[ -n $(ls -A "$out") ]]; then
  if [[ $(<"$params_file") != "$params" ]]; then
    echo "make_sentences: '$out' was made with other arguments; regenerating it"
    find "$out" -mindepth 1 -delete
  elif [[ -f $done_file && $(<"$done_file") == "$params" ]]; then
    echo "make_sentences: '$out' is complete and up to date"
    exit 0
  else
    echo "make_sentences: resuming the unfinished output in '$out'"
  fi
fi
mkdir -p "$work"
rm -f "$done_file"
printf '%s\n' "$params" >"$params_file.tmp" && mv -f "$params_file.tmp" "$params_file"
find "$out" -name '.*.tmp*' -type f -delete  # leftovers of an interrupted run

start_us=${EPOCHREALTIME/./}
elapsed_ds() { echo $(((${EPOCHREALTIME/./} - start_us) / 100000)); }
elapsed() { local ds; ds=$(elapsed_ds); echo "$((ds / 10)).$((ds % 10))"; }

if [[ ! -f $work/pools.done ]]; then
  echo "make_sentences: reading ${use_texts[*]}"
  make_pools "$work"
  : >"$work/pools.done"
fi
declare -A pool_size=()
for s in "${splits[@]}"; do
  for t in "${use_texts[@]}"; do pool_size[$s/$t]=$(wc -l <"$work/pool_${s}_$t.txt"); done
done

# --- synthesis ----------------------------------------------------------------------------------
# sentence_clips: the worker, one batch file of NUL-separated arguments, 11 a clip:
#   WAV RAW ENGINE VOICE A B CENTS GAIN ONSET_MS TAIL_MS SPOKEN
# synth_pieces (scripts/lib/voices.sh) writes the speech, trimmed of silence, to RAW; it is written
# as WAV with ONSET_MS of silence before it and TAIL_MS or a little more after it (up to a whole
# millisecond). A WAV that exists is skipped.
sentence_clips() {
  set -euo pipefail
  local -a a pieces=()
  mapfile -d '' -t a <"$1"
  local n=${#a[@]} j bytes samples on off tmp
  for ((j = 0; j + 11 <= n; j += 11)); do
    [[ -s ${a[j]} ]] || pieces+=("${a[j + 1]}" "${a[@]:j+2:6}" 0 "${a[j + 10]}")
  done
  ((${#pieces[@]})) || return 0
  (synth_pieces "${pieces[@]}")  # a failure ends this worker too (set -e), with its status 255
  for ((j = 0; j + 11 <= n; j += 11)); do
    [[ -s ${a[j]} ]] && continue
    bytes=$(stat -c %s "${a[j + 1]}")
    samples=$((bytes / 2)) on=$((a[j + 8] * 16)) off=$((a[j + 9] * 16 + (16 - bytes / 2 % 16) % 16))
    tmp="${a[j]%/*}/.${a[j]##*/}.tmp$$"
    sox -D -V1 -t raw -r 16000 -b 16 -c 1 -e signed-integer "${a[j + 1]}" -t wav "$tmp" pad "${on}s" "${off}s" &&
      mv -f "$tmp" "${a[j]}" ||
      { rm -f "$tmp"; echo "could not write ${a[j]} ($samples samples of speech)" >&2; exit 255; }
    rm -f "${a[j + 1]}"
  done
}
export -f synth_pieces sentence_clips
fields=11

# plan_clip SPLIT: one more clip of the split: voice, prosody, text and sentence (lazy Fisher-Yates
# over each pool: draw[split/text] sentences drawn this pass, swap[...] the moved ones).
declare -A draw=() swap=()
plan_clip() {
  local s=$1 e t k j vi vj n
  local -a es vs
  read -r -a es <<<"${split_engines[$s]}"
  rand_below "${#es[@]}"; e=${es[R]}
  read -r -a vs <<<"${split_voices[$s/$e]}"
  rand_below "${#vs[@]}"; local v=${vs[R]}
  local -a ts=()
  for t in "${use_texts[@]}"; do ((pool_size[$s/$t] > 0)) && ts+=("$t"); done
  rand_below "${#ts[@]}"; t=${ts[R]}
  n=${pool_size[$s/$t]} k=${draw[$s/$t]:-0}
  if ((k == n)); then  # the whole pool was read: a new pass
    for j in "${!swap[@]}"; do [[ $j == "$s/$t/"* ]] && unset "swap[$j]"; done
    k=0
  fi
  rand_range "$k" $((n - 1)); j=$R
  vj=${swap[$s/$t/$j]:-$j} vi=${swap[$s/$t/$k]:-$k}
  swap[$s/$t/$j]=$vi
  draw[$s/$t]=$((k + 1))
  local -n pool_lines="pool_${s}_$t"
  local line=${pool_lines[vj]}
  if [[ $e == espeak ]]; then
    rand_range 760 1350; local stretch=$R  # 130-230 words per minute
    rand_range 400 1600; local f0=$R       # espeak pitch 20-80
    voice_prosody "$v" "$stretch" "$f0" 0
  else
    rand_range 850 1180; local stretch=$R  # duration, per mille of the persona's
    rand_range 900 1100; local f0=$R       # f0, per mille of the persona's
    rand_range -50 50; local cents=$R      # spectrum shift around the persona's
    voice_prosody "$v" "$stretch" "$f0" "$cents"
  fi
  rand_below 7; local gain=$((-R))         # dB below the -3 dBFS peak
  rand_range 50 300; local onset=$R
  rand_range 50 300; local tail=$R
  local id
  printf -v id '%06d' "${#c_text[@]}"
  c_wav+=("$s/$id.wav") c_voice+=("$v") c_source+=("$t") c_text+=("${line#*$'\t'}")
  todo_engine+=("$e")
  todo+=("$out/$s/$id.wav" "$work/$s/$id.raw" "$e" "${V_VOICE[v]}" "$PROS_A" "$PROS_B" "$PROS_CENTS"
         "$gain" "$onset" "$tail" "${line%%$'\t'*}")
  # About 0.32 s a word (trimmed speech at 170 words a minute), scaled by the duration factor, plus
  # the silences.
  local words=${line#*$'\t'}
  words=${words//[^ ]/}
  EST_MS=$(((${#words} + 1) * 320 * stretch * V_STRETCH[v] / 1000000 + onset + tail))
}

# synth_todo: writes the planned clips' batch files (festival ones by voice, 24 a batch, first, as
# they are the slowest; the others 8 a batch) and runs them on --jobs processes.
synth_todo() {
  local -a order=()
  local i e b=0 size count first
  mapfile -t order < <(for ((i = 0; i < ${#todo_engine[@]}; i++)); do
                         e=${todo_engine[i]} first=1
                         [[ $e != festival ]] || first=0
                         printf '%d %s %s %d\n' "$first" "$e" "${todo[i * fields + 3]}" "$i"
                       done | sort -k1,1n -k2,2 -k3,3 -k4,4n | awk '{ print $2 " " $4 }')
  rm -rf "$work/batches"
  mkdir -p "$work/batches"
  local current="" file=""
  count=0
  for i in "${order[@]}"; do
    e=${i% *} i=${i#* }
    size=8
    [[ $e == festival ]] && size=24
    if [[ $e != "$current" ]] || ((count == size)); then
      b=$((b + 1)) count=0 current=$e file="$work/batches/$(printf '%05d' "$b")"
    fi
    printf '%s\0' "${todo[@]:i*fields:fields}" >>"$file"
    count=$((count + 1))
  done
  if ((b)); then
    printf '%s\0' "$work"/batches/* | xargs -0 -n 1 -P "$jobs" bash -c 'sentence_clips "$1"' _ ||
      die "synthesis failed (see above); re-run to resume"
  fi
  rm -rf "$work/batches"
  todo=() todo_engine=()
}

minutes_of() { local m=$(($1 / 600)); echo "$((m / 100)).$(printf '%02d' $((m % 100)))"; }  # ms -> min

echo "make_sentences: ${split_minutes[train]} min train, ${split_minutes[validation]} min validation," \
     "${split_minutes[test]} min test from ${#V_ID[@]} voices (engines ${ENGINES[*]}) and texts" \
     "${use_texts[*]} into '$out' with $jobs jobs"
total_clip_ms=0
declare -A made_clips=() made_ms=() split_speakers=() split_voice_count=() split_sentences=()
for si in 0 1 2; do
  s=${splits[si]}
  ((target_ms[$s] > 0)) || continue
  mkdir -p "$out/$s" "$work/$s"
  for t in "${use_texts[@]}"; do mapfile -t "pool_${s}_$t" <"$work/pool_${s}_$t.txt"; done
  sum=0
  for t in "${use_texts[@]}"; do sum=$((sum + pool_size[$s/$t])); done
  ((sum > 0)) || die "no sentence of ${use_texts[*]} is in the $s split"
  rng_seed "$seed" $((11 + si))  # a stream of its own: one split's minutes do not move another's clips
  c_wav=() c_voice=() c_source=() c_text=() c_ms=() todo=() todo_engine=()
  draw=() swap=()
  have=0 cut=-1 walked=0
  # Plan about what the split needs (by an estimate), synthesise, measure; plan more while the
  # measured speech falls short. The clips are a prefix of one seeded sequence, cut after the clip
  # that reaches the minutes; planning never looks at --jobs, so the result does not either.
  while ((cut < 0)); do
    need=$(((target_ms[$s] - have) * 11 / 10 + 2000)) est=0 round=0
    while ((est < need && round < 400)); do plan_clip "$s"; est=$((est + EST_MS)); round=$((round + 1)); done
    synth_todo
    mapfile -t samples < <(for ((i = walked; i < ${#c_wav[@]}; i++)); do echo "$out/${c_wav[i]}"; done |
                           xargs soxi -s)
    ((${#samples[@]} == ${#c_wav[@]} - walked)) || die "clips of the $s split are missing in '$out/$s'"
    for ((i = walked; i < ${#c_wav[@]}; i++)); do
      c_ms[i]=$((samples[i - walked] / 16))
      have=$((have + c_ms[i]))
      if ((have >= target_ms[$s])); then cut=$i; break; fi
    done
    walked=${#c_wav[@]}
    echo "  $s: $((cut < 0 ? walked : cut + 1)) clips, $(minutes_of "$have")/$(minutes_of "${target_ms[$s]}") min, $(elapsed) s"
  done
  for ((i = cut + 1; i < ${#c_wav[@]}; i++)); do rm -f "$out/${c_wav[i]}"; done  # planned past the end
  lines=()
  declare -A spk=() vc=() sent=()
  for ((i = 0; i <= cut; i++)); do
    v=${c_voice[i]}
    printf -v line '{"audio_filepath": "%s", "duration": %d.%03d, "text": "%s", "speaker": "%s", "voice": "%s", "source": "%s"}' \
      "${c_wav[i]}" $((c_ms[i] / 1000)) $((c_ms[i] % 1000)) "${c_text[i]}" "${V_SPEAKER[v]}" "${V_ID[v]}" "${c_source[i]}"
    lines+=("$line")
    spk[${V_SPEAKER[v]}]=1 vc[${V_ID[v]}]=1 sent[${c_text[i]}]=1
  done
  printf '%s\n' "${lines[@]}" >"$out/$s.jsonl.tmp" && mv -f "$out/$s.jsonl.tmp" "$out/$s.jsonl"
  made_clips[$s]=$((cut + 1)) made_ms[$s]=$have
  split_speakers[$s]=${#spk[@]} split_voice_count[$s]=${#vc[@]} split_sentences[$s]=${#sent[@]}
  unset spk vc sent
  total_clip_ms=$((total_clip_ms + have))
  for t in "${use_texts[@]}"; do unset "pool_${s}_$t"; done
done

{
  echo "Sentences read by synthetic voices, made by scripts/make_sentences.sh (rwkv-stream), offline."
  echo
  echo "Arguments and tools:"
  printf '  %s\n' "${params//$'\n'/$'\n'  }"
  echo
  echo "Splits (speakers by split seed $split_seed, as in make_keywords.sh and make_running_speech.sh;"
  echo "sentences by a hash of the transcript and the split seed: no speaker, no transcript in two splits):"
  for s in "${splits[@]}"; do
    ((target_ms[$s] > 0)) || { echo "  $s: none"; continue; }
    printf '  %s: %d clips, %s min, %d speakers, %d voices, %d distinct sentences; pool:' "$s" \
      "${made_clips[$s]}" "$(minutes_of "${made_ms[$s]}")" "${split_speakers[$s]}" "${split_voice_count[$s]}" \
      "${split_sentences[$s]}"
    for t in "${use_texts[@]}"; do printf ' %s %d' "$t" "${pool_size[$s/$t]}"; done
    echo " sentences"
  done
  echo
  echo "SPLIT.jsonl: one line a clip: audio_filepath (relative to this folder), duration (s, exact),"
  echo "text (the transcript: a-z, apostrophe, single spaces; exactly the words spoken), speaker (the"
  echo "split unit), voice, source (the text it comes from). Audio: 16 kHz mono 16-bit wav, 50-300 ms"
  echo "of silence around the speech. The text rules are at the top of scripts/make_sentences.sh."
} >"$out/README.txt.tmp"
mv -f "$out/README.txt.tmp" "$out/README.txt"
rm -rf "$work"
printf '%s\n' "$params" >"$done_file.tmp" && mv -f "$done_file.tmp" "$done_file"
wall_ds=$(elapsed_ds)
speed=$((total_clip_ms / 10 / (wall_ds > 0 ? wall_ds : 1)))  # audio per wall time, x10
echo "make_sentences: done in $(elapsed) s: $(for s in "${splits[@]}"; do ((target_ms[$s] > 0)) &&
  printf '%s %d clips %s min, ' "$s" "${made_clips[$s]}" "$(minutes_of "${made_ms[$s]}")"; done)" \
  "$((speed / 10)).$((speed % 10)) audio min per wall min"
