#!/usr/bin/python3
"""Convert an official RWKV-4 or RWKV-7 (x070) PyTorch checkpoint (.pth state dict) to rwkv-stream's .safetensors.

    /usr/bin/python3 scripts/convert_pth.py RWKV-4-Pile-169M-20220807-8023.pth model.safetensors [--dtype f32|bf16|f16]

RWKV-7 files are recognised by blocks.0.att.r_k; their head size and LoRA ranks come from the tensor
shapes, and block 0's unused value-residual LoRA (v0/v1/v2, present in fresh trainer files only)
is dropped. Keeps the official tensor names and shapes (the loader accepts time_*, x_*, w0, ... as
[C] or [1,1,C]), writes
float32 by default (exact for bf16/fp16 sources) or half precision with --dtype, and stores the
model config as "rwkvs.config" metadata. Refuses optional/experimental keys, which change the
model (pos_emb, head_q/head_k, ffnPre, tiny_*, att.qq/...), and files cached by the `rwkv` pip
package. Needs only torch (>= 1.13, whose weights_only loading runs no code from the file).
The output is written to a temp file, fsynced and renamed into place.
"""
import argparse
import json
import os
import pickle
import re
import struct
import sys

torch = None  # imported in main() after the cheap argument checks: the import takes seconds

PIP_CACHE_KEYS = ("_strategy", "_version", "_rescale_layer")
OUT_DTYPES = {"f32": ("float32", "F32"), "bf16": ("bfloat16", "BF16"), "f16": ("float16", "F16")}


class ConvertError(Exception):
    pass


def load_state_dict(path, allow_pickle):
    try:
        if allow_pickle:
            sd = torch.load(path, map_location="cpu")
        else:
            sd = torch.load(path, map_location="cpu", weights_only=True)  # runs no pickled code
    except pickle.UnpicklingError as e:
        reason = str(e).split("WeightsUnpickler error: ")[-1]
        hint = "" if allow_pickle else (
            ". Official RWKV-4 checkpoints hold only tensors; if this is a trusted checkpoint that also "
            "holds other Python objects, re-run with --allow-pickle")
        raise ConvertError(f"cannot load '{path}' as a PyTorch state dict ({reason}){hint}") from None
    except Exception as e:  # torch raises many types for corrupt zips and storages
        raise ConvertError(f"cannot load '{path}' as a PyTorch checkpoint: {e}") from None
    if not isinstance(sd, dict):
        raise ConvertError(f"'{path}' holds a {type(sd).__name__}, expected a state dict (name -> tensor)")
    for key in PIP_CACHE_KEYS:
        if key in sd:
            raise ConvertError(
                f"'{path}' is a model converted by the `rwkv` pip package (it has '{key}'): such files store "
                "-exp(time_decay) and transposed matrices; convert the original RWKV-4 .pth instead")
    for name, value in sd.items():
        if not isinstance(value, torch.Tensor):
            raise ConvertError(f"'{path}': entry '{name}' is a {type(value).__name__}, not a tensor")
        if not value.is_floating_point():
            raise ConvertError(f"'{path}': tensor '{name}' has dtype {value.dtype}, expected a float tensor")
    return sd


def expected_shapes(L, C, A, F, V):
    """Official RWKV-4 names and shapes (spec §2); time_* vectors also accepted squeezed/unsqueezed."""
    shapes = {"emb.weight": (V, C), "ln_out.weight": (C,), "ln_out.bias": (C,), "head.weight": (V, C)}
    for i in range(L):
        p = f"blocks.{i}."
        if i == 0:
            shapes[p + "ln0.weight"] = shapes[p + "ln0.bias"] = (C,)
        for ln in ("ln1", "ln2"):
            shapes[p + ln + ".weight"] = shapes[p + ln + ".bias"] = (C,)
        shapes[p + "att.time_decay"] = shapes[p + "att.time_first"] = (A,)
        for mix in ("att.time_mix_k", "att.time_mix_v", "att.time_mix_r", "ffn.time_mix_k", "ffn.time_mix_r"):
            shapes[p + mix] = (1, 1, C)
        shapes[p + "att.key.weight"] = shapes[p + "att.value.weight"] = shapes[p + "att.receptance.weight"] = (A, C)
        shapes[p + "att.output.weight"] = (C, A)
        shapes[p + "ffn.key.weight"] = (F, C)
        shapes[p + "ffn.receptance.weight"] = (C, C)
        shapes[p + "ffn.value.weight"] = (C, F)
    return shapes


def expected_shapes7(L, C, F, V, H, N, Dw, Da, Dv, Dg):
    """Official RWKV-7 (x070) names and shapes (rwkv7-spec §2)."""
    shapes = {"emb.weight": (V, C), "ln_out.weight": (C,), "ln_out.bias": (C,), "head.weight": (V, C)}
    for i in range(L):
        p = f"blocks.{i}."
        a = p + "att."
        if i == 0:
            shapes[p + "ln0.weight"] = shapes[p + "ln0.bias"] = (C,)
        for ln in ("ln1", "ln2"):
            shapes[p + ln + ".weight"] = shapes[p + ln + ".bias"] = (C,)
        for v in ("x_r", "x_w", "x_k", "x_v", "x_a", "x_g", "w0", "a0", "k_k", "k_a"):
            shapes[a + v] = (1, 1, C)
        lora = [("w", Dw), ("a", Da), ("g", Dg)] + ([("v", Dv)] if i > 0 else [])
        for nm, D in lora:
            shapes[a + nm + "1"] = (C, D)
            shapes[a + nm + "2"] = (D, C)
        if i > 0:
            shapes[a + "v0"] = (1, 1, C)
        shapes[a + "r_k"] = (H, N)
        for m in ("receptance", "key", "value", "output"):
            shapes[a + m + ".weight"] = (C, C)
        shapes[a + "ln_x.weight"] = shapes[a + "ln_x.bias"] = (C,)
        shapes[p + "ffn.x_k"] = (1, 1, C)
        shapes[p + "ffn.key.weight"] = (F, C)
        shapes[p + "ffn.value.weight"] = (C, F)
    return shapes


def shape_ok(name, want, got):
    if got == want:
        return True
    n = 1
    for d in want:
        n *= d
    either = ".time_" in name or (len(want) == 3 and want[:2] == (1, 1))
    return either and got in ((n,), (1, 1, n))


def infer_config(sd, path):
    """The same inference as the C++ loader's, so the stored config always matches the tensors."""
    def matrix(name):
        if name not in sd or sd[name].dim() != 2:
            raise ConvertError(f"'{path}' has no 2-D {name}: not an RWKV checkpoint")
        return tuple(sd[name].shape)

    V, C = matrix("emb.weight")
    L = sum(1 for k in sd if re.fullmatch(r"blocks\.\d+\.ln1\.weight", k))
    if L == 0:
        raise ConvertError(f"'{path}' has no blocks.0.ln1.weight: not an RWKV checkpoint")
    A = matrix("blocks.0.att.key.weight")[0]
    F = matrix("blocks.0.ffn.key.weight")[0]
    rwkv7 = "blocks.0.att.r_k" in sd
    if rwkv7:
        H, N = matrix("blocks.0.att.r_k")
        ranks = [matrix(f"blocks.0.att.{x}1")[1] for x in ("w", "a")] + \
                [matrix("blocks.1.att.v1")[1] if L > 1 else 0, matrix("blocks.0.att.g1")[1]]
        want = expected_shapes7(L, C, F, V, H, N, *ranks)
        # a fresh official trainer file holds block 0's value-residual LoRA, which the model never uses
        for k in ("blocks.0.att.v0", "blocks.0.att.v1", "blocks.0.att.v2"):
            sd.pop(k, None)
    else:
        want = expected_shapes(L, C, A, F, V)
    arch = "RWKV-7" if rwkv7 else "RWKV-4"
    unknown = [k for k in sd if k not in want]
    if unknown:
        raise ConvertError(
            f"'{path}' has unknown tensor(s) {', '.join(unknown[:5])}: not part of an {arch} model with n_layer={L} "
            "(optional/experimental keys such as pos_emb, head_q/head_k, ffnPre, tiny_*, att.qq change the model "
            "and are not supported)")
    for name, shape in want.items():
        if name not in sd:
            raise ConvertError(f"'{path}' lacks tensor {name} (expected shape {list(shape)})")
        got = tuple(sd[name].shape)
        if not shape_ok(name, shape, got):
            raise ConvertError(f"'{path}' has {name} of shape {list(got)}, expected {list(shape)}")
    config = {"format": "rwkvs-1", "arch": "rwkv7" if rwkv7 else "rwkv4", "n_layer": L, "n_embd": C, "dim_att": A,
              "dim_ffn": F, "vocab_size": V, "input_kind": "tokens", "head_kind": "lm",
              "tokenizer": "bytes" if V == 256 else "ids", "train_step": 0}
    if rwkv7:
        config.update({"version": "x070", "head_size": N, "lora": ranks})
    return config


def tensor_bytes(t, torch_dtype):
    t = t.detach().to(torch_dtype).contiguous()
    if torch_dtype == torch.bfloat16:  # numpy has no bfloat16: reinterpret the bits
        t = t.view(torch.int16)
    a = t.numpy()
    return a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()


def write_safetensors(out_path, sd, config, out_dtype):
    torch_dtype, st_dtype = getattr(torch, OUT_DTYPES[out_dtype][0]), OUT_DTYPES[out_dtype][1]
    elem = torch.tensor([], dtype=torch_dtype).element_size()
    header = {"__metadata__": {"format": "pt", "rwkvs.config": json.dumps(config, separators=(",", ":"))}}
    offset = 0
    for name, t in sd.items():
        size = t.numel() * elem
        header[name] = {"dtype": st_dtype, "shape": list(t.shape), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # spaces keep the data section 8-byte aligned
    tmp = f"{out_path}.tmp.{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for t in sd.values():  # one tensor at a time: a large model is never copied whole
                f.write(tensor_bytes(t, torch_dtype))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out_path)
    except OSError as e:
        raise ConvertError(f"cannot write '{out_path}': {e.strerror or e}") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pth", help="official RWKV-4 or RWKV-7 checkpoint (.pth state dict)")
    ap.add_argument("out", help="output .safetensors")
    ap.add_argument("--allow-pickle", action="store_true",
                    help="load with full unpickling (runs code from the file): only for files you trust")
    ap.add_argument("--dtype", choices=sorted(OUT_DTYPES), default="f32",
                    help="stored precision (default f32; rwkv-stream computes in f32 either way)")
    args = ap.parse_args(argv)
    global torch
    try:
        if not os.path.isfile(args.pth):
            raise ConvertError(f"cannot read '{args.pth}': no such file")
        out_dir = os.path.dirname(args.out) or "."
        if not os.path.isdir(out_dir):
            raise ConvertError(f"cannot write '{args.out}': folder '{out_dir}' does not exist")
        if os.path.isdir(args.out):
            raise ConvertError(f"cannot write '{args.out}': it is a folder")
        import torch
        sd = load_state_dict(args.pth, args.allow_pickle)
        config = infer_config(sd, args.pth)
        write_safetensors(args.out, sd, config, args.dtype)
    except (ConvertError, OSError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    n = sum(t.numel() for t in sd.values())
    print(f"wrote {args.out}: {len(sd)} tensors, {n} parameters, {args.dtype}, "
          f"n_layer={config['n_layer']} n_embd={config['n_embd']} vocab={config['vocab_size']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
