#!/usr/bin/python3
# Regenerates the CTC loss goldens in this folder (tests/test_ctc_loss.cpp) with
# torch.nn.functional.ctc_loss (blank 0, reduction 'none') in float64 on float32 logits:
#   <case>.logits.f32   the unnormalised logits, float32 [B, T, V] (frames past a sequence's
#                       input length hold random values too: they must not matter)
#   <case>.dlogits.f32  d(sum_b scales[b] * loss_b) / d logits over the finite losses, through
#                       log_softmax, float32 [B, T, V]
#   cases.json          per case B, T, V, S, the lengths, the padded labels [B*S] (padding -1),
#                       the scales and torch's losses in float64 (null where torch gives inf)
# Run from the repository root: /usr/bin/python3 tests/data/ctc/make_goldens.py
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2006)


def min_frames(labels):
    return len(labels) + sum(1 for a, b in zip(labels, labels[1:]) if a == b)


def random_labels(n, V):
    return [int(v) for v in rng.integers(1, V, size=n)]


def random_path(labels, frames):
    # A random alignment of 'labels' over 'frames' frames: the shortest path (blanks only between
    # repeats), then frames added by repeating a random step or inserting a blank.
    path = []
    for i, c in enumerate(labels):
        if i > 0 and labels[i - 1] == c:
            path.append(0)
        path.append(c)
    while len(path) < frames:
        i = int(rng.integers(0, len(path) + 1))
        path.insert(i, 0 if not path or rng.random() < 0.5 else path[min(i, len(path) - 1)])
    return path


def make_case(name, V, T, seqs, sd=2.0):
    # seqs: (input_length, labels, peak): peak > 0 adds that much to the logits along one random
    # alignment, as a trained model would be sure of its path.
    B = len(seqs)
    S = max(1, max(len(l) for _, l, _ in seqs))
    logits = rng.normal(0.0, sd, size=(B, T, V))
    labels = np.full((B, S), -1, dtype=np.int64)
    for b, (n, lab, peak) in enumerate(seqs):
        labels[b, :len(lab)] = lab
        if peak > 0 and min_frames(lab) <= n:
            for t, c in enumerate(random_path(lab, n)):
                logits[b, t, c] += peak
    logits = logits.astype(np.float32)
    scales = rng.uniform(0.2, 1.5, size=B)
    input_lengths = torch.tensor([n for n, _, _ in seqs], dtype=torch.int64)
    label_lengths = torch.tensor([len(l) for _, l, _ in seqs], dtype=torch.int64)
    targets = torch.from_numpy(np.where(labels < 0, 1, labels))

    x = torch.from_numpy(logits.astype(np.float64)).requires_grad_(True)
    log_probs = x.log_softmax(-1).transpose(0, 1)  # (T, B, V) as torch wants
    losses = F.ctc_loss(log_probs, targets, input_lengths, label_lengths, blank=0, reduction="none",
                        zero_infinity=False)
    finite = F.ctc_loss(log_probs, targets, input_lengths, label_lengths, blank=0, reduction="none",
                        zero_infinity=True)  # infinite losses as 0 with zero gradient
    (finite * torch.from_numpy(scales)).sum().backward()

    logits.astype("<f4").tofile(os.path.join(here, name + ".logits.f32"))
    x.grad.numpy().astype("<f4").tofile(os.path.join(here, name + ".dlogits.f32"))
    for (n, lab, _), loss in zip(seqs, losses.tolist()):
        assert (loss == float("inf")) == (min_frames(lab) > n), (name, n, lab, loss)
    return {"name": name, "B": B, "T": T, "V": V, "S": S, "blank": 0,
            "input_lengths": input_lengths.tolist(), "label_lengths": label_lengths.tolist(),
            "labels": labels.reshape(-1).tolist(), "scales": scales.tolist(),
            "losses": [None if l == float("inf") else l for l in losses.tolist()]}


def exact_fit(labels):
    return (min_frames(labels), labels, 0.0)


cases = [
    # T = 1: blank only, one label, and two labels that cannot fit
    make_case("t1_v3", 3, 1, [(1, [], 0), (1, [2], 0), (1, [1, 2], 0), (1, [1, 1], 0)]),
    # repeated labels at, above and below their minimum frames; blank only; distinct labels
    make_case("repeats_v5", 5, 12, [
        (2, [3, 3], 0), (3, [3, 3], 0), (5, [1, 2, 2, 1], 0), (12, [1, 2, 2, 1], 0), (7, [4, 4, 4], 0),
        (4, [4, 4, 4], 0), (12, [], 0), (6, [1, 2, 3, 4], 3.0), (12, [2, 2, 1, 1, 3], 0)]),
    # V = 2: the one label symbol repeated, so every neighbour pair needs a blank between
    make_case("v2", 2, 40, [
        (40, [1] * 10, 0), (19, [1] * 10, 0), (18, [1] * 10, 0), (33, [], 0), (1, [1], 0), (25, [1] * 3, 4.0)],
        sd=1.0),
    # V = 30, mixed input lengths in one padded batch, random labels, some with a confident path
    make_case("padded_v30", 30, 400, [
        (400, random_labels(120, 30), 4.0), (377, random_labels(90, 30), 0), exact_fit(random_labels(100, 30)),
        (2, random_labels(1, 30), 0), (250, [], 0), (311, random_labels(60, 30), 8.0)]),
    # T = 2000 with 300 labels, peaky as a trained model's frames
    make_case("long_v30", 30, 2000, [(2000, random_labels(300, 30), 5.0)]),
]
with open(os.path.join(here, "cases.json"), "w") as f:
    json.dump({"about": "torch " + torch.__version__ + " ctc_loss in float64 on the float32 logits; see make_goldens.py",
               "cases": cases}, f)
    f.write("\n")
