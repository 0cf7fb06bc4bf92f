"""Fixed-size patch tiling (the DPU xmodel has one input shape) with overlap and seam-hiding blend.

Everything here is integer arithmetic so the HLS patch-buffer kernel can reproduce it bit for bit:
- the frame is padded by edge replication to `S*(n-1) + P` per axis (S = P - overlap);
- reassembly blends overlapping patches with separable integer ramps whose weights sum to
  (overlap+1) per axis, then divides with half-up rounding: out = (sum w*p + W/2) // W.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pylic.errors import ImageError

PATCH = 256
MAX_SIDE = 1 << 15  # 32768 pixels: no header can request a larger frame


@dataclass(frozen=True)
class TileGrid:
    """Where the patches of one HxW frame lie."""

    height: int
    width: int
    patch: int = PATCH
    overlap: int = 0

    def __post_init__(self) -> None:
        if not (1 <= self.height <= MAX_SIDE and 1 <= self.width <= MAX_SIDE):
            raise ImageError(f"frame size {self.height}x{self.width} outside 1..{MAX_SIDE}")
        if self.patch < 64 or self.patch % 64:
            raise ImageError(f"patch size {self.patch} must be a positive multiple of 64")
        if not 0 <= self.overlap < self.patch // 2 + 1 or self.overlap > self.patch - 64:
            raise ImageError(f"overlap {self.overlap} must be in 0..{min(self.patch // 2, self.patch - 64)}")

    @property
    def stride(self) -> int:
        return self.patch - self.overlap

    def _count(self, length: int) -> int:
        if length <= self.patch:
            return 1
        return -(-(length - self.overlap) // self.stride)

    @property
    def rows(self) -> int:
        return self._count(self.height)

    @property
    def cols(self) -> int:
        return self._count(self.width)

    @property
    def count(self) -> int:
        return self.rows * self.cols

    @property
    def padded_shape(self) -> tuple[int, int]:
        return (self.stride * (self.rows - 1) + self.patch, self.stride * (self.cols - 1) + self.patch)

    def origins(self) -> list[tuple[int, int]]:
        """Top-left corner of each patch, row-major (the bitstream's patch order)."""
        return [(r * self.stride, c * self.stride) for r in range(self.rows) for c in range(self.cols)]

    def ramp(self, n: int, index: int) -> np.ndarray:
        """1-D integer blend weights of patch `index` of `n` along one axis; they sum to overlap+1."""
        o, p = self.overlap, self.patch
        w = np.full(p, o + 1, dtype=np.int64)
        if o:
            up = np.arange(1, o + 1, dtype=np.int64)
            if index > 0:
                w[:o] = up
            if index < n - 1:
                w[p - o:] = up[::-1]
        return w


def extract(frame: np.ndarray, grid: TileGrid) -> np.ndarray:
    """HxWxC uint8 frame -> (count, C, P, P) uint8 patches (edge-replicated padding)."""
    if frame.shape[:2] != (grid.height, grid.width):
        raise ImageError(f"frame is {frame.shape[:2]}, grid expects {(grid.height, grid.width)}")
    ph, pw = grid.padded_shape
    padded = np.pad(frame, ((0, ph - grid.height), (0, pw - grid.width), (0, 0)), mode="edge")
    p = grid.patch
    out = np.stack([padded[y:y + p, x:x + p] for y, x in grid.origins()])
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2))


def reassemble(patches: np.ndarray, grid: TileGrid) -> np.ndarray:
    """(count, C, P, P) uint8 patches -> HxWxC uint8 frame, blending overlaps with integer ramps."""
    n, c, p, _ = patches.shape
    if n != grid.count or p != grid.patch:
        raise ImageError(f"got {n} patches of {p}, grid needs {grid.count} of {grid.patch}")
    ph, pw = grid.padded_shape
    acc = np.zeros((c, ph, pw), dtype=np.int64)
    for k, (y, x) in enumerate(grid.origins()):
        r, col = divmod(k, grid.cols)
        w = np.outer(grid.ramp(grid.rows, r), grid.ramp(grid.cols, col))
        acc[:, y:y + p, x:x + p] += patches[k].astype(np.int64) * w
    total = (grid.overlap + 1) ** 2
    out = (acc + total // 2) // total
    return np.ascontiguousarray(out[:, : grid.height, : grid.width].transpose(1, 2, 0).astype(np.uint8))


def tile_to_size(image: np.ndarray, height: int = 720, width: int = 1280) -> np.ndarray:
    """Repeat an image to fill HxW (the paper's 720p protocol: Kodak tiled to 1280x720)."""
    reps = (-(-height // image.shape[0]), -(-width // image.shape[1])) + (1,) * (image.ndim - 2)
    return np.ascontiguousarray(np.tile(image, reps)[:height, :width])


PAPER_720P = {"height": 720, "width": 1280, "patch": 256, "overlap": 56}
