"""A float64 reference interpreter of the quantized XIR graphs written here: what `vai_c_xir` is asked to
implement, evaluated literally (`fix` = DPU_ROUND, i.e. floor(x * 2**fp + 1/2), then saturation).

It exists to prove the written graph (layouts, pads, flips, positions) equals pylic's integer emulator. Every
value is an integer times a power of two far below 2**53, so float64 sums are exact in any order and the
comparison is bit for bit, not a tolerance.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from pylic.xmodel.graph import XGraph, XOp
from pylic.xmodel.proto import XmodelError


def dpu_round_fix(x: np.ndarray, position: int, bits: int = 8, signed: bool = True) -> np.ndarray:
    """XIR `fix` with round_mode DPU_ROUND: round half up, saturate, back to float."""
    q = np.floor(np.ldexp(x, position) + 0.5)
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return np.ldexp(np.clip(q, lo, hi), -position)


def _geometry(op: XOp) -> tuple[int, tuple[int, int, int, int]]:
    a = op.attrs
    if a.get("pad_mode") != "FLOOR" or tuple(a.get("dilation", (1, 1))) != (1, 1) or a.get("group", 1) != 1:
        raise XmodelError(f"{op.name}: only FLOOR pads, dilation 1 and group 1 are interpreted")
    sw, sh = a["stride"]
    if sw != sh:
        raise XmodelError(f"{op.name}: non-square stride {a['stride']}")
    return sh, tuple(a.get("pad", (0, 0, 0, 0)))


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pad: tuple[int, int, int, int]) -> np.ndarray:
    """NHWC x OHWI -> NHWC, pad = (left, right, top, bottom)."""
    left, right, top, bottom = pad
    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    kh, kw = w.shape[1:3]
    win = sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]  # N Ho Wo C kh kw
    return np.tensordot(win, w, axes=((3, 4, 5), (3, 1, 2))) + b


def transposed_conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int,
                      pad: tuple[int, int, int, int]) -> np.ndarray:
    """Scatter form: input pixel (i, j) adds x * w[:, kh, kw, :] at (i*s + kh, j*s + kw) of the full output,
    which is then cropped by pad = (left, right, top, bottom): FLOOR size (in-1)*s + k - pad."""
    n, h, wd, _ = x.shape
    o, kh, kw, _ = w.shape
    full = np.zeros((n, (h - 1) * stride + kh, (wd - 1) * stride + kw, o))
    for r in range(kh):
        for c in range(kw):
            full[:, r:r + (h - 1) * stride + 1:stride, c:c + (wd - 1) * stride + 1:stride] += x @ w[:, r, c, :].T
    left, right, top, bottom = pad
    return full[:, top:full.shape[1] - bottom, left:full.shape[2] - right] + b


def _const(op: XOp) -> np.ndarray:
    if op.attrs.get("data_type") != "float32":
        raise XmodelError(f"{op.name}: const data_type {op.attrs.get('data_type')!r}")
    return np.frombuffer(op.attrs["data"], "<f4").astype(np.float64).reshape(op.attrs["shape"])


def run(graph: XGraph, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Evaluate every op in order; `feeds` maps data op names to float NHWC arrays (any N). Returns the
    `return_ops`."""
    vals: dict[str, np.ndarray] = {}
    for op in graph.ops:
        ins = [vals[n] for arg in ("input", "weights", "bias") for n in op.inputs.get(arg, ())]
        if op.type == "data":
            v = np.asarray(feeds[op.name], dtype=np.float64)
        elif op.type == "const":
            v = _const(op)
        elif op.type == "fix":
            v = dpu_round_fix(ins[0], op.attrs["fix_point"], op.attrs["bit_width"], op.attrs["if_signed"])
        elif op.type == "relu":
            v = np.maximum(ins[0], 0.0)
        elif op.type in ("conv2d", "transposed-conv2d"):
            stride, pad = _geometry(op)
            fn = conv2d if op.type == "conv2d" else transposed_conv2d
            v = fn(ins[0], ins[1], ins[2] if len(ins) > 2 else 0.0, stride, pad)
        else:
            raise XmodelError(f"{op.name}: op type {op.type!r} is not interpreted")
        batched = op.type != "const"  # feature maps may carry N patches instead of the declared 1
        if tuple(v.shape[batched:]) != tuple(op.shape[batched:]):
            raise XmodelError(f"{op.name}: computed shape {v.shape} != declared {op.shape}")
        vals[op.name] = v
    return {n: vals[n] for n in graph.attrs["return_ops"]}
