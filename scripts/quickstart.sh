#!/usr/bin/env bash
# The main job on built-in defaults, all offline on the CPU:
#   1. install what is missing and build (Release);
#   2. synthesise a 10-keyword dataset (espeak-ng, flite and festival voices, split by speaker);
#   3. train an RWKV-4 keyword spotter for a few minutes, with progress;
#   4. evaluate it on the held-out test speakers;
#   5. stream a synthesised sentence (a test voice) through it as a real-time stream and print the
#      detections with timestamps and the real-time factor;
#   6. draw the training curves and the stream (spectrogram, posteriors, detections) as PNG and SVG.
# Usage: scripts/quickstart.sh      (MINUTES=8 THREADS=0 OUT=runs/kws to change the defaults)
# The text example (a byte-level LM on the King James Bible) is scripts/text_demo.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
minutes="${MINUTES:-8}"
out="${OUT:-runs/kws}"
rwkvs=build/bin/rwkvs

scripts/deps.sh
scripts/build.sh "$root/build"

echo "== 1/5 keyword dataset (data/keywords)"
scripts/make_keywords.sh --out data/keywords

echo "== 2/5 training for ${minutes} minutes (Ctrl-C stops early and keeps the checkpoint)"
set +e
$rwkvs train --task classify --data data/keywords --out "$out" --minutes "$minutes" --threads "${THREADS:-0}" \
  --overwrite
rc=$?
set -e
if [[ $rc -ne 0 && $rc -ne 130 ]]; then exit $rc; fi
model="$out/model_best.safetensors"

echo "== 3/5 test split: voices never heard in training"
$rwkvs eval --model "$model" --data data/keywords --split test --stream

echo "== 4/5 streaming a sentence spoken by a test voice"
# The first espeak-ng voice of the test split (the split is by speaker: never heard in training).
# (The whole listing is read first: awk stopping early would fail the pipeline under pipefail.)
voices=$(scripts/make_keywords.sh --engines espeak --list-voices)
voice=$(awk '$3 == "test" { sub(/^espeak-/, "", $1); sub(/\./, "+", $1); print $1; exit }' <<<"$voices")
sentence="Yes. Please go left, and then stop. Turn the radio on. No, go right. Up, then down. Off."
echo "   \"$sentence\"  (voice $voice)"
espeak-ng -v "$voice" -s 140 --stdout "$sentence" |
  sox -q -t wav - -D -r 16000 -b 16 -c 1 "$out/sentence.wav" gain -3
$rwkvs stream --model "$model" --input "$out/sentence.wav" --posteriors --threads 1 > "$out/stream.jsonl"
# Events and the summary, one line each, in words (the JSON lines stay in stream.jsonl).
sed -nE \
  -e 's/^\{"type":"event","label":"([^"]*)","start":([^,]*),"end":([^,]*),"score":([^}]*)\}$/   \2-\3 s  \1  (score \4)/p' \
  -e 's/^\{"type":"summary",(.*)\}$/   summary: \1/p' "$out/stream.jsonl" | sed 's/,"/, /g; s/":/ /g; s/"//g'

echo "== 5/5 pictures"
for ext in png svg; do
  $rwkvs plot train "$out/train_log.jsonl" --out "$out/training.$ext"
  $rwkvs plot stream "$out/sentence.wav" --posteriors "$out/stream.jsonl" --out "$out/stream.$ext"
done
echo "   training curves: $out/training.png (.svg)"
echo "   stream:          $out/stream.png (.svg)"
echo "== done: model $model"
