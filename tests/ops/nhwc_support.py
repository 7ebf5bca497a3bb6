"""Helpers of the windowed-op tests: torch's channels-first layout and a backprop runner."""

from __future__ import annotations

import numpy as np
import torch

from numkeras import ops


def nchw(a):
    return torch.from_numpy(np.ascontiguousarray(np.asarray(a).transpose(0, 3, 1, 2)))


def nhwc(t):
    return t.detach().numpy().transpose(0, 2, 3, 1)


def backprop(fn, *arrays, seed=1):
    """``fn``'s value and the gradients of ``sum(r · fn)`` for a fixed random ``r``."""
    variables = [ops.Variable(np.array(a)) for a in arrays]
    out = fn(*variables)
    r = np.random.default_rng(seed).standard_normal(out.shape)
    ops.sum(out * r).backward()
    return out.data, r, [v.grad for v in variables]


def torch_pads(pads):
    (top, bottom), (left, right) = pads
    return (left, right, top, bottom)
