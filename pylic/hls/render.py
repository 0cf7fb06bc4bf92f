"""Jinja rendering of the HLS sources: templates fill in constants, weight arrays and top functions only;
the kernels themselves are the hand-written headers in hls/include."""

from __future__ import annotations

from pathlib import Path

import jinja2
import numpy as np

from pylic.errors import PylicError
from pylic.imageio import write_file

SOURCE_HLS_DIR = Path(__file__).resolve().parents[2] / "hls"  # the source of truth, in a checkout
WHEEL_PACKAGE = "pylic.hls_files"  # the same folder inside an installed wheel (setup.py maps it)


def hls_dir() -> Path:
    """The HLS templates/headers folder: the checkout's hls/ (source tree, editable install), else the copy an
    installed wheel carries as `pylic.hls_files`."""
    if (SOURCE_HLS_DIR / "templates").is_dir():
        return SOURCE_HLS_DIR
    import importlib.util

    spec = importlib.util.find_spec(WHEEL_PACKAGE)
    for loc in (spec.submodule_search_locations or []) if spec else []:
        if (Path(loc) / "templates").is_dir():
            return Path(loc)
    raise PylicError(f"HLS templates not found: neither {SOURCE_HLS_DIR} nor the {WHEEL_PACKAGE} package data "
                     "(reinstall pylic)")


HLS_DIR = hls_dir()
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


def render_to(env: jinja2.Environment, template: str, path: Path, **context) -> Path:
    return write_file(path, env.get_template(template).render(**context), skip_identical=True)


def copy_headers(dest: Path, names: tuple[str, ...]) -> None:
    """Copy hand-written headers into a kernel's src/ so the build folder is self-contained for vitis_hls."""
    dest.mkdir(parents=True, exist_ok=True)
    for n in names:
        write_file(dest / n, (INCLUDE / n).read_bytes(), skip_identical=True)

