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

import numpy as np

from pylic.fixed.gdn_golden import gdn_trace
from pylic.fixed.gdn_params import GdnLayerParams
from pylic.hls.directed_search import targeted_pixel
from pylic.hls.mutations import Mutation, catching_pixels, table_mutations

__all__ = ["Mutation", "candidate_pool", "catching_pixels", "directed_vectors", "gamma_pixels", "greedy_cover",
           "table_mutations"]

MAX_ROWS_PER_MUTATION = 64  # pool pixels kept per mutation for the set cover (bounds its cost)


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
