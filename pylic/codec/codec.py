"""Codec: image <-> `.plic` bytes over any Backend, patch by patch in fixed-size batches.

Writes container v2 by default (one stream per patch, only the latent positions that reach the frame) and
reads v1 and v2; `version=1` writes the old layout (kept for comparisons and old readers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from pylic.codec import tiling
from pylic.errors import BitstreamError, ImageError
from pylic.imageio import check_size
from pylic.ps import container, container_v1, footprint
from pylic.ps.context_tiling import (check_options, extract_windows, latent_map, latent_tiles, owned_latents,
                                     place_owned, synthesis_windows)
from pylic.ps.latent import LatentCoder

if TYPE_CHECKING:
    from pylic.runtime.backend import Backend

BATCH = 8  # patches per backend call; fixed so encoder and decoder run the prior on identical batches
VERSIONS = (1, 2)


def check_image(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        got = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        raise ImageError(f"expected an HxWx3 uint8 RGB array, got {got}")
    check_size(image.shape[0], image.shape[1])  # the decoder's limit: never write a stream it would refuse
    return image


class Codec:
    """`encode(image) -> bytes`, `decode(bytes) -> image`; the same input gives the same bytes.

    `overlap` blends overlapping patches (`pylic.ps.tiling`); `context` (a multiple of 16, e.g. 32) switches to
    latent-domain tiling with context (`pylic.ps.context_tiling`): overlap-0 bits at whole-image quality, for
    more DPU windows. The two are exclusive."""

    def __init__(self, backend: Backend, patch: int | None = None, overlap: int = 0, progress: bool = False,
                 version: int = container.VERSION, workers: int | None = None, context: int = 0):
        model_patch = getattr(backend, "patch", None)
        self.patch = patch if patch is not None else (model_patch or tiling.PATCH)
        if model_patch is not None and self.patch != model_patch:
            raise ImageError(f"patch {self.patch} is not the model's patch {model_patch}")
        if version not in VERSIONS:
            raise ValueError(f"container version must be one of {VERSIONS}")
        check_options(self.patch, context, overlap, version)
        self.backend = backend
        self.overlap = overlap
        self.context = context
        self.progress = progress
        self.version = version
        self.coder = LatentCoder(backend.entropy, workers)

    def _batches(self, n: int, desc: str) -> tqdm:
        return tqdm(range(0, n, BATCH), desc=desc, unit="batch", disable=not self.progress, leave=False)

    def _extents(self, grid: tiling.TileGrid) -> list[footprint.Extent]:
        return footprint.patch_extents(grid, self.backend.layers["g_s"], self.backend.layers["h_s"])

    def _code(self, y: np.ndarray, ext: list[footprint.Extent]) -> list[bytes]:
        """One v2 stream per latent tile: z, then y with the scales the decoder will derive."""
        z = self.backend.hyper_analysis(y)
        z_sym, z_hat = self.coder.z_symbols(z)
        idx = self.backend.prior_indexes(self.coder.fill_z(z_hat, ext))
        return self.coder.encode_patches(z_sym, y, idx, ext)

    def _uncode(self, streams: list[bytes], ext: list[footprint.Extent], z_side: int) -> np.ndarray:
        decoders, z_hat = self.coder.decode_patches_z(streams, ext, (z_side, z_side))
        return self.coder.decode_patches_y(decoders, self.backend.prior_indexes(z_hat), ext)

    def encode(self, image: np.ndarray) -> bytes:
        image = check_image(image)
        mode = container.CONTEXT_TILING if self.context else container.PATCH_TILING
        header = container.Header(self.backend.model_hash, image.shape[0], image.shape[1], self.patch,
                                  self.context or self.overlap, self.backend.name if self.version == 1 else "", 3,
                                  self.version, mode)
        grid = header.grid
        extents = self._extents(grid)
        if self.context:
            cgrid = header.context_grid()
            windows = extract_windows(image, cgrid)
            y = np.concatenate([self.backend.analysis(windows[i:i + BATCH])
                                for i in self._batches(cgrid.count, "analysis")])
            tiles = latent_tiles(owned_latents(y, cgrid), cgrid)
            streams = [s for i in self._batches(grid.count, "encode")
                       for s in self._code(tiles[i:i + BATCH], extents[i:i + BATCH])]
            return container.pack(header, streams)
        patches = tiling.extract(image, grid)
        subs: list = []
        for i in self._batches(grid.count, "encode"):
            y = self.backend.analysis(patches[i:i + BATCH])
            if self.version == 1:
                z_strings, z_hat = self.coder.encode_z(self.backend.hyper_analysis(y))
                y_strings = self.coder.encode_y(y, self.backend.prior_indexes(z_hat))
                subs.extend(zip(z_strings, y_strings))
            else:
                subs.extend(self._code(y, extents[i:i + BATCH]))
        return container_v1.pack(header, subs) if self.version == 1 else container.pack(header, subs)

    def decode(self, data: bytes, max_pixels: int = container.MAX_PIXELS) -> np.ndarray:
        header, subs = container.read(data, max_pixels, self.patch)
        if header.model_hash != self.backend.model_hash:
            raise BitstreamError(
                f"bitstream was made by model {header.model_name or '?'} ({header.model_hash.hex()}), "
                f"not by {self.backend.name or '?'} ({self.backend.model_hash.hex()})"
            )
        grid = header.grid
        zs = grid.patch // 64
        extents = self._extents(grid)
        if header.mode == container.CONTEXT_TILING:
            cgrid = header.context_grid()
            tiles = np.concatenate([self._uncode(subs[i:i + BATCH], extents[i:i + BATCH], zs)
                                    for i in self._batches(grid.count, "decode")])
            windows = synthesis_windows(latent_map(tiles, cgrid), cgrid)
            pixels = np.concatenate([self.backend.synthesis(windows[i:i + BATCH])
                                     for i in self._batches(cgrid.count, "synthesis")])
            return place_owned(pixels, cgrid)
        out = np.empty((grid.count, 3, grid.patch, grid.patch), dtype=np.uint8)
        for i in self._batches(grid.count, "decode"):
            chunk = subs[i:i + BATCH]
            if header.version == 1:
                z_hat = self.coder.decode_z([z for z, _ in chunk], (zs, zs))
                y_hat = self.coder.decode_y([y for _, y in chunk], self.backend.prior_indexes(z_hat))
            else:
                y_hat = self._uncode(chunk, extents[i:i + BATCH], zs)
            out[i:i + len(chunk)] = self.backend.synthesis(y_hat)
        return tiling.reassemble(out, grid)
