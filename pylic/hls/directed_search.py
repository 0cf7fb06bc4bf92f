"""Targeted search for a pixel that catches one LUT mutation (`mutations.Mutation`) the random pool missed:
exact over the in-segment offsets, greedy over the other channels (see `targeted_pixel`)."""

from __future__ import annotations

import numpy as np

from pylic.fixed.gdn_golden import gdn_trace, normalise
from pylic.fixed.gdn_params import GdnLayerParams
from pylic.hls.mutations import Mutation

SEARCH_CHANNELS = 6  # output channels the targeted search tries per LUT mutation (bounds its cost)
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
