"""The `fit` step: the resource table of the package's kernels + the DPU cores + the platform against the
board budget, before any tool runs; again with the synthesis reports once `hls_xo` has produced them."""

from __future__ import annotations

import json

from pylic.flow import resources as res
from pylic.flow.steps import FlowContext
from pylic.hls.tools import ToolRun
from pylic.imageio import write_file


def _write(ctx: FlowContext, f: res.Fit, stem: str) -> None:
    board = ctx.config["board"]
    write_file(ctx.build / f"{stem}.json", json.dumps(f.to_dict(), indent=1, sort_keys=True) + "\n")
    write_file(ctx.build / f"{stem}.md", res.table(f, board))


def fit(ctx: FlowContext) -> list[ToolRun]:
    board, pkg = ctx.config["board"], ctx.config["package"]
    f = res.fit(board, res.package_kernel_rows(pkg.manifest, ctx.config["par"]))
    ctx.log(res.table(f, board))
    res.check_fit(f, board)
    _write(ctx, f, "fit")
    return []


def recheck_with_reports(ctx: FlowContext) -> None:
    """After synthesis: the same table with each kernel's csynth figures; fails before the platform/link."""
    from pylic.flow.hls_steps import kernels_dir

    board, pkg = ctx.config["board"], ctx.config["package"]
    rows = res.with_reports(res.package_kernel_rows(pkg.manifest, ctx.config["par"]), kernels_dir(ctx))
    f = res.fit(board, rows)
    res.check_fit(f, board)
    _write(ctx, f, "fit_synth")
