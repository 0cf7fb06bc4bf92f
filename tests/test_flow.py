"""The overlay build flow without vendor tools: board files, the x<top>_hw.h parser, dry runs (every script
written, every Tcl file parsed by tclsh), an end-to-end run through recording stand-ins for vitis_hls/vivado/
v++, step skipping (unchanged rerun, one changed γ) and the resource fit failing before any tool runs."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pylic.flow import hw_header
from pylic.flow.boards import BOARDS_DIR, BoardError, board_from_dict, load_board
from pylic.flow.overlay import build_overlay
from pylic.flow.resources import ResourceError

PACKAGE = "pylic-student-q2-int8"
HERE = Path(__file__).resolve().parent
HP_128 = {"HP0", "HP1", "HP2", "HP3", "HPC1"}


def test_boards_load_and_reject_unknown_keys():
    z = load_board("zcu102")
    assert (z.part, z.dpu.cores, z.dpu.clock_mhz, z.dpu.dsp_clock_mhz) == ("xczu9eg-ffvb1156-2-e", 3, 300, 600)
    assert z.memory_ports["HPC0"].width == 32 and not z.dpu.uram
    assert load_board("zcu104").dpu.cores == 1
    raw = json.loads((BOARDS_DIR / "zcu102.json").read_text())
    with pytest.raises(BoardError, match="unknown keys"):
        board_from_dict({**raw, "clock": 1})
    with pytest.raises(BoardError, match="unknown keys"):
        board_from_dict({**raw, "dpu": {**raw["dpu"], "corez": 3}})
    bad = json.loads(json.dumps(raw))
    bad["dpu"]["ports"][2]["M_AXI_HP0"] = "HPC0"  # a data port on the 32-bit HPC0
    with pytest.raises(BoardError, match="32-bit"):
        board_from_dict(bad)


def test_hw_header_fixture_parses_to_the_contract():
    iface = hw_header.parse_hw_header((HERE / "data/xgdn_ga1_hw.h").read_text(), "gdn_ga1")
    assert iface["control"] == {"ap_ctrl": 0, "gie": 4, "ier": 8, "isr": 12}
    assert iface["args"] == {"src": {"offset": 0x10, "bits": 64, "kind": "pointer"},
                             "dst": {"offset": 0x1C, "bits": 64, "kind": "pointer"},
                             "n_pixels": {"offset": 0x28, "bits": 32, "kind": "scalar"}}
    with pytest.raises(Exception, match="control registers"):
        hw_header.parse_hw_header((HERE / "data/xgdn_ga1_hw.h").read_text(), "gdn_ga3")


@pytest.fixture()
def standins(tmp_path, monkeypatch):
    """PATH with recording vitis_hls / vivado / v++ / vai_c_xir; returns a function reading the calls so far."""
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.jsonl"
    bin_dir.mkdir()
    for tool in ("vitis_hls", "vivado", "v++", "vai_c_xir"):
        p = bin_dir / tool
        p.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{HERE / "flow_standins.py"}" {tool} "$@"\n')
        p.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin")
    monkeypatch.setenv("PYLIC_STANDIN_LOG", str(log))
    dpu = tmp_path / "dpu_trd"
    for rel in ("prj/Vitis/scripts/gen_dpu_xo.tcl", "prj/Vitis/kernel_xml/dpu/kernel.xml"):
        (dpu / rel).parent.mkdir(parents=True, exist_ok=True)
        (dpu / rel).write_text("# stand-in\n")
    (dpu / "prj/Vitis/scripts/package_dpu_kernel.tcl").write_text('set path_to_hdl "../../dpu_ip"\n')
    (dpu / "dpu_ip").mkdir()
    monkeypatch.setenv("PYLIC_DPU_IP", str(dpu))

    def calls() -> list[dict]:
        return [json.loads(line) for line in log.read_text().splitlines()] if log.is_file() else []
    return calls


def _run(tmp_path, package=PACKAGE, board="zcu102", **kw):
    return build_overlay(board, package, out_root=tmp_path / "overlays", build_root=tmp_path / "build",
                         log=lambda s: None, **kw)


def _status(outcomes) -> dict[str, str]:
    return {o.name: o.status for o in outcomes}


def test_dry_run_writes_every_script_and_tclsh_parses_them(tmp_path, standins, monkeypatch):
    monkeypatch.delenv("PYLIC_DPU_IP")
    out = _run(tmp_path, dry_run=True)
    assert set(_status(out).values()) == {"dry-run"} and standins() == []
    build = tmp_path / "build/zcu102" / PACKAGE
    scripts = sorted(p.relative_to(build).as_posix() for p in build.rglob("*.sh"))
    kernels = [p.parent.name for p in build.glob("kernels/*/kernel.json")]
    assert len(kernels) == 7
    assert scripts == sorted([f"kernels/{k}/vitis_synth.sh" for k in kernels]
                             + ["platform/vivado_platform.sh", "dpu/vivado_dpu_xo.sh", "link/vpp_link.sh"])
    assert (build / "link/link.cfg").is_file() and (build / "dpu/dpu_conf.vh").is_file()
    assert not (build / "steps").exists() and not (tmp_path / "overlays").exists()
    tcl = sorted(build.rglob("*.tcl"))
    assert len(tcl) == 8  # 7 run_hls.tcl + platform.tcl
    checker = "foreach f $argv {set fh [open $f]; set s [read $fh]; close $fh; " \
              "if {![info complete $s]} {puts \"INCOMPLETE $f\"; exit 1}}"
    r = subprocess.run(["tclsh"], input=checker.replace("$argv", "{" + " ".join(map(str, tcl)) + "}"),
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_end_to_end_with_standins_then_skip_and_one_gamma(tmp_path, standins):
    out = _run(tmp_path)
    assert set(_status(out).values()) == {"ran"}
    calls = standins()
    tools = [c["tool"] for c in calls]
    assert tools == ["vitis_hls"] * 7 + ["vivado", "vivado", "v++"] + ["vai_c_xir"] * 10
    for c in calls[10:]:  # one compile per DPU segment, against the arch.json the link left
        g = Path(c["cwd"]).name
        assert c["argv"] == ["-x", f"../../quantized/{g}.xmodel", "-a", "../../arch.json", "-o", ".", "-n", g]
    for c in calls[:7]:
        assert c["argv"] == ["-f", "run_hls.tcl"] and c["env"]["PYLIC_HLS_STEPS"] == "csynth export"
        assert c["env"]["PYLIC_HLS_PART"] == "xczu9eg-ffvb1156-2-e"
    assert calls[8]["argv"][-4:] == ["dpu.xo", "DPUCZDX8G", "hw", "zcu102"]
    link = calls[9]["argv"]
    xos = [a for a in link if a.endswith(".xo")]
    tops = sorted(Path(c["cwd"]).name for c in calls[:7])
    assert sorted(Path(x).stem for x in xos) == sorted(["dpu", *tops])  # every kernel linked, not just the first
    build = tmp_path / "build/zcu102" / PACKAGE
    cfg = (build / "link/link.cfg").read_text().splitlines()
    assert "nk=DPUCZDX8G:3" in cfg
    sp = dict(line[3:].split(":") for line in cfg if line.startswith("sp="))
    for i in (1, 2, 3):
        assert {f"DPUCZDX8G_{i}.{p}" for p in ("M_AXI_GP0", "M_AXI_HP0", "M_AXI_HP2")} <= set(sp)
    assert sp["DPUCZDX8G_3.M_AXI_HP0"] == sp["DPUCZDX8G_3.M_AXI_HP2"] == "HPC1"
    data = {k: v for k, v in sp.items() if not k.endswith("M_AXI_GP0")}
    assert len(data) == 6 + 2 * 6 + 3 and set(data.values()) <= HP_128  # patch buffer: frame and acc share a bundle
    assert data["patch_buffer_1.frame"] == data["patch_buffer_1.acc"]
    for top in tops:
        assert f"nk={top}:1" in cfg and f"freqHz=300000000:{top}_1.ap_clk" in cfg
        assert "dpu" not in top.lower() and "sfm" not in top.lower()
    overlay = tmp_path / "overlays/zcu102" / PACKAGE
    assert sorted(p.name for p in overlay.iterdir()) == ["arch.json", "dpu.bit", "dpu.hwh", "dpu.xclbin",
                                                         "kernels.json", "manifest.json", "xmodels"]
    xrec = json.loads((overlay / "xmodels/xmodels.json").read_text())
    assert len(xrec["segments"]) == 10 and all((overlay / "xmodels" / s["xmodel"]).is_file() for s in xrec["segments"])
    kj = json.loads((overlay / "kernels.json").read_text())
    assert kj["schema"] == "pylic-kernel-interface/1" and sorted(k["top"] for k in kj["kernels"]) == tops
    for k in kj["kernels"]:
        assert set(k) == {"top", "vlnv", "role", "op", "instances", "control", "args"}
        assert k["vlnv"] == f"xilinx.com:hls:{k['top']}:1.0" and k["instances"] == [f"{k['top']}_1"]
    pb = next(k for k in kj["kernels"] if k["top"] == "patch_buffer")
    assert pb["role"] == "patch" and pb["op"] is None and pb["args"]["patch"]["kind"] == "pointer"
    ga1 = next(k for k in kj["kernels"] if k["top"] == "gdn_ga1")
    assert ga1["op"] == "g_a.1" and ga1["role"] == "gdn" and ga1["args"]["dst"]["offset"] == 0x1C
    man = json.loads((overlay / "manifest.json").read_text())
    assert man["resources_from"] == "fit_synth.json" and man["tools_required"]["vivado"] == "2022.1"
    assert man["xmodels"]["segments"]["g_a.dpu0"]["workload_on_arch"] > 0  # per-layer work for the perf model

    # unchanged rerun: nothing runs; --from-step/--to-step with --force runs exactly that slice
    assert set(_status(_run(tmp_path)).values()) == {"skipped"} and len(standins()) == 20
    assert _status(_run(tmp_path, from_step="link", to_step="link", force=True)) == {"link": "ran"}
    assert [c["tool"] for c in standins()[20:]] == ["v++"]
    assert set(_status(_run(tmp_path)).values()) == {"skipped"}  # same inputs, same outputs: still up to date

    # one γ entry of g_a.3 changed: exactly the downstream steps, and vitis_hls for that kernel only
    from pylic.deploy.store import DeployPackage
    from pylic.hls.from_package import as_package
    pkg = as_package(PACKAGE)
    arrays = dict(pkg.arrays)
    g = np.array(arrays["g_a.3.gamma"])
    g.flat[5] += 1
    arrays["g_a.3.gamma"] = g
    changed = DeployPackage.make(pkg.manifest, arrays)
    status = _status(_run(tmp_path, package=changed, name=PACKAGE))
    assert status == {"fit": "ran", "gen_hls": "ran", "hls_xo": "ran", "platform": "skipped",
                      "dpu_xo": "skipped", "link": "ran", "segments": "ran", "xgraph": "ran",
                      "compile": "skipped", "collect": "ran"}  # the DPU weights did not change: no recompile
    new = standins()[21:]
    assert [(c["tool"], Path(c["cwd"]).name) for c in new] == [("vitis_hls", "gdn_ga3"), ("v++", "link")]
    assert json.loads((overlay / "manifest.json").read_text())["package"] == changed.content_hash


def test_budget_exceeded_fails_before_any_tool(tmp_path, standins):
    raw = json.loads((BOARDS_DIR / "zcu102.json").read_text())
    raw["dpu"]["cores"] = 4
    raw["dpu"]["ports"].append(dict(raw["dpu"]["ports"][2]))
    four = tmp_path / "zcu102x4.json"
    four.write_text(json.dumps(raw))
    with pytest.raises(ResourceError) as err:
        _run(tmp_path, board=four)
    assert "DOES NOT FIT" in str(err.value) and "| DPUCZDX8G B4096 | 4 | 2,568 | 1,020 |" in str(err.value)
    assert standins() == []


def test_huge_n_package_fails_before_any_tool(tmp_path, standins):
    """Six GDN/iGDN kernels at C=160 with γ resident: ~80 BRAM36 each, far beyond what 3 B4096 cores leave."""
    from pylic.deploy.store import DeployPackage
    from pylic.hls.from_package import as_package

    pkg = as_package(PACKAGE)
    wide = {t: tuple(dataclasses.replace(op, in_channels=160, out_channels=160) if op.op in ("gdn", "igdn") else op
                     for op in ops) for t, ops in pkg.manifest.transforms.items()}
    huge = DeployPackage(dataclasses.replace(pkg.manifest, transforms=wide), pkg.arrays, "f" * 64)
    with pytest.raises(ResourceError) as err:
        _run(tmp_path, package=huge, name="huge")
    msg = str(err.value)
    assert "DOES NOT FIT: dsp 2,898 > 2,520, bram36 1,252 > 912" in msg
    assert "| gdn_ga1 | 1 | 162 | 80.5 | - | estimate |" in msg
    assert standins() == [] and not (tmp_path / "build/zcu102/huge/kernels").exists()


def test_smaller_board_link_config_and_missing_dpu_ip(tmp_path, standins, monkeypatch):
    from pylic.errors import ToolError
    from pylic.flow.vivado_files import LinkKernel, link_config, platform_tcl

    z104 = load_board("zcu104")
    kernels = [LinkKernel(f"gdn_k{i}", ("src", "dst")) for i in range(7)]
    cfg = link_config(z104, kernels).splitlines()
    assert "nk=DPUCZDX8G:1" in cfg and "freqHz=600000000:DPUCZDX8G_1.ap_clk_2" in cfg
    sp = dict(line[3:].split(":") for line in cfg if line.startswith("sp="))
    assert {sp[f"gdn_k{i}_1.{p}"] for i in range(7) for p in ("src", "dst")} == {"HP2", "HP3"}
    assert "xczu7ev-ffvc1156-2-e" in platform_tcl(z104)
    with pytest.raises(Exception, match="contains 'dpu'"):
        link_config(z104, [LinkKernel("mydpu_gdn", ("src",))])
    monkeypatch.setenv("PYLIC_DPU_IP", str(tmp_path))
    with pytest.raises(ToolError, match="is not a DPUCZDX8G reference design: missing prj/Vitis/scripts/gen_dpu_xo"):
        _run(tmp_path, from_step="dpu_xo", to_step="dpu_xo")
    monkeypatch.delenv("PYLIC_DPU_IP")
    with pytest.raises(ToolError, match="DPU IP location is not configured"):
        _run(tmp_path, from_step="dpu_xo", to_step="dpu_xo")
    from pylic.flow.steps import FlowError
    with pytest.raises(FlowError, match=r"step link needs .*platform\.xsa"):  # upstream never ran
        _run(tmp_path, from_step="link")
    assert standins() == []


def test_quantize_and_export_as_recorded_steps(tmp_path, tiny_ckpt, photo, one_torch_thread):
    from PIL import Image

    from pylic.deploy import load
    from pylic.flow.package_steps import build_package

    data = tmp_path / "photos"
    data.mkdir()
    for i in range(2):
        Image.fromarray(photo[i * 100:i * 100 + 256, :256]).save(data / f"{i}.png")
    opts = dict(checkpoint=tiny_ckpt, data=str(data), calib=2, progress=False, threads=1)
    first = build_package(tmp_path / "b", patch=64, log=lambda s: None, **opts)
    assert _status(first) == {"quantize": "ran", "export": "ran"}
    pkg_dir = Path((tmp_path / "b/package.txt").read_text().strip())
    assert load(pkg_dir).manifest.patch == 64
    assert _status(build_package(tmp_path / "b", patch=64, log=lambda s: None, **opts)) == {
        "quantize": "skipped", "export": "skipped"}
    # a new patch size re-exports without re-quantizing
    assert _status(build_package(tmp_path / "b", patch=128, log=lambda s: None, **opts)) == {
        "quantize": "skipped", "export": "ran"}
    rec = json.loads((tmp_path / "b/steps/quantize.json").read_text())
    assert rec["schema"] == "pylic-step-record/1" and set(rec["outputs"]) == {"quant/quant_plan.json",
                                                                              "quant/model.pt"}


PLATFORM_STUBS = """
set ::calls {}
proc version {args} { return 2022.1 }
rename unknown real_unknown
proc unknown {args} { lappend ::calls $args; return [lindex $args end] }
source [lindex $argv 0]
foreach c $::calls { puts $c }
"""


@pytest.mark.parametrize("board", ["zcu102", "zcu104"])
def test_platform_tcl_runs_under_tclsh_stubs(tmp_path, board):
    """Every Vivado command stubbed (the catch-all `unknown`): the script runs start to end in plain Tcl, and the
    platform it would build declares exactly the board's memory ports, widths, slots and clocks."""
    from pylic.flow.vivado_files import platform_tcl

    b = load_board(board)
    (tmp_path / "platform.tcl").write_text(platform_tcl(b))
    (tmp_path / "stubs.tcl").write_text(PLATFORM_STUBS)
    r = subprocess.run(["tclsh", str(tmp_path / "stubs.tcl"), str(tmp_path / "platform.tcl")], capture_output=True,
                       text=True, env={"PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for name, port in b.memory_ports.items():
        declared = out.count(f'sptag {name} memory {{ps_e {name}_DDR_LOW}}')
        assert declared == port.slots, (name, declared)
        gp = {"HPC0": 0, "HPC1": 1, "HP0": 2, "HP1": 3, "HP2": 4, "HP3": 5}[name]
        assert f"CONFIG.PSU__SAXIGP{gp}__DATA_WIDTH {port.width}" in out
    for i, mhz in enumerate(b.clocks_mhz, 1):
        assert f"CONFIG.CLKOUT{i}_REQUESTED_OUT_FREQ {mhz}" in out
    assert "write_hw_platform -force -file ./platform.xsa" in out and f"-part {b.part}" in out
    bad = platform_tcl(b).replace("version -short] ne", "version -short] eq")
    (tmp_path / "platform.tcl").write_text(bad)
    r = subprocess.run(["tclsh", str(tmp_path / "stubs.tcl"), str(tmp_path / "platform.tcl")], capture_output=True,
                       text=True)
    assert r.returncode != 0 and "written for Vivado 2022.1" in r.stderr


@pytest.mark.vitis
@pytest.mark.vivado
@pytest.mark.skipif(not all(shutil.which(t) for t in ("vitis_hls", "vivado", "v++"))
                    or not os.environ.get("PYLIC_DPU_IP"),
                    reason="needs Vitis HLS, Vivado and v++ 2022.1 on PATH and PYLIC_DPU_IP (hours of tool time)")
def test_real_overlay_build(tmp_path):  # pragma: no cover - never runs where the tools are missing
    out = _run(tmp_path)
    assert set(_status(out).values()) == {"ran"}
    overlay = tmp_path / "overlays/zcu102" / PACKAGE
    kj = json.loads((overlay / "kernels.json").read_text())
    assert len(kj["kernels"]) == 7 and (overlay / "dpu.bit").stat().st_size > 1_000_000
