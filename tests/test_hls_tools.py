"""The tool runner and the vendor-tool steps, with recording stand-in executables on PATH (no synthesis
is run or claimed: the stand-ins only record how they were called)."""

from __future__ import annotations

import json
import os
import stat
import subprocess

import numpy as np
import pytest

from pylic.errors import ToolError
from pylic.hls.gdn_codegen import generate_gdn
from pylic.hls.patch_codegen import generate_patch_buffer
from pylic.hls.tools import find_tool, run_tool
from pylic.hls.vitis import run_step
from tests.hls_helpers import CSYNTH_FIXTURE, small_params, small_vectors

RECORDER = """#!/bin/sh
# stand-in for {name}: records its invocation, then behaves as told by STANDIN_MODE
printf '%s|%s|%s\\n' "$(pwd)" "$PYLIC_HLS_STEPS" "$*" >> "{log}"
case "$STANDIN_MODE" in
  fail) echo "ERROR: [HLS 200-70] stand-in failure"; exit 3 ;;
  silent) exit 0 ;;
esac
top=$(sed -n 's/^set_top //p' run_hls.tcl)
case "$PYLIC_HLS_STEPS" in
  *csynth*) mkdir -p "${{top}}_prj/sol1/syn/report"
            sed "s/gdn_ga1/$top/" "{fixture}" > "${{top}}_prj/sol1/syn/report/csynth.xml" ;;
esac
case "$PYLIC_HLS_STEPS" in *export*) echo xo > "$top.xo" ;; esac
case "$PYLIC_HLS_STEPS" in *cosim*) mkdir -p "${{top}}_prj/sol1/sim/report"; echo PASS > "${{top}}_prj/sol1/sim/report/${{top}}_cosim.rpt" ;; esac
exit 0
"""


@pytest.fixture()
def fake_vitis(tmp_path, monkeypatch):
    """A recording `vitis_hls` first on PATH; returns the file its invocations go to."""
    bindir, log = tmp_path / "bin", tmp_path / "calls.log"
    bindir.mkdir()
    fixture = tmp_path / "fixture.xml"
    fixture.write_text(CSYNTH_FIXTURE)
    exe = bindir / "vitis_hls"
    exe.write_text(RECORDER.format(name="vitis_hls", log=log, fixture=fixture))
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("STANDIN_MODE", raising=False)
    return log


@pytest.fixture()
def kernels(tmp_path):
    root = tmp_path / "build"
    generate_gdn(root, small_params(), small_vectors(), source="unit")
    generate_gdn(root, small_params(inverse=True, name="g_s.1"), small_vectors(), source="unit")
    generate_patch_buffer(root, [np.zeros((20, 20, 3), np.uint8)], patch=128, overlap=8)
    return root


def test_synth_runs_vitis_hls_per_kernel_and_parses_reports(fake_vitis, kernels):
    results = run_step(kernels, "synth")
    calls = fake_vitis.read_text().splitlines()
    assert [c.split("|") for c in calls] == [
        [str(kernels / top), "csynth export", "-f run_hls.tcl"] for top in ("gdn_ga1", "igdn_gs1", "patch_buffer")]
    assert [r.top for r in results] == ["gdn_ga1", "igdn_gs1", "patch_buffer"]
    saved = json.loads((kernels / "igdn_gs1" / "csynth.json").read_text())
    assert saved["top"] == "igdn_gs1" and saved["resources"]["DSP"] == 66  # the stand-in's fixture numbers
    script = (kernels / "gdn_ga1" / "vitis_synth.sh").read_text()
    assert "export PYLIC_HLS_STEPS='csynth export'" in script and script.rstrip().endswith("-f run_hls.tcl")


def test_cosim_step(fake_vitis, kernels):
    run_step(kernels, "cosim")
    assert all(c.split("|")[1:] == ["csynth cosim", "-f run_hls.tcl"] for c in fake_vitis.read_text().splitlines())


def test_tool_failure_and_missing_outputs_raise(fake_vitis, kernels, monkeypatch):
    monkeypatch.setenv("STANDIN_MODE", "fail")
    with pytest.raises(ToolError, match="exit code 3"):
        run_step(kernels, "synth")
    assert "stand-in failure" in (kernels / "gdn_ga1" / "vitis_synth.log").read_text()
    monkeypatch.setenv("STANDIN_MODE", "silent")
    with pytest.raises(ToolError, match="did not produce"):
        run_step(kernels, "synth")


def test_missing_vitis_names_the_settings_script(kernels, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    with pytest.raises(ToolError, match=r"source /tools/Xilinx/Vitis_HLS/2022\.1/settings64\.sh"):
        run_step(kernels, "synth")
    for tool, hint in (("vivado", "Vivado"), ("v++", "Vitis/"), ("vai_c_xir", "Vitis AI")):
        with pytest.raises(ToolError, match=hint):
            find_tool(tool)


def test_dry_run_writes_scripts_without_the_tool(kernels, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    results = run_step(kernels, "synth", dry_run=True)
    assert [r.run.command for r in results] == ["PYLIC_HLS_STEPS='csynth export' vitis_hls -f run_hls.tcl"] * 3
    assert all((kernels / r.top / "vitis_synth.sh").is_file() for r in results)
    assert not any((kernels / r.top / "vitis_synth.log").exists() for r in results)


def test_runner_script_replays_the_step(tmp_path):
    run = run_tool(["sh", "-c", 'echo "$1" > out.txt', "x", "it's  quoted"], tmp_path, step="demo",
                   expected_outputs=("out.txt",), env={"A": "1"})
    assert run.returncode == 0 and (tmp_path / "out.txt").read_text() == "it's  quoted\n"
    (tmp_path / "out.txt").unlink()
    subprocess.run([str(tmp_path / "demo.sh")], check=True)
    assert (tmp_path / "out.txt").read_text() == "it's  quoted\n"
    assert (tmp_path / "demo.log").exists()


def test_runner_checks_exit_code_unless_told_not_to(tmp_path):
    with pytest.raises(ToolError, match="exit code 4"):
        run_tool(["sh", "-c", "echo boom; exit 4"], tmp_path, step="bad")
    assert run_tool(["sh", "-c", "exit 4"], tmp_path, step="bad", check=False).returncode == 4
    with pytest.raises(ToolError, match="not found on PATH"):
        run_tool(["surely-not-a-tool-xyz"], tmp_path)
