"""The σ (h_s output) position by rate: min/max calibration places it where the largest σ fits, but an int8 σ
at a coarse position rounds the small scales that most latents have onto few table entries. Measured on the
shipped models (`docs/quantization.md` §10), resolution matters more than reach: `pylic-hp-v2-q4`'s min/max
position 1 costs 4.9% more rate than position 2 (8 Kodak images). This picks, among the min/max position and
the next few, the one whose integer scale index gives the fewest bits to the calibration latents (float
transforms, the package's rule)."""

from __future__ import annotations

import numpy as np
import torch

from pylic.models.hyperprior import ScaleHyperprior
from pylic.ps.prior import index_lut, scale_thresholds


@torch.no_grad()
def y_bits_by_position(model: ScaleHyperprior, patches: np.ndarray, positions: range, matched: bool = False,
                       batch: int = 4) -> dict[int, float]:
    """Bits of the rounded latents y of `patches` (uint8 [n, 3, P, P]) when σ = h_s(z) is quantized to int8 at
    each position and indexed into the scale table (CompressAI's, or the matched one) by integer comparison."""
    from pylic.deploy.entropy import matched_scale_table
    from pylic.deploy.manifest import DeployError

    gc = model.gaussian_conditional
    bound = float(np.float32(gc.lower_bound_scale.bound.item()))
    tables = {}
    for p in positions:
        try:
            tables[p] = matched_scale_table(bound, p) if matched else gc.scale_table.numpy()
        except DeployError:  # every int8 σ at p lies below the bound: no matched table, not a candidate
            continue
    if not tables:
        raise DeployError(f"no sigma position in {list(positions)} has a matched scale table")
    bits = {p: 0.0 for p in tables}
    model.eval()
    for i in range(0, len(patches), batch):
        x = torch.from_numpy(np.ascontiguousarray(patches[i:i + batch])).float() / 255.0
        y = torch.round(model.g_a(x)).clamp(-128, 127)
        z = torch.round(model.h_a(torch.abs(y).clamp(max=127))).clamp(-128, 127)
        sigma = model.h_s(z)
        for p, table in tables.items():
            lut = torch.from_numpy(index_lut(scale_thresholds(table, bound, p)).astype(np.int64))
            q = torch.floor(sigma * 2.0**p + 0.5).clamp(-128, 127).long()
            scales = torch.from_numpy(np.asarray(table, dtype=np.float32))[lut[q + 128]]
            lik = gc.likelihood_lower_bound(gc._likelihood(y, scales))
            bits[p] += float(-torch.log2(lik).sum())
    return bits


def rate_sigma_position(model: ScaleHyperprior, patches: np.ndarray, start: int, candidates: int = 5,
                        matched: bool = False) -> tuple[int, dict[int, float]]:
    """(the position among start..start+candidates-1 with the fewest y bits, the bits of each)."""
    bits = y_bits_by_position(model, patches, range(start, start + candidates), matched)
    return min(bits, key=lambda p: (bits[p], p)), bits
