#!/usr/bin/env bash
# Builds development sets of real human speech from Debian packages, offline and deterministically:
#   OUT/hedgewars/{train,validation,test}.jsonl   phrase classification, split by voice pack
#   OUT/asterisk_digits/test.jsonl                 "zero".."nine", one real speaker, 8 kHz
#   OUT/sentences/pocketsphinx.jsonl               sentences with transcripts ("text")
#   OUT/README.txt                                 what each set holds (counts, voices, durations)
# Manifests are JSON lines (src/io/manifest.h) that point at the files where Debian installed them, by
# a path relative to the manifest; only headerless .raw audio is converted, into OUT/sentences/audio.
# Moving OUT elsewhere breaks those relative paths: re-run the script instead.
set -euo pipefail
export LC_ALL=C

usage() {
  cat <<'EOF'
usage: make_real_speech.sh [--out DIR] [--no-install]
  --out DIR       output folder (default: data/real)
  --no-install    never call apt-get; fail if a package tree or sox is missing
Environment:
  REAL_SPEECH_ROOT  where the package trees are looked up (default: /); any other root implies
                    --no-install (the tests use a small fake tree)
Reads: hedgewars-data, asterisk-core-sounds-en-wav, pocketsphinx-testdata (installed when missing,
as root or through sudo) and needs sox (soxi) for durations and conversions. The output depends only
on those files: re-running gives byte-identical manifests.
EOF
}

die() { echo "make_real_speech: $*" >&2; exit 1; }
note() { echo "make_real_speech: $*"; }

out="data/real"
install=1
while (($#)); do
  case "$1" in
    --out) out=${2:?--out needs a value}; shift 2 ;;
    --no-install) install=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; echo "make_real_speech: unknown option '$1'" >&2; exit 2 ;;
  esac
done

root=${REAL_SPEECH_ROOT:-/}
[[ -d $root ]] || die "REAL_SPEECH_ROOT '$root' is not a folder"
root=$(realpath -e -- "$root")
[[ $root == / ]] || install=0
prefix=${root%/}  # "" for /

hw_dir="$prefix/usr/share/games/hedgewars/Data/Sounds/voices"
ast_dir="$prefix/usr/share/asterisk/sounds/en_US_f_Allison"
ps_dir="$prefix/usr/share/pocketsphinx/test/data"
declare -A tree_of=([hedgewars-data]=$hw_dir [asterisk-core-sounds-en-wav]=$ast_dir/digits
                    [pocketsphinx-testdata]=$ps_dir)
packages=(hedgewars-data asterisk-core-sounds-en-wav pocketsphinx-testdata)

# --- packages (like scripts/deps.sh) ---------------------------------------------------------------
if ((install)); then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  command -v soxi >/dev/null || missing+=(sox)
  if ((${#missing[@]})); then
    note "installing ${missing[*]}"
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq || die "apt-get update failed"
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      die "apt-get install ${missing[*]} failed"
  fi
fi
for tool in sox soxi md5sum realpath; do
  command -v "$tool" >/dev/null || die "'$tool' is not on PATH (Debian: apt-get install sox coreutils)"
done
for p in "${packages[@]}"; do
  [[ -d ${tree_of[$p]} ]] || die "'${tree_of[$p]}' is missing: install the Debian package $p" \
                                 "(or drop --no-install / fix REAL_SPEECH_ROOT)"
done

# --- output folder: ours (marked by .make_real_speech) or new; never someone else's files ---------
stamp_name=".make_real_speech"
if [[ -e $out && ! -d $out ]]; then die "--out '$out' exists and is not a folder"; fi
if [[ -d $out && -n $(ls -A "$out") && ! -f $out/$stamp_name ]]; then
  die "--out '$out' is not empty and was not made by this script; pick another folder"
fi
mkdir -p "$out"
out=$(realpath -e -- "$out")
: >"$out/$stamp_name"
stage="$out/.staging"
rm -rf "$stage"
mkdir -p "$stage/hedgewars" "$stage/asterisk_digits" "$stage/sentences/audio/pocketsphinx"
trap 'rm -rf "$stage"' EXIT

# rel DIR_IN_OUT TARGET: TARGET's path relative to OUT/DIR_IN_OUT (where a manifest will live).
rel() { realpath -m --relative-to="$out/$1" -- "$2"; }

# durations FILE...: one "seconds" per file, in order (exact: samples / rate, 6 decimals).
durations() {
  local d
  d=$(soxi -D "$@") || die "soxi cannot read one of: $*"
  (($(wc -l <<<"$d") == $#)) || die "soxi gave $(wc -l <<<"$d") durations for $# files"
  printf '%s\n' "$d"
}

# JSON-lines writer for TSV rows (all fields free of tabs/newlines); field names come as arguments,
# a trailing '#' makes the field a number, an empty value omits the field.
to_jsonl() {
  awk -F'\t' -v names="$*" '
    function esc(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return s }
    BEGIN { n = split(names, key, " ") }
    { line = "{"; sep = ""
      for (i = 1; i <= n; ++i) {
        if ($i == "") continue
        k = key[i]; num = sub(/#$/, "", k)
        line = line sep "\"" k "\": " (num ? $i : "\"" esc($i) "\""); sep = ", "
      }
      print line "}" }' | sort
}

# Summary of a manifest TSV (duration in column 2, speaker in column 4) for README.txt.
summarise() {
  awk -F'\t' '{ n++; s += $2; if (min == "" || $2 < min) min = $2; if ($2 > max) max = $2; spk[$4] = 1 }
    END { k = 0; for (x in spk) k++
          printf "%d clips, %d speakers, %.1f s (%.2f-%.2f s per clip)", n, k, s, min, max }'
}

# --- 1. hedgewars: leave-voices-out phrase classification ---------------------------------------
# The English voice packs of hedgewars-data 1.0.2, split by pack. Classic and Default share 20
# byte-identical recordings (one actor), so both are in train. Default_es/_pl/_ru/_uk and Russian_pl
# speak Spanish, Polish, Russian, Ukrainian and Polish: left out.
hw_train=(Classic Default HillBilly Mobster Robot Singer)
hw_validation=(British Russian)
hw_test=(Pirate Surfer)
hw_other_language=(Default_es Default_pl Default_ru Default_uk Russian_pl)
# Non-verbal sounds (grunts, hits, coughs, laughs) and numbered variants of them are not phrases.
hw_nonverbal='^(Firepunch[0-9]+|Jump[0-9]+|Ooff[0-9]+|Ow[0-9]+|Laugh|Hmm|PoisonCough|PoisonMoan)$'

declare -A hw_split_of=()
for p in "${hw_train[@]}"; do hw_split_of[$p]=train; done
for p in "${hw_validation[@]}"; do hw_split_of[$p]=validation; done
for p in "${hw_test[@]}"; do hw_split_of[$p]="test"; done
for p in "${hw_other_language[@]}"; do hw_split_of[$p]=other; done
hw_ignored=()
for d in "$hw_dir"/*/; do
  [[ -d $d ]] || continue
  d=${d%/}; p=${d##*/}
  [[ -n ${hw_split_of[$p]:-} ]] || hw_ignored+=("$p")
done
((${#hw_ignored[@]} == 0)) || note "hedgewars: ignoring unknown voice packs: ${hw_ignored[*]}"

hw_files=() hw_rows=()
hw_packs_found=()
for p in "${hw_train[@]}" "${hw_validation[@]}" "${hw_test[@]}"; do
  if [[ ! -d $hw_dir/$p ]]; then note "hedgewars: voice pack '$p' is missing; skipping it"; continue; fi
  hw_packs_found+=("$p")
  for f in "$hw_dir/$p"/*.ogg; do
    [[ -f $f ]] || continue
    name=${f##*/} stem=${name%.*}
    [[ $stem =~ $hw_nonverbal ]] && continue
    [[ $name != *[$'\t\n\\']* ]] || die "unexpected file name '$f'"
    label=${stem,,}
    label=${label//[^a-z0-9]/_}
    while [[ $label == *__* ]]; do label=${label//__/_}; done
    label=${label#_} label=${label%_}
    [[ -n $label ]] || continue
    hw_files+=("$f")
    hw_rows+=("${hw_split_of[$p]}"$'\t'"$p"$'\t'"$p/$name"$'\t'"$label")
  done
done
((${#hw_files[@]})) || die "no hedgewars phrases found under '$hw_dir'"
hw_rel=$(rel hedgewars "$hw_dir")
# Columns: split pack file label md5 duration. Identical recordings: kept once when they carry one
# label (the first by path), dropped when they carry several (Classic: Melon = Watchthis).
hw_md5=$(md5sum "${hw_files[@]}" | cut -d' ' -f1)
hw_seconds=$(durations "${hw_files[@]}")
paste <(printf '%s\n' "${hw_rows[@]}") <(printf '%s\n' "$hw_md5") <(printf '%s\n' "$hw_seconds") |
  sort -t$'\t' -k3,3 |
  awk -F'\t' -v OFS='\t' -v relroot="$hw_rel" -v stats="$stage/hedgewars.stats" '
    { row[NR] = $0; lab[NR] = $4; md[NR] = $5
      if (!(($5, $4) in seen)) { seen[$5, $4] = 1; nlab[$5]++ } }
    END {
      for (i = 1; i <= NR; ++i) {
        split(row[i], f, "\t")
        if (nlab[md[i]] > 1) { ambiguous++; continue }
        if (md[i] in kept) { duplicate++; continue }
        kept[md[i]] = 1; keep[i] = 1; in_split[f[4], f[1]] = 1
      }
      for (i = 1; i <= NR; ++i) {
        if (!keep[i]) continue
        split(row[i], f, "\t")
        if (!((f[4], "train") in in_split && (f[4], "validation") in in_split && (f[4], "test") in in_split)) {
          if (!(f[4] in rare)) { rare[f[4]] = 1; nrare++; rare_list = rare_list " " f[4] }
          continue
        }
        print f[1], relroot "/" f[3], f[6], f[4], f[2]
      }
      printf "%d %d %d%s\n", ambiguous, duplicate, nrare, rare_list > stats
    }' >"$stage/hedgewars.tsv"
for split in train validation test; do
  awk -F'\t' -v s="$split" -v OFS='\t' '$1 == s { print $2, $3, $4, $5 }' "$stage/hedgewars.tsv" \
    >"$stage/hedgewars.$split.tsv"
  [[ -s $stage/hedgewars.$split.tsv ]] || die "hedgewars: the $split split is empty (packs missing?)"
  to_jsonl audio_filepath duration# label speaker <"$stage/hedgewars.$split.tsv" \
    >"$stage/hedgewars/$split.jsonl"
done
hw_phrases=$(cut -f4 "$stage/hedgewars.tsv" | sort -u)

# --- 2. asterisk: isolated digits, one speaker (Allison), 8 kHz ----------------------------------
digit_names=(zero one two three four five six seven eight nine)
ast_files=() ast_rows=()
for d in 0 1 2 3 4 5 6 7 8 9; do
  f="$ast_dir/digits/$d.wav"
  [[ -f $f ]] || die "'$f' is missing (asterisk-core-sounds-en-wav incomplete?)"
  ast_files+=("$f")
  ast_rows+=("$(rel asterisk_digits "$f")"$'\t'"${digit_names[d]}"$'\t'"en_US_f_Allison")
done
ast_seconds=$(durations "${ast_files[@]}")
paste <(printf '%s\n' "${ast_rows[@]}" | cut -f1) <(printf '%s\n' "$ast_seconds") \
      <(printf '%s\n' "${ast_rows[@]}" | cut -f2-) >"$stage/asterisk.tsv"
to_jsonl audio_filepath duration# label speaker <"$stage/asterisk.tsv" >"$stage/asterisk_digits/test.jsonl"

# --- 3. sentences with transcripts (pocketsphinx-testdata) ---------------------------------------
# Rows: audio file (absolute) \t original transcript \t speaker \t where the transcript comes from.
normalise_text() {  # lower case; ASCII letters, apostrophe and single spaces only
  awk -F'\t' -v OFS='\t' -v q="'" '{ t = tolower($2); gsub("[^a-z" q " ]", " ", t); gsub(/ +/, " ", t)
                            sub(/^ /, "", t); sub(/ $/, "", t); print $1, t, $2, $3, $4 }'
}
ps_rows=()
# Sphinx transcription files: "<s> words </s> (utterance-id)", the audio is utterance-id.wav beside it.
add_transcription() {  # file speaker
  local file=$1 speaker=$2 dir line id text
  [[ -f $file ]] || { note "pocketsphinx: '$file' is missing; skipping it"; return 0; }
  dir=${file%/*}
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line%$'\r'}
    [[ $line =~ ^(.*)\(([^()]+)\)[[:space:]]*$ ]] || continue
    text=${BASH_REMATCH[1]} id=${BASH_REMATCH[2]}
    text=${text#*<s>} text=${text%</s>*}
    text=$(sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' <<<"$text")
    [[ -n $text && $text != *[$'\t\\']* ]] || continue
    if [[ -f $dir/$id.wav ]]; then
      ps_rows+=("$dir/$id.wav"$'\t'"$text"$'\t'"$speaker"$'\t'"${file#"$ps_dir"/}")
    else
      note "pocketsphinx: '$dir/$id.wav' named in '$file' is missing; skipping it"
    fi
  done <"$file"
}
add_transcription "$ps_dir/librivox/transcription" "librivox-sense_and_sensibility_01"
add_transcription "$ps_dir/cards/cards.transcription" ""

# Headerless 16 kHz 16-bit little-endian mono PCM, as pocketsphinx reads it: converted to WAV.
convert_raw() {  # raw out.wav
  sox -D -V1 -t raw -r 16000 -e signed-integer -b 16 -c 1 -L "$1" -t wav "$2" ||
    die "sox cannot convert '$1'"
}
ps_audio="$stage/sentences/audio/pocketsphinx"
# goforward.raw says the phrase of goforward.gram's rule <move> (pocketsphinx's own tests expect it).
if [[ -f $ps_dir/goforward.raw && -f $ps_dir/goforward.gram ]]; then
  text=$(sed -n 's/^[[:space:]]*public[[:space:]]*<move>[[:space:]]*=[[:space:]]*\([^;]*\);.*/\1/p' \
         "$ps_dir/goforward.gram" | head -n1)
  if [[ -n $text && $text =~ ^[a-z\ ]+$ ]]; then
    convert_raw "$ps_dir/goforward.raw" "$ps_audio/goforward.wav"
    ps_rows+=("$out/sentences/audio/pocketsphinx/goforward.wav"$'\t'"$text"$'\t'$'\t'"goforward.gram <move>")
  fi
fi
# TIDIGITS-named raw files, SPEAKER.DIGITS.raw: the digit string is the transcript (z zero, o oh).
digit_word=([1]=one [2]=two [3]=three [4]=four [5]=five [6]=six [7]=seven [8]=eight [9]=nine)
for f in "$ps_dir"/tidigits/*.raw; do
  [[ -f $f ]] || continue
  name=${f##*/}
  [[ $name =~ ^([a-z]+)\.([1-9zo]+)\.raw$ ]] || continue
  speaker=${BASH_REMATCH[1]} digits=${BASH_REMATCH[2]} words=()
  for ((i = 0; i < ${#digits}; ++i)); do
    c=${digits:i:1}
    case $c in z) words+=(zero) ;; o) words+=(oh) ;; *) words+=("${digit_word[c]}") ;; esac
  done
  convert_raw "$f" "$ps_audio/tidigits_${name%.raw}.wav"
  ps_rows+=("$out/sentences/audio/pocketsphinx/tidigits_${name%.raw}.wav"$'\t'"${words[*]}"$'\t'"tidigits-$speaker"$'\t'"tidigits/$name (file name)")
done
((${#ps_rows[@]})) || die "no transcribed sentences found under '$ps_dir'"
ps_files=() ps_rel=()
for r in "${ps_rows[@]}"; do
  f=${r%%$'\t'*}
  ps_rel+=("$(rel sentences "$f")")
  if [[ $f == "$out/"* ]]; then ps_files+=("$stage/${f#"$out/"}"); else ps_files+=("$f"); fi
done
ps_seconds=$(durations "${ps_files[@]}")
paste <(printf '%s\n' "${ps_rel[@]}") <(printf '%s\n' "${ps_rows[@]}" | cut -f2-) | normalise_text |
  paste - <(printf '%s\n' "$ps_seconds") |
  awk -F'\t' -v OFS='\t' '{ print $1, $6, $2, $3, $4, $5 }' >"$stage/pocketsphinx.tsv"
to_jsonl audio_filepath duration# text text_original speaker transcript_source \
  <"$stage/pocketsphinx.tsv" >"$stage/sentences/pocketsphinx.jsonl"

# --- README.txt ------------------------------------------------------------------------------------
{
  echo "Real human speech from Debian packages, made by scripts/make_real_speech.sh."
  echo "Manifests are JSON lines; audio_filepath is relative to the manifest's folder and points at"
  echo "the installed package files, so moving this folder breaks them (re-run the script instead)."
  echo
  echo "hedgewars/ (hedgewars-data: acted voice packs, ogg vorbis 44.1/48 kHz, mono or stereo)"
  echo "  Phrase classification; label = the phrase's file name as a lower-case identifier."
  echo "  Split by voice pack, so validation and test voices are never heard in training:"
  for split in train validation test; do
    packs=$(cut -f4 "$stage/hedgewars.$split.tsv" | sort -u | tr '\n' ' ')
    printf '    %-10s %s; packs: %s\n' "$split" "$(summarise <"$stage/hedgewars.$split.tsv")" "${packs% }"
  done
  echo "  $(wc -l <<<"$hw_phrases") phrases (each in every split): $(tr '\n' ' ' <<<"$hw_phrases" | sed 's/ $//')"
  read -r n_ambiguous n_repeats n_rare rare_phrases <"$stage/hedgewars.stats" || true
  echo "  Left out: non-English packs (${hw_other_language[*]}); non-verbal sounds"
  echo "  (Firepunch*, Jump*, Ooff*, Ow*, Laugh, Hmm, PoisonCough, PoisonMoan); $n_ambiguous recordings"
  echo "  byte-identical to one under another name (all copies dropped); $n_repeats repeats of a recording"
  echo "  under the same name in another pack (kept once); $n_rare phrases missing from a"
  echo "  split${rare_phrases:+ ($rare_phrases)}."
  echo "  Classic and Default share recordings (one actor), so both are in train. A label names a game"
  echo "  event; the words for it may differ between packs (the actors speak in character, and one"
  echo "  phrase can last twice as long in one pack as in another)."
  echo
  echo "asterisk_digits/test.jsonl (asterisk-core-sounds-en-wav: wav 8 kHz mono 16-bit)"
  echo "  Isolated digits, labels zero..nine: $(summarise <"$stage/asterisk.tsv")."
  echo "  One professional speaker (Allison), telephone band: a test for models trained on other"
  echo "  (e.g. synthesised) speech. No keyword set: of yes no up down left right on off stop go only"
  echo "  \"no\" might exist alone (vm-no.wav), and the package ships no transcripts to confirm it."
  echo
  echo "sentences/pocketsphinx.jsonl (pocketsphinx-testdata: 16 kHz mono 16-bit)"
  echo "  text = normalised transcript (lower case, a-z, apostrophe, single spaces); text_original as"
  echo "  written; speaker where known; transcript_source names where the transcript comes from."
  echo "  $(awk -F'\t' -v OFS='\t' '{ print $1, $2, $3, $5 }' "$stage/pocketsphinx.tsv" | summarise |
         sed 's/, [0-9]* speakers//')."
  echo "  Speakers: $(awk -F'\t' '{ n[$5 == "" ? "unnamed" : $5]++ } END { for (s in n) print s " (" n[s] ")" }' \
                   "$stage/pocketsphinx.tsv" | sort | paste -sd, - | sed 's/,/, /g')."
  echo "  librivox/: 5 sentences of one LibriVox reader (Sense and Sensibility ch. 1); cards/: 5 card"
  echo "  names; goforward.raw and tidigits/*.raw: headerless PCM converted to WAV under"
  echo "  sentences/audio/pocketsphinx/. numbers.raw and something.raw have no transcript: left out."
  echo "  codec2-examples: its speech clips (8 kHz, ~10 speakers) ship without any transcript, so no"
  echo "  codec2.jsonl is made."
} >"$stage/README.txt"

# --- install the new output in place of the old -----------------------------------------------------
rm -f "$stage"/*.tsv "$stage"/*.stats
for entry in hedgewars asterisk_digits sentences README.txt; do
  rm -rf "${out:?}/$entry"
  mv "$stage/$entry" "$out/$entry"
done
rm -rf "$stage"
trap - EXIT
note "done: '$out'"
cat "$out/README.txt"
