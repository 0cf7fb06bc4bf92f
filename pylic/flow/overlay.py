"""`invoke build-overlay`: deploy package + board -> `overlays/<board>/<package>/` (dpu.bit, dpu.hwh,
dpu.xclbin, arch.json, kernels.json, manifest.json) through the steps

    fit -> gen_hls -> hls_xo -> platform -> dpu_xo -> link -> segments -> xgraph -> compile -> collect

over one build folder `build/overlay/<board>/<package label>/`. The overlay files are named `dpu.*` because
DpuOverlay copies `<base>.xclbin` and VART opens `dpu.xclbin` (HW_FLOW.md §3).

xmodels: the `segments -> xgraph -> compile` steps belong to `pylic.xmodel` (`pylic.xmodel.flow`); they run after `link` (vai_c_xir needs its arch.json), and `collect` copies the checked
xmodels into `xmodels/` of the overlay folder and their per-layer workloads into the manifest.
"""

from __future__ import annotations

import json
from pathlib import Path

from pylic.flow import hls_steps, vivado_steps
from pylic.flow.boards import Board, load_board
from pylic.flow.fit_step import fit
from pylic.flow.steps import FlowContext, Step, StepOutcome, load_record, run_flow, sha256_file
from pylic.hls.render import HLS_DIR
from pylic.hls.tools import ToolRun
from pylic.imageio import write_file
from pylic.xmodel import flow as xmodel_flow

MANIFEST_SCHEMA = "pylic-overlay/1"
XMODELS = xmodel_flow.FOLDER


def overlay_dir(ctx: FlowContext) -> Path:
    return Path(ctx.config["out"])


def _xo_outputs(ctx: FlowContext) -> list[str]:
    return [hls_steps.xo_path(i) for i in hls_steps.kernel_infos(ctx)] + ["kernels.json"]


def collect(ctx: FlowContext) -> list[ToolRun]:
    """Copy the link products, kernels.json and a manifest (tool versions, input hashes, resources) into the
    overlay folder."""
    out = overlay_dir(ctx)
    if ctx.dry_run:
        ctx.log(f"    would collect dpu.bit, dpu.hwh, dpu.xclbin, arch.json, kernels.json -> {out}")
        return []
    files = {**vivado_steps.link_products(ctx.build), "kernels.json": ctx.build / "kernels.json"}
    xm = _xmodel_record(ctx)
    if xm is not None:  # the checked xmodels, in the layout their record names (xmodels/compiled/<g>/<g>.xmodel)
        xdir = ctx.build / XMODELS
        files.update({f"{XMODELS}/{seg['xmodel']}": xdir / seg["xmodel"] for seg in xm["segments"]})
        files[f"{XMODELS}/xmodels.json"] = xdir / "xmodels.json"
    for name, src in files.items():
        vivado_steps.copy(src, out / name)
    board: Board = ctx.config["board"]
    steps = {s.name: load_record(ctx.build, s.name) for s in overlay_steps() if s.name != "collect"}
    fit_file = ctx.build / ("fit_synth.json" if (ctx.build / "fit_synth.json").is_file() else "fit.json")
    manifest = {
        "schema": MANIFEST_SCHEMA, "board": board.name, "part": board.part, "dpu_cores": board.dpu.cores,
        "dpu_arch": board.dpu.arch, "package": ctx.config["package"].content_hash,
        "tools_required": board.tools,
        "tools_used": {k: v for s in steps.values() if s for k, v in s["tools"].items()},
        "steps": {s: {"inputs": r["inputs"], "seconds": r["seconds"], "commands": r["commands"]}
                  for s, r in steps.items() if r},
        "resources": json.loads(fit_file.read_text()), "resources_from": fit_file.name,
        "files": {n: sha256_file(out / n) for n in sorted(files)},
        "xmodels": None if xm is None else {
            "package": xm["package"], "arch_sha256": xm["arch_sha256"],
            "segments": {seg["segment"]: {k: v for k, v in seg.items() if k != "segment"} for seg in xm["segments"]}},
    }
    write_file(out / "manifest.json", json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return []


def _xmodel_record(ctx: FlowContext) -> dict | None:
    path = ctx.build / XMODELS / "xmodels.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _board_dict(ctx: FlowContext) -> dict:
    return ctx.config["board"].to_dict()


def _dpu_inputs(ctx: FlowContext) -> dict:
    """The DPU configuration, the conf template and the DPU IP's packaging scripts (when configured)."""
    inputs = {"dpu": _board_dict(ctx)["dpu"], "board": ctx.config["board"].name,
              "template": vivado_steps.vivado_files.TEMPLATES / "dpu_conf.vh.j2"}
    root = vivado_steps.dpu_ip_root(ctx) if vivado_steps.configured_dpu_ip(ctx) else None
    if root is not None:
        inputs.update({rel: root / rel for rel in vivado_steps.DPU_IP_FILES[:3]})
    return inputs


def overlay_steps() -> list[Step]:
    b = lambda ctx: ctx.build  # noqa: E731
    pkg = lambda ctx: ctx.config["package"].content_hash  # noqa: E731
    steps = [
        Step("fit", fit, lambda ctx: {"package": pkg(ctx), "board": _board_dict(ctx), "par": ctx.config["par"]},
             lambda ctx: ["fit.json"], doc="resource table vs the board budget; fails before any tool"),
        Step("gen_hls", hls_steps.gen_hls,
             lambda ctx: {"package": pkg(ctx), "par": ctx.config["par"], "templates": HLS_DIR / "templates",
                          "include": HLS_DIR / "include"},
             lambda ctx: ["kernels/manifest.json"], doc="GDN/iGDN + patch-buffer HLS sources from the package"),
        Step("hls_xo", hls_steps.hls_xo,
             lambda ctx: {"kernels": b(ctx) / "kernels/manifest.json", "part": ctx.config["board"].part,
                          "clock": ctx.config["board"].kernel_clock_mhz},
             _xo_outputs, tools=("vitis_hls",), doc="vitis_hls csynth + export_design -format xo per kernel"),
        Step("platform", vivado_steps.platform,
             lambda ctx: {"board": _board_dict(ctx),
                          "template": vivado_steps.vivado_files.TEMPLATES / "platform.tcl.j2"},
             lambda ctx: [vivado_steps.PLATFORM_XSA], tools=("vivado",), doc="Vitis platform .xsa"),
        Step("dpu_xo", vivado_steps.dpu_xo,
             _dpu_inputs,
             lambda ctx: [vivado_steps.DPU_XO], tools=("vivado",), doc="DPUCZDX8G .xo from the DPU IP"),
        Step("link", vivado_steps.link,
             lambda ctx: {"platform": b(ctx) / vivado_steps.PLATFORM_XSA, "dpu": b(ctx) / vivado_steps.DPU_XO,
                          "kernels": [str(p) for p in _xo_outputs(ctx)],
                          **{x: b(ctx) / x for x in _xo_outputs(ctx)}, "board": _board_dict(ctx)},
             lambda ctx: [vivado_steps.XCLBIN], tools=("v++",), doc="v++ link: the DPU cores + every HLS kernel"),
    ]
    collect_step = Step(
        "collect", collect,
        lambda ctx: {"xclbin": b(ctx) / vivado_steps.XCLBIN, "kernels": b(ctx) / "kernels.json",
                     "xmodels": b(ctx) / XMODELS / "xmodels.json", "out": str(overlay_dir(ctx))},
        lambda ctx: [str(overlay_dir(ctx) / n) for n in
                     ("dpu.bit", "dpu.hwh", "dpu.xclbin", "arch.json", "kernels.json", "manifest.json",
                      f"{XMODELS}/xmodels.json")],
        doc="overlay folder (with the checked xmodels) + manifest")
    return steps + xmodel_flow.flow_steps() + [collect_step]


def build_overlay(board: str | Path, package, out_root: str | Path = "overlays",
                  build_root: str | Path = "build/overlay", dry_run: bool = False, from_step: str | None = None,
                  to_step: str | None = None,
                  dpu_ip: str | None = None, par: int = 1, force: bool = False, name: str | None = None,
                  log=print) -> list[StepOutcome]:
    """Run the overlay flow for `package` (shipped name, folder or DeployPackage) on `board` (name or JSON).
    The overlay and build folders are named `name` (default: the shipped package's name, else pkg-<hash>), so a
    republished package under the same name reuses its build folder and reruns only what changed."""
    from pylic.hls.from_package import as_package

    brd = load_board(board)
    pkg = as_package(package)
    if name is None:
        shipped = isinstance(package, str) and not Path(package).exists()
        name = package if shipped else f"pkg-{pkg.short_hash}"
    ctx = FlowContext(build=Path(build_root).resolve() / brd.name / name,
                      config={"board": brd, "package": pkg, "par": par, "dpu_ip": dpu_ip,
                              "out": str(Path(out_root).resolve() / brd.name / name), "tool_versions": {
                                  "vitis_hls": brd.tools["vitis_hls"], "vivado": brd.tools["vivado"],
                                  "v++": brd.tools["vitis"], "vai_c_xir": f"Vitis AI {brd.tools['vitis_ai']}"}},
                      dry_run=dry_run, log=log)
    return run_flow(overlay_steps(), ctx, from_step, to_step, force)
