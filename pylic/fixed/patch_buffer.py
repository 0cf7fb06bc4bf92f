"""Golden model of the patch-buffer kernel: the codec's own tiling, not a second definition.

`extract_patch` (mode 0) and `merge_patch` (mode 1) of `hls/include/patch_kernel.h` are checked in csim against
these very functions of `pylic.ps.tiling`, on the grids `TileGrid` lays out. The extract kernel also maps every
byte through the package's input LUT (the DPU's int8 input); `dpu_input` is that step.
"""

from __future__ import annotations

import numpy as np

from pylic.errors import PylicError
from pylic.ps.tiling import TileGrid, extract_patch, merge_patch, reassemble

IDENTITY_LUT = np.arange(256, dtype=np.uint8)


def dpu_input(patch: np.ndarray, lut: np.ndarray = IDENTITY_LUT) -> np.ndarray:
    """The bytes the extract kernel writes: lut[patch] (PxPxC, channels last; int8 LUTs as two's complement)."""
    lut = np.asarray(lut)
    if lut.shape != (256,) or lut.dtype not in (np.uint8, np.int8):
        raise PylicError(f"input LUT must be 256 int8/uint8 entries, got {lut.dtype} {lut.shape}")
    return lut.view(np.uint8)[patch]


__all__ = ["IDENTITY_LUT", "TileGrid", "dpu_input", "extract_patch", "merge_patch", "reassemble"]
