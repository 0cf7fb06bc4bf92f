"""Codec: image <-> `.plic` bytes over any Backend, patch by patch in fixed-size batches."""

from __future__ import annotations

import numpy as np
from tqdm import tqdm

from pylic.codec import bitstream, tiling
from pylic.codec.entropy import LatentCoder
from pylic.errors import BitstreamError, ImageError
from pylic.imageio import check_size
from pylic.runtime.backend import Backend

BATCH = 8  # patches per backend call; fixed so encoder and decoder run the prior on identical batches


def check_image(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        got = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        raise ImageError(f"expected an HxWx3 uint8 RGB array, got {got}")
    check_size(image.shape[0], image.shape[1])  # the decoder's limit: never write a stream it would refuse
    return image


class Codec:
    """`encode(image) -> bytes`, `decode(bytes) -> image`; the same input gives the same bytes."""

    def __init__(self, backend: Backend, patch: int = tiling.PATCH, overlap: int = 0, progress: bool = False):
        self.backend = backend
        self.patch = patch
        self.overlap = overlap
        self.progress = progress
        self.coder = LatentCoder(backend.entropy_bottleneck, backend.gaussian_conditional)

    def _batches(self, n: int, desc: str) -> tqdm:
        return tqdm(range(0, n, BATCH), desc=desc, unit="batch", disable=not self.progress, leave=False)

    def encode(self, image: np.ndarray) -> bytes:
        image = check_image(image)
        header = bitstream.Header(self.backend.model_hash, image.shape[0], image.shape[1], self.patch,
                                  self.overlap, self.backend.name)
        grid = header.grid
        patches = tiling.extract(image, grid)
        subs: list[tuple[bytes, bytes]] = []
        for i in self._batches(grid.count, "encode"):
            x = patches[i:i + BATCH]
            y = self.backend.analysis(x)
            z = self.backend.hyper_analysis(y)
            z_strings, z_hat = self.coder.encode_z(z)
            idx = self.backend.prior_indexes(z_hat)
            y_strings = self.coder.encode_y(y, idx)
            subs.extend(zip(z_strings, y_strings))
        return bitstream.pack(header, subs)

    def decode(self, data: bytes, max_pixels: int = bitstream.MAX_PIXELS) -> np.ndarray:
        header, subs = bitstream.unpack(data, max_pixels)
        if header.model_hash != self.backend.model_hash:
            raise BitstreamError(
                f"bitstream was made by model {header.model_name or '?'} ({header.model_hash.hex()}), "
                f"not by {self.backend.name or '?'} ({self.backend.model_hash.hex()})"
            )
        grid = header.grid
        zs = grid.patch // 64
        out = np.empty((grid.count, 3, grid.patch, grid.patch), dtype=np.uint8)
        for i in self._batches(grid.count, "decode"):
            chunk = subs[i:i + BATCH]
            z_hat = self.coder.decode_z([z for z, _ in chunk], (zs, zs))
            idx = self.backend.prior_indexes(z_hat)
            y_hat = self.coder.decode_y([y for _, y in chunk], idx)
            out[i:i + len(chunk)] = self.backend.synthesis(y_hat)
        return tiling.reassemble(out, grid)
