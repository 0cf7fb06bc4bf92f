"""`invoke quantize` + `invoke export` in the flow's step shape (a thin adapter over `run_quantize` and
`run_export`): one build folder, recorded steps, unchanged steps skipped, so a package build can precede the
overlay flow under the same rules.

    quantize: <build>/quant/{quant_plan.json, model.pt, summary.json}
    export:   <build>/packages/<short hash>/ and <build>/package.txt naming it
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pylic.flow.steps import FlowContext, Step, StepOutcome, run_flow
from pylic.hls.tools import ToolRun
from pylic.imageio import write_file

QUANT, PACKAGES, POINTER = "quant", "packages", "package.txt"


def _listing(folder: str | Path) -> list:
    """Names and sizes of the calibration photos: enough to notice a changed data set without reading it."""
    p = Path(folder)
    return sorted((q.name, q.stat().st_size) for q in p.iterdir() if q.is_file()) if p.is_dir() else [str(p)]


def quantize(ctx: FlowContext) -> list[ToolRun]:
    from pylic.quant.tasks import run_quantize

    run_quantize(str(ctx.build / QUANT), **ctx.config["quantize"])
    return []


def export(ctx: FlowContext) -> list[ToolRun]:
    from pylic.deploy.tasks import run_export

    folder = run_export(ctx.build / QUANT, ctx.build / PACKAGES, ctx.config["patch"])
    write_file(ctx.build / POINTER, str(Path(folder).resolve()) + "\n")
    return []


def _quantize_inputs(ctx: FlowContext) -> dict[str, Any]:
    q = ctx.config["quantize"]
    inputs: dict[str, Any] = {"options": {k: v for k, v in q.items() if k != "progress"}}
    if q.get("checkpoint"):
        inputs["checkpoint"] = Path(q["checkpoint"])
    if q.get("data"):
        inputs["data"] = _listing(q["data"])
    return inputs


def package_steps() -> list[Step]:
    return [
        Step("quantize", quantize, _quantize_inputs,
             lambda ctx: [f"{QUANT}/quant_plan.json", f"{QUANT}/model.pt"], doc="calibrate (+ QAT): fix positions"),
        Step("export", export,
             lambda ctx: {"plan": ctx.build / QUANT / "quant_plan.json", "model": ctx.build / QUANT / "model.pt",
                          "patch": ctx.config["patch"]},
             lambda ctx: [POINTER], doc="deploy package named by its content hash"),
    ]


def build_package(build: str | Path, patch: int = 256, log=print, from_step: str | None = None,
                  to_step: str | None = None, force: bool = False, **quantize_options) -> list[StepOutcome]:
    """quantize -> export over `build`; `quantize_options` are `run_quantize`'s keyword arguments."""
    ctx = FlowContext(Path(build).resolve(), {"quantize": quantize_options, "patch": patch}, log=log)
    return run_flow(package_steps(), ctx, from_step, to_step, force)
