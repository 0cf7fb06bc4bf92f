"""Pixel conversions the PS runs around the DPU, in integer arithmetic (a C implementer needs no float):

- in:  q = sat8(floor(p * 2**position / 255 + 1/2)) for p = 0..255, one 256-entry LUT (`input_lut`); p >= 0, so
  half up equals the half-away-from-zero rule of the quantizer, and the table equals
  `quant.rounding.quantize_param(p / 255, position)` (the float definition the package was exported with);
- out: p = clip(floor(q * 255 * 2**-position + 1/2), 0, 255) (`pixels_out`), the DPU's rounding rule.
"""

from __future__ import annotations

import numpy as np

from pylic.ps.prior import INT8_MAX

PIXEL_MAX = 255


def input_lut(position: int, scale: int = PIXEL_MAX) -> np.ndarray:
    """int8 [256]: the DPU input value of each 8-bit pixel at fix `position` (pixels are p / `scale`)."""
    p = np.arange(PIXEL_MAX + 1, dtype=np.int64)
    num, den = (p << position, scale) if position >= 0 else (p, scale << -position)
    q = (2 * num + den) // (2 * den)  # floor(num / den + 1/2), exact integers
    return np.minimum(q, INT8_MAX).astype(np.int8)


def pixels_in(patches: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """uint8 patches (any layout) -> int8 DPU input through the LUT."""
    return lut[np.asarray(patches, dtype=np.uint8)]


def pixels_out(q: np.ndarray, position: int) -> np.ndarray:
    """g_s's int8 output at fix `position` -> uint8 pixels."""
    v = np.asarray(q, dtype=np.int32) * PIXEL_MAX
    if position > 0:
        v = (v + (1 << (position - 1))) >> position
    else:
        v = v << -position
    return np.clip(v, 0, PIXEL_MAX).astype(np.uint8)
