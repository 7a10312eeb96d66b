#!/usr/bin/env bash
# Writes the training text of a byte-level LM for CTC shallow fusion (`rwkvs train --task text`, then
# `rwkvs eval|stream --lm`): the transcripts of make_sentences.sh's TRAIN sentence pool, one a line,
# in a seeded shuffle. Validation and test sentences are left out (the split is by a hash of each
# sentence and the split seed, as in make_sentences.sh), so an LM made here has never read a test
# transcript: a WER measured with it on make_sentences' test split is honest.
#   usage: scripts/make_lm_text.sh [--out FILE] [--split-seed S] [--seed S] [--no-install]
set -euo pipefail
export LC_ALL=C
here="$(cd "$(dirname "$0")" && pwd)"
out=data/lm_text.txt split_seed=1 seed=1 install=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --split-seed) split_seed="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --no-install) install=(--no-install); shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "make_lm_text: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
"$here/make_sentences.sh" --list-sentences --split-seed "$split_seed" "${install[@]}" |
  awk -F'\t' '$1 == "train" && $4 != "" { print $4 }' |
  sort -u | awk -v seed="$seed" 'BEGIN { srand(seed) } { printf "%.12f\t%s\n", rand(), $0 }' |
  sort -k1,1 | cut -f2- >"$tmp"
[ -s "$tmp" ] || { echo "make_lm_text: no train sentences came out of make_sentences.sh --list-sentences" >&2; exit 1; }
mv "$tmp" "$out"
trap - EXIT
echo "make_lm_text: $(wc -l <"$out") sentences, $(wc -c <"$out") bytes into '$out'"
