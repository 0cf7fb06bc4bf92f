"""`invoke deploy`: the ssh/scp argument lists, input checks, and a failing copy as a typed error."""

from __future__ import annotations

import pytest

from pylic.board import deploy as dep
from pylic.errors import BoardError, ToolError


@pytest.fixture()
def overlay(tmp_path):
    folder = tmp_path / "ov"
    (folder / "xmodels").mkdir(parents=True)
    for f in ("dpu.bit", "dpu.hwh", "dpu.xclbin", "kernels.json"):
        (folder / f).write_bytes(b"x")
    return folder


def test_commands_copy_everything_the_notebooks_need(overlay, tmp_path):
    photo = tmp_path / "p.png"
    photo.write_bytes(b"png")
    cmds = dep.deploy_commands("board.lan", overlay, "pylic-student-q2-int8", port=2222, photo=photo,
                               remote="/home/xilinx/jupyter_notebooks/my dir")
    assert cmds[0][:4] == ["ssh", "-p", "2222", "xilinx@board.lan"] and cmds[0][4:6] == ["rm", "-rf"]
    assert cmds[0][6] == "'/home/xilinx/jupyter_notebooks/my dir/overlay'"  # quoted for the remote shell
    dests = [c[-1].split(":", 1)[1] for c in cmds if c[0] == "scp"]
    names = [d.rsplit("/", 1)[1] for d in dests]
    assert names == ["overlay", "package", "pylic", "encode_decode.ipynb", "pipeline.ipynb", "photo.png"]
    assert all(c[:5] == ["scp", "-P", "2222", "-r", "-q"] for c in cmds if c[0] == "scp")
    assert "9090" in dep.how_to_open("board.lan")


def test_bad_inputs_are_refused(overlay, tmp_path):
    with pytest.raises(BoardError, match="lacks"):
        dep.deploy_commands("b", tmp_path, "pylic-student-q2-int8")
    with pytest.raises(BoardError, match="host name"):
        dep.deploy_commands("-oProxyCommand=x", overlay, "pylic-student-q2-int8")
    with pytest.raises(BoardError, match="photo"):
        dep.deploy_commands("b", overlay, "pylic-student-q2-int8", photo=tmp_path / "none.png")


def test_dry_run_runs_nothing_and_a_failing_copy_is_a_tool_error(overlay, tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(dep.subprocess, "run", lambda cmd, check: calls.append(cmd) or type("R", (), {"returncode": 0}))
    dep.deploy("b", overlay, "pylic-student-q2-int8", dry_run=True)
    assert calls == [] and "scp -P 22" in capsys.readouterr().out
    fake = tmp_path / "bin"
    fake.mkdir()
    for tool in ("ssh", "scp"):
        (fake / tool).write_text("#!/bin/sh\nexit 0\n")
        (fake / tool).chmod(0o755)
    monkeypatch.setenv("PATH", str(fake))
    dep.deploy("b", overlay, "pylic-student-q2-int8")
    assert [c[0] for c in calls] == ["ssh", "ssh", "scp", "scp", "scp", "scp", "scp"]
    monkeypatch.setattr(dep.subprocess, "run", lambda cmd, check: type("R", (), {"returncode": 255}))
    with pytest.raises(ToolError, match="ssh exited with 255"):
        dep.deploy("b", overlay, "pylic-student-q2-int8")
