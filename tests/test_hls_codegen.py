"""HLS code generation without compiling: determinism, naming rules, Tcl structure (run through tclsh with
recording stubs), estimates and the synthesis-report parser."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import jinja2
import numpy as np
import pytest

from pylic.errors import PylicError, ToolError
from pylic.hls import render
from pylic.hls.estimate import dsp_per_mult, gdn_estimate, patch_estimate, register_map
from pylic.hls.directed_vectors import directed_vectors
from pylic.hls.gdn_codegen import bus_bytes_for, generate_gdn, kernel_name
from pylic.hls.patch_codegen import generate_patch_buffer
from pylic.hls.synth_report import parse_csynth_xml
from tests.hls_helpers import CSYNTH_FIXTURE, small_params, small_vectors

TCLSH = shutil.which("tclsh")


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_generation_is_deterministic(tmp_path):
    p, x = small_params(), small_vectors()
    frames = [np.random.default_rng(1).integers(0, 256, size=(40, 50, 3)).astype(np.uint8)]
    for out in (tmp_path / "a", tmp_path / "b"):
        generate_gdn(out, p, x, source="unit", par=2)
        generate_patch_buffer(out, frames, patch=64, overlap=0)
    a, b = tree_bytes(tmp_path / "a"), tree_bytes(tmp_path / "b")
    assert a == b and len(a) >= 16
    assert not any(k.endswith(".tmp") for k in a)
    # regenerating leaves identical files untouched (csim then skips recompiling them)
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "a").rglob("*") if p.is_file()}
    generate_gdn(tmp_path / "a", p, x, source="unit", par=2)
    assert all(q.stat().st_mtime_ns == t for q, t in stamps.items())


def test_generated_constants_are_the_golden_parameters(tmp_path):
    p = small_params()
    info = generate_gdn(tmp_path, p, small_vectors(), source="unit")
    cpp = (tmp_path / info.top / "src" / f"{info.top}.cpp").read_text()
    first_row = ", ".join(str(v) for v in p.gamma_q[0])
    assert "{" + first_row + "}" in cpp
    assert ", ".join(str(v) for v in p.lut.b[:4]) in cpp
    header = (tmp_path / info.top / "src" / f"{info.top}.h").read_text()
    assert f"static const int OUT_SHIFT = {p.out_shift};" in header
    assert f"static const int ACC_FRAC = {p.acc_frac};" in header
    assert info.registers["src"] == 0x10 and info.registers["dst"] == 0x1C and info.registers["n_pixels"] == 0x28


def test_vectors_hold_golden_output(tmp_path):
    from pylic.fixed import gdn_fixed

    p, x = small_params(inverse=True, name="g_s.3"), small_vectors()
    info = generate_gdn(tmp_path, p, x, source="unit")
    n_directed = info.details["directed_pixels"]
    assert info.top == "igdn_gs3" and info.details["photo_vectors"] == 3 and n_directed > p.channels
    assert info.n_vectors == 3 + -(-n_directed // x.shape[1])  # directed pixels padded to whole vectors
    data = tmp_path / info.top / "tb_data"
    got = np.fromfile(data / "input.bin", np.int8).reshape(info.n_vectors, x.shape[1], p.channels)
    np.testing.assert_array_equal(got[:3], x)
    directed = got[3:].reshape(-1, p.channels)
    np.testing.assert_array_equal(directed[:n_directed], directed_vectors(p))
    assert not directed[n_directed:].any()  # zero padding
    np.testing.assert_array_equal(np.fromfile(data / "expected.bin", np.int8).reshape(got.shape), gdn_fixed(got, p))


def test_templates_are_strict():
    env = render.environment()
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("run_hls.tcl.j2").render(top="k")


@pytest.mark.parametrize("bad", ["gdn_dpu1", "DPUcore", "my_Sfm", "igdn-1", "1gdn"])
def test_kernel_names_never_claimable_by_the_dpu_runtime(bad):
    with pytest.raises(PylicError):
        render.check_kernel_name(bad)


def test_kernel_names_and_bus_width():
    assert kernel_name("g_a.5", False) == "gdn_ga5" and kernel_name("g_s.1", True) == "igdn_gs1"
    assert [bus_bytes_for(c) for c in (64, 48, 8, 12, 3)] == [16, 16, 8, 4, 1]


def test_par_must_divide_channels(tmp_path):
    with pytest.raises(PylicError):
        generate_gdn(tmp_path, small_params(), small_vectors(), source="unit", par=3)


TCL_STUBS = """
set ::calls {}
foreach cmd {open_project set_top add_files open_solution set_part create_clock csim_design csynth_design
             cosim_design export_design} {
    proc $cmd {args} "lappend ::calls \\[list $cmd {*}\\$args\\]"
}
rename exit real_exit
proc exit {args} { foreach c $::calls { puts $c }; real_exit 0 }
source [lindex $argv 0]
"""


def run_tcl(script: Path, tmp_path: Path, steps: str | None = None) -> list[str]:
    stub = tmp_path / "stubs.tcl"
    stub.write_text(TCL_STUBS)
    env = {"PATH": "/usr/bin:/bin"} | ({"PYLIC_HLS_STEPS": steps} if steps is not None else {})
    out = subprocess.run([TCLSH, str(stub), str(script)], capture_output=True, text=True, env=env, check=True)
    return out.stdout.splitlines()


@pytest.mark.skipif(TCLSH is None, reason="tclsh not installed")
def test_run_hls_tcl_parses_and_runs_the_full_flow(tmp_path):
    info = generate_gdn(tmp_path, small_params(), small_vectors(), source="unit")
    script = tmp_path / info.top / "run_hls.tcl"
    assert script.read_text().rstrip().endswith("exit")  # vitis_hls -f stays interactive without it
    calls = run_tcl(script, tmp_path)
    assert calls == [
        "open_project -reset gdn_ga1_prj",
        "set_top gdn_ga1",
        'add_files src/gdn_ga1.cpp -cflags {-std=c++14 -Isrc}',
        'add_files -tb tb/gdn_ga1_tb.cpp -cflags {-std=c++14 -Isrc}',
        "add_files -tb tb_data",
        "open_solution -reset sol1 -flow_target vitis",
        "set_part xczu9eg-ffvb1156-2-e",
        "create_clock -period 300MHz -name default",
        "csim_design",
        "csynth_design",
        'add_files -tb tb/gdn_ga1_tb.cpp -cflags {-std=c++14 -Isrc -DPYLIC_COSIM}',
        "cosim_design -rtl verilog",
        "export_design -format xo -output gdn_ga1.xo",
    ]


@pytest.mark.skipif(TCLSH is None, reason="tclsh not installed")
def test_run_hls_tcl_step_selection(tmp_path):
    info = generate_patch_buffer(tmp_path, [np.zeros((20, 20, 3), np.uint8)], patch=128, overlap=8)
    calls = run_tcl(tmp_path / info.top / "run_hls.tcl", tmp_path, steps="csynth export")
    assert [c.split()[0] for c in calls if c.endswith("_design") or c.startswith("export")] == [
        "csynth_design", "export_design"]
    assert "set_top patch_buffer" in calls


def test_dsp_rule():
    assert dsp_per_mult(8, 8) == 0  # fabric
    assert dsp_per_mult(24, 15, False, False) == 1  # 25 x 16 fits 27 x 18
    assert dsp_per_mult(27, 18) == 1 and dsp_per_mult(28, 18) == 2
    assert dsp_per_mult(31, 15, False, False) == 2
    assert dsp_per_mult(40, 30) == 4


def test_gdn_estimate_numbers():
    e = gdn_estimate("gdn_ga1", 64, 1, 16, 24, 24, 18, 32, 12, 128 * 128)
    assert e.dsp == 64 + 1 + 1
    assert e.cycles_per_pixel == 64 and e.cycles_per_patch == 128 * 128 * 64 + 200
    assert e.bram18 == 64 + 1  # gamma: 64 banks of 64 x 24 bits; beta: one bank of 64 x 24 bits
    e4 = gdn_estimate("gdn_ga1", 64, 4, 16, 24, 24, 18, 32, 12, 128 * 128)
    assert e4.dsp == 4 * 66 and e4.cycles_per_pixel == 16 and e4.bram18 == 0  # banks of 16 x 24 bits: LUTRAM
    assert abs(patch_estimate("patch_buffer", 256, 3).ms_per_patch - (196608 + 200) / 300e3) < 1e-9


def test_register_map_follows_vitis_rules():
    regs = register_map([("a", "pointer"), ("b", "pointer"), ("n", "scalar"), ("m", "scalar")])
    assert (regs["CTRL"], regs["a"], regs["b"], regs["n"], regs["m"]) == (0, 0x10, 0x1C, 0x28, 0x30)


def test_csynth_report_parser(tmp_path):
    path = tmp_path / "csynth.xml"
    path.write_text(CSYNTH_FIXTURE)  # hand-written in Vitis HLS 2022.1's schema, not a synthesis result
    r = parse_csynth_xml(path)
    assert r["top"] == "gdn_ga1" and r["part"] == "xczu9eg-ffvb1156-2-e"
    assert r["latency_worst"] == 1048790 and r["interval_max"] == 1048791
    assert r["estimated_clock_ns"] == 2.433 and r["target_clock_ns"] == 3.33
    assert r["resources"] == {"BRAM_18K": 66, "DSP": 66, "FF": 23456, "LUT": 34567, "URAM": 0}
    assert r["available"]["DSP"] == 2520
    bad = tmp_path / "bad.xml"
    bad.write_text("<profile></profile>")
    with pytest.raises(ToolError):
        parse_csynth_xml(bad)
    with pytest.raises(ToolError):
        parse_csynth_xml(tmp_path / "missing.xml")
