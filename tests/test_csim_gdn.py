"""C simulation of a whole model's kernels: the model goes through the quantizer into a deploy package (the one
path to HLS), every GDN/iGDN and the patch buffer equal the golden model bit for bit on real photo patches and
the directed vectors, and a perturbed golden model makes csim fail (so it can fail)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from pylic.errors import ToolError
from pylic.fixed import gdn_fixed
from pylic.hls import csim
from pylic.hls.from_package import generate_for_package, package_params
from pylic.hls.gdn_codegen import kernel_name, write_vectors
from pylic.hls.kernel_info import KernelInfo
from pylic.hls.project import quantize_model
from pylic.models.synthetic import reference_model

pytestmark = [
    pytest.mark.csim,
    pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed"),
]


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """Quantize the reference model, generate its kernels once and csim them all (compiles once per session)."""
    try:
        csim.ap_types_dir()
    except ToolError as exc:  # hls4ml missing
        pytest.skip(str(exc))
    model, label = reference_model()
    pkg = quantize_model(model, label)
    root = generate_for_package(pkg, tmp_path_factory.mktemp("hls"), label=label)
    return pkg, root, {r.top: r for r in csim.csim_all(root)}, (package_params(pkg), None)


def test_every_kernel_is_bit_exact(build):
    _, root, results, _ = build
    print("\n" + csim.format_table(list(results.values())))
    assert sorted(results) == ["gdn_ga1", "gdn_ga3", "gdn_ga5", "igdn_gs1", "igdn_gs3", "igdn_gs5", "patch_buffer"]
    for top, r in results.items():
        assert r.passed, f"{top}: {r.mismatches} mismatches of {r.values}; log {r.log}"
        assert r.vectors >= 3
    # every value of 3 real patches (128x128, 64x64, 32x32 pixels per GDN layer), then the directed vectors
    for top, side in (("gdn_ga1", 128), ("igdn_gs1", 32)):
        info = KernelInfo.load(root / top)
        assert info.details["photo_vectors"] == 3 and info.n_vectors > 3
        assert results[top].values == info.n_vectors * side * side * info.details["channels"]
    assert results["patch_buffer"].vectors == 9 + 6 + 4  # windows of astronaut, coffee, chelsea


def _rerun_with_expected(folder: Path, x_q: np.ndarray, expected: np.ndarray, params) -> csim.CsimResult:
    write_vectors(folder, params, x_q, expected)
    info = KernelInfo.load(folder)
    csim.build(folder, info)  # sources unchanged: no recompilation
    return csim.run(folder, info)


def _vectors(folder: Path, channels: int) -> np.ndarray:
    return np.fromfile(folder / "tb_data" / "input.bin", np.int8).reshape(KernelInfo.load(folder).n_vectors, -1,
                                                                          channels)


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


def test_a_model_build_is_its_package_build(build):
    """`gen-hls --model` goes through the quantizer: the build records the package it made, and every kernel
    holds that package's parameters (the regeneration is byte-identical: test_hls_package)."""
    pkg, root, _, (params, _) = build
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["package"] == pkg.content_hash and manifest["precision"] == pkg.manifest.precision
    for p in params.values():
        top = kernel_name(p.name, p.inverse)
        assert f"static const int OUT_SHIFT = {p.out_shift};" in (root / top / "src" / f"{top}.h").read_text()
        cpp = (root / top / "src" / f"{top}.cpp").read_text()
        for row in (p.gamma_q[0], p.beta_q, p.lut.a, p.lut.b):  # first line (16 values) of each constant array
            assert ", ".join(str(v) for v in row[:16]) in cpp
