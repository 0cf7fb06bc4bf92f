"""The PS (ARM) steps of one patch between the DPU and GDN stages, in the lanes' int8 NHWC layout.

Every number comes from the deploy package through the torch-free code that defines it for the emulator too
(`pylic.ps`: the pixel LUTs, `abs`, the scale-index LUT and the rANS latent coder over the package's tables), so
host and board write the same bytes.

Container v2 (the default) codes one stream per patch, z then y, only the latent positions whose footprint
reaches the frame (`pylic.ps.footprint`); a patch's `extent` travels with it. z coding therefore splits into two
PS steps: `z_encode` computes the z symbols and the filled z_hat that h_s reads, `y_encode` writes the patch's
one stream. Decoding mirrors it: `z_decode` opens the stream and reads z, `y_decode` reads y from the same
decoder and checks the stream ended exactly. Version 1 (separate z and y streams, every position) still decodes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pylic.ps import pixels, prior
from pylic.ps.latent import EntropyTables, Extent, LatentCoder
from pylic.ps.package import ps_tables


def nchw(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def nhwc(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1))


def to_int8(a: np.ndarray) -> np.ndarray:
    """Decoded latents as the int8 the DPU reads: round, NaN -> 0, saturate (what the emulator does)."""
    a = np.nan_to_num(np.round(np.asarray(a, dtype=np.float32)), nan=0.0)
    return np.clip(a, -128, 127).astype(np.int8)


class PsPath:
    """Pixel conversion, `abs`, scale indexes and the entropy coder of one deploy package."""

    def __init__(self, package: Any, coder: LatentCoder | None = None):
        t = ps_tables(package)
        self.input_lut, self.index_lut, self.out_pos = t.input_lut, t.index_lut, t.output_position
        self.out_scale, self.out_offset = t.output_scale, t.output_offset  # the package's pixel convention
        self.patch = t.patch
        # one patch per call: the lanes are the parallelism, so the coder runs in the calling thread
        self.coder = coder if coder is not None else LatentCoder(EntropyTables.from_arrays(package.arrays), 1)

    @property
    def entropy(self) -> EntropyTables:
        return self.coder.t

    def pixels_in(self, patch: np.ndarray) -> np.ndarray:
        """uint8 (3, P, P) -> int8 (1, P, P, 3)."""
        return np.ascontiguousarray(pixels.pixels_in(patch.transpose(1, 2, 0), self.input_lut)[None])

    def pixels_out(self, q: np.ndarray) -> np.ndarray:
        """int8 (1, P, P, 3) -> uint8 (3, P, P)."""
        return np.ascontiguousarray(pixels.pixels_out(q[0], self.out_pos, self.out_scale, self.out_offset)
                                    .transpose(2, 0, 1))

    @staticmethod
    def abs(x: np.ndarray) -> np.ndarray:
        return prior.abs_sat(x)

    def indexes(self, q: np.ndarray) -> np.ndarray:
        """h_s's int8 output (NHWC) -> scale indexes (NCHW, as the coder takes them)."""
        return nchw(prior.scale_index(q, self.index_lut))

    # -- container v2: one stream per patch --
    def z_symbols(self, z: np.ndarray, extent: Extent) -> tuple[np.ndarray, np.ndarray]:
        """int8 z (1, h, w, C) -> (z symbols, the filled z_hat h_s reads, int8 NHWC)."""
        sym, z_hat = self.coder.z_symbols(nchw(z).astype(np.float32))
        return sym, nhwc(to_int8(self.coder.fill_z(z_hat, [extent])))

    def encode_patch(self, z_sym: np.ndarray, y: np.ndarray, q: np.ndarray, extent: Extent) -> bytes:
        return self.coder.encode_patches(z_sym, nchw(y).astype(np.float32), self.indexes(q), [extent])[0]

    def open_patch(self, stream: bytes, extent: Extent) -> tuple[Any, np.ndarray]:
        """(decoder positioned at y, filled z_hat as int8 NHWC)."""
        side = self.patch // 64
        decoders, z_hat = self.coder.decode_patches_z([stream], [extent], (side, side))
        return decoders[0], nhwc(to_int8(z_hat))

    def finish_patch(self, decoder: Any, q: np.ndarray, extent: Extent) -> np.ndarray:
        return nhwc(to_int8(self.coder.decode_patches_y([decoder], self.indexes(q), [extent])))

    # -- container v1: separate z and y streams, every position --
    def z_encode(self, z: np.ndarray) -> tuple[bytes, np.ndarray]:
        """int8 z (1, h, w, C) -> its substream and z_hat as the decoder sees it (int8 NHWC)."""
        strings, z_hat = self.coder.encode_z(nchw(z).astype(np.float32))
        return strings[0], nhwc(to_int8(z_hat))

    def z_decode(self, string: bytes) -> np.ndarray:
        side = self.patch // 64
        return nhwc(to_int8(self.coder.decode_z([string], (side, side))))

    def y_encode(self, y: np.ndarray, q: np.ndarray) -> bytes:
        return self.coder.encode_y(nchw(y).astype(np.float32), self.indexes(q))[0]

    def y_decode(self, string: bytes, q: np.ndarray) -> np.ndarray:
        return nhwc(to_int8(self.coder.decode_y([string], self.indexes(q))))
