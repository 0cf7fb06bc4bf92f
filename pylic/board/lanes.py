"""From the stage graph (`pylic.ps.stages`) to scheduler steps: what each stage does to one patch.

`Hardware` is the one interface the steps call, whatever runs behind it: DPU segments through `DpuRunners`
(VART on the board, emulated runners on the host) and GDN/iGDN ops through `GdnDriver`s (a PYNQ `DefaultIP`
on the board, a simulated register file over the golden kernel on the host). A patch's tensors live in
`job.data`: `x` the current int8 NHWC tensor, `y` the latent kept for y coding, `extent` the coded latent extent
and `stream` the patch's one stream (container v2), or `z_bytes`/`y_bytes` the two substreams (container v1, a
job without an `extent`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from pylic.board.dpu import DpuRunners
from pylic.board.ps_path import PsPath
from pylic.board.scheduler import Job, Plan, Step, split
from pylic.errors import BoardError
from pylic.ps.stages import Stage, decode_stages, encode_stages


@dataclass
class Hardware:
    runners: DpuRunners
    gdn: Mapping[str, Callable[[np.ndarray], np.ndarray]]

    @property
    def cores(self) -> int:
        return self.runners.cores


def _unit_step(stage: Stage, hw: Hardware, keep_y: bool) -> Step:
    if stage.unit == "dpu":
        def fn(job: Job, lane: int) -> None:
            job.data["x"] = hw.runners.run(stage.name, max(lane, 0), job.data["x"])
            if keep_y:
                job.data["y"] = job.data["x"]
    elif stage.unit == "gdn":
        if stage.name not in hw.gdn:
            raise BoardError(f"no GDN/iGDN kernel for op {stage.name}")
        kernel = hw.gdn[stage.name]

        def fn(job: Job, lane: int) -> None:
            job.data["x"] = kernel(job.data["x"])
            if keep_y:
                job.data["y"] = job.data["x"]
    else:
        raise BoardError(f"stage {stage.name} is not a DPU or GDN stage")
    return Step(stage.name, fn)


def _ps_step(stage: Stage, ps: PsPath) -> Step:
    def put(key: str, f: Callable[[dict[str, Any]], Any]) -> Callable[[Job, int], None]:
        def fn(job: Job, lane: int) -> None:
            job.data[key] = f(job.data)
        return fn

    def z_encode(job: Job, lane: int) -> None:
        d = job.data
        if "extent" in d:
            d["z_sym"], d["x"] = ps.z_symbols(d["x"], d["extent"])
        else:
            d["z_bytes"], d["x"] = ps.z_encode(d["x"])

    def y_encode(job: Job, lane: int) -> None:
        d = job.data
        if "extent" in d:
            d["stream"] = ps.encode_patch(d.pop("z_sym"), d.pop("y"), d["x"], d["extent"])
        else:
            d["y_bytes"] = ps.y_encode(d.pop("y"), d["x"])

    def z_decode(job: Job, lane: int) -> None:
        d = job.data
        if "extent" in d:
            d["decoder"], d["x"] = ps.open_patch(d["stream"], d["extent"])
        else:
            d["x"] = ps.z_decode(d["z_bytes"])

    def y_decode(job: Job, lane: int) -> None:
        d = job.data
        if "extent" in d:
            d["x"] = ps.finish_patch(d.pop("decoder"), d["x"], d["extent"])
        else:
            d["x"] = ps.y_decode(d["y_bytes"], d["x"])

    table: dict[str, Callable[[Job, int], None]] = {
        "pixels_in": put("x", lambda d: ps.pixels_in(d.pop("patch"))),
        "z_encode": z_encode, "y_encode": y_encode, "z_decode": z_decode, "y_decode": y_decode,
        "pixels_out": put("patch", lambda d: ps.pixels_out(d.pop("x"))),
    }
    if stage.transform not in ("pixels", "entropy"):  # a PS op of a transform: `abs` (stages.PS_OPS)
        return Step(stage.name, put("x", lambda d: ps.abs(d["x"])))
    if stage.name not in table:
        raise BoardError(f"PS stage {stage.name} has no implementation on the board")
    return Step(stage.name, table[stage.name])


def _plan(stages: tuple[Stage, ...], hw: Hardware, ps: PsPath) -> Plan:
    last_g_a = max((i for i, s in enumerate(stages) if s.transform == "g_a"), default=-1)
    steps = [_ps_step(s, ps) if s.unit == "ps" else _unit_step(s, hw, i == last_g_a)
             for i, s in enumerate(stages)]
    return split(steps, [s.unit for s in stages])


def encode_plan(transforms: Mapping[str, Any], hw: Hardware, ps: PsPath) -> Plan:
    """Encode one patch: job.data {'patch': uint8 (3,P,P), 'extent'} -> {'stream': bytes} (v2; without an
    extent, v1: {'z_bytes', 'y_bytes'})."""
    return _plan(encode_stages(transforms), hw, ps)


def decode_plan(transforms: Mapping[str, Any], hw: Hardware, ps: PsPath) -> Plan:
    """Decode one patch: job.data {'stream': bytes, 'extent'} (v2) or {'z_bytes', 'y_bytes'} (v1) ->
    {'patch': uint8 (3,P,P)}."""
    return _plan(decode_stages(transforms), hw, ps)


def transform_plan(transform: str, stages: tuple[Stage, ...], hw: Hardware, ps: PsPath) -> Plan:
    """The stages of one transform only (for `BoardBackend`, which the plain `Codec` drives per transform)."""
    own = tuple(s for s in stages if s.transform == transform)
    return Plan((), tuple(_ps_step(s, ps) if s.unit == "ps" else _unit_step(s, hw, False) for s in own), ())


def context_plans(transforms: Mapping[str, Any], hw: Hardware, ps: PsPath) -> dict[str, Plan]:
    """The four plans of latent-domain (context) tiling, cut where the PS assembles the latent map:
    `analysis` {'patch'} -> {'x': y}; `encode_tiles` {'x', 'y', 'extent'} -> {'stream'};
    `decode_tiles` {'stream', 'extent'} -> {'x': y_hat}; `synthesis` {'x': latent window} -> {'patch'}."""
    enc, dec = encode_stages(transforms), decode_stages(transforms)
    cut_e = max(i for i, s in enumerate(enc) if s.transform == "g_a") + 1
    cut_d = min(i for i, s in enumerate(dec) if s.transform == "g_s")
    return {"analysis": _plan(enc[:cut_e], hw, ps), "encode_tiles": _plan(enc[cut_e:], hw, ps),
            "decode_tiles": _plan(dec[:cut_d], hw, ps), "synthesis": _plan(dec[cut_d:], hw, ps)}
