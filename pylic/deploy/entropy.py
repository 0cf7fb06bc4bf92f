"""Entropy-model tables of the deploy package and the integer scale-index rule.

- z: CompressAI's EntropyBottleneck codes round(z - median). The package stores integer medians (half up) and
  CDFs rebuilt around them, so with the integer z the DPU emits (position 0) every symbol is an integer
  difference and the coder needs no float at all.
- y: the zero-mean GaussianConditional. `build_indexes` computes, after the lower bound b,
  index = #{k < L-1 : max(sigma, b) > t_k} ("rounds sigma up to the next table entry"). For
  sigma = q * 2**-f with integer q this is exactly #{k : q > thr_k} with thr_k = floor(t_k * 2**f) when
  t_k >= b, and thr_k = -2**31 (always counted) when t_k < b (t_k, b as the float32 values CompressAI uses).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import numpy as np

from pylic.deploy.manifest import DeployError, EntropySpec
from pylic.ps.prior import ALWAYS, index_lut, scale_thresholds

if TYPE_CHECKING:  # torch and CompressAI only where tables are built from modules (export), never to validate
    from compressai.entropy_models import EntropyBottleneck, GaussianConditional

__all__ = ["ALWAYS", "CDF_PRECISION", "build_modules", "check_cdfs", "eb_tables", "gc_tables", "index_lut",
           "integer_median_eb", "matched_scale_table", "scale_thresholds", "validate"]
CDF_PRECISION = 16


def integer_median_eb(eb: EntropyBottleneck) -> EntropyBottleneck:
    """A copy of `eb` whose medians are rounded half up to integers, its CDF tables rebuilt around them
    (integer hardware codes round(z - median) with an integer median)."""
    import torch

    eb = copy.deepcopy(eb)
    with torch.no_grad():
        eb.quantiles.data[:, 0, 1] = torch.floor(eb.quantiles[:, 0, 1] + 0.5)
        eb.update(force=True)
    return eb


def eb_tables(eb: EntropyBottleneck) -> dict[str, np.ndarray]:
    """CDF tables of z around integer medians (the module itself is not modified)."""
    eb = integer_median_eb(eb)
    medians = eb.quantiles[:, 0, 1].detach()
    return {"eb.cdf": eb.quantized_cdf.numpy().astype(np.int32), "eb.offset": eb.offset.numpy().astype(np.int32),
            "eb.cdf_length": eb.cdf_length.numpy().astype(np.int32),
            "eb.medians": medians.numpy().astype(np.int32)}


def matched_scale_table(bound: float, sigma_position: int, levels: int = 64) -> np.ndarray:
    """A scale table every entry of which an int8 σ at `sigma_position` selects: the bound, then up to
    `levels` − 1 entries (q + 1/2) * 2**-position for q = 1..126 (the upper edge of the σ values that round to
    q: CompressAI rounds σ up to the next entry), log-spaced as CompressAI's table is but one per q, and the
    largest σ, 127 * 2**-position. CompressAI's table (0.11..256, 64 log steps) has several entries per q step at
    small σ and entries above 127 * 2**-position that no int8 σ reaches: about half its indexes are unreachable."""
    step = 2.0 ** -sigma_position
    lo = max(1, int(np.floor(bound / step - 0.5)) + 1)  # the first q whose entry lies above the bound
    if lo > 126:
        raise DeployError(f"sigma position {sigma_position}: no int8 sigma lies above the scale bound {bound}")
    qs = np.arange(lo, 127)
    if qs.size > levels - 2:
        n = levels - 2
        while True:  # the fewest log-spaced points whose rounding to q gives levels-2 distinct steps
            pick = np.unique(np.round(np.geomspace(lo, 126, n)).astype(np.int64))
            if pick.size >= levels - 2:
                qs = pick[np.linspace(0, pick.size - 1, levels - 2).round().astype(int)]
                break
            n += 1
    entries = np.concatenate([(qs + 0.5) * step, [127 * step]])
    return np.concatenate([[np.float32(bound)], entries.astype(np.float32)]).astype(np.float32)


def gc_tables(gc: GaussianConditional, sigma_position: int, matched: bool = False
              ) -> tuple[dict[str, np.ndarray], float]:
    """(tables, scale bound) of the Gaussian conditional; builds CompressAI's 64-level table if unset, or with
    `matched` the table an int8 σ at `sigma_position` reaches entry by entry (`matched_scale_table`)."""
    from compressai.models.base import get_scale_table

    if matched:
        gc = copy.deepcopy(gc)
        b = float(np.float32(gc.lower_bound_scale.bound.item()))
        gc.update_scale_table(torch_table(matched_scale_table(b, sigma_position)), force=True)
    elif gc.scale_table.numel() == 0 or gc.quantized_cdf.numel() == 0:
        gc = copy.deepcopy(gc)
        gc.update_scale_table(get_scale_table(), force=True)
    table = gc.scale_table.numpy().astype(np.float32)
    bound = float(np.float32(gc.lower_bound_scale.bound.item()))
    return {"gc.scale_table": table, "gc.cdf": gc.quantized_cdf.numpy().astype(np.int32),
            "gc.offset": gc.offset.numpy().astype(np.int32),
            "gc.cdf_length": gc.cdf_length.numpy().astype(np.int32),
            "gc.thresholds": scale_thresholds(table, bound, sigma_position)}, bound


def torch_table(table: np.ndarray):
    import torch

    return torch.from_numpy(np.asarray(table, dtype=np.float32))


def check_cdfs(prefix: str, cdf: np.ndarray, offset: np.ndarray, length: np.ndarray, rows: int) -> None:
    """The rANS coder trusts these tables: each row must be a strictly increasing 16-bit CDF from 0 to 2**16."""
    if cdf.ndim != 2 or cdf.shape[0] != rows or offset.shape != (rows,) or length.shape != (rows,):
        raise DeployError(f"{prefix}: CDF table shapes {cdf.shape}, {offset.shape}, {length.shape} for {rows} rows")
    if (length < 3).any() or (length > cdf.shape[1]).any():
        raise DeployError(f"{prefix}: CDF lengths outside 3..{cdf.shape[1]}")
    for i in range(rows):
        row = cdf[i, : length[i]].astype(np.int64)
        if row[0] != 0 or row[-1] != 1 << CDF_PRECISION or (np.diff(row) <= 0).any():
            raise DeployError(f"{prefix}: CDF row {i} is not a strictly increasing 0..2**16 table")
    if (np.abs(offset.astype(np.int64)) > 1 << 20).any():
        raise DeployError(f"{prefix}: CDF offsets out of range")


REQUIRED = ("eb.cdf", "eb.offset", "eb.cdf_length", "eb.medians",
            "gc.scale_table", "gc.cdf", "gc.offset", "gc.cdf_length", "gc.thresholds")
DTYPES = {"gc.scale_table": np.float32}


def validate(spec: EntropySpec, arrays: dict[str, np.ndarray], z_channels: int) -> None:
    for k in REQUIRED:
        if k not in arrays or arrays[k].dtype != DTYPES.get(k, np.int32):
            raise DeployError(f"entropy: needs array {k} of dtype {np.dtype(DTYPES.get(k, np.int32)).name}")
    if spec.z_channels != z_channels or spec.precision != CDF_PRECISION:
        raise DeployError(f"entropy: z channels {spec.z_channels} / precision {spec.precision} do not fit the model")
    check_cdfs("eb", arrays["eb.cdf"], arrays["eb.offset"], arrays["eb.cdf_length"], z_channels)
    if arrays["eb.medians"].shape != (z_channels,) or (np.abs(arrays["eb.medians"].astype(np.int64)) > 1 << 15).any():
        raise DeployError("eb: medians have the wrong shape or are out of range")
    table = arrays["gc.scale_table"]
    levels = spec.y_levels
    if table.shape != (levels,) or levels < 2 or not np.isfinite(table).all() or (table <= 0).any() \
            or (np.diff(table) <= 0).any():
        raise DeployError("gc: scale table must be a positive, increasing float32 vector of y_levels entries")
    check_cdfs("gc", arrays["gc.cdf"], arrays["gc.offset"], arrays["gc.cdf_length"], levels)
    if not (np.isfinite(spec.scale_bound) and spec.scale_bound > 0):
        raise DeployError("gc: scale bound must be positive")
    expect = scale_thresholds(table, spec.scale_bound, spec.sigma_position)
    if not np.array_equal(arrays["gc.thresholds"], expect):
        raise DeployError("gc: scale thresholds do not follow from the scale table, bound and sigma position")


def build_modules(spec: EntropySpec, arrays: dict[str, np.ndarray]) -> tuple[EntropyBottleneck, GaussianConditional]:
    """CompressAI modules holding exactly the package's tables (for the rANS coder; no float model needed)."""
    import torch
    from compressai.entropy_models import EntropyBottleneck, GaussianConditional

    eb = EntropyBottleneck(spec.z_channels)
    with torch.no_grad():
        eb.quantiles.data[:, 0, 1] = torch.from_numpy(arrays["eb.medians"].astype(np.float32))
    eb._quantized_cdf = torch.from_numpy(arrays["eb.cdf"].astype(np.int32))
    eb._offset = torch.from_numpy(arrays["eb.offset"].astype(np.int32))
    eb._cdf_length = torch.from_numpy(arrays["eb.cdf_length"].astype(np.int32))
    gc = GaussianConditional(None, scale_bound=spec.scale_bound)
    gc.scale_table = torch.from_numpy(arrays["gc.scale_table"].astype(np.float32))
    gc._quantized_cdf = torch.from_numpy(arrays["gc.cdf"].astype(np.int32))
    gc._offset = torch.from_numpy(arrays["gc.offset"].astype(np.int32))
    gc._cdf_length = torch.from_numpy(arrays["gc.cdf_length"].astype(np.int32))
    return eb.eval(), gc.eval()
