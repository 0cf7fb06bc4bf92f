"""The frame model: layer costs -> per-patch stage times over `pylic.ps.stages` -> pipelined and sequential
frame times for the tiling of one frame size."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from pylic.perf import dpu, fabric, pipeline, ps
from pylic.perf.layers import Layer, layer_table
from pylic.perf.platform import Platform
from pylic.ps.stages import Stage, decode_stages, encode_stages


def tiling_cost(height: int, width: int, overlap: int, patch: int = 256) -> dict:
    """Patch count and pixel overhead of tiling one frame (the codec's own `TileGrid` rule)."""
    from pylic.codec.tiling import TileGrid

    g = TileGrid(height, width, patch, overlap)
    processed = g.count * patch * patch
    return {"height": height, "width": width, "patch": patch, "overlap": overlap, "rows": g.rows,
            "cols": g.cols, "patches": g.count, "frame_px": height * width, "processed_px": processed,
            "pixel_overhead": processed / (height * width)}


def _stage_seconds(stage: Stage, layers: Mapping[str, Layer], dpu_costs: Mapping[str, dpu.LayerCost],
                   gdn_costs: Mapping[str, fabric.GdnCost], patch: int, M: int, z: int, costs: ps.PsCosts) -> float:
    if stage.unit == "dpu":
        return sum(dpu_costs[o].seconds for o in stage.ops if o in dpu_costs)
    if stage.unit == "gdn":
        return gdn_costs[stage.name].seconds
    return ps.ps_stage_seconds(stage.name, patch, M, z, costs)


def _side(stages: Sequence[Stage], timed: Sequence[pipeline.Timed], patches: int, pf: Platform) -> dict:
    sim = pipeline.simulate(timed, patches, pf.dpu_cores, pf.ps_cores)
    seq = pipeline.sequential(timed, patches, pf.dpu_cores, pf.ps_cores)
    only = {}
    for scope, keep in (("accelerator_only", ("dpu", "gdn")), ("dpu_only", ("dpu",))):
        part = [pipeline.Timed(t.name, t.unit, t.seconds if t.unit in keep else 0.0) for t in timed]
        s_part = pipeline.simulate(part, patches, pf.dpu_cores, pf.ps_cores)
        only[scope] = {"fps_pipelined": 1 / s_part.makespan_s,
                       "fps_sequential": 1 / pipeline.sequential(part, patches, pf.dpu_cores, pf.ps_cores),
                       "bottleneck": s_part.bottleneck}
    return {
        "stages": [{"name": s.name, "unit": s.unit, "ms": 1e3 * t.seconds} for s, t in zip(stages, timed)],
        "per_patch_ms": {k: 1e3 * v for k, v in pipeline.stage_totals(timed).items()},
        "pipelined_s": sim.makespan_s, "sequential_s": seq,
        "fps_pipelined": 1 / sim.makespan_s, "fps_sequential": 1 / seq, "speedup": seq / sim.makespan_s,
        "bottleneck": sim.bottleneck, "bottleneck_bound_s": sim.bound_s, **only,
        "busy_s": sim.busy_s,
    }


def model_frame(transforms: Mapping[str, Sequence[Any]], pf: Platform, height: int = 720, width: int = 1280,
                overlap: int = 56, patch: int = 256, gdn_formats: Mapping[str, dict] | None = None,
                gdn_par: int = 0, costs: ps.PsCosts | None = None) -> dict:
    """Everything `invoke perf` reports for one model on one board and frame size. `gdn_par` 0: the widest PAR
    (a power of two) at which every GDN/iGDN kernel fits the DSPs the DPU cores leave (`fabric.auto_par`)."""
    costs = costs or ps.default_costs()
    layers = layer_table(transforms, patch)
    by_name = {l.name: l for l in layers}
    dpu_costs = {l.name: dpu.layer_cost(l, pf) for l in layers if l.op in dpu.DPU_LAYER_OPS}
    gdn_layers = [l for l in layers if l.op in ("gdn", "igdn")]
    if not gdn_par:
        gdn_par = fabric.auto_par(gdn_layers, pf, gdn_formats)
    gdn_costs = {l.name: fabric.gdn_cost(l, pf, (gdn_formats or {}).get(l.name), gdn_par) for l in gdn_layers}
    M, z = transforms["g_a"][-1].out_channels, transforms["h_a"][-1].out_channels
    tiles = tiling_cost(height, width, overlap, patch)
    n = tiles["patches"]
    out: dict = {"platform": pf.to_dict(), "tiling": tiles, "gdn_par": gdn_par, "ps_costs": costs.to_dict()}
    for side, stages in (("encode", encode_stages(transforms)), ("decode", decode_stages(transforms))):
        timed = [pipeline.Timed(s.name, s.unit, _stage_seconds(s, by_name, dpu_costs, gdn_costs, patch, M, z,
                                                               costs)) for s in stages]
        out[side] = _side(stages, timed, n, pf)
    per_t: dict[str, dict] = {}
    for c in dpu_costs.values():
        t = per_t.setdefault(c.transform, {"macs": 0, "workload": 0, "workload_on_arch": 0, "cycles": 0})
        t["macs"] += c.macs
        t["workload"] += c.workload
        t["workload_on_arch"] += c.workload_on_arch
        t["cycles"] += c.cycles
    out["transforms_per_patch"] = per_t
    out["layers"] = [c.to_dict() for c in dpu_costs.values()]
    out["gdn"] = [g.to_dict() for g in gdn_costs.values()]
    out["gdn_budget"] = fabric.budget(list(gdn_costs.values()), pf)
    out["eq8_bytes_per_patch"] = dpu.eq8_bits(layers) // 8
    return out


def dpu_cycles_per_frame(transforms: Mapping[str, Sequence[Any]], height: int, width: int, pf: Platform,
                         overlap: int = 0, patch: int = 256) -> dict[str, int]:
    """DPU cycles (one core) per transform to code one HxW frame as the board does: tiled into patches, each
    costed by the `workload_on_arch` rule. The number to report next to MACs (issue 13)."""
    n = tiling_cost(height, width, overlap, patch)["patches"]
    out: dict[str, int] = {}
    for l in layer_table(transforms, patch):
        if l.op in dpu.DPU_LAYER_OPS:
            out[l.transform] = out.get(l.transform, 0) + n * dpu.cycles(l, pf)
    return out
