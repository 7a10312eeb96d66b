"""Writes small RWKV-4 state dicts as official .pth files have them, for tests/test_convert_pth.cpp.

    make_test_pth.py DIR

DIR/model.pth: bf16 tensors like released checkpoints (time_mix_* as [1,1,C]), with time_decay and
time_first in fp32 and head.weight in fp16 to exercise mixed dtypes. Every value is exact in bf16,
fp16 and fp32, so each --dtype of the converter must reproduce it exactly. DIR/ref/<name>.f32 holds
each tensor's values as raw little-endian float32 for the C++ test to compare with.
DIR/rwkv7.pth is an RWKV-7 (x070) state dict as released (bf16, x_* as [1,1,C], no block-0 v0/v1/v2)
and DIR/rwkv7_trainer.pth the same with block 0's unused v0/v1/v2 as a fresh trainer file has them;
DIR/ref7/<name>.f32 holds its values. DIR/pos_emb.pth and DIR/head_q.pth add an experimental key; DIR/pip.pth carries the marker keys of
a model cached by the `rwkv` pip package. One run makes them all (importing torch takes a second).
"""
import os
import sys

import torch

L, C, A, F, V = 2, 16, 16, 48, 40


def value(shape, g, scale=1.0):
    x = (torch.randn(*shape, generator=g) * scale).to(torch.bfloat16).float()
    # Keep clear of fp16 subnormals so the values stay exact in fp16 too.
    return torch.where(x.abs() < 1e-3, torch.full_like(x, 0.5), x)


def state_dict(seed=0):
    g = torch.Generator().manual_seed(seed)
    sd = {"emb.weight": value((V, C), g)}
    for i in range(L):
        p = f"blocks.{i}."
        for ln in ["ln1", "ln2"] + (["ln0"] if i == 0 else []):
            sd[p + ln + ".weight"] = 1 + value((C,), g, 0.1)
            sd[p + ln + ".bias"] = value((C,), g, 0.1)
        sd[p + "att.time_decay"] = value((A,), g, 2.0)
        sd[p + "att.time_first"] = value((A,), g, 0.5)
        for mix in ("att.time_mix_k", "att.time_mix_v", "att.time_mix_r", "ffn.time_mix_k", "ffn.time_mix_r"):
            sd[p + mix] = value((1, 1, C), g, 0.3).abs()
        for m in ("key", "value", "receptance"):
            sd[p + f"att.{m}.weight"] = value((A, C), g, C ** -0.5)
        sd[p + "att.output.weight"] = value((C, A), g, A ** -0.5)
        sd[p + "ffn.key.weight"] = value((F, C), g, C ** -0.5)
        sd[p + "ffn.receptance.weight"] = value((C, C), g, C ** -0.5)
        sd[p + "ffn.value.weight"] = value((C, F), g, F ** -0.5)
    sd["ln_out.weight"] = 1 + value((C,), g, 0.1)
    sd["ln_out.bias"] = value((C,), g, 0.1)
    sd["head.weight"] = value((V, C), g, C ** -0.5)
    out = {}
    for k, t in sd.items():
        if ".time_decay" in k or ".time_first" in k:
            out[k] = t.float()
        elif k == "head.weight":
            out[k] = t.half()
        else:
            out[k] = t.bfloat16()
    return out


L7, C7, N7, F7, V7, D7 = 2, 16, 8, 48, 40, 4  # RWKV-7: 2 heads of 8, every LoRA rank 4


def state_dict7(seed=1):
    g = torch.Generator().manual_seed(seed)
    C = C7
    sd = {"emb.weight": value((V7, C), g)}
    for i in range(L7):
        p, a = f"blocks.{i}.", f"blocks.{i}.att."
        for ln in ["ln1", "ln2"] + (["ln0"] if i == 0 else []):
            sd[p + ln + ".weight"] = 1 + value((C,), g, 0.1)
            sd[p + ln + ".bias"] = value((C,), g, 0.1)
        for v in ("x_r", "x_w", "x_k", "x_v", "x_a", "x_g", "k_k", "k_a"):
            sd[a + v] = value((1, 1, C), g, 0.3).abs()
        for v in ("w0", "a0") + (("v0",) if i > 0 else ()):
            sd[a + v] = value((1, 1, C), g, 1.0)
        for nm in ("w", "a", "g") + (("v",) if i > 0 else ()):
            sd[a + nm + "1"] = value((C, D7), g, C ** -0.5)
            sd[a + nm + "2"] = value((D7, C), g, D7 ** -0.5)
        sd[a + "r_k"] = value((C // N7, N7), g, 0.2)
        for m in ("receptance", "key", "value", "output"):
            sd[a + m + ".weight"] = value((C, C), g, C ** -0.5)
        sd[a + "ln_x.weight"] = 1 + value((C,), g, 0.1)
        sd[a + "ln_x.bias"] = value((C,), g, 0.1)
        sd[p + "ffn.x_k"] = value((1, 1, C), g, 0.3).abs()
        sd[p + "ffn.key.weight"] = value((F7, C), g, C ** -0.5)
        sd[p + "ffn.value.weight"] = value((C, F7), g, F7 ** -0.5)
    sd["ln_out.weight"] = 1 + value((C,), g, 0.1)
    sd["ln_out.bias"] = value((C,), g, 0.1)
    sd["head.weight"] = value((V7, C), g, C ** -0.5)
    return {k: t.bfloat16() for k, t in sd.items()}


def main():
    out_dir = sys.argv[1]
    os.makedirs(os.path.join(out_dir, "ref"), exist_ok=True)
    sd = state_dict()
    for k, t in sd.items():
        with open(os.path.join(out_dir, "ref", k + ".f32"), "wb") as f:
            f.write(t.float().contiguous().numpy().astype("<f4").tobytes())
    torch.save(sd, os.path.join(out_dir, "model.pth"))
    sd7 = state_dict7()
    os.makedirs(os.path.join(out_dir, "ref7"), exist_ok=True)
    for k, t in sd7.items():
        with open(os.path.join(out_dir, "ref7", k + ".f32"), "wb") as f:
            f.write(t.float().contiguous().numpy().astype("<f4").tobytes())
    torch.save(sd7, os.path.join(out_dir, "rwkv7.pth"))
    g = torch.Generator().manual_seed(9)
    unused = {"blocks.0.att.v0": value((1, 1, C7), g).bfloat16(), "blocks.0.att.v1": value((C7, D7), g).bfloat16(),
              "blocks.0.att.v2": value((D7, C7), g).bfloat16()}
    torch.save({**sd7, **unused}, os.path.join(out_dir, "rwkv7_trainer.pth"))
    torch.save({**sd, "blocks.0.pos_emb_x": torch.zeros(1, C, dtype=torch.bfloat16)}, os.path.join(out_dir, "pos_emb.pth"))
    torch.save({**sd, "head_q.weight": torch.zeros(C, C, dtype=torch.bfloat16)}, os.path.join(out_dir, "head_q.pth"))
    # What the `rwkv` pip package adds to the files it caches (its tensors are also transformed).
    torch.save({**sd, "_strategy": "cpu fp32", "_version": "0.7", "_rescale_layer": 0}, os.path.join(out_dir, "pip.pth"))


if __name__ == "__main__":
    main()
