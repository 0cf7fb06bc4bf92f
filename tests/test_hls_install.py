"""A non-editable install carries the HLS templates and headers: build the wheel from a copy of the checkout,
unpack it elsewhere and generate a kernel from there, with the source tree out of reach."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pylic.hls import render

ROOT = Path(__file__).resolve().parents[1]

GENERATE = """
import sys
from pathlib import Path
import numpy as np
import pylic
from pylic.fixed import quantize_gdn
from pylic.hls import render
from pylic.hls.gdn_codegen import generate_gdn

site = Path(sys.argv[1]).resolve()
assert Path(pylic.__file__).resolve().is_relative_to(site), pylic.__file__
assert render.HLS_DIR.resolve() == site / "pylic" / "hls_files", render.HLS_DIR
rng = np.random.default_rng(0)
p = quantize_gdn("g_a.1", 0.2 + rng.random(4), 0.05 * rng.random((4, 4)) + np.eye(4), False, 4, 5)
info = generate_gdn(Path(sys.argv[2]), p, rng.integers(-128, 128, (1, 16, 4)).astype(np.int8), "wheel",
                    directed=False)
print(info.top)
"""


def test_hls_dir_is_the_checkouts_hls_folder():
    assert render.hls_dir() == ROOT / "hls" and (render.TEMPLATES / "gdn_top.h.j2").is_file()


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout")
def test_wheel_carries_templates_and_headers(tmp_path):
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split("\n")
    src = tmp_path / "src"
    for rel in filter(None, files):
        if (ROOT / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist")], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("pylic-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for folder, pattern in (("templates", "*.j2"), ("include", "*.h")):
        want = {f"pylic/hls_files/{folder}/{p.name}" for p in (ROOT / "hls" / folder).glob(pattern)}
        assert want and want <= set(names)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = subprocess.run([sys.executable, "-c", GENERATE, str(site), str(elsewhere / "out")], cwd=elsewhere,
                       capture_output=True, text=True, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip() == "gdn_ga1"
    assert (elsewhere / "out" / "gdn_ga1" / "src" / "gdn_kernel.h").read_bytes() == \
           (ROOT / "hls" / "include" / "gdn_kernel.h").read_bytes()
