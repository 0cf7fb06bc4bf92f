"""Compile-on-demand of the rANS core (`rans.c`) into a shared library loaded with ctypes.

Why not a wheel: the board's Python (PYNQ, aarch64) has gcc but no torch and often no matching wheel; a
30-line build with the tool runner works the same in CI's fresh venv, on the host and on the board. The
library is cached by a hash of its source, flags, compiler and machine, and installed atomically
(build in a temporary folder, then rename), so concurrent first uses never see half a file.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import tempfile
from pathlib import Path

from pylic.errors import ToolError

SOURCE = Path(__file__).with_name("rans.c")
FLAGS = ["-O2", "-shared", "-fPIC", "-fno-strict-aliasing"]
COMPILERS = ("gcc", "cc", "clang", "g++")


def cache_dir() -> Path:
    """$PYLIC_CACHE_DIR, else ~/.cache/pylic (XDG_CACHE_HOME honoured)."""
    if os.environ.get("PYLIC_CACHE_DIR"):
        return Path(os.environ["PYLIC_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pylic"


def compiler() -> str:
    """$CC if set, else the first C compiler on PATH."""
    if os.environ.get("CC"):
        return os.environ["CC"]
    for name in COMPILERS:
        if shutil.which(name):
            return name
    raise ToolError("no C compiler found for pylic's rANS coder; install gcc (e.g. `apt-get install gcc`) or set CC")


def build(source: Path = SOURCE, out_dir: Path | None = None, cc: str | None = None,
          flags: list[str] | None = None) -> Path:
    """Path of the compiled library for `source`, compiling it if this exact build is not cached yet."""
    from pylic.hls.tools import run_tool

    cc = cc or compiler()
    flags = list(FLAGS if flags is None else flags)
    key = hashlib.sha256(source.read_bytes() + repr((cc, flags, platform.machine())).encode()).hexdigest()[:16]
    out_dir = Path(out_dir or cache_dir())
    lib = out_dir / f"{source.stem}-{key}-{platform.machine()}.so"
    if lib.is_file():
        return lib
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".build-") as tmp:
        run_tool([cc, *flags, "-o", "lib.so", str(source.resolve())], tmp, step="cc", expected_outputs=("lib.so",),
                 timeout=120)
        os.replace(Path(tmp) / "lib.so", lib)
    return lib


def load(source: Path = SOURCE) -> ctypes.CDLL:
    """The rANS library, built if needed (ctypes.CDLL calls release the GIL while they run)."""
    return ctypes.CDLL(str(build(source)))
