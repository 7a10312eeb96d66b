#!/usr/bin/env bash
# Speech recognition end to end, all offline on the CPU (the keyword quick start's twin for CTC):
#   1. install what is missing and build (Release);
#   2. synthesise a corpus of read sentences with transcripts (scripts/make_sentences.sh; test and
#      validation are voices AND sentences never heard in training);
#   3. train an RWKV-4 CTC recogniser for a while, with progress;
#   4. (LM_MINUTES > 0) train a byte-level text LM on the training sentences only, for shallow fusion;
#   5. evaluate on the test split (CER, WER; offline and streamed);
#   6. stream three test sentences with pauses between them and print the final segments with their
#      word times, and the real-time factor;
#   7. draw the training curves.
# Usage: scripts/asr_demo.sh   (TRAIN_MINUTES=120 MINUTES=20 LM_MINUTES=5 THREADS=0 OUT=runs/asr to change)
# TRAIN_MINUTES of audio take about TRAIN_MINUTES/45 minutes to synthesise on 2 cores. The README's
# figures (CER/WER against training time) came from 8 hours of audio and 60 minutes of training.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
train_minutes="${TRAIN_MINUTES:-120}"
minutes="${MINUTES:-20}"
lm_minutes="${LM_MINUTES:-5}"
threads="${THREADS:-0}"
out="${OUT:-runs/asr}"
data="${DATA:-data/sentences-asr}"
rwkvs=build/bin/rwkvs

scripts/deps.sh
scripts/build.sh "$root/build"

echo "== 1/6 sentence corpus ($data: $train_minutes minutes of train speech)"
if [[ -s "$data/train.jsonl" && -s "$data/test.jsonl" ]]; then
  echo "   $data exists; using it (delete it to synthesise anew)"
else
  scripts/make_sentences.sh --out "$data" --train-minutes "$train_minutes" --validation-minutes 5 --test-minutes 10
fi

echo "== 2/6 training the recogniser for ${minutes} minutes (Ctrl-C stops early and keeps the checkpoint)"
set +e
$rwkvs train --task ctc --data "$data/train.jsonl" --validation-manifest "$data/validation.jsonl" \
  --out "$out" --minutes "$minutes" --threads "$threads" --cmvn sliding \
  --spec-freq-masks 2 --spec-freq-width 8 --spec-time-masks 2 --spec-time-width 10 --overwrite
rc=$?
set -e
if [[ $rc -ne 0 && $rc -ne 130 ]]; then exit $rc; fi
model="$out/model_best.safetensors"

decode=(--beam 8)
if (( $(awk -v m="$lm_minutes" 'BEGIN { print (m > 0) }') )); then
  echo "== 3/6 text LM for shallow fusion: ${lm_minutes} minutes on the training sentences only"
  scripts/make_lm_text.sh --out "$out/lm_text.txt"
  set +e
  $rwkvs train --task text --data "$out/lm_text.txt" --out "$out/lm" --minutes "$lm_minutes" --threads "$threads" \
    --layers 4 --embd 256 --overwrite
  rc=$?
  set -e
  if [[ $rc -ne 0 && $rc -ne 130 ]]; then exit $rc; fi
  decode+=(--lm "$out/lm/model_best.safetensors" --lm-weight 0.8 --length-bonus 1.0)
else
  echo "== 3/6 (no text LM: LM_MINUTES=0)"
fi

echo "== 4/6 test split: voices and sentences never heard in training"
$rwkvs eval --model "$model" --data "$data/test.jsonl" --stream --worst 3
if [[ ${#decode[@]} -gt 2 ]]; then $rwkvs eval --model "$model" --data "$data/test.jsonl" "${decode[@]}" --worst 0; fi

echo "== 5/6 streaming three test sentences with pauses between them"
files=$(awk -F'"' 'NR <= 3 { print $4 }' "$data/test.jsonl")
awk -F'"' 'NR <= 3 { print "   said: " $10 }' "$data/test.jsonl"
set -- $files
sox "$data/$1" -p pad 0 1 | sox - "$data/$2" -p pad 0 1 | sox - "$data/$3" "$out/sentences.wav"
$rwkvs stream --model "$model" --input "$out/sentences.wav" "${decode[@]}" --threads 1 > "$out/stream.jsonl"
# The finals and the summary in words (the partials and everything else stay in stream.jsonl).
sed -nE \
  -e 's/^\{"type":"final","segment":([0-9]+),"start":([^,]*),"end":([^,]*),"text":("[^"]*").*$/   heard (\2-\3 s): \4/p' \
  -e 's/^\{"type":"summary",(.*)\}$/   summary: \1/p' "$out/stream.jsonl" | sed '/summary/ { s/,"/, /g; s/":/ /g; s/"//g }'

echo "== 6/6 pictures"
for ext in png svg; do $rwkvs plot train "$out/train_log.jsonl" --out "$out/training.$ext"; done
echo "   training curves: $out/training.png (.svg)"
echo "== done: model $model (stream it: $rwkvs stream --model $model --input FILE.wav ${decode[*]})"
