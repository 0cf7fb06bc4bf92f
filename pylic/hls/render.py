"""Jinja rendering of the HLS sources: templates fill in constants, weight arrays and top functions only;
the kernels themselves are the hand-written headers in hls/include."""

from __future__ import annotations

from pathlib import Path

import jinja2
import numpy as np

from pylic.errors import PylicError
from pylic.imageio import atomic_write

HLS_DIR = Path(__file__).resolve().parents[2] / "hls"
TEMPLATES = HLS_DIR / "templates"
INCLUDE = HLS_DIR / "include"
FORBIDDEN_NAME_PARTS = ("dpu", "sfm")  # VART claims any compute unit whose name contains these (HW_FLOW §5.5)


def c_array(values: np.ndarray, per_line: int = 16, indent: str = "    ") -> str:
    """Integer array -> C initializer body (nested braces for 2-D), deterministic formatting."""
    a = np.asarray(values)
    if a.ndim == 1:
        items = [str(int(v)) for v in a]
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return (",\n" + indent).join(lines)
    return (",\n" + indent).join("{" + c_array(row, per_line, indent + " ") + "}" for row in a)


def environment() -> jinja2.Environment:
    if not TEMPLATES.is_dir():
        raise PylicError(f"HLS templates not found at {TEMPLATES} (pylic must run from its source tree)")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["c_array"] = c_array
    return env


def check_kernel_name(name: str) -> str:
    """Kernel names become CU names: C identifiers, and never containing 'dpu' or 'sfm' in any case."""
    if not name.isidentifier() or not name.isascii():
        raise PylicError(f"kernel name {name!r} is not a C identifier")
    low = name.lower()
    for part in FORBIDDEN_NAME_PARTS:
        if part in low:
            raise PylicError(f"kernel name {name!r} contains {part!r}; the DPU runtime would claim it as a DPU core")
    return name


def write_text(path: Path, text: str) -> Path:
    return write_bytes(path, text.encode())


def write_bytes(path: Path, data: bytes) -> Path:
    """Write via a temp file and rename, so a reader never sees half a file. An identical file is left
    untouched, so its mtime stays and csim does not recompile unchanged kernels."""
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return path
    atomic_write(path, lambda f: f.write(data))
    return path


def render_to(env: jinja2.Environment, template: str, path: Path, **context) -> Path:
    return write_text(path, env.get_template(template).render(**context))


def copy_headers(dest: Path, names: tuple[str, ...]) -> None:
    """Copy hand-written headers into a kernel's src/ so the build folder is self-contained for vitis_hls."""
    dest.mkdir(parents=True, exist_ok=True)
    for n in names:
        write_bytes(dest / n, (INCLUDE / n).read_bytes())

