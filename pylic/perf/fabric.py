"""GDN/iGDN kernels in the fabric: time per patch from the HLS estimate (`pylic.hls.estimate`), the DSP and
BRAM they need against what the DPU cores leave, and the DDR traffic if gamma is streamed instead of resident."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pylic.hls.estimate import gdn_estimate
from pylic.hls.gdn_codegen import bus_bytes_for
from pylic.perf.layers import Layer
from pylic.perf.platform import Platform

# The package's mixed-precision GDN format when a spec or registry model has no package (manifest `gdn.format`).
DEFAULT_FORMAT = {"lut_size": 32, "lut_bits": 18, "interp_bits": 12, "gamma_bits": 24, "beta_bits": 24}


@dataclass(frozen=True)
class GdnCost:
    name: str
    channels: int
    pixels: int
    cycles: int
    seconds: float
    dsp: int
    bram18: int
    gamma_bytes: int  # gamma as stored (gamma_bits per entry), streamed once per patch if not resident

    def to_dict(self) -> dict:
        return asdict(self)


def gdn_cost(layer: Layer, pf: Platform, fmt: dict | None = None, par: int = 1) -> GdnCost:
    f = {**DEFAULT_FORMAT, **(fmt or {})}
    c, px = layer.cin, layer.h_in * layer.w_in
    est = gdn_estimate(layer.name, c, par, bus_bytes_for(c), f["gamma_bits"], f["beta_bits"], f["lut_bits"],
                       f["lut_size"], f["interp_bits"], px)
    return GdnCost(layer.name, c, px, est.cycles_per_patch, est.cycles_per_patch / pf.fabric_clock_hz, est.dsp,
                   est.bram18, c * c * f["gamma_bits"] // 8)


def budget(costs: list[GdnCost], pf: Platform) -> dict:
    """DSP and BRAM36 the kernels need (one kernel per GDN op) against what the DPU cores leave."""
    dsp = sum(c.dsp for c in costs)
    bram36 = sum(c.bram18 for c in costs) / 2
    return {"dsp_needed": dsp, "dsp_left": pf.dsp_left, "dsp_fits": dsp <= pf.dsp_left,
            "bram36_needed_resident_gamma": bram36, "bram36_left": pf.bram36_left,
            "bram36_fits": bram36 <= pf.bram36_left,
            "gamma_bytes_per_patch_if_streamed": sum(c.gamma_bytes for c in costs)}


def auto_par(layers: list[Layer], pf: Platform, formats: dict | None = None, widest: int = 64) -> int:
    """The largest power-of-two PAR (same for every kernel, at least 1) whose kernels all fit the DSPs left."""
    par = 1
    while par * 2 <= widest and sum(gdn_cost(l, pf, (formats or {}).get(l.name), par * 2).dsp
                                    for l in layers) <= pf.dsp_left:
        par *= 2
    return par
