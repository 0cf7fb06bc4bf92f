"""`compile_xmodels` with a recording stand-in for `vai_c_xir` on PATH: the right calls in the right order,
every compiled segment checked (one DPU subgraph, the package's I/O fix positions) and its workloads recorded;
a missing tool, a failing tool and a wrong compile all fail with typed errors. No real compile runs here."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from pylic.errors import ToolError
from pylic.xmodel import compile as xc
from pylic.xmodel.proto import XmodelError, read_xmodel

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "pylic-student-q2-int8"
GRAPHS = ["g_a_dpu0", "g_a_dpu1", "g_a_dpu2", "g_a_dpu3", "h_a_dpu0", "h_s_dpu0", "g_s_dpu0", "g_s_dpu1",
          "g_s_dpu2", "g_s_dpu3"]


@pytest.fixture()
def arch(tmp_path) -> Path:
    path = tmp_path / "overlay" / "arch.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"target": "DPUCZDX8G_ISA1_B4096"}))
    return path


@pytest.fixture()
def standin(tmp_path, monkeypatch) -> Path:
    """`vai_c_xir` on PATH that logs each call to the returned file (tests/xmodel_standin.py)."""
    bindir, log = tmp_path / "bin", tmp_path / "calls.jsonl"
    bindir.mkdir()
    tool = bindir / "vai_c_xir"
    tool.write_text(f"#!/bin/sh\nexport PYTHONPATH={shlex.quote(str(ROOT))}${{PYTHONPATH:+:$PYTHONPATH}}\n"
                    f"exec {shlex.quote(sys.executable)} -m tests.xmodel_standin {shlex.quote(str(log))} \"$@\"\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return log


def _calls(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_compile_sequence_checks_and_records(tmp_path, arch, standin) -> None:
    out = tmp_path / "xm"
    result = xc.compile_xmodels(PACKAGE, arch, out)
    calls = _calls(standin)
    assert [Path(c["cwd"]).name for c in calls] == GRAPHS
    assert calls[0]["argv"] == ["-x", "../../quantized/g_a_dpu0.xmodel", "-a", "../../arch.json", "-o", ".",
                                "-n", "g_a_dpu0"]
    for g in GRAPHS:
        assert (out / "compiled" / g / "vai_c_xir.sh").is_file() and (out / "compiled" / g / "vai_c_xir.log").is_file()
    rec = json.loads((out / "xmodels.json").read_text())
    assert rec == result["record"] and rec["arch"] == {"target": "DPUCZDX8G_ISA1_B4096"}
    segs = {s["segment"]: s for s in rec["segments"]}
    assert list(segs) == [g.replace("_dpu", ".dpu") for g in GRAPHS]
    assert (segs["g_a.dpu0"]["input_fix"], segs["g_a.dpu3"]["output_fix"], segs["h_s.dpu0"]["output_fix"]) == (7, 0, 3)
    assert [layer["layer"] for layer in segs["h_a.dpu0"]["layers"]] == ["h_a.0", "h_a.2", "h_a.4"]
    g_a0 = segs["g_a.dpu0"]["layers"][0]  # 3 -> 22 channels, k5 s2, 256 -> 128: lanes 3/16 and 22/32 used
    assert g_a0["workload"] == 128 * 128 * 22 * (2 * 25 * 3 + 1) == g_a0["predicted_workload"]
    assert g_a0["workload_on_arch"] == 128 * 128 * 32 * (2 * 25 * 16 + 1) == g_a0["predicted_workload_on_arch"]
    deconv = segs["g_s.dpu3"]["layers"][0]  # 22 -> 3 at 128 -> 256, on the input grid
    assert deconv["type"] == "transposed-conv2d-fix" and deconv["predicted_workload"] is None
    assert deconv["workload_on_arch"] == 128 * 128 * 25 * 16 * (2 * 32 + 1)


def test_dry_run_writes_scripts_and_runs_nothing(tmp_path, arch, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))  # no vai_c_xir anywhere
    out = tmp_path / "xm"
    result = xc.compile_xmodels(PACKAGE, arch, out, dry_run=True)
    assert result["record"] is None and len(result["commands"]) == 10
    assert "vai_c_xir -x ../../quantized/g_s_dpu3.xmodel -a ../../arch.json" in result["commands"][-1]
    assert sorted(p.stem for p in (out / "quantized").glob("*.xmodel")) == sorted(GRAPHS)
    assert read_xmodel(out / "quantized" / "h_s_dpu0.xmodel").name == "h_s_dpu0"
    assert not list(out.glob("compiled/*/*.xmodel")) and (out / "compiled" / "g_a_dpu0" / "vai_c_xir.sh").is_file()
    subprocess.run(["/bin/sh", "-n", str(out / "compile_in_docker.sh")], check=True)


def test_missing_tool_is_a_clear_error(tmp_path, arch, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    with pytest.raises(ToolError, match="vai_c_xir not found.*compile_in_docker.sh"):
        xc.compile_xmodels(PACKAGE, arch, tmp_path / "xm")


def test_docker_script_then_check_only(tmp_path, arch, standin, monkeypatch) -> None:
    """The docker script compiles every segment from its own folder; `check_only` then checks the results."""
    out = tmp_path / "xm"
    xc.compile_xmodels(PACKAGE, arch, out, dry_run=True)
    subprocess.run([str(out / "compile_in_docker.sh")], check=True, cwd=tmp_path, capture_output=True)
    assert len(_calls(standin)) == 10
    rec = xc.compile_xmodels(PACKAGE, arch, out, check_only=True)["record"]
    assert len(rec["segments"]) == 10 and all(s["workload_on_arch"] > 0 for s in rec["segments"])
    with pytest.raises(XmodelError, match="another package"):
        xc.compile_xmodels("pylic-student-q1-int8", arch, out, check_only=True)
    xc.write_xgraphs(PACKAGE, out)  # identical graphs: left untouched, so the compiled results stay current
    assert xc.compile_xmodels(PACKAGE, arch, out, check_only=True)["record"] is not None
    q = out / "quantized" / "g_s_dpu3.xmodel"
    os.utime(q, (q.stat().st_atime, q.stat().st_mtime + 60))  # a quantized graph newer than its compile
    with pytest.raises(XmodelError, match="older than"):
        xc.check_compiled_dir(out)


@pytest.mark.parametrize("mode, error, match", [
    ("split", XmodelError, "2 DPU subgraphs"),
    ("badfix", XmodelError, "fix positions"),
    ("fail", ToolError, "exit code 3"),
])
def test_bad_compiles_are_caught(tmp_path, arch, standin, monkeypatch, mode, error, match) -> None:
    monkeypatch.setenv("STANDIN_MODE", mode)
    with pytest.raises(error, match=match):
        xc.compile_xmodels(PACKAGE, arch, tmp_path / "xm")
    assert not (tmp_path / "xm" / "xmodels.json").exists()


def test_stale_output_does_not_pass_for_a_new_one(tmp_path, arch, standin, monkeypatch) -> None:
    out = tmp_path / "xm"
    xc.compile_xmodels(PACKAGE, arch, out)
    monkeypatch.setenv("STANDIN_MODE", "noop")
    with pytest.raises(ToolError, match="did not produce g_a_dpu0.xmodel"):
        xc.compile_xmodels(PACKAGE, arch, out)


def test_bad_arch_is_refused(tmp_path) -> None:
    bad = tmp_path / "arch.json"
    bad.write_text("{}")
    with pytest.raises(XmodelError, match="target"):
        xc.compile_xmodels(PACKAGE, bad, tmp_path / "xm", dry_run=True)


def test_invoke_task_prints_the_plan_and_exits_cleanly(tmp_path, arch, monkeypatch, capsys) -> None:
    """`invoke compile-xmodel`: --dry-run prints the commands; without the tool, one line and exit code 2."""
    from invoke import Context, Exit

    import tasks

    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    tasks.compile_xmodel(Context(), package=PACKAGE, arch=str(arch), dry_run=True)
    printed = capsys.readouterr().out.splitlines()
    assert len([line for line in printed if "vai_c_xir -x" in line]) == 10
    assert printed[-1] == f"planned: {arch.parent / 'xmodels'}"
    with pytest.raises(Exit) as exc:
        tasks.compile_xmodel(Context(), package=PACKAGE, arch=str(arch))
    assert exc.value.code == 2 and "vai_c_xir not found" in str(exc.value)
