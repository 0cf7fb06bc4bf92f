"""Named build steps over one build folder (FINN's lesson): every step has the same signature
`fn(ctx) -> list[ToolRun]`, declares what it reads (`inputs`) and writes (`outputs`), and leaves a step record
`<build>/steps/<name>.json` with its input hashes, output hashes, tool versions and time.

A rerun skips a step whose inputs hash the same and whose outputs are still there unchanged; since each step
lists its upstream steps' outputs among its inputs, a change reruns exactly the steps downstream of it.
`dry_run` runs every step in script-writing mode (the tool runner writes each replayable script and runs no
tool) and records nothing, so a dry run never makes a later real run skip.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from pylic.errors import PylicError
from pylic.hls.tools import ToolRun
from pylic.imageio import write_file

RECORD_SCHEMA = "pylic-step-record/1"


class FlowError(PylicError):
    """A flow is misconfigured: unknown step names, a missing input or an inconsistent build folder."""


@dataclass
class FlowContext:
    """What every step sees: the one build folder, the flow's configuration and the dry-run switch."""

    build: Path
    config: dict[str, Any]
    dry_run: bool = False
    log: Callable[[str], None] = print


@dataclass(frozen=True)
class Step:
    """One named step. `inputs(ctx)` -> {label: file, folder or plain value}; `outputs(ctx)` -> files (relative
    to the build folder) the step must leave; `tools` are the executables it calls through the tool runner."""

    name: str
    fn: Callable[[FlowContext], list[ToolRun]]
    inputs: Callable[[FlowContext], dict[str, Any]]
    outputs: Callable[[FlowContext], list[str]]
    tools: tuple[str, ...] = ()
    doc: str = ""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def hash_input(value: Any) -> str:
    """sha256 of a file, of a folder (every file's relative path and bytes, sorted), or of a JSON value.
    A path that does not exist hashes as 'missing' (in a dry run upstream outputs are not there yet)."""
    if isinstance(value, Path):
        if value.is_file():
            return sha256_file(value)
        if value.is_dir():
            h = hashlib.sha256()
            for p in sorted(q for q in value.rglob("*") if q.is_file()):
                h.update(str(p.relative_to(value)).encode() + b"\0" + sha256_file(p).encode())
            return h.hexdigest()
        return "missing"
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def record_path(build: Path, name: str) -> Path:
    return build / "steps" / f"{name}.json"


def load_record(build: Path, name: str) -> dict | None:
    path = record_path(build, name)
    try:
        rec = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) and rec.get("schema") == RECORD_SCHEMA else None


def _up_to_date(ctx: FlowContext, step: Step, inputs: dict[str, str]) -> bool:
    rec = load_record(ctx.build, step.name)
    if rec is None or rec.get("inputs") != inputs:
        return False
    outs = rec.get("outputs", {})
    return all((ctx.build / p).is_file() and sha256_file(ctx.build / p) == h for p, h in outs.items())


def select(steps: list[Step], from_step: str | None, to_step: str | None) -> list[Step]:
    names = [s.name for s in steps]
    for n in (from_step, to_step):
        if n and n not in names:
            raise FlowError(f"unknown step {n!r}; steps: {' -> '.join(names)}")
    lo = names.index(from_step) if from_step else 0
    hi = names.index(to_step) if to_step else len(names) - 1
    if lo > hi:
        raise FlowError(f"--from-step {from_step} comes after --to-step {to_step}")
    return steps[lo:hi + 1]


@dataclass(frozen=True)
class StepOutcome:
    name: str
    status: str  # "ran", "skipped", "dry-run"
    runs: tuple[ToolRun, ...]
    seconds: float


def tool_versions(ctx: FlowContext, tools: Iterable[str]) -> dict[str, dict]:
    """Which executable each tool resolved to and the version the board config requires of it."""
    wanted = ctx.config.get("tool_versions", {})
    return {t: {"path": shutil.which(t), "required": wanted.get(t)} for t in tools}


def run_flow(steps: list[Step], ctx: FlowContext, from_step: str | None = None, to_step: str | None = None,
             force: bool = False) -> list[StepOutcome]:
    """Run the selected steps in order; skip the up-to-date ones (unless `force`); record each one that ran."""
    outcomes = []
    chosen = select(steps, from_step, to_step)
    ctx.build.mkdir(parents=True, exist_ok=True)
    for i, step in enumerate(chosen, 1):
        raw = step.inputs(ctx)
        missing = [str(v) for v in raw.values() if isinstance(v, Path) and not v.exists()]
        if missing and not ctx.dry_run:
            raise FlowError(f"step {step.name} needs {', '.join(missing)}; run the steps before it first")
        inputs = {k: hash_input(v) for k, v in raw.items()}
        if not ctx.dry_run and not force and _up_to_date(ctx, step, inputs):
            ctx.log(f"[{i}/{len(chosen)}] {step.name}: up to date, skipped")
            outcomes.append(StepOutcome(step.name, "skipped", (), 0.0))
            continue
        ctx.log(f"[{i}/{len(chosen)}] {step.name}: {'plan' if ctx.dry_run else 'running'} ({step.doc})")
        t0 = time.time()
        runs = tuple(step.fn(ctx))
        dt = time.time() - t0
        for r in runs:
            ctx.log(f"    {'(dry run) ' if ctx.dry_run else ''}cd {r.cwd} && {r.command}")
        if ctx.dry_run:
            outcomes.append(StepOutcome(step.name, "dry-run", runs, dt))
            continue
        missing = [p for p in step.outputs(ctx) if not (ctx.build / p).is_file()]
        if missing:
            raise FlowError(f"step {step.name} finished without producing {', '.join(missing)}")
        record = {
            "schema": RECORD_SCHEMA, "step": step.name, "inputs": inputs,
            "outputs": {p: sha256_file(ctx.build / p) for p in step.outputs(ctx)},
            "tools": tool_versions(ctx, step.tools), "commands": [r.command for r in runs],
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0)), "seconds": round(dt, 3),
        }
        write_file(record_path(ctx.build, step.name), json.dumps(record, indent=1, sort_keys=True) + "\n")
        outcomes.append(StepOutcome(step.name, "ran", runs, dt))
    return outcomes
