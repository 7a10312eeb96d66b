#!/usr/bin/env bash
# The text example: install what is missing, build (Release), train a byte-level
# RWKV-4 on the King James Bible for a few minutes on the CPU, then generate a paragraph from it.
# Usage: scripts/text_demo.sh        (MINUTES=4 THREADS=0 OUT=runs/kjv to change the defaults)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
minutes="${MINUTES:-4}"
out="${OUT:-runs/kjv}"

scripts/deps.sh
scripts/build.sh "$root/build"

mkdir -p data
if [[ ! -s data/kjv.txt ]]; then
  echo "== preparing data/kjv.txt from Debian's bible-kjv (one verse a line, references stripped)"
  bible -f gen1:1-rev22:21 | sed 's/^[^ ]* //' > data/kjv.txt.tmp
  mv data/kjv.txt.tmp data/kjv.txt
fi

echo "== training for ${minutes} minutes (Ctrl-C stops early and keeps the checkpoint)"
set +e
build/bin/rwkvs train --task text --data data/kjv.txt --out "$out" --minutes "$minutes" \
  --layers 4 --embd 256 --ctx 128 --batch 16 --lr 2e-3 --warmup 30 --eval-every 100 --log-every 20 \
  --threads "${THREADS:-0}" --overwrite
rc=$?
set -e
if [[ $rc -ne 0 && $rc -ne 130 ]]; then exit $rc; fi

echo "== generating from $out/model.safetensors"
build/bin/rwkvs generate --model "$out/model.safetensors" --prompt "And it came to pass" --tokens 500 --seed 1
echo
echo "== done: model in $out/model.safetensors, training log in $out/train_log.jsonl"
