#!/usr/bin/env bash
# Regenerates the RWKV-7 golden files in this folder with the independent PyTorch oracle
# (../shared/reference/rwkv7_ref.py from the repository root; Debian's python3 with torch 1.13).
# A random model (random-normal matrices, official x070 vector ramps plus noise), 3 layers so the
# value residual of layers 1 and 2 is exercised, 4 heads of 16, small LoRA ranks; 40 tokens.
# Everything is computed in float64 and written as float32.
set -euo pipefail
cd "$(dirname "$0")"
ref="${RWKV7_REF:-../../../../shared/reference/rwkv7_ref.py}"
py=/usr/bin/python3
$py "$ref" init --layers 3 --embd 64 --head-size 16 --vocab 53 --lora 8,8,12,16 --seed 5 --out model.safetensors
$py - <<'PY'
import random
random.seed(9)
open("tokens.txt", "w").write(" ".join(str(random.randrange(53)) for _ in range(40)) + "\n")
PY
$py "$ref" forward --float64 --model model.safetensors --tokens tokens.txt --out logits.f32
$py "$ref" grad --float64 --model model.safetensors --tokens tokens.txt --out grads.safetensors | tee grad_loss.txt
# The official trainer init (its vector ramps are deterministic; its matrices are torch-random).
$py "$ref" init --layers 3 --embd 32 --head-size 8 --vocab 11 --lora 32,32,32,32 --official-init --seed 1 \
    --out official_init.safetensors
# Streaming: the state after the first 15 tokens, then the logits and gradients of the last 25 from it.
$py - <<'PY'
t = open("tokens.txt").read().split()
open("tokens_head.txt", "w").write(" ".join(t[:15]) + "\n")
open("tokens_tail.txt", "w").write(" ".join(t[15:]) + "\n")
PY
$py "$ref" forward --float64 --model model.safetensors --tokens tokens_head.txt --out /dev/null \
    --state-out state15.safetensors
$py "$ref" forward --float64 --mode recurrent --model model.safetensors --tokens tokens_tail.txt \
    --state-in state15.safetensors --out logits_tail_recurrent.f32
$py "$ref" grad --float64 --model model.safetensors --tokens tokens_tail.txt --state-in state15.safetensors \
    --out grads_tail.safetensors | tee grad_tail_loss.txt
