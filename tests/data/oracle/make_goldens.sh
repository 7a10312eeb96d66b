#!/usr/bin/env bash
# Regenerates the RWKV-4 golden files in this folder with the independent PyTorch oracle
# (../shared/reference/rwkv4_ref.py from the repository root; Debian's python3 with torch 1.13).
# A random model (random-normal matrices, official time_* ramps), 50 tokens; C = 36 exercises both
# the 8-lane SIMD groups and the single-lane remainder.
set -euo pipefail
cd "$(dirname "$0")"
ref="${RWKV4_REF:-../../../../shared/reference/rwkv4_ref.py}"
py=/usr/bin/python3
$py "$ref" init --layers 2 --embd 36 --vocab 67 --seed 5 --out model.safetensors
$py - <<'PY'
import random
random.seed(7)
open("tokens.txt", "w").write(" ".join(str(random.randrange(67)) for _ in range(50)) + "\n")
PY
$py "$ref" forward --model model.safetensors --tokens tokens.txt --out logits_forward.f32
$py "$ref" rnn --model model.safetensors --tokens tokens.txt --out logits_rnn.f32
$py "$ref" grad --model model.safetensors --tokens tokens.txt --out grads.safetensors | tee grad_loss.txt
