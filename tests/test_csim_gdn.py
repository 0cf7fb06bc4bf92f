"""C simulation of a whole model's kernels: every GDN/iGDN and the patch buffer equal the golden model bit
for bit on real photo patches, and a perturbed golden model makes csim fail (so it can fail)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from pylic.errors import ToolError
from pylic.fixed import activations as act
from pylic.fixed import gdn_fixed
from pylic.fixed.synthetic import reference_model
from pylic.hls import csim
from pylic.hls.gdn_codegen import write_vectors
from pylic.hls.kernel_info import KernelInfo
from pylic.hls.project import generate, layer_params

pytestmark = [
    pytest.mark.csim,
    pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed"),
]


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """Generate the reference model's kernels once and csim them all (compiles once per session)."""
    try:
        csim.ap_types_dir()
    except ToolError as exc:  # hls4ml missing
        pytest.skip(str(exc))
    model, label = reference_model()
    prepared = layer_params(model)
    root = generate(model, tmp_path_factory.mktemp("hls"), label, prepared=prepared)
    return model, root, {r.top: r for r in csim.csim_all(root)}, prepared


def test_every_kernel_is_bit_exact(build):
    _, root, results, _ = build
    print("\n" + csim.format_table(list(results.values())))
    assert sorted(results) == ["gdn_ga1", "gdn_ga3", "gdn_ga5", "igdn_gs1", "igdn_gs3", "igdn_gs5", "patch_buffer"]
    for top, r in results.items():
        assert r.passed, f"{top}: {r.mismatches} mismatches of {r.values}; log {r.log}"
        assert r.vectors >= 3
    # every value of 3 real patches: 128x128, 64x64, 32x32 pixels x 64 channels per GDN layer
    c = KernelInfo.load(root / "gdn_ga1").details["channels"]
    assert results["gdn_ga1"].values == 3 * 128 * 128 * c and results["igdn_gs1"].values == 3 * 32 * 32 * c
    assert results["patch_buffer"].vectors == 9 + 6 + 4  # windows of astronaut, coffee, chelsea


def _rerun_with_expected(folder: Path, x_q: np.ndarray, expected: np.ndarray, params) -> csim.CsimResult:
    write_vectors(folder, params, x_q, expected)
    info = KernelInfo.load(folder)
    csim.build(folder, info)  # sources unchanged: no recompilation
    return csim.run(folder, info)


def _vectors(folder: Path, channels: int) -> np.ndarray:
    return np.fromfile(folder / "tb_data" / "input.bin", np.int8).reshape(3, -1, channels)


def test_perturbed_lut_entry_makes_csim_fail(build):
    _, root, _, (params, _) = build
    p = params["g_a.3"]
    folder = root / "gdn_ga3"
    x = _vectors(folder, p.channels)
    from pylic.fixed.gdn_golden import gdn_trace

    acc = gdn_trace(x.reshape(-1, p.channels), p).acc
    # the most used LUT entry (parity and segment of every accumulator), nudged by 40 LSBs of r
    k = np.frexp(acc.astype(np.float64))[1] - 1
    idx = (((k - p.acc_frac) & 1) << p.lut.index_bits) | ((acc >> np.maximum(k - p.lut.index_bits, 0)) & ((1 << p.lut.index_bits) - 1))
    entry = int(np.bincount(idx.ravel()).argmax())
    bad = p.replace(lut=p.lut.with_entry(entry, delta_a=40))
    expected = gdn_fixed(x, bad)
    changed = int((expected != gdn_fixed(x, p)).sum())
    assert changed > 0  # csim must then report exactly these mismatches (4 on the shipped q2)
    try:
        r = _rerun_with_expected(folder, x, expected, p)
        assert not r.passed and r.returncode == 1 and r.mismatches == changed
    finally:
        r = _rerun_with_expected(folder, x, gdn_fixed(x, p), p)
    assert r.passed


def test_perturbed_gamma_makes_csim_fail(build):
    _, root, _, (params, _) = build
    p = params["g_s.1"]
    folder = root / "igdn_gs1"
    x = _vectors(folder, p.channels)
    gamma = p.gamma_q.copy()
    gamma[5, 5] += max(1, gamma[5, 5] // 50)  # +2% on one diagonal weight
    expected = gdn_fixed(x, p.replace(gamma_q=gamma))
    changed = int((expected != gdn_fixed(x, p)).sum())
    assert 0 < changed < expected.size // 10  # only channel 5 moves
    try:
        r = _rerun_with_expected(folder, x, expected, p)
        assert not r.passed and r.mismatches == changed
    finally:
        assert _rerun_with_expected(folder, x, gdn_fixed(x, p), p).passed


def test_patch_buffer_csim_catches_a_wrong_patch(build):
    _, root, _, _ = build
    folder = root / "patch_buffer"
    data = folder / "tb_data" / "patches.bin"
    original = data.read_bytes()
    corrupt = bytearray(original)
    corrupt[12345] ^= 1
    try:
        data.write_bytes(bytes(corrupt))
        r = csim.run(folder, KernelInfo.load(folder))
        assert not r.passed and r.mismatches >= 1
    finally:
        data.write_bytes(original)
    assert csim.run(folder, KernelInfo.load(folder)).passed


def test_vectors_come_from_real_photos(build):
    model, root, _, (params, _) = build
    p = params["g_a.1"]
    x = _vectors(root / "gdn_ga1", p.channels)
    want = act.collect(model, act.vector_patches())["g_a.1"].inputs
    np.testing.assert_array_equal(x.reshape(want.shape), p.in_format.quantize(want).astype(np.int8))
    assert np.abs(x).max() > 60 and (x != 0).mean() > 0.5  # real, non-trivial activations
