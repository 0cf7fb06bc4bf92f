"""Vendor-tool steps over generated kernels: `vitis_hls -f run_hls.tcl` for synthesis / co-simulation.

Each kernel runs in its own folder through the tool runner (script + log there). `dry_run` writes the
scripts and returns the commands without needing Vitis HLS installed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pylic.errors import PylicError
from pylic.hls.csim import kernel_folders
from pylic.hls.kernel_info import KernelInfo
from pylic.imageio import write_file
from pylic.hls.synth_report import parse_csynth_xml
from pylic.hls.tools import ToolRun, find_tool, run_tool

STEPS = {
    "synth": ("csynth export", lambda top: (f"{top}_prj/sol1/syn/report/csynth.xml", f"{top}.xo")),
    "cosim": ("csynth cosim", lambda top: (f"{top}_prj/sol1/sim/report/{top}_cosim.rpt",)),
}
TIMEOUT_S = 6 * 3600


@dataclass(frozen=True)
class VitisResult:
    top: str
    run: ToolRun
    report: dict | None  # parsed csynth.xml (synth, real runs only)


def run_kernel(folder: Path, info: KernelInfo, step: str, dry_run: bool = False,
               env: dict[str, str] | None = None) -> VitisResult:
    """`vitis_hls -f run_hls.tcl` for one kernel folder; after a real synth, csynth.xml -> csynth.json.
    `env` adds variables for the script (the overlay flow passes the board's part and clock)."""
    steps, outputs = STEPS[step]
    run = run_tool(["vitis_hls", "-f", "run_hls.tcl"], folder, step=f"vitis_{step}",
                   expected_outputs=outputs(info.top), env={"PYLIC_HLS_STEPS": steps, **(env or {})},
                   dry_run=dry_run, timeout=TIMEOUT_S)
    report = None
    if step == "synth" and not dry_run:
        report = parse_csynth_xml(folder / outputs(info.top)[0])
        write_file(folder / "csynth.json", json.dumps(report, indent=1, sort_keys=True) + "\n")
    return VitisResult(info.top, run, report)


def run_step(root: str | Path, step: str, dry_run: bool = False) -> list[VitisResult]:
    """Run `step` ('synth' or 'cosim') for every kernel under `root`; one ToolError stops at the first failure."""
    if step not in STEPS:
        raise PylicError(f"unknown HLS step {step!r}; choose from {sorted(STEPS)}")
    folders = kernel_folders(root)
    if not dry_run:
        find_tool("vitis_hls")  # fail before touching any kernel if the tool is missing
    return [run_kernel(folder, KernelInfo.load(folder), step, dry_run) for folder in folders]


def run_step_for(step: str, name: str | None, checkpoint: str | None, out: str | Path,
                 dry_run: bool = False, package: str | Path | None = None) -> list[VitisResult]:
    """`run_step` on a model's (or deploy package's) build folder, generating it first if it does not exist yet."""
    from pylic.hls.project import build_root, generate_for

    if not dry_run:
        find_tool("vitis_hls")
    root = build_root(out, name, checkpoint, package)
    if not root.is_dir():
        generate_for(name, checkpoint, out, package=package)
    return run_step(root, step, dry_run)
