"""Fixed-size patch tiling (the DPU xmodel has one input shape): the one definition that the codec, the
patch-buffer golden model (`pylic.fixed.patch_buffer`) and the HLS patch kernel (`hls/include/patch_kernel.h`)
all follow. Numpy only, so the board's ARM cores run this very module.

- Patch (row, col) has its origin at (row*S, col*S), S = P - overlap; patches are coded row-major.
- Extraction clamps to the edge: patch[r, c] = frame[min(y0+r, H-1), min(x0+c, W-1)].
- Reassembly is a weighted average with separable ramps whose weights sum to 2**B per axis
  (B = bit_length(overlap)), so normalising is a right shift by 2B with half-up rounding. It streams: patch k is
  merged as it arrives; a pixel is read from the accumulator only if an earlier patch covers it and written to
  the frame only by the last patch that covers it (otherwise to the accumulator). `docs/tiling.md` explains the
  choice and its measured cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pylic.errors import ImageError

PATCH = 256
MAX_SIDE = 1 << 15  # 32768 pixels: no header can request a larger frame


@dataclass(frozen=True)
class TileGrid:
    """Where the patches of one HxW frame lie, and their blend weights."""

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

    @property
    def weight_bits(self) -> int:
        """B: per-axis weights sum to 2**B >= overlap + 1, so every ramp step is a distinct positive weight."""
        return self.overlap.bit_length()

    @property
    def shift(self) -> int:
        """The normalising right shift (2B); the accumulator needs 8 + 2B bits."""
        return 2 * self.weight_bits

    @property
    def acc_bits(self) -> int:
        return 8 + self.shift

    def ramp(self) -> np.ndarray:
        """a[i], i < overlap: the weight of the later patch at position i of an overlap (the earlier one gets
        2**B - a[i]); a[i] = round_half_up((i + 1/2) * 2**B / overlap), so 0 < a[i] < 2**B."""
        o, full = self.overlap, 1 << self.weight_bits
        i = np.arange(o, dtype=np.int64)
        return ((2 * i + 1) * full + o) // (2 * o) if o else i

    def weights(self, index: int, n: int) -> np.ndarray:
        """1-D weights of patch `index` of `n` along one axis (P entries)."""
        o, p, full = self.overlap, self.patch, 1 << self.weight_bits
        w = np.full(p, full, dtype=np.int64)
        if o:
            a = self.ramp()
            if index > 0:
                w[:o] = a
            if index < n - 1:
                w[p - o:] = full - a
        return w


def _position(grid: TileGrid, k: int) -> tuple[int, int, int, int]:
    if not 0 <= k < grid.count:
        raise ImageError(f"patch {k} outside 0..{grid.count - 1}")
    row, col = divmod(k, grid.cols)
    return row, col, row * grid.stride, col * grid.stride


def _check_frame(frame: np.ndarray, grid: TileGrid) -> None:
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3:
        raise ImageError(f"frame must be a uint8 HxWxC array, got {getattr(frame, 'dtype', type(frame))}")
    if frame.shape[:2] != (grid.height, grid.width):
        raise ImageError(f"frame is {frame.shape[:2]}, grid expects {(grid.height, grid.width)}")


def extract_patch(frame: np.ndarray, grid: TileGrid, k: int) -> np.ndarray:
    """Patch k of an HxWxC uint8 frame as a PxPxC uint8 array (channels last), clamped to the frame's edge."""
    _check_frame(frame, grid)
    _, _, y0, x0 = _position(grid, k)
    ys = np.minimum(np.arange(y0, y0 + grid.patch), grid.height - 1)
    xs = np.minimum(np.arange(x0, x0 + grid.patch), grid.width - 1)
    return frame[ys[:, None], xs[None, :]]


def merge_patch(frame: np.ndarray, acc: np.ndarray, patch: np.ndarray, grid: TileGrid, k: int) -> None:
    """Merge patch k (PxPxC uint8) into `frame` (HxWxC uint8) in place, with `acc` (HxWxC uint32) holding the
    partial sums of pixels that a later patch still covers. Merging patches 0..count-1 in order leaves
    frame = (sum_k w_k * p_k + 2**(2B-1)) >> 2B for every pixel."""
    _check_frame(frame, grid)
    if acc.shape != frame.shape or acc.dtype != np.uint32:
        raise ImageError(f"accumulator must be uint32 {frame.shape}, got {acc.dtype} {acc.shape}")
    p, o = grid.patch, grid.overlap
    if patch.shape != (p, p, frame.shape[2]) or patch.dtype != np.uint8:
        raise ImageError(f"patch must be uint8 {(p, p, frame.shape[2])}, got {patch.dtype} {patch.shape}")
    row, col, y0, x0 = _position(grid, k)
    h, w = min(p, grid.height - y0), min(p, grid.width - x0)
    wr, wc = grid.weights(row, grid.rows)[:h], grid.weights(col, grid.cols)[:w]
    total = patch[:h, :w].astype(np.uint32) * (wr[:, None] * wc[None, :]).astype(np.uint32)[:, :, None]
    i, j = np.arange(h), np.arange(w)
    lead = ((i < o) & (row > 0))[:, None] | ((j < o) & (col > 0))[None, :]  # an earlier patch covers it
    trail = ((i >= p - o) & (row < grid.rows - 1))[:, None] | ((j >= p - o) & (col < grid.cols - 1))[None, :]
    a, f = acc[y0:y0 + h, x0:x0 + w], frame[y0:y0 + h, x0:x0 + w]
    total += np.where(lead[:, :, None], a, 0).astype(np.uint32)
    done = (total + (1 << grid.shift >> 1)) >> grid.shift
    np.copyto(a, total, where=trail[:, :, None])
    np.copyto(f, done.astype(np.uint8), where=~trail[:, :, None])


def extract(frame: np.ndarray, grid: TileGrid) -> np.ndarray:
    """HxWxC uint8 frame -> (count, C, P, P) uint8 patches, the layout the codec's backends take."""
    out = np.stack([extract_patch(frame, grid, k) for k in range(grid.count)])
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2))


def reassemble(patches: np.ndarray, grid: TileGrid) -> np.ndarray:
    """(count, C, P, P) uint8 patches -> HxWxC uint8 frame, merged in bitstream order by `merge_patch`."""
    n, c, p, _ = patches.shape
    if n != grid.count or p != grid.patch:
        raise ImageError(f"got {n} patches of {p}, grid needs {grid.count} of {grid.patch}")
    frame = np.zeros((grid.height, grid.width, c), dtype=np.uint8)
    acc = np.zeros_like(frame, dtype=np.uint32)
    for k in range(n):
        merge_patch(frame, acc, np.ascontiguousarray(patches[k].transpose(1, 2, 0)), grid, k)
    return frame


def tile_to_size(image: np.ndarray, height: int = 720, width: int = 1280) -> np.ndarray:
    """Repeat an image to fill HxW (the paper's 720p protocol: Kodak tiled to 1280x720)."""
    reps = (-(-height // image.shape[0]), -(-width // image.shape[1])) + (1,) * (image.ndim - 2)
    return np.ascontiguousarray(np.tile(image, reps)[:height, :width])


PAPER_720P = {"height": 720, "width": 1280, "patch": 256, "overlap": 56}
