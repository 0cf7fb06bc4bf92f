"""Single-entry mutations of a GDN/iGDN layer's tables, and which pixels catch them.

A *mutation* is one LUT offset/slope, beta or gamma entry changed by a few LSBs; a pixel *catches* it when the
golden output (`pylic.fixed.gdn_golden`) with the changed entry differs from the correct one, so a kernel
holding that entry fails csim on that pixel. Directed vectors (`directed_vectors`) are built to catch them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pylic.errors import PylicError
from pylic.fixed.gdn_golden import lut_entry, normalise
from pylic.fixed.gdn_params import GdnLayerParams


@dataclass(frozen=True)
class Mutation:
    """One table entry changed by `delta` LSBs: kind "lut_a"/"lut_b" (index k), "beta" (i) or "gamma" (i, j)."""

    kind: str
    index: tuple[int, ...]
    delta: int

    def apply(self, p: GdnLayerParams) -> GdnLayerParams:
        if self.kind == "lut_a":
            return p.replace(lut=p.lut.with_entry(self.index[0], delta_a=self.delta))
        if self.kind == "lut_b":
            return p.replace(lut=p.lut.with_entry(self.index[0], delta_b=self.delta))
        if self.kind == "beta":
            beta = p.beta_q.astype(np.int64)
            beta[self.index] += self.delta
            return p.replace(beta_q=beta.astype(np.int32))
        if self.kind == "gamma":
            gamma = p.gamma_q.astype(np.int64)
            gamma[self.index] += self.delta
            return p.replace(gamma_q=gamma.astype(np.int32))
        raise PylicError(f"unknown mutation kind {self.kind!r}")

    def valid(self, p: GdnLayerParams) -> bool:
        """The changed entry still fits its stored width (beta >= 1 and gamma >= 0, as quantize_gdn keeps)."""
        if self.kind in ("lut_a", "lut_b"):
            v = int((p.lut.a if self.kind == "lut_a" else p.lut.b)[self.index[0]]) + self.delta
            return -(1 << (p.fmt.lut_bits - 1)) <= v < (1 << (p.fmt.lut_bits - 1))
        if self.kind == "beta":
            return 1 <= int(p.beta_q[self.index]) + self.delta < (1 << p.fmt.beta_bits)
        return 0 <= int(p.gamma_q[self.index]) + self.delta < (1 << p.fmt.gamma_bits)


def table_mutations(p: GdnLayerParams, deltas: tuple[int, ...] = (1, -1)) -> list[Mutation]:
    """Every LUT offset, LUT slope and beta entry changed by each of `deltas` (those that stay valid)."""
    out = [Mutation(kind, (k,), d) for kind in ("lut_a", "lut_b") for k in range(p.lut.size) for d in deltas]
    out += [Mutation("beta", (i,), d) for i in range(p.channels) for d in deltas]
    return [m for m in out if m.valid(p)]


def catching_pixels(p: GdnLayerParams, m: Mutation, x: np.ndarray, acc: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Rows of pixels x [P, C] (with their traced acc and output y) on which mutation `m` changes the output.
    Only the outputs `m` can touch are recomputed, with the golden model's own steps 3-6."""
    xi = x.astype(np.int64)
    if m.kind in ("lut_a", "lut_b"):
        rows, cols = np.nonzero(lut_entry(acc, p) == m.index[0])
        _, _, y1 = normalise(acc[rows, cols], xi[rows, cols], m.apply(p))
        return np.unique(rows[y1 != y[rows, cols]])
    i = m.index[0]
    step = (np.int64(m.delta) << p.beta_shift) if m.kind == "beta" else m.delta * xi[:, m.index[1]] ** 2
    _, _, y1 = normalise(acc[:, i] + step, xi[:, i], p)
    return np.nonzero(y1 != y[:, i])[0]
