"""The PS (ARM) steps of one patch between the DPU and GDN stages, in the lanes' int8 NHWC layout.

Every number comes from the deploy package through the code that defines it for the emulator (input LUT from
`quantize_param`, scale indexes from `deploy.entropy.index_lut`, the entropy coder `codec.entropy.LatentCoder`
over the package's tables), so host and board write the same bytes. Those helpers are imported when a
`PsPath` is built, not when this module is imported: the board-ready, torch-free versions of them are issue 9's
work (`pylic.ps`); swap the three imports in `PsPath.__init__` when they land.
"""

from __future__ import annotations

from typing import Any

import numpy as np


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

    def __init__(self, package: Any, coder: Any | None = None):
        from pylic.deploy.entropy import index_lut  # noqa: PLC0415 (lazy: see module doc)
        from pylic.quant.rounding import quantize_param  # noqa: PLC0415

        m, arrays = package.manifest, package.arrays
        p = m.pixels
        self.input_lut = quantize_param(np.arange(256, dtype=np.float64) / p.input_scale, p.input_position)
        self.index_lut = index_lut(np.asarray(arrays["gc.thresholds"]))
        self.out_pos = p.output_position
        self.patch = m.patch
        if coder is None:
            from pylic.codec.entropy import LatentCoder  # noqa: PLC0415
            from pylic.deploy.entropy import build_modules  # noqa: PLC0415

            coder = LatentCoder(*build_modules(m.entropy, dict(arrays)))
        self.coder = coder

    def pixels_in(self, patch: np.ndarray) -> np.ndarray:
        """uint8 (3, P, P) -> int8 (1, P, P, 3)."""
        return np.ascontiguousarray(self.input_lut[patch.transpose(1, 2, 0)][None])

    def pixels_out(self, q: np.ndarray) -> np.ndarray:
        """int8 (1, P, P, 3) -> uint8 (3, P, P): round(q * 255 / 2^f) half up, clamped."""
        f, v = self.out_pos, q[0].astype(np.int64) * 255
        v = (v + (1 << (f - 1))) >> f if f > 0 else v << -f
        return np.ascontiguousarray(np.clip(v, 0, 255).astype(np.uint8).transpose(2, 0, 1))

    @staticmethod
    def abs(x: np.ndarray) -> np.ndarray:
        return np.minimum(np.abs(x.astype(np.int16)), 127).astype(np.int8)  # |-128| saturates, as the PS writes

    def z_encode(self, z: np.ndarray) -> tuple[bytes, np.ndarray]:
        """int8 z (1, h, w, C) -> its substream and z_hat as the decoder sees it (int8 NHWC)."""
        strings, z_hat = self.coder.encode_z(nchw(z).astype(np.float32))
        return strings[0], nhwc(to_int8(z_hat))

    def z_decode(self, string: bytes) -> np.ndarray:
        side = self.patch // 64
        return nhwc(to_int8(self.coder.decode_z([string], (side, side))))

    def indexes(self, q: np.ndarray) -> np.ndarray:
        """h_s's int8 output (NHWC) -> scale indexes (NCHW, as the coder takes them)."""
        return nchw(self.index_lut[q.astype(np.int64) + 128])

    def y_encode(self, y: np.ndarray, q: np.ndarray) -> bytes:
        return self.coder.encode_y(nchw(y).astype(np.float32), self.indexes(q))[0]

    def y_decode(self, string: bytes, q: np.ndarray) -> np.ndarray:
        return nhwc(to_int8(self.coder.decode_y([string], self.indexes(q))))
