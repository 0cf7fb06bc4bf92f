"""DPU cost of one conv/deconv layer: the compiler's `workload_on_arch` rule, memory traffic and a roofline.

The rule (`../shared/notes/XMODEL_DPU.md` §4, verified there on every layer of a compiled ZCU102 xmodel):
- conv:   ceil8(H_out) * W_out * ceil16(C_out) * (2 * K^2 * ceil16(C_in) + 1)   (pixel parallelism runs along H)
- deconv: ceil8(H_in) * W_in * K^2 * ceil16(C_out) * (2 * ceil16(C_in) + 1)     (on the input grid)
and a core retires `ops_per_cycle` (4,096 for B4096) of that per cycle. The real workload is the same formula
without the rounding, so `efficiency` = workload / workload_on_arch is the lane use the shapes allow.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from pylic.perf.layers import Layer
from pylic.perf.platform import Platform

DPU_LAYER_OPS = ("conv", "deconv")


def _up(x: int, m: int) -> int:
    return -(-x // m) * m


def workload(layer: Layer) -> int:
    """Ops the layer really needs (2 per MAC + 1 per output for the bias), as the compiler counts them."""
    k2 = layer.kernel ** 2
    if layer.op == "conv":
        return layer.h_out * layer.w_out * layer.cout * (2 * k2 * layer.cin + 1)
    if layer.op == "deconv":
        return layer.h_in * layer.w_in * k2 * layer.cout * (2 * layer.cin + 1)
    raise ValueError(f"{layer.name}: {layer.op} is not a DPU conv layer")


def workload_on_arch(layer: Layer, pf: Platform) -> int:
    """Ops the DPU spends, with H rounded up to PP and channels to ICP/OCP."""
    k2 = layer.kernel ** 2
    if layer.op == "conv":
        return (_up(layer.h_out, pf.pp) * layer.w_out * _up(layer.cout, pf.ocp)
                * (2 * k2 * _up(layer.cin, pf.icp) + 1))
    if layer.op == "deconv":
        return (_up(layer.h_in, pf.pp) * layer.w_in * k2 * _up(layer.cout, pf.ocp)
                * (2 * _up(layer.cin, pf.icp) + 1))
    raise ValueError(f"{layer.name}: {layer.op} is not a DPU conv layer")


def cycles(layer: Layer, pf: Platform) -> int:
    """Compute cycles on one core, plus the platform's fixed per-layer overhead."""
    return math.ceil(workload_on_arch(layer, pf) / pf.ops_per_cycle) + pf.layer_overhead_cycles


def traffic_bytes(layer: Layer) -> dict[str, int]:
    """int8 features in and out, int8 weights, int8 biases: what one layer moves between DDR and the core
    if nothing stays on chip between layers (an upper bound: the compiler may keep a tile resident)."""
    return {"in": layer.h_in * layer.w_in * layer.cin, "out": layer.h_out * layer.w_out * layer.cout,
            "weights": layer.kernel ** 2 * layer.cin * layer.cout + layer.cout}


@dataclass(frozen=True)
class LayerCost:
    name: str
    transform: str
    op: str
    macs: int
    workload: int
    workload_on_arch: int
    efficiency: float
    cycles: int
    bytes: int
    compute_s: float
    memory_s: float
    seconds: float
    bound: str  # "compute" or "memory"

    def to_dict(self) -> dict:
        return asdict(self)


def layer_cost(layer: Layer, pf: Platform) -> LayerCost:
    """Roofline of one layer on one core: the larger of compute time and traffic / the core's bandwidth share."""
    w, wa, cyc = workload(layer), workload_on_arch(layer, pf), cycles(layer, pf)
    nbytes = sum(traffic_bytes(layer).values())
    compute_s, memory_s = cyc / pf.dpu_clock_hz, nbytes / pf.core_bytes_per_s
    return LayerCost(layer.name, layer.transform, layer.op, layer.macs, w, wa, w / wa, cyc, nbytes, compute_s,
                     memory_s, max(compute_s, memory_s), "compute" if compute_s >= memory_s else "memory")


def eq8_bits(layers: list[Layer], delta: int = 8) -> int:
    """The paper's eq. (8) as printed: sum over layers of (H W N_l + H W N_{l+1} + N_l N_{l+1} K^2) x delta bits,
    with H x W the layer's output grid (the equation has one H_l W_l for input and output)."""
    return sum((l.h_out * l.w_out * (l.cin + l.cout) + l.cin * l.cout * l.kernel ** 2) * delta
               for l in layers if l.op in DPU_LAYER_OPS)


def dpu_cycles_for_layer(op: str, cin: int, cout: int, kernel: int, h_in: int, w_in: int, h_out: int, w_out: int,
                         pf: Platform) -> int:
    """Cycles of one layer from plain numbers (for reports that have shapes but no `Layer`)."""
    return cycles(Layer("", "", op, cin, cout, kernel, 1, h_in, w_in, h_out, w_out), pf)
