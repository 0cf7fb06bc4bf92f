"""The one runner for external tools (g++, vitis_hls, vivado, v++, vai_c_xir).

Every call: find the tool (or raise ToolError naming what to install or source), write a replayable shell
script and a log into the build folder, run with an argument list (never a shell string), check the exit
code, then check that the outputs the step promises exist. `dry_run` writes the script and returns the
command without running anything.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from pylic.errors import ToolError
from pylic.imageio import write_file

XILINX_VERSION = "2022.1"  # tool set A of HW_FLOW.md (PYNQ 3.0 + DPU-PYNQ 2.5)

# How to get each tool onto PATH: the vendor settings script, or a package for g++.
SETUP_HINTS: dict[str, str] = {
    "g++": "install a C++ compiler (e.g. `apt-get install g++`)",
    "vitis_hls": f"source /tools/Xilinx/Vitis_HLS/{XILINX_VERSION}/settings64.sh",
    "vivado": f"source /tools/Xilinx/Vivado/{XILINX_VERSION}/settings64.sh",
    "v++": f"source /tools/Xilinx/Vitis/{XILINX_VERSION}/settings64.sh",
    "vai_c_xir": "run inside the Vitis AI 2.5 docker (`conda activate vitis-ai-pytorch`)",
}


@dataclass(frozen=True)
class ToolRun:
    """What a step ran (or would run) and where its script and log are."""

    args: list[str]
    cwd: Path
    script: Path
    log: Path
    returncode: int | None  # None for a dry run
    env: dict[str, str] = field(default_factory=dict)

    @property
    def command(self) -> str:
        prefix = "".join(f"{k}={shlex.quote(v)} " for k, v in sorted(self.env.items()))
        return prefix + shlex.join(self.args)


def find_tool(name: str) -> str:
    """Absolute path of `name` on PATH, or a ToolError that says how to get it."""
    path = shutil.which(name)
    if path is None:
        hint = SETUP_HINTS.get(name, "install it and put it on PATH")
        raise ToolError(f"{name} not found on PATH; {hint}")
    return path


def _write_script(path: Path, cwd: Path, args: list[str], env: dict[str, str]) -> None:
    lines = ["#!/bin/sh", "# Written by pylic: replays this step exactly.", "set -e", f"cd {shlex.quote(str(cwd))}"]
    lines += [f"export {k}={shlex.quote(v)}" for k, v in sorted(env.items())]
    lines.append("exec " + shlex.join(args))
    write_file(path, "\n".join(lines) + "\n")
    path.chmod(0o755)


def run_tool(
    args: list[str],
    cwd: str | Path,
    step: str = "run",
    expected_outputs: tuple[str | Path, ...] = (),
    env: dict[str, str] | None = None,
    dry_run: bool = False,
    timeout: float | None = None,
    check: bool = True,
) -> ToolRun:
    """Run `args` in `cwd`, logging to `<step>.log` beside a replayable `<step>.sh`.

    Raises ToolError if the tool is missing, exits non-zero (when `check`), times out, or does not leave
    every file in `expected_outputs` (relative to `cwd`).
    """
    if not args:
        raise ToolError("empty command")
    cwd = Path(cwd).resolve()
    cwd.mkdir(parents=True, exist_ok=True)
    env = dict(env or {})
    script, log = cwd / f"{step}.sh", cwd / f"{step}.log"
    if not dry_run:
        args = [find_tool(args[0]), *args[1:]] if os.sep not in args[0] else list(args)
    _write_script(script, cwd, list(args), env)
    if dry_run:
        return ToolRun(list(args), cwd, script, log, None, env)
    try:
        with open(log, "wb") as fh:
            proc = subprocess.run(args, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout,
                                  env={**os.environ, **env}, check=False)
    except subprocess.TimeoutExpired:
        raise ToolError(f"{Path(args[0]).name} ({step}) timed out after {timeout} s; log: {log}") from None
    except OSError as exc:
        raise ToolError(f"cannot start {args[0]}: {exc}") from None
    run = ToolRun(list(args), cwd, script, log, proc.returncode, env)
    if check and proc.returncode != 0:
        raise ToolError(f"{Path(args[0]).name} ({step}) failed with exit code {proc.returncode}; "
                        f"log: {log} (last line: {tail(log, 1)!r})")
    missing = [str(p) for p in expected_outputs if not (cwd / p).exists()]
    if check and missing:
        raise ToolError(f"{Path(args[0]).name} ({step}) exited 0 but did not produce {', '.join(missing)}; log: {log}")
    return run


def tail(path: Path, lines: int = 15) -> str:
    """Last lines of a log, for error messages."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
