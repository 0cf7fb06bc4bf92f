"""C simulation: compile each kernel with its testbench (g++ + the AP types headers hls4ml ships), run it,
and read its verdict. The testbench compares every output byte with the golden vectors and exits non-zero
on any mismatch; this module only reports."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from pylic.errors import ToolError
from pylic.hls.kernel_info import KernelInfo
from pylic.hls.tools import run_tool
from pylic.imageio import write_file

SUMMARY = re.compile(r"PYLIC_CSIM kernel=(\S+) vectors=(\d+) values=(\d+) mismatches=(\d+)")
CXXFLAGS = ["-O1", "-std=c++14", "-Wno-unknown-pragmas"]


def ap_types_dir() -> Path:
    """hls4ml's copy of the open-source AP types headers (ap_int.h, hls_stream.h); never vendored here."""
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or not spec.submodule_search_locations:
        raise ToolError("csim needs the AP types headers from hls4ml: pip install 'pylic[hls]' (hls4ml>=1.0)")
    path = Path(next(iter(spec.submodule_search_locations))) / "templates" / "vivado" / "ap_types"
    if not (path / "ap_int.h").is_file():
        raise ToolError(f"hls4ml is installed but {path}/ap_int.h is missing")
    return path


@dataclass(frozen=True)
class CsimResult:
    top: str
    kind: str
    vectors: int
    values: int
    mismatches: int
    returncode: int
    log: Path

    @property
    def passed(self) -> bool:
        return self.returncode == 0 and self.mismatches == 0 and self.values > 0


def executable(folder: Path, info: KernelInfo) -> Path:
    return folder / "csim" / f"{info.top}_csim"


def compile_args(folder: Path, info: KernelInfo) -> list[str]:
    """The g++ command line of a kernel's csim executable (run in `folder`)."""
    exe = executable(folder, info).relative_to(folder)
    return ["g++", *CXXFLAGS, "-Isrc", f"-I{ap_types_dir()}", *info.sources, info.testbench, "-o", str(exe)]


@functools.lru_cache(maxsize=1)
def _compiler_version() -> str:
    try:
        return subprocess.run(["g++", "--version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return ""  # run_tool reports a missing compiler when it is needed


def build_key(folder: Path, info: KernelInfo) -> str:
    """sha256 of everything the executable is made from: the compiler command and version, every file under
    src/ and tb/ (sources, the copied headers and the kernel's own generated `src/<top>.h`), and every file
    kernel.json names. Contents, not mtimes: an edited or regenerated file always rebuilds."""
    h = hashlib.sha256()
    h.update(json.dumps([compile_args(folder, info), _compiler_version()]).encode())
    files = {p for d in ("src", "tb") for p in (folder / d).rglob("*") if p.is_file()}
    files |= {folder / p for p in (*info.sources, info.testbench, *info.headers)}
    for path in sorted(files):
        h.update(f"\0{path.relative_to(folder)}\0".encode())
        h.update(path.read_bytes() if path.is_file() else b"<missing>")
    return h.hexdigest()


def build(folder: Path, info: KernelInfo, force: bool = False) -> Path:
    """Compile kernel + testbench unless the executable was built from exactly these inputs (`build_key`,
    kept beside it in `csim/<top>_csim.key`)."""
    exe = executable(folder, info)
    key_file = exe.with_suffix(".key")
    key = build_key(folder, info)
    if not force and exe.exists() and key_file.is_file() and key_file.read_text() == key:
        return exe
    (folder / "csim").mkdir(exist_ok=True)
    key_file.unlink(missing_ok=True)  # a failed build leaves no key, so the next call compiles again
    run_tool(compile_args(folder, info), folder, step="csim_build", expected_outputs=(exe.relative_to(folder),),
             timeout=600)
    write_file(key_file, key)
    return exe


def run(folder: Path, info: KernelInfo) -> CsimResult:
    """Run the compiled testbench on tb_data and parse its summary line (no summary counts as failure)."""
    exe = executable(folder, info)
    r = run_tool([str(exe.resolve()), "tb_data"], folder, step="csim_run", check=False, timeout=1800)
    m = SUMMARY.search(r.log.read_text(errors="replace"))
    if m is None:
        return CsimResult(info.top, info.kind, 0, 0, -1, r.returncode or -1, r.log)
    return CsimResult(m.group(1), info.kind, int(m.group(2)), int(m.group(3)), int(m.group(4)), r.returncode, r.log)


def kernel_folders(root: str | Path) -> list[Path]:
    root = Path(root)
    folders = sorted(p.parent for p in root.glob("*/kernel.json"))
    if not folders:
        raise ToolError(f"no generated kernels under {root}; run `invoke gen-hls` first")
    return folders


def csim_all(root: str | Path, force_build: bool = False, jobs: int | None = None) -> list[CsimResult]:
    """Build and run every kernel under `root` (one g++ per kernel, `jobs` at a time, then its testbench)."""
    folders = kernel_folders(root)
    infos = [KernelInfo.load(f) for f in folders]
    jobs = jobs or min(len(folders), os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        todo = [pool.submit(lambda f, i: (build(f, i, force=force_build), run(f, i))[1], f, i)
                for f, i in zip(folders, infos)]
        return [t.result() for t in tqdm(todo, desc="csim", unit="kernel")]


def format_table(results: list[CsimResult]) -> str:
    rows = [f"{'kernel':<16} {'kind':<13} {'vectors':>7} {'values':>11} {'mismatches':>10}  result"]
    for r in results:
        verdict = "PASS (bit-exact)" if r.passed else f"FAIL (see {r.log})"
        rows.append(f"{r.top:<16} {r.kind:<13} {r.vectors:>7} {r.values:>11} {r.mismatches:>10}  {verdict}")
    return "\n".join(rows)
