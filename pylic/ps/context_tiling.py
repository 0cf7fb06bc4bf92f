"""Latent-domain tiling with context: the frame's latents are coded as if the frame were analysed in one piece,
while the DPU still sees only P x P pixel windows and (P/16) x (P/16) latent windows.

- **Coding tiles** are the overlap-0 patch grid (`TileGrid(H, W, P, 0)`) carried into the latent domain: tile k
  holds the (P/16)^2 latents of pixel patch k, coded as one container-v2 stream (z then y, only the positions that
  reach the frame, `pylic.ps.footprint`). So the bits are those of overlap-0 tiling; nothing is coded twice.
- **Analysis windows** run along each axis of the padded frame (L = tiles * P, edge-clamped as `ps.tiling`
  extracts). Window k owns the pixels [k*S, (k+1)*S) (S = P - 2C; the last one owns up to L), and its origin is
  k*S - C clamped to [0, L - P]. So every owned pixel has at least C pixels of real context inside the window,
  except at the frame's own borders, where the window starts or ends at the frame as whole-image analysis does.
  The owned latents of every window form one latent map.
- **Synthesis windows** are the same windows in latents (origin/16, P/16 wide) over the decoded map; each keeps
  its owned pixels.

Measured (`docs/tiling.md`): at C = 32 the decoded pixels reach whole-image PSNR, at overlap-0 bits; the DPU runs
more windows than patches (Kodak 768x512: 12 instead of 6; 1280x720: 28 instead of 15).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pylic.errors import ImageError
from pylic.ps.tiling import PATCH, TileGrid

DOWN = 16  # g_a's stride: one latent per 16 x 16 pixels
Span = tuple[int, int, int]  # (owned start, owned end, window origin) along one axis, in pixels


@dataclass(frozen=True)
class ContextGrid:
    """The analysis/synthesis windows and coding tiles of one H x W frame."""

    height: int
    width: int
    patch: int = PATCH
    context: int = 32

    def __post_init__(self) -> None:
        TileGrid(self.height, self.width, self.patch, 0)  # its checks: frame size, patch
        if self.context % DOWN or not DOWN <= self.context or self.patch - 2 * self.context < 64:
            raise ImageError(f"context {self.context} must be a multiple of {DOWN} in {DOWN}.."
                             f"{(self.patch - 64) // 2}")

    @property
    def tiles(self) -> TileGrid:
        """The coding tiles, in pixels: tile k's latents are those of the overlap-0 patch k."""
        return TileGrid(self.height, self.width, self.patch, 0)

    @property
    def own(self) -> int:
        return self.patch - 2 * self.context

    def spans(self, tiles: int) -> tuple[Span, ...]:
        """(owned start, owned end, origin) of every window along an axis of `tiles` coding tiles."""
        length, p, s, c = tiles * self.patch, self.patch, self.own, self.context
        n = 1 if length == p else -(-(length - p + c) // s) + 1
        return tuple((k * s, (k + 1) * s if k < n - 1 else length, min(max(k * s - c, 0), length - p))
                     for k in range(n))

    @property
    def row_spans(self) -> tuple[Span, ...]:
        return self.spans(self.tiles.rows)

    @property
    def col_spans(self) -> tuple[Span, ...]:
        return self.spans(self.tiles.cols)

    @property
    def count(self) -> int:
        """Windows per frame (what the DPU runs for analysis, and again for synthesis)."""
        return len(self.row_spans) * len(self.col_spans)

    def windows(self) -> list[tuple[Span, Span]]:
        return [(r, c) for r in self.row_spans for c in self.col_spans]


def check_options(patch: int, context: int, overlap: int = 0, version: int = 2) -> None:
    """A codec's tiling options, checked before any work: context tiling is a container-v2 mode without
    overlap, and its context must suit the patch (ImageError otherwise)."""
    if context:
        if overlap or version != 2:
            raise ValueError("context tiling is a container v2 mode without overlap")
        ContextGrid(patch, patch, patch, context)


def extract_windows(frame: np.ndarray, grid: ContextGrid) -> np.ndarray:
    """H x W x C uint8 frame -> (windows, C, P, P) uint8, clamped to the frame's edge."""
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 \
            or frame.shape[:2] != (grid.height, grid.width):
        raise ImageError(f"frame must be a uint8 {grid.height}x{grid.width}xC array")
    p = grid.patch
    out = []
    for (_, _, oy), (_, _, ox) in grid.windows():
        ys = np.minimum(np.arange(oy, oy + p), grid.height - 1)
        xs = np.minimum(np.arange(ox, ox + p), grid.width - 1)
        out.append(frame[ys[:, None], xs[None, :]])
    return np.ascontiguousarray(np.stack(out).transpose(0, 3, 1, 2))


def owned_latents(y: np.ndarray, grid: ContextGrid) -> np.ndarray:
    """Analysis outputs (windows, M, P/16, P/16) -> the frame's latent map (M, rows*P/16, cols*P/16)."""
    t = grid.patch // DOWN
    out = np.zeros((y.shape[1], grid.tiles.rows * t, grid.tiles.cols * t), dtype=y.dtype)
    for k, ((ay, by, oy), (ax, bx, ox)) in enumerate(grid.windows()):
        out[:, ay // DOWN:by // DOWN, ax // DOWN:bx // DOWN] = \
            y[k, :, (ay - oy) // DOWN:(by - oy) // DOWN, (ax - ox) // DOWN:(bx - ox) // DOWN]
    return out


def latent_tiles(y_map: np.ndarray, grid: ContextGrid) -> np.ndarray:
    """Latent map -> (tiles, M, P/16, P/16) in coding order (row-major, as the overlap-0 patches)."""
    t, g = grid.patch // DOWN, grid.tiles
    return np.ascontiguousarray(np.stack([y_map[:, r * t:(r + 1) * t, c * t:(c + 1) * t]
                                          for r in range(g.rows) for c in range(g.cols)]))


def latent_map(tiles: np.ndarray, grid: ContextGrid) -> np.ndarray:
    """Inverse of `latent_tiles`."""
    t, g = grid.patch // DOWN, grid.tiles
    if tiles.shape[0] != g.count or tiles.shape[2:] != (t, t):
        raise ImageError(f"got {tiles.shape[0]} latent tiles of {tiles.shape[2:]}, need {g.count} of {(t, t)}")
    out = np.zeros((tiles.shape[1], g.rows * t, g.cols * t), dtype=tiles.dtype)
    for k in range(g.count):
        r, c = divmod(k, g.cols)
        out[:, r * t:(r + 1) * t, c * t:(c + 1) * t] = tiles[k]
    return out


def synthesis_windows(y_map: np.ndarray, grid: ContextGrid) -> np.ndarray:
    """Latent map -> (windows, M, P/16, P/16): the latents each synthesis window reads."""
    t = grid.patch // DOWN
    return np.ascontiguousarray(np.stack([y_map[:, oy // DOWN:oy // DOWN + t, ox // DOWN:ox // DOWN + t]
                                          for (_, _, oy), (_, _, ox) in grid.windows()]))


def place_owned(pixels: np.ndarray, grid: ContextGrid) -> np.ndarray:
    """Synthesis outputs (windows, C, P, P) uint8 -> the H x W x C frame, each window's owned pixels."""
    if pixels.shape[0] != grid.count or pixels.shape[2:] != (grid.patch, grid.patch):
        raise ImageError(f"got {pixels.shape[0]} windows of {pixels.shape[2:]}, need {grid.count}")
    g = grid.tiles
    out = np.zeros((g.rows * grid.patch, g.cols * grid.patch, pixels.shape[1]), dtype=np.uint8)
    for k, ((ay, by, oy), (ax, bx, ox)) in enumerate(grid.windows()):
        out[ay:by, ax:bx] = pixels[k, :, ay - oy:by - oy, ax - ox:bx - ox].transpose(1, 2, 0)
    return np.ascontiguousarray(out[:grid.height, :grid.width])
