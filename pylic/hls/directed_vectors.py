"""Directed csim vectors: int8 pixels chosen so that one wrong table entry in a GDN/iGDN kernel shows.

Photo patches exercise the common path only: a LUT entry +10 or a beta entry +1 passes them. Here every
single-entry change of the LUT (offset `a`, slope `b`) and of beta by +-1 LSB is a *mutation*; a pixel
*catches* it when the golden output (`pylic.fixed.gdn_golden`) with the changed parameters differs from the
correct one. A large seeded pool of candidate pixels (one-hot sweeps of every channel and value, sparse and
dense random pixels of every magnitude) is traced once; each mutation is re-evaluated only on the outputs it
can touch (`normalise` on the same accumulators), and a greedy set cover keeps the few pixels that catch
every mutation any pool pixel catches. Gamma is exercised, not covered exactly (a +1 change of one gamma
entry is usually below the accumulator's mantissa resolution): for every input channel j, one pixel drives
x_j = -128 with every other channel non-zero, so every gamma row and column enters an output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pylic.errors import PylicError
from pylic.fixed.gdn_golden import gdn_trace, lut_entry, normalise
from pylic.fixed.gdn_params import GdnLayerParams

MAX_ROWS_PER_MUTATION = 64  # pool pixels kept per mutation for the set cover (bounds its cost)
SEARCH_CHANNELS = 6  # output channels the targeted search tries per LUT mutation (bounds its cost)


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


def candidate_pool(channels: int, rng: np.random.Generator, n_random: int = 20000) -> np.ndarray:
    """int8 [P, C]: every channel alone at every value, then random pixels of every density and magnitude."""
    values = np.arange(-128, 128, dtype=np.int64)
    sweep = np.zeros((channels * values.size, channels), np.int64)
    sweep[np.arange(sweep.shape[0]), np.repeat(np.arange(channels), values.size)] = np.tile(values, channels)
    scale = 2.0 ** rng.uniform(-1, 8, size=(n_random, 1))
    density = rng.uniform(0, 1, size=(n_random, 1)) ** 2
    noise = np.round(rng.standard_normal((n_random, channels)) * scale)
    noise *= rng.uniform(size=(n_random, channels)) < density
    return np.clip(np.concatenate([sweep, noise.astype(np.int64)]), -128, 127).astype(np.int8)


def gamma_pixels(p: GdnLayerParams) -> np.ndarray:
    """int8 [C, C]: pixel j holds x_j = -128 and every other channel at the smallest |v| that leaves the most
    outputs non-zero and unsaturated, so gamma[i, j] * 128**2 enters output i for every i != j (and j's own)."""
    c = p.channels
    out = np.zeros((c, c), np.int8)
    for j in range(c):
        best, best_ok = None, -1
        for v in (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 127):
            px = np.full((1, c), v, np.int8)
            px[0, j] = -128
            y = gdn_trace(px, p).y[0]
            ok = int(((y != 0) & (np.abs(y) < 127)).sum())
            if ok > best_ok:
                best, best_ok = px[0], ok
        out[j] = best
    return out


def greedy_cover(hits: list[np.ndarray]) -> list[int]:
    """Pool rows that together catch every mutation with a non-empty `hits` entry (greedy set cover)."""
    open_ = [h for h in hits if h.size]
    chosen: list[int] = []
    while open_:
        counts = np.bincount(np.concatenate(open_))
        row = int(counts.argmax())
        chosen.append(row)
        open_ = [h for h in open_ if row not in h]
    return chosen


# x_i tried by the targeted search, large (fine output grid) first; odd steps so that x_i * r meets many
# rounding boundaries
NUMERATORS = (127, -128, 113, -105, 97, -91, 83, -77, 71, -64, 58, -52, 45, -39, 33, -27, 21, -15)


def _reach(p: GdnLayerParams, i: int, v: int) -> tuple[int, int]:
    """Range [lo, hi] of acc_i over pixels with x_i = v (every other |x_j| <= 128)."""
    g = p.gamma_q[i].astype(np.int64)
    lo = int(p.beta_acc[i]) + int(g[i]) * v * v
    return lo, lo + (int(g.sum()) - int(g[i])) * 128 * 128


def realise(p: GdnLayerParams, i: int, v: int, lo: int, hi: int) -> np.ndarray | None:
    """A pixel with x_i = v and lo <= acc_i < hi, filling the other channels greedily from the largest gamma
    down (each takes as much of the remainder as its square allows; the largest channel is then held back
    one step at a time), or None when the greedy fill misses."""
    g = p.gamma_q[i].astype(np.int64)
    order = sorted((j for j in range(p.channels) if j != i and g[j] > 0), key=lambda j: -g[j])
    base = hi - 1 - int(p.beta_acc[i]) - int(g[i]) * v * v
    for cap in range(8):
        px = np.zeros(p.channels, np.int64)
        px[i] = v
        rem = base
        for n, j in enumerate(order):
            mag = min(128, int(np.sqrt(max(rem, 0) // int(g[j]))))
            while mag and int(g[j]) * mag * mag > rem:
                mag -= 1
            mag = max(mag - cap, 0) if n == 0 else mag
            px[j] = -mag if mag == 128 or j % 2 else mag
            rem -= int(g[j]) * mag * mag
        if rem < 0:
            return None
        acc = int(gdn_trace(px[None].astype(np.int8), p).acc[0, i])
        if lo <= acc < hi:
            return px.astype(np.int8)
        if not order:
            return None
    return None


def _segment_reachable(p: GdnLayerParams, i: int, par: int, seg: int) -> bool:
    """Whether some accumulator in channel i's reach (any x_i) reads LUT segment `seg` of parity `par`."""
    lo, hi = _reach(p, i, 0)[0], max(_reach(p, i, v)[1] for v in (0, -128))
    ib = p.lut.index_bits
    for k in range(lo.bit_length() - 1, hi.bit_length()):
        if (k - p.acc_frac) & 1 != par:
            continue
        start = ((1 << ib) | seg) << (k - ib) if k >= ib else None
        if start is not None and start < hi and start + (1 << (k - ib)) > lo:
            return True
    return False


def targeted_pixel(p: GdnLayerParams, m: Mutation, rng: np.random.Generator, tries: int = 8) -> np.ndarray | None:
    """A pixel catching LUT mutation `m`: for output channels i, octaves of the entry's parity and all
    `NUMERATORS` v at once, the in-segment offsets d where the changed entry moves x_i = v's output are found
    exactly; the first accumulator window of such a (v, d) that `realise` can hit becomes the pixel."""
    lut, mbits = p.lut, p.lut.index_bits + p.lut.interp_bits
    par, seg = m.index[0] >> lut.index_bits, m.index[0] & ((1 << lut.index_bits) - 1)
    mant = (1 << mbits) | (seg << lut.interp_bits) | np.arange(1 << lut.interp_bits, dtype=np.int64)
    bad = m.apply(p)
    vs = np.array(NUMERATORS, np.int64)
    for i in [i for i in rng.permutation(p.channels) if _segment_reachable(p, int(i), par, seg)][:SEARCH_CHANNELS]:
        reach = [_reach(p, int(i), int(v)) for v in NUMERATORS]
        lo_v = np.array([lo for lo, _ in reach], np.int64)[:, None]
        hi_v = np.array([hi for _, hi in reach], np.int64)[:, None]
        octaves = [k for k in range(max(int(lo_v.min()).bit_length() - 1, mbits), int(hi_v.max()).bit_length())
                   if (k - p.acc_frac) & 1 == par]
        for k in octaves:  # windows of width 2**(k - mbits), one per offset d
            acc = mant[None, :] << (k - mbits)
            vi, d = np.nonzero((acc + (1 << (k - mbits)) > lo_v) & (acc <= hi_v))  # within reach of x_i = v
            a, x = acc[0, d], vs[vi]
            moved = normalise(a, x, p)[2] != normalise(a, x, bad)[2]
            for vi, d in list(zip(vi[moved], d[moved]))[:tries]:
                lo = max(int(acc[0, d]), int(lo_v[vi, 0]))
                hi = min(int(acc[0, d]) + (1 << (k - mbits)), int(hi_v[vi, 0]) + 1)
                px = realise(p, int(i), int(vs[vi]), lo, hi)
                if px is not None:
                    return px
    return None


def directed_vectors(p: GdnLayerParams, seed: int = 0, n_random: int = 20000) -> np.ndarray:
    """int8 [D, C]: the pixels that catch every LUT/beta +-1 mutation the pool catches, then the gamma
    pixels. Deterministic for a given layer and seed."""
    rng = np.random.default_rng(seed)
    pool = candidate_pool(p.channels, rng, n_random)
    tr = gdn_trace(pool, p)
    hits = []
    for m in table_mutations(p):
        rows = catching_pixels(p, m, pool, tr.acc, tr.y)
        if rows.size > MAX_ROWS_PER_MUTATION:
            rows = np.sort(rng.choice(rows, MAX_ROWS_PER_MUTATION, replace=False))
        hits.append(rows)
    chosen = sorted(greedy_cover(hits))
    muts = table_mutations(p)
    extra = [px for m, h in zip(muts, hits) if not h.size and m.kind.startswith("lut")
             for px in [targeted_pixel(p, m, rng)] if px is not None]
    return np.concatenate([pool[chosen], np.array(extra, np.int8).reshape(-1, p.channels), gamma_pixels(p)])
