"""Golden model of the patch-buffer kernel: fixed-size windows between a frame and a patch buffer.

Frames and patches are uint8 HWC. Extraction pads with 0 outside the frame; merging writes only the window's
owned rectangle (rows r0..r1, columns c0..c1 of the patch), so overlapping patches reassemble a frame with
every pixel written exactly once. `tile_grid` gives windows whose owned rectangles tile the frame, splitting
each overlap in half (the tiling the codec uses may differ; the kernel takes any window).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pylic.errors import PylicError


@dataclass(frozen=True)
class PatchWindow:
    """A P x P window at frame origin (y0, x0) that owns patch rows [r0, r1) and columns [c0, c1)."""

    y0: int
    x0: int
    r0: int
    c0: int
    r1: int
    c1: int


def _starts(n: int, patch: int, overlap: int) -> list[int]:
    stride = patch - overlap
    count = 1 if n <= patch else 1 + -(-(n - patch) // stride)
    return [i * stride for i in range(count)]


def _owned(starts: list[int], n: int, overlap: int) -> list[tuple[int, int]]:
    lo = [0] + [s + overlap // 2 for s in starts[1:]]
    hi = lo[1:] + [n]
    return [(a - s, b - s) for s, a, b in zip(starts, lo, hi)]


def tile_grid(height: int, width: int, patch: int = 256, overlap: int = 32) -> list[PatchWindow]:
    """Row-major windows covering a height x width frame; owned rectangles partition the frame."""
    if not 0 <= overlap < patch or height < 1 or width < 1:
        raise PylicError(f"bad tiling: frame {height}x{width}, patch {patch}, overlap {overlap}")
    ys, xs = _starts(height, patch, overlap), _starts(width, patch, overlap)
    rows, cols = _owned(ys, height, overlap), _owned(xs, width, overlap)
    return [PatchWindow(y, x, r0, c0, r1, c1) for y, (r0, r1) in zip(ys, rows) for x, (c0, c1) in zip(xs, cols)]


def extract_patch(frame: np.ndarray, y0: int, x0: int, patch: int = 256) -> np.ndarray:
    """patch[r, c] = frame[y0 + r, x0 + c], 0 outside the frame (uint8 [P, P, CH])."""
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.dtype != np.uint8:
        raise PylicError(f"frame must be uint8 HWC, got {frame.dtype} {frame.shape}")
    h, w, ch = frame.shape
    out = np.zeros((patch, patch, ch), dtype=np.uint8)
    ya, yb = max(y0, 0), min(y0 + patch, h)
    xa, xb = max(x0, 0), min(x0 + patch, w)
    if ya < yb and xa < xb:
        out[ya - y0:yb - y0, xa - x0:xb - x0] = frame[ya:yb, xa:xb]
    return out


def merge_patch(frame: np.ndarray, patch: np.ndarray, win: PatchWindow) -> np.ndarray:
    """A copy of `frame` with the window's owned rectangle of `patch` written in (clipped to the frame)."""
    out = np.array(frame, dtype=np.uint8, copy=True)
    h, w = out.shape[:2]
    p = patch.shape[0]
    r0, r1 = max(win.r0, -win.y0, 0), min(win.r1, h - win.y0, p)
    c0, c1 = max(win.c0, -win.x0, 0), min(win.c1, w - win.x0, p)
    if r0 < r1 and c0 < c1:
        out[win.y0 + r0:win.y0 + r1, win.x0 + c0:win.x0 + c1] = patch[r0:r1, c0:c1]
    return out
