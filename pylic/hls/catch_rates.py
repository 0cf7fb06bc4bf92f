"""How many single-entry table errors a package's csim vectors catch (the tables of docs/hls_kernels.md).

    python -m pylic.hls.catch_rates [PACKAGE]      # default: the shipped pylic-student-q2-int8

Per GDN/iGDN layer: every LUT/beta entry +-1 LSB (`mutations.table_mutations`), counted as caught by the photo
vectors, the directed vectors, both, and an independent 100,000-pixel pool with another seed; then, for 40
seeded random gamma entries, the smallest power-of-two increase that changes the golden output.
"""

from __future__ import annotations

import sys

import numpy as np

from pylic.fixed.gdn_golden import gdn_trace, normalise
from pylic.fixed.gdn_params import GdnLayerParams
from pylic.hls.directed_vectors import candidate_pool, directed_vectors
from pylic.hls.mutations import catching_pixels, table_mutations

ORACLE_SEED, ORACLE_PIXELS, GAMMA_SAMPLES = 2024, 100000, 40


def smallest_gamma_change(p: GdnLayerParams, x: np.ndarray, acc: np.ndarray, y: np.ndarray, i: int, j: int
                          ) -> int | None:
    """Smallest e (<= 24) such that gamma[i, j] + 2**e changes output i on pixels x (traced acc, y)."""
    xi = x.astype(np.int64)
    for e in range(25):
        if (normalise(acc[:, i] + (1 << e) * xi[:, j] ** 2, xi[:, i], p)[2] != y[:, i]).any():
            return e
    return None


def layer_rates(p: GdnLayerParams, photo: np.ndarray, rng: np.random.Generator) -> dict:
    """Counts of caught LUT/beta mutations per vector set, and gamma's smallest caught changes."""
    directed = directed_vectors(p)
    sets = {"photo": photo, "directed": directed, "both": np.concatenate([photo, directed]),
            "oracle": candidate_pool(p.channels, np.random.default_rng(ORACLE_SEED), ORACLE_PIXELS)}
    traces = {k: gdn_trace(v, p) for k, v in sets.items()}
    out: dict = {"directed_pixels": int(len(directed))}
    for m in table_mutations(p):
        kind = "beta" if m.kind == "beta" else "lut"
        hit = {k: bool(catching_pixels(p, m, sets[k], traces[k].acc, traces[k].y).size) for k in sets}
        for k, v in hit.items():
            out.setdefault(f"{kind}/{k}", [0, 0])
            out[f"{kind}/{k}"] = [out[f"{kind}/{k}"][0] + v, out[f"{kind}/{k}"][1] + 1]
        out.setdefault(f"{kind}/oracle_missed", 0)
        out[f"{kind}/oracle_missed"] += int(hit["oracle"] and not hit["both"])
    for _ in range(GAMMA_SAMPLES):
        i, j = (int(v) for v in rng.integers(p.channels, size=2))
        for k in ("photo", "both"):
            e = smallest_gamma_change(p, sets[k], traces[k].acc, traces[k].y, i, j)
            out.setdefault(f"gamma/{k}", []).append((e, int(p.gamma_q[i, j])))
    return out


def catch_rates(package: str) -> dict[str, dict]:
    from pylic.hls.from_package import as_package, package_vectors

    params, photo = package_vectors(as_package(package))
    rng = np.random.default_rng(0)
    return {name: layer_rates(p, photo[name].reshape(-1, p.channels), rng) for name, p in params.items()}


def main(argv: list[str]) -> None:
    rates = catch_rates(argv[0] if argv else "pylic-student-q2-int8")
    for name, r in rates.items():
        print(f"{name}: {r['directed_pixels']} directed pixels")
        for key, v in sorted(r.items()):
            if key.startswith("gamma/"):
                es = [e for e, _ in v if e is not None]
                print(f"  {key:16s} caught {len(es)}/{len(v)}; smallest 2^{min(es)}, median 2^{int(np.median(es))} "
                      f"LSB; median relative to the entry {np.median([2.0**e / g for e, g in v if e is not None and g]):.2e}")
            elif key != "directed_pixels":
                print(f"  {key:16s} {v}")
    for key in sorted({k for r in rates.values() for k in r if k[:3] in ("lut", "bet")}):
        vals = [r[key] for r in rates.values()]
        total = [sum(v[0] for v in vals), sum(v[1] for v in vals)] if isinstance(vals[0], list) else sum(vals)
        print(f"total {key:16s} {total}")


if __name__ == "__main__":
    main(sys.argv[1:])
