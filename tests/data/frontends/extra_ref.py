#!/usr/bin/python3
"""Oracle outputs for options features_ref.py does not expose (run by make_goldens.sh).

    extra_ref.py IN OUT.f32 fbank   KEY=VALUE...   torchaudio.compliance.kaldi.fbank(**options)
    extra_ref.py IN OUT.f32 mfcc    KEY=VALUE...   torchaudio.compliance.kaldi.mfcc(**options)
    extra_ref.py IN OUT.u8  mulaw                  torchaudio.functional.mu_law_encoding(wav, 256)

Values are Python literals (True, 1.0, 'hamming'). dither is always 0. Matrices are written as
float32 little-endian rows (frames x dims); mu-law classes as one uint8 per sample.
"""
import ast
import sys

import numpy as np
import torch
import torchaudio
import torchaudio.compliance.kaldi as kaldi


def main():
    path, out, kind = sys.argv[1:4]
    opts = {k: ast.literal_eval(v) for k, v in (a.split('=', 1) for a in sys.argv[4:])}
    torch.set_num_threads(1)
    wav, sr = torchaudio.load(path)
    if kind == 'mulaw':
        q = torchaudio.functional.mu_law_encoding(wav[0], 256)
        q.numpy().astype(np.uint8).tofile(out)
        print(out, tuple(q.shape))
        return 0
    fn = {'fbank': kaldi.fbank, 'mfcc': kaldi.mfcc}[kind]
    m = fn(wav, sample_frequency=float(sr), dither=0.0, **opts)
    m.numpy().astype('<f4').tofile(out)
    print(out, tuple(m.shape))
    return 0


if __name__ == '__main__':
    sys.exit(main())
