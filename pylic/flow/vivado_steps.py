"""The Vivado / v++ half of the overlay flow: platform (vivado) -> DPU .xo (vivado + the DPU IP's own
scripts) -> link (v++) -> collect. Every tool call goes through `pylic.hls.tools.run_tool`.

The DPU IP is not shipped with pylic (Xilinx licence, ~100 MB): point `--dpu-ip` or `PYLIC_DPU_IP` at the
DPUCZDX8G reference design of Vitis AI 2.5 (the `DPUCZDX8G` folder of `DPUCZDX8G.tar.gz`, or
`Vitis-AI/dsa/DPU-TRD` in older trees): it must hold `prj/Vitis/scripts/gen_dpu_xo.tcl`,
`prj/Vitis/scripts/package_dpu_kernel.tcl`, `prj/Vitis/kernel_xml/dpu/kernel.xml` and `dpu_ip/`.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from pylic.errors import ToolError
from pylic.flow import vivado_files
from pylic.flow.boards import DPU_KERNEL
from pylic.flow.hls_steps import data_ports, kernel_infos, kernels_dir, xo_path
from pylic.flow.steps import FlowContext
from pylic.hls.tools import ToolRun, run_tool
from pylic.imageio import write_file

DPU_IP_ENV = "PYLIC_DPU_IP"
DPU_IP_FILES = ("prj/Vitis/scripts/gen_dpu_xo.tcl", "prj/Vitis/scripts/package_dpu_kernel.tcl",
                "prj/Vitis/kernel_xml/dpu/kernel.xml", "dpu_ip")
STRIP_TCL = "prj/Vitis/syslink/strip_interconnects.tcl"
PLATFORM_XSA = "platform/platform.xsa"
DPU_XO = "dpu/dpu.xo"
XCLBIN = "link/dpu.xclbin"
VPL = "link/_x/link/vivado/vpl/prj"
TIMEOUT_S = 12 * 3600
_HDL_PATH = re.compile(r'set\s+path_to_hdl\s+"[^"]*"')


def configured_dpu_ip(ctx: FlowContext) -> Path | None:
    """The DPU IP folder from --dpu-ip or PYLIC_DPU_IP, unchecked (None if neither is set)."""
    ref = ctx.config.get("dpu_ip") or os.environ.get(DPU_IP_ENV)
    return Path(ref).expanduser().resolve() if ref else None


def dpu_ip_root(ctx: FlowContext) -> Path | None:
    """The configured DPU IP folder, checked; None only in a dry run without one (scripts name a placeholder)."""
    root = configured_dpu_ip(ctx)
    if root is None:
        if ctx.dry_run:
            return None
        raise ToolError(f"the DPU IP location is not configured: pass --dpu-ip or set {DPU_IP_ENV} to the "
                        f"DPUCZDX8G reference design of Vitis AI {ctx.config['board'].tools['vitis_ai']} "
                        f"(it must hold {', '.join(DPU_IP_FILES)})")
    missing = [f for f in DPU_IP_FILES if not (root / f).exists()]
    if missing:
        raise ToolError(f"{root} is not a DPUCZDX8G reference design: missing {', '.join(missing)}")
    return root


def platform(ctx: FlowContext) -> list[ToolRun]:
    folder = ctx.build / "platform"
    write_file(folder / "platform.tcl", vivado_files.platform_tcl(ctx.config["board"]))
    return [run_tool(["vivado", "-mode", "batch", "-notrace", "-source", "platform.tcl"], folder,
                     step="vivado_platform", expected_outputs=("platform.xsa",), dry_run=ctx.dry_run,
                     timeout=TIMEOUT_S)]


def dpu_xo(ctx: FlowContext) -> list[ToolRun]:
    """Stage the DPU IP's packaging scripts beside pylic's dpu_conf.vh and run its gen_dpu_xo.tcl."""
    board, folder = ctx.config["board"], ctx.build / "dpu"
    write_file(folder / "dpu_conf.vh", vivado_files.dpu_conf(board))
    root = dpu_ip_root(ctx)
    if root is None:
        ctx.log(f"    note: no DPU IP configured ({DPU_IP_ENV} / --dpu-ip); a real run stops here")
    else:
        for rel in DPU_IP_FILES[:3]:
            dest = folder / Path(rel).relative_to("prj/Vitis")
            dest.parent.mkdir(parents=True, exist_ok=True)
            text = (root / rel).read_text()
            if rel.endswith("package_dpu_kernel.tcl"):  # its HDL path is relative to the TRD; make it absolute
                text = _HDL_PATH.sub(f'set path_to_hdl "{root / "dpu_ip"}"', text)
            write_file(dest, text)
    return [run_tool(["vivado", "-mode", "batch", "-notrace", "-source", "scripts/gen_dpu_xo.tcl", "-tclargs",
                      "dpu.xo", DPU_KERNEL, "hw", board.name], folder, step="vivado_dpu_xo",
                     expected_outputs=("dpu.xo",), dry_run=ctx.dry_run, timeout=TIMEOUT_S)]


def link_kernels(ctx: FlowContext) -> list[vivado_files.LinkKernel]:
    return [vivado_files.LinkKernel.of(i.top, data_ports(kernels_dir(ctx) / i.top, i)) for i in kernel_infos(ctx)]


def link(ctx: FlowContext) -> list[ToolRun]:
    """v++ -l with every .xo named explicitly (DPU-PYNQ's Makefile passes only the first: `$<`)."""
    folder = ctx.build / "link"
    write_file(folder / "link.cfg", vivado_files.link_config(ctx.config["board"], link_kernels(ctx)))
    args = ["v++", "-t", "hw", "--platform", str(ctx.build / PLATFORM_XSA), "--save-temps", "--config", "link.cfg"]
    root = dpu_ip_root(ctx)
    if root is not None and (root / STRIP_TCL).is_file():
        args += ["--xp", f"param:compiler.userPostSysLinkOverlayTcl={root / STRIP_TCL}"]
    args += ["-l", "--temp_dir", "_x", "--package.no_image", "-o", "dpu.xclbin", str(ctx.build / DPU_XO)]
    args += [str(ctx.build / xo_path(i)) for i in kernel_infos(ctx)]
    return [run_tool(args, folder, step="vpp_link", expected_outputs=("dpu.xclbin",), dry_run=ctx.dry_run,
                     timeout=TIMEOUT_S)]


def _one(build: Path, pattern: str, what: str) -> Path:
    hits = sorted(build.glob(pattern))
    if len(hits) != 1:
        raise ToolError(f"v++ left {len(hits)} {what} files matching {build / pattern} (expected 1)")
    return hits[0]


def link_arch(build: Path) -> Path:
    """The DPU's arch.json the link leaves (what vai_c_xir compiles against); ToolError before the link ran."""
    return _one(build, f"{VPL}/prj.gen/sources_1/bd/*/ip/*_{DPU_KERNEL}_1_0/arch.json", "arch.json")


def link_products(build: Path) -> dict[str, Path]:
    """Where v++/Vivado leave the bitstream, the hardware handoff and the DPU's arch.json (HW_FLOW.md §1.6)."""
    return {"dpu.bit": _one(build, f"{VPL}/prj.runs/impl_1/*.bit", "bitstream"),
            "dpu.hwh": _one(build, f"{VPL}/prj.gen/sources_1/bd/*/hw_handoff/*.hwh", "hardware handoff"),
            "arch.json": link_arch(build),
            "dpu.xclbin": build / XCLBIN}


def copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.copyfile(src, tmp)
    tmp.replace(dest)
