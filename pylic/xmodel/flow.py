"""The xmodel phases of `pylic.xmodel.compile` as steps of the overlay flow (`pylic.flow.overlay` finds them
through `flow_steps()`): `segments -> xgraph -> compile`, after `link` (vai_c_xir needs the arch.json the link
leaves) and before `collect`, which copies the checked xmodels into the overlay folder and records their
per-layer workloads in the overlay manifest.

The steps work in `<build>/xmodels/`, the same layout `invoke compile-xmodel` writes. `compile` reads only the
quantized graphs and the arch.json, so a package change that leaves the DPU weights alone (a GDN γ, say) rewrites
`segments.json` but compiles nothing again.
"""

from __future__ import annotations

import json
from pathlib import Path

from pylic.errors import ToolError
from pylic.flow.steps import FlowContext, Step
from pylic.hls.tools import ToolRun
from pylic.xmodel import compile as xc
from pylic.xmodel.segments import plan_segments

FOLDER = "xmodels"


def _dir(ctx: FlowContext) -> Path:
    return ctx.build / FOLDER


def _graphs(ctx: FlowContext) -> list[str]:
    return [s.graph_name for s in plan_segments(ctx.config["package"].manifest, xc.PATCH)]


def quantized_outputs(ctx: FlowContext) -> list[str]:
    return [f"{FOLDER}/{xc.QUANTIZED}/{g}.xmodel" for g in _graphs(ctx)]


def compiled_outputs(ctx: FlowContext) -> list[str]:
    return [f"{FOLDER}/{xc.COMPILED}/{g}/{g}.xmodel" for g in _graphs(ctx)] + [f"{FOLDER}/{xc.RECORD}"]


def _arch(ctx: FlowContext) -> Path:
    """The arch.json the link left (a placeholder path in a dry run, where the link has not run)."""
    from pylic.flow.vivado_steps import link_arch

    try:
        return link_arch(ctx.build)
    except ToolError:  # not linked yet: only a dry run gets this far without it (a real run checks inputs)
        return ctx.build / "link" / "arch.json"


def segments(ctx: FlowContext) -> list[ToolRun]:
    xc.write_segments(ctx.config["package"], _dir(ctx))
    return []


def xgraph(ctx: FlowContext) -> list[ToolRun]:
    xc.write_xgraphs(ctx.config["package"], _dir(ctx))
    return []


def compile_step(ctx: FlowContext) -> list[ToolRun]:
    arch = _arch(ctx)
    if ctx.dry_run and not arch.is_file():
        ctx.log(f"    would run vai_c_xir -a <link's arch.json> for {len(_graphs(ctx))} segments in {_dir(ctx)}")
        return []
    runs = xc.compile_segments(_dir(ctx), arch, ctx.dry_run)
    if not ctx.dry_run:
        xc.check_compiled_dir(_dir(ctx))
    return runs


def record(ctx: FlowContext) -> dict | None:
    """The checked `xmodels.json` of this build, or None before `compile` ran."""
    path = _dir(ctx) / xc.RECORD
    return json.loads(path.read_text()) if path.is_file() else None


def flow_steps() -> list[Step]:
    pkg = lambda ctx: ctx.config["package"].content_hash  # noqa: E731
    return [
        Step("segments", segments, lambda ctx: {"package": pkg(ctx)}, lambda ctx: [f"{FOLDER}/{xc.SEGMENTS}"],
             doc="DPU segments of the package (segments.json)"),
        Step("xgraph", xgraph, lambda ctx: {"segments": _dir(ctx) / xc.SEGMENTS, "package": pkg(ctx)},
             quantized_outputs, doc="one quantized XIR graph per segment, the package's own int8 numbers"),
        Step("compile", compile_step,
             lambda ctx: {"arch": _arch(ctx), **{q: ctx.build / q for q in quantized_outputs(ctx)}},
             compiled_outputs, tools=("vai_c_xir",), doc="vai_c_xir per segment, then checks -> xmodels.json"),
    ]
