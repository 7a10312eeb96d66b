#!/usr/bin/python3
# Regenerates the sliding-CMVN goldens in this folder with torchaudio.functional.sliding_window_cmn
# (torchaudio's port of Kaldi's apply-cmvn-sliding), evaluated in float64 on float32 inputs:
#   input_speech.f32  the 80-bin Kaldi fbank of real speech (../frontends/g16_default.fbank.f32)
#   input_walk.f32    1,200 frames x 8 dims of a seeded random walk with offsets (longer than the
#                     windows, so the window slides, and with slow drifts the mean must follow)
#   <case>.f32        the normalised frames, float32 [frames, dims]
# cases.json lists each case's input and options. Run: /usr/bin/python3 tests/data/cmvn/make_goldens.py
import json
import os

import numpy as np
import torch
import torchaudio.functional as F

here = os.path.dirname(os.path.abspath(__file__))
speech = np.fromfile(os.path.join(here, "..", "frontends", "g16_default.fbank.f32"), dtype="<f4").reshape(-1, 80)
speech.astype("<f4").tofile(os.path.join(here, "input_speech.f32"))
rng = np.random.default_rng(7)
walk = np.cumsum(rng.normal(0, 0.3, size=(1200, 8)), axis=0) + rng.normal(0, 5, size=(1, 8))
walk[:, 3] *= 20  # one large-valued dimension
walk.astype("<f4").tofile(os.path.join(here, "input_walk.f32"))
inputs = {"speech": (speech, 80), "walk": (walk.astype("<f4"), 8)}

cases = [
    # name, input, cmn_window, min_window, center, norm_vars
    ("walk_default", "walk", 600, 100, False, False),
    ("walk_w50_min1_vars", "walk", 50, 1, False, True),
    ("walk_w300_min100_vars", "walk", 300, 100, False, True),
    ("walk_w7_min3", "walk", 7, 3, False, False),
    ("walk_center_w101", "walk", 101, 100, True, False),
    ("walk_center_w100_vars", "walk", 100, 100, True, True),
    ("walk_center_w5000", "walk", 5000, 100, True, True),
    ("speech_w600_min100", "speech", 600, 100, False, False),
    ("speech_w30_min10_vars", "speech", 30, 10, False, True),
    ("speech_center_w20_vars", "speech", 20, 20, True, True),
]
index = []
for name, inp, window, min_window, center, norm_vars in cases:
    x, dims = inputs[inp]
    y = F.sliding_window_cmn(torch.from_numpy(x.astype(np.float64)), cmn_window=window, min_cmn_window=min_window,
                             center=center, norm_vars=norm_vars)
    y.numpy().astype("<f4").tofile(os.path.join(here, name + ".f32"))
    index.append({"golden": name + ".f32", "input": "input_" + inp + ".f32", "dims": dims, "cmn_window": window,
                  "min_window": min_window, "center": center, "norm_vars": norm_vars})
with open(os.path.join(here, "cases.json"), "w") as f:
    json.dump({"about": "torchaudio 0.13.1 sliding_window_cmn in float64 on the float32 inputs; see make_goldens.py",
               "cases": index}, f, indent=1)
    f.write("\n")
