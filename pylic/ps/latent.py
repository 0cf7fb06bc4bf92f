"""Entropy coding of patch latents with numpy tables only: z with the factorized prior (one CDF per channel,
coding round(z - median)), y with the Gaussian conditional (one CDF per scale index from the prior path).

Container v1 keeps z and y of a patch in two streams (CompressAI's own layout: its bytes are identical);
v2 puts them in one stream, z first, and codes only the leading latent rows/columns that can reach the frame
(`pylic.ps.footprint`); the decoder fills the rest with y = 0 and z = its median. Patches code in parallel
threads (the rANS core releases the GIL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from pylic.ps import rans
from pylic.ps.rans import CdfTables, Decoder

LIMIT = 1 << 30  # |symbol| bound of the coder; only a broken model gets near it
Extent = tuple[tuple[int, int], tuple[int, int]]  # ((y rows, y cols), (z rows, z cols)) coded per patch


def symbols(x: np.ndarray, means: np.ndarray | None = None) -> np.ndarray:
    """round(x - means) half to even (torch.round's rule, as CompressAI quantizes), NaN -> 0, clipped."""
    x = np.asarray(x, dtype=np.float32)
    if means is not None:
        x = x - means
    return np.clip(np.nan_to_num(np.rint(x), nan=0.0), -LIMIT, LIMIT).astype(np.int32)


@dataclass(frozen=True)
class EntropyTables:
    """The numpy form of a model's two entropy models (what a deploy package stores as eb.* and gc.*)."""

    z: CdfTables
    z_medians: np.ndarray  # float32 [Z]; integers for deploy packages
    y: CdfTables
    both: CdfTables = field(init=False, repr=False)  # z rows then y rows: one table set for a v2 stream

    def __post_init__(self) -> None:
        med = np.ascontiguousarray(self.z_medians, dtype=np.float32).reshape(-1)
        if med.shape != (self.z.rows,) or not np.isfinite(med).all():
            raise ValueError(f"{med.shape} z medians for {self.z.rows} z channels")
        object.__setattr__(self, "z_medians", med)
        object.__setattr__(self, "both", CdfTables.concat(self.z, self.y))

    @staticmethod
    def from_arrays(arrays: Mapping[str, np.ndarray]) -> "EntropyTables":
        """From a deploy package's arrays (eb.cdf, eb.cdf_length, eb.offset, eb.medians, gc.cdf, ...)."""
        z = CdfTables(arrays["eb.cdf"], arrays["eb.cdf_length"], arrays["eb.offset"])
        y = CdfTables(arrays["gc.cdf"], arrays["gc.cdf_length"], arrays["gc.offset"])
        return EntropyTables(z, np.asarray(arrays["eb.medians"]).astype(np.float32), y)


class LatentCoder:
    """Codes batches of patch latents (B, C, H, W) with an EntropyTables; one or two byte strings per patch."""

    def __init__(self, tables: EntropyTables, workers: int | None = None):
        self.t = tables
        self.workers = workers
        self._med = tables.z_medians.reshape(1, -1, 1, 1)

    def z_symbols(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(symbols, z_hat): z_hat is what the decoder reconstructs from the symbols."""
        sym = symbols(z, self._med)
        return sym, sym.astype(np.float32) + self._med

    def _z_indexes(self, shape: Sequence[int]) -> np.ndarray:
        return np.broadcast_to(np.arange(shape[0], dtype=np.int32)[:, None, None], tuple(shape))

    # -- container v1: separate z and y streams, every position (CompressAI's layout) --
    def encode_z(self, z: np.ndarray) -> tuple[list[bytes], np.ndarray]:
        sym, z_hat = self.z_symbols(z)
        idx = self._z_indexes(sym.shape[1:])
        return rans.map_threads(lambda s: rans.encode(s, idx, self.t.z), sym, self.workers), z_hat

    def decode_z(self, strings: list[bytes], size: tuple[int, int]) -> np.ndarray:
        idx = self._z_indexes((self.t.z.rows, *size))
        sym = np.stack(rans.map_threads(lambda s: rans.decode(s, idx, self.t.z), strings, self.workers))
        return sym.astype(np.float32) + self._med

    def encode_y(self, y: np.ndarray, indexes: np.ndarray) -> list[bytes]:
        sym = symbols(y)
        return rans.map_threads(lambda i: rans.encode(sym[i], indexes[i], self.t.y), range(len(sym)), self.workers)

    def decode_y(self, strings: list[bytes], indexes: np.ndarray) -> np.ndarray:
        out = rans.map_threads(lambda i: rans.decode(strings[i], indexes[i], self.t.y), range(len(strings)),
                               self.workers)
        return np.stack(out).astype(np.float32)

    # -- container v2: one stream per patch, z then y, only the positions that reach the frame --
    def fill_z(self, z_hat: np.ndarray, extents: Sequence[Extent]) -> np.ndarray:
        """z_hat with the positions not coded set to the median (what the decoder assumes)."""
        out = np.broadcast_to(self._med, z_hat.shape).copy()
        for b, (_, (zr, zc)) in enumerate(extents):
            out[b, :, :zr, :zc] = z_hat[b, :, :zr, :zc]
        return out

    def encode_patches(self, z_sym: np.ndarray, y: np.ndarray, indexes: np.ndarray,
                       extents: Sequence[Extent]) -> list[bytes]:
        y_sym = symbols(y)
        nz = self.t.z.rows

        def one(b: int) -> bytes:
            (yr, yc), (zr, zc) = extents[b]
            zs = z_sym[b, :, :zr, :zc]
            parts = [zs.ravel(), y_sym[b, :, :yr, :yc].ravel()]
            idx = [self._z_indexes(zs.shape).ravel(), indexes[b, :, :yr, :yc].ravel() + nz]
            return rans.encode(np.concatenate(parts), np.concatenate(idx), self.t.both)

        return rans.map_threads(one, range(len(z_sym)), self.workers)

    def decode_patches_z(self, streams: list[bytes], extents: Sequence[Extent],
                         size: tuple[int, int]) -> tuple[list[Decoder], np.ndarray]:
        """Open each stream and read its z: (decoders positioned at y, filled z_hat (B, Z, *size))."""
        z_hat = np.broadcast_to(self._med, (len(streams), self.t.z.rows, *size)).copy()

        def one(b: int) -> Decoder:
            dec = Decoder(streams[b])
            zr, zc = extents[b][1]
            sym = dec.read(self._z_indexes((self.t.z.rows, zr, zc)), self.t.both)
            z_hat[b, :, :zr, :zc] += sym.astype(np.float32)
            return dec

        return rans.map_threads(one, range(len(streams)), self.workers), z_hat

    def decode_patches_y(self, decoders: list[Decoder], indexes: np.ndarray, extents: Sequence[Extent]) -> np.ndarray:
        """Read each stream's y and check it ended exactly; positions not coded are 0."""
        y_hat = np.zeros(indexes.shape, dtype=np.float32)
        nz = self.t.z.rows

        def one(b: int) -> None:
            yr, yc = extents[b][0]
            sym = decoders[b].read(indexes[b, :, :yr, :yc] + nz, self.t.both)
            decoders[b].finish()
            y_hat[b, :, :yr, :yc] = sym

        rans.map_threads(one, range(len(decoders)), self.workers)
        return y_hat
