"""`invoke compile-xmodel`: a deploy package -> one compiled DPU xmodel per segment, in three phases that the
build flow can run as separate steps over one folder:

1. `write_segments`  -> `segments.json` (names, ops, shapes, fix positions of every DPU segment);
2. `write_xgraphs`   -> `quantized/<segment>.xmodel` (the quantized float graphs, `segments.py`);
3. `compile_segments` -> `compiled/<segment>/<segment>.xmodel` through `vai_c_xir` (the one tool runner,
   `pylic.hls.tools.run_tool`), then `check_compiled_dir` -> `xmodels.json` (checks + per-layer workloads).

`compile_in_docker.sh` (written by phase 3) replays the compiles inside the Vitis AI 2.5 docker with paths
relative to the folder; after it ran there, `check_only=True` checks the results here.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import shutil
from pathlib import Path

from tqdm import tqdm

from pylic.deploy.manifest import OpSpec
from pylic.deploy.store import DeployPackage, load
from pylic.errors import ToolError
from pylic.hls.tools import ToolRun, run_tool
from pylic.imageio import write_file
from pylic.ps.stages import Stage
from pylic.xmodel.compiled import check_compiled
from pylic.xmodel.proto import XmodelError, read_xmodel, write_xmodel
from pylic.xmodel.segments import PATCH, Segment, plan_segments, segment_graph
from pylic.zoo.packages import resolve_package

SEGMENTS, RECORD, ARCH, DOCKER_SCRIPT = "segments.json", "xmodels.json", "arch.json", "compile_in_docker.sh"
QUANTIZED, COMPILED = "quantized", "compiled"


def _package(package: DeployPackage | str | Path) -> DeployPackage:
    return package if isinstance(package, DeployPackage) else load(resolve_package(package))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_segments(package: DeployPackage | str | Path, out_dir: str | Path, patch: int = PATCH) -> Path:
    """Phase 1: the segment plan, the contract between the phases (and with the board runtime)."""
    pkg = _package(package)
    segs = plan_segments(pkg.manifest, patch)
    doc = {"package": pkg.content_hash, "patch": patch,
           "segments": [{"name": s.name, "graph": s.graph_name, "transform": s.stage.transform,
                         "ops": [op.to_dict() for op in s.ops], "in_shape": list(s.in_shape),
                         "out_shape": list(s.out_shape), "in_fix": s.in_fix, "out_fix": s.out_fix} for s in segs]}
    path = Path(out_dir) / SEGMENTS
    write_file(path, json.dumps(doc, indent=1) + "\n")
    return path


def read_segments(out_dir: str | Path) -> tuple[str, tuple[Segment, ...]]:
    """(package content hash, segments) from a folder's `segments.json`."""
    path = Path(out_dir) / SEGMENTS
    try:
        doc = json.loads(path.read_text())
        segs = tuple(Segment(Stage(d["name"], "dpu", d["transform"], tuple(op["name"] for op in d["ops"])),
                             tuple(OpSpec.from_dict(op, f"{path}:{d['name']}") for op in d["ops"]),
                             tuple(d["in_shape"]), tuple(d["out_shape"]), d["in_fix"], d["out_fix"])
                     for d in doc["segments"])
        return doc["package"], segs
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise XmodelError(f"{path}: no readable segment plan ({exc}); run the segments phase first") from None


def write_xgraphs(package: DeployPackage | str | Path, out_dir: str | Path) -> list[Path]:
    """Phase 2: one quantized xmodel per planned segment, from the package's int8 weights."""
    pkg = _package(package)
    pkg_hash, segs = read_segments(out_dir)
    if pkg_hash != pkg.content_hash:
        raise XmodelError(f"{out_dir}: segments.json was planned for package {pkg_hash[:16]}, not "
                          f"{pkg.short_hash}")
    return [write_xmodel(segment_graph(s, pkg.arrays), Path(out_dir) / QUANTIZED / f"{s.graph_name}.xmodel")
            for s in segs]


def read_arch(arch_json: str | Path) -> dict:
    """The DPU description `vai_c_xir -a` takes: a JSON object naming a `target` or a `fingerprint`."""
    try:
        arch = json.loads(Path(arch_json).read_text())
    except (OSError, ValueError) as exc:
        raise XmodelError(f"{arch_json}: not a readable arch.json ({exc})") from None
    if not isinstance(arch, dict) or not ({"target", "fingerprint"} & set(arch)):
        raise XmodelError(f"{arch_json}: an arch.json names a DPU `target` or `fingerprint`")
    return arch


def _compile_args(seg: Segment) -> list[str]:
    """vai_c_xir's arguments, relative to `compiled/<graph>/` so that the folder can move (e.g. into docker)."""
    return ["vai_c_xir", "-x", f"../../{QUANTIZED}/{seg.graph_name}.xmodel", "-a", f"../../{ARCH}", "-o", ".",
            "-n", seg.graph_name]


def _docker_script(segs: tuple[Segment, ...]) -> str:
    lines = ["#!/bin/sh", "# Written by pylic: compile every DPU segment inside the Vitis AI 2.5 docker",
             "# (conda activate vitis-ai-pytorch), from anywhere: paths are relative to this folder.",
             "set -e", 'cd "$(dirname "$0")"']
    for s in segs:
        lines.append(f"mkdir -p {COMPILED}/{s.graph_name} && (cd {COMPILED}/{s.graph_name} && "
                     f"{shlex.join(_compile_args(s))})")
    return "\n".join(lines) + "\n"


def compile_segments(out_dir: str | Path, arch_json: str | Path, dry_run: bool = False) -> list[ToolRun]:
    """Phase 3a: copy the arch, write the docker script, run (or, dry, only script) vai_c_xir per segment."""
    out = Path(out_dir)
    _, segs = read_segments(out)
    read_arch(arch_json)
    if Path(arch_json).resolve() != (out / ARCH).resolve():
        write_file(out / ARCH, Path(arch_json).read_bytes())
    script = out / DOCKER_SCRIPT
    write_file(script, _docker_script(segs))
    script.chmod(0o755)
    if not dry_run and shutil.which("vai_c_xir") is None:
        raise ToolError(f"vai_c_xir not found on PATH; run {script} inside the Vitis AI 2.5 docker, then check the "
                        "results with `invoke compile-xmodel ... --check-only`")
    runs = []
    for seg in tqdm(segs, desc="vai_c_xir", unit="segment", disable=dry_run):
        if not dry_run:  # a stale result must not satisfy the expected-output check
            (out / COMPILED / seg.graph_name / f"{seg.graph_name}.xmodel").unlink(missing_ok=True)
        runs.append(run_tool(_compile_args(seg), out / COMPILED / seg.graph_name, step="vai_c_xir",
                             expected_outputs=(f"{seg.graph_name}.xmodel",), dry_run=dry_run))
    return runs


def check_compiled_dir(out_dir: str | Path, arch_json: str | Path | None = None) -> dict:
    """Phase 3b: check every compiled segment (`compiled.check_compiled`) and write `xmodels.json`, the record
    the performance model and the overlay manifest read."""
    out = Path(out_dir)
    pkg_hash, segs = read_segments(out)
    arch_path = Path(arch_json) if arch_json is not None else out / ARCH
    record = {"package": pkg_hash, "arch": read_arch(arch_path), "arch_sha256": _sha256(arch_path),
              "segments": []}
    for seg in segs:
        path = out / COMPILED / seg.graph_name / f"{seg.graph_name}.xmodel"
        quantized = out / QUANTIZED / f"{seg.graph_name}.xmodel"
        if not path.is_file():
            raise XmodelError(f"{seg.name}: no compiled xmodel at {path}")
        if quantized.stat().st_mtime > path.stat().st_mtime:
            raise XmodelError(f"{seg.name}: {path} is older than {quantized}; compile it again")
        entry = check_compiled(read_xmodel(path), seg)
        entry.update(xmodel=str(path.relative_to(out)), sha256=_sha256(path),
                     quantized_sha256=_sha256(quantized))
        record["segments"].append(entry)
    write_file(out / RECORD, json.dumps(record, indent=1) + "\n")
    return record


def compile_xmodels(package: DeployPackage | str | Path, arch_json: str | Path, out_dir: str | Path | None = None,
                    dry_run: bool = False, check_only: bool = False) -> dict:
    """All phases into `out_dir` (default: `xmodels/` beside the arch.json, i.e. in the overlay folder).
    Returns {"out_dir", "commands" (what vai_c_xir runs, or would run), "record" (None when dry)};
    `check_only` skips to checking what the docker script compiled."""
    out = Path(out_dir) if out_dir is not None else Path(arch_json).parent / "xmodels"
    pkg = _package(package)
    runs: list[ToolRun] = []
    if check_only:
        if read_segments(out)[0] != pkg.content_hash:
            raise XmodelError(f"{out} holds the segments of another package than {pkg.short_hash}")
    else:
        write_segments(pkg, out)
        write_xgraphs(pkg, out)
        runs = compile_segments(out, arch_json, dry_run)
    record = None if dry_run else check_compiled_dir(out, arch_json)
    return {"out_dir": str(out), "commands": [f"(cd {r.cwd} && {r.command})" for r in runs], "record": record}
