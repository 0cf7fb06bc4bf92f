"""Pixel conversions the PS runs around the DPU, in integer arithmetic (a C implementer needs no float).

One definition for both pixel conventions of a package (`PixelSpec`: scale, offset, position per side):
- in:  q = sat8(floor(p * 2**position / scale + 1/2) - offset) for p = 0..255, one 256-entry LUT (`input_lut`);
- out: p = clip(floor(q * scale * 2**-position + 1/2) + offset, 0, 255) (`pixels_out`), the DPU's rounding rule.

Conventions (`CONVENTIONS`):
- `unsigned` (scale 255, offset 0; every package before this option): the DPU sees p / 255. At position 7 that
  is 7-bit pixels: two pixel values share each code and 253..255 saturate to 127; out, q <= 127 caps p at 253.
- `centred` (scale 2**position, offset 128): the DPU sees (p - 128) * 2**-position: q = p - 128 and p = q + 128,
  all 256 levels both ways. The float model still sees p / 255: export folds the affine map into g_a's first and
  g_s's last layer (`pylic.quant.pixel_fold`), exactly except where g_a.0 pads (the DPU pads q = 0, i.e. grey).

For p >= 0, half up equals the quantizer's half-away-from-zero rule, so the unsigned table equals
`quant.rounding.quantize_param(p / 255, position)` (the float definition the package was exported with).
"""

from __future__ import annotations

import numpy as np

from pylic.ps.prior import INT8_MAX, INT8_MIN

PIXEL_MAX = 255
CONVENTIONS = ("unsigned", "centred")
CENTRE = 128


def convention_constants(convention: str, position: int) -> tuple[int, int]:
    """(scale, offset) of one side of the pixel map for a convention at a fix position."""
    if convention == "unsigned":
        return PIXEL_MAX, 0
    if convention == "centred":
        if not 0 <= position <= 16:
            raise ValueError(f"centred pixels need a fix position in 0..16, not {position}")
        return 1 << position, CENTRE
    raise ValueError(f"pixel convention must be one of {', '.join(CONVENTIONS)}, not {convention!r}")


def convention_of(scale: int, offset: int, position: int) -> str | None:
    """The convention a (scale, offset, position) triple is, or None if it is neither (an invalid package)."""
    for c in CONVENTIONS:
        try:
            if convention_constants(c, position) == (scale, offset):
                return c
        except ValueError:
            pass
    return None


def input_lut(position: int, scale: int = PIXEL_MAX, offset: int = 0) -> np.ndarray:
    """int8 [256]: the DPU input value of each 8-bit pixel at fix `position` (pixels are p / `scale` - offset)."""
    p = np.arange(PIXEL_MAX + 1, dtype=np.int64)
    num, den = (p << position, scale) if position >= 0 else (p, scale << -position)
    q = (2 * num + den) // (2 * den) - offset  # floor(num / den + 1/2) - offset, exact integers
    return np.clip(q, INT8_MIN, INT8_MAX).astype(np.int8)


def pixels_in(patches: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """uint8 patches (any layout) -> int8 DPU input through the LUT."""
    return lut[np.asarray(patches, dtype=np.uint8)]


def pixels_out(q: np.ndarray, position: int, scale: int = PIXEL_MAX, offset: int = 0) -> np.ndarray:
    """g_s's int8 output at fix `position` -> uint8 pixels."""
    v = np.asarray(q, dtype=np.int32) * scale
    if position > 0:
        v = (v + (1 << (position - 1))) >> position
    else:
        v = v << -position
    return np.clip(v + offset, 0, PIXEL_MAX).astype(np.uint8)
