"""C simulation mechanics on small kernels: other formats, channel counts, PAR and bus widths, extreme and
saturating inputs all stay bit-exact; a testbench without its data exits non-zero."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from pylic.errors import ToolError
from pylic.fixed import GdnFormat, gdn_fixed
from pylic.hls import csim
from pylic.hls.gdn_codegen import generate_gdn
from pylic.hls.kernel_info import KernelInfo
from tests.hls_helpers import small_params

pytestmark = [
    pytest.mark.csim,
    pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed"),
]

CASES = {
    # name: (channels, inverse, format, PAR, out_frac)
    "g_a.1": (8, False, GdnFormat(), 2, 5),
    "g_a.3": (8, True, GdnFormat.all_8bit(), 1, 3),
    "g_s.5": (12, True, GdnFormat(acc_bits=24, lut_size=4, lut_bits=12, interp_bits=6), 3, 9),  # saturates a lot
}


def extreme_vectors(c: int) -> np.ndarray:
    rng = np.random.default_rng(c)
    x = rng.integers(-128, 128, size=(3, 200, c))
    x[0, :50] = -128
    x[0, 50:100] = 127
    x[1] //= 32  # tiny inputs: small accumulators, left-shifted mantissas
    x[2, :20] = 0
    return x.astype(np.int8)


@pytest.fixture(scope="module")
def small_build(tmp_path_factory):
    try:
        csim.ap_types_dir()
    except ToolError as exc:
        pytest.skip(str(exc))
    root = tmp_path_factory.mktemp("small")
    expected = {}
    for name, (c, inverse, fmt, par, out_frac) in CASES.items():
        p = small_params(c, inverse, fmt, name).replace(out_frac=out_frac)
        x = extreme_vectors(c)
        info = generate_gdn(root, p, x, source="unit", par=par)  # + directed vectors: every LUT segment
        written = np.fromfile(root / info.top / "tb_data" / "input.bin", np.int8).reshape(-1, c)
        expected[info.top] = gdn_fixed(written, p)
    return root, expected, {r.top: r for r in csim.csim_all(root)}


def test_small_kernels_bit_exact_in_every_format(small_build):
    _root, expected, results = small_build
    assert len(results) == 3
    for top, r in results.items():
        assert r.passed, f"{top}: {r.mismatches} mismatches; {r.log}"
        assert r.values == expected[top].size
    sat = expected["igdn_gs5"]
    assert (np.abs(sat.astype(int)) >= 127).mean() > 0.2  # the saturation path really ran


def test_testbench_without_data_fails(small_build):
    root, _, _ = small_build
    folder = root / "gdn_ga1"
    data = folder / "tb_data" / "expected.bin"
    keep = data.read_bytes()
    try:
        data.write_bytes(keep[:-1])  # one byte short
        r = csim.run(folder, KernelInfo.load(folder))
        assert not r.passed and r.returncode == 2
    finally:
        data.write_bytes(keep)


def test_csim_from_a_relative_build_path(small_build, monkeypatch):
    root, _, _ = small_build
    monkeypatch.chdir(root.parent)
    results = csim.csim_all(root.name)  # invoke passes build/hls/<model>: relative to the working directory
    assert len(results) == 3 and all(r.passed for r in results)
