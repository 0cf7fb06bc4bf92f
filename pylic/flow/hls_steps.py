"""The HLS half of the overlay flow: generate the package's kernels, then per kernel `vitis_hls` synthesis +
`export_design -format xo`, the synthesis report and the register map parsed from `x<top>_hw.h`.

A kernel is re-exported only when its own sources, script, part or clock changed (a per-kernel stamp), so
changing one GDN's γ re-runs vitis_hls for that kernel alone."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pylic.errors import ToolError
from pylic.flow import hw_header
from pylic.flow.steps import FlowContext, hash_input
from pylic.hls.kernel_info import KernelInfo
from pylic.hls.tools import ToolRun
from pylic.imageio import write_file

KERNELS = "kernels"
_M_AXI = re.compile(r"#pragma\s+HLS\s+INTERFACE\s+m_axi\s+port=(\w+)(?:.*?\bbundle=(\w+))?")


def kernels_dir(ctx: FlowContext) -> Path:
    return ctx.build / KERNELS


def kernel_infos(ctx: FlowContext) -> list[KernelInfo]:
    """The generated kernels in manifest order ([] before gen_hls ran)."""
    path = kernels_dir(ctx) / "manifest.json"
    if not path.is_file():
        return []
    return [KernelInfo(**k) for k in json.loads(path.read_text())["kernels"]]


def data_ports(folder: Path, info: KernelInfo) -> tuple[tuple[str, str], ...]:
    """The kernel's m_axi arguments and their bundles, read from its generated top source: v++ `sp=` names
    arguments, but arguments in one bundle share one AXI master (one interconnect slot, one memory)."""
    ports = tuple((m.group(1), m.group(2) or m.group(1))
                  for src in info.sources for m in _M_AXI.finditer((folder / src).read_text()))
    if not ports:
        raise ToolError(f"{info.top}: no m_axi port in {info.sources}")
    return ports


def xo_path(info: KernelInfo) -> str:
    return f"{KERNELS}/{info.top}/{info.top}.xo"


def _stamp(ctx: FlowContext, folder: Path) -> str:
    board = ctx.config["board"]
    return hash_input({"src": hash_input(folder / "src"), "tcl": hash_input(folder / "run_hls.tcl"),
                       "part": board.part, "clock": board.kernel_clock_mhz})


def gen_hls(ctx: FlowContext) -> list[ToolRun]:
    """Render every GDN/iGDN kernel and the patch buffer of the package (no vendor tool; runs in dry runs too,
    since it writes the run_hls.tcl scripts)."""
    from pylic.hls.from_package import generate_for_package

    generate_for_package(ctx.config["package"], ctx.build, ctx.config["par"], label=KERNELS)
    return []


def hls_xo(ctx: FlowContext) -> list[ToolRun]:
    """vitis_hls csynth + export_design -format xo per kernel (`pylic.hls.vitis.run_kernel`, the `invoke synth`
    step); csynth.json and interface.json beside it."""
    from pylic.hls.vitis import run_kernel

    board, runs, entries = ctx.config["board"], [], []
    env = {"PYLIC_HLS_PART": board.part, "PYLIC_HLS_CLOCK_MHZ": str(board.kernel_clock_mhz)}
    for info in kernel_infos(ctx):
        folder = kernels_dir(ctx) / info.top
        stamp, stamp_file = _stamp(ctx, folder), folder / "xo.stamp"
        fresh = (not ctx.dry_run and stamp_file.is_file() and stamp_file.read_text() == stamp
                 and (folder / f"{info.top}.xo").is_file() and (folder / "interface.json").is_file())
        if not fresh:
            runs.append(run_kernel(folder, info, "synth", ctx.dry_run, env).run)  # csynth + export -> .xo
            if ctx.dry_run:
                continue
            header = hw_header.find_hw_header(folder / f"{info.top}_prj", info.top)
            iface = hw_header.parse_hw_header(header.read_text(), info.top)
            write_file(folder / "interface.json", json.dumps(iface, indent=1, sort_keys=True) + "\n")
            write_file(stamp_file, stamp)
        entries.append(hw_header.kernel_entry(info, json.loads((folder / "interface.json").read_text())))
    if not ctx.dry_run:
        hw_header.write_kernels_json(entries, ctx.build / "kernels.json")
        from pylic.flow.fit_step import recheck_with_reports

        recheck_with_reports(ctx)
    return runs
