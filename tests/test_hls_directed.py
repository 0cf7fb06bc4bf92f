"""Directed csim vectors catch one wrong table entry; csim rebuilds whenever a generated file changes.

The mutation tests need no compiler: a csim run compares the kernel with `expected.bin`, so a kernel holding
a changed entry fails csim exactly when the golden model's output on the vectors changes (the csim tests
below check that equivalence once for real, by editing a generated constant and recompiling)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from pylic.errors import ToolError
from pylic.fixed import gdn_fixed
from pylic.fixed.gdn_golden import gdn_trace
from pylic.hls import csim
from pylic.hls.directed_vectors import (Mutation, candidate_pool, catching_pixels, directed_vectors,
                                        gamma_pixels, table_mutations)
from pylic.hls.gdn_codegen import generate_gdn
from tests.hls_helpers import small_params, small_vectors


@pytest.fixture(scope="module")
def student():
    """GDN/iGDN parameters of the shipped student package (C = 22), straight from the package."""
    from pylic.hls.from_package import package_params

    return package_params("pylic-student-q2-int8")


def caught(p, vectors: np.ndarray, m: Mutation) -> bool:
    return bool((gdn_fixed(vectors, m.apply(p)) != gdn_fixed(vectors, p)).any())


@pytest.mark.parametrize("layer", ["g_a.3", "g_s.1"])
def test_directed_vectors_catch_what_an_independent_search_catches(student, layer):
    """Every LUT/beta entry +-1: whatever a 3x larger pool with another seed can catch, the directed vectors
    catch too (seeded random sample of 48 mutations); and they catch far more than random pixels do."""
    p = student[layer]
    vectors = directed_vectors(p)
    oracle = candidate_pool(p.channels, np.random.default_rng(2024), 60000)
    tr = gdn_trace(oracle, p)
    muts = table_mutations(p)
    sample = [muts[i] for i in np.random.default_rng(7).choice(len(muts), 48, replace=False)]
    detectable = [m for m in sample if catching_pixels(p, m, oracle, tr.acc, tr.y).size]
    assert len(detectable) >= 8  # the comparison is not vacuous
    missed = [m for m in detectable if not caught(p, vectors, m)]
    assert not missed, missed
    random_px = np.random.default_rng(3).integers(-128, 128, size=(len(vectors), p.channels)).astype(np.int8)
    assert sum(caught(p, vectors, m) for m in sample) > 2 * sum(caught(p, random_px, m) for m in sample)


def test_every_lut_entry_the_layer_can_read_is_exercised(student):
    """Each LUT entry that some accumulator of the pool reads is read by some directed pixel."""
    from pylic.fixed.gdn_golden import lut_entry

    p = student["g_a.3"]
    vectors = directed_vectors(p)
    pool = candidate_pool(p.channels, np.random.default_rng(5), 20000)
    readable = set(np.unique(lut_entry(gdn_trace(pool, p).acc, p)).tolist())
    read = set(np.unique(lut_entry(gdn_trace(vectors, p).acc, p)).tolist())
    assert readable <= read and len(read) >= p.lut.size // 2


def test_gamma_pixels_exercise_every_row_and_column():
    p = small_params(12)
    px = gamma_pixels(p)
    assert px.shape == (12, 12) and (np.diag(px) == -128).all()
    assert (px != 0).all()  # every other input is non-zero: gamma[i, j] * 128**2 reaches output i
    y = gdn_fixed(px, p)
    assert ((y != 0) & (np.abs(y.astype(int)) < 127)).mean() > 0.9  # outputs neither zero nor saturated


def test_fixed_is_pure_numpy():
    """pylic.fixed holds the golden ops only: no module there imports torch (float models and the error
    analysis live in pylic.models and pylic.eval)."""
    import ast

    import pylic.fixed

    for path in Path(pylic.fixed.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not names & {"torch", "compressai"}, path


def test_directed_vectors_are_deterministic():
    p = small_params(8)
    np.testing.assert_array_equal(directed_vectors(p), directed_vectors(p))


# --- csim: real recompiles -------------------------------------------------------------------------------

needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """One small kernel, compiled once."""
    try:
        csim.ap_types_dir()
    except ToolError as exc:
        pytest.skip(str(exc))
    p = small_params(8)
    root = tmp_path_factory.mktemp("k")
    info = generate_gdn(root, p, small_vectors(), source="unit")
    folder = root / info.top
    csim.build(folder, info)
    assert csim.run(folder, info).passed
    return p, folder, info


def _edit(path, pattern: str, repl: str) -> bytes:
    old = path.read_bytes()
    new, n = re.subn(pattern, repl, old.decode(), count=1)
    assert n == 1, pattern
    path.write_text(new)
    return old


@needs_gxx
@pytest.mark.csim
def test_every_generated_file_is_in_the_build_key(kernel):
    _, folder, info = kernel
    key = csim.build_key(folder, info)
    for rel in (f"src/{info.top}.h", f"src/{info.top}.cpp", f"tb/{info.top}_tb.cpp", "src/gdn_kernel.h",
                "src/pylic_fixed.h"):
        old = (folder / rel).read_bytes()
        try:
            (folder / rel).write_bytes(old + b"\n")
            assert csim.build_key(folder, info) != key, rel
        finally:
            (folder / rel).write_bytes(old)
    assert csim.build_key(folder, info) == key  # contents, not mtimes: restored files give the same key


@needs_gxx
@pytest.mark.csim
def test_editing_the_generated_header_rebuilds_and_fails(kernel):
    """OUT_SHIFT lives only in src/<top>.h: a stale executable would still pass."""
    p, folder, info = kernel
    header = folder / "src" / f"{info.top}.h"
    old = _edit(header, r"OUT_SHIFT = (\d+);", f"OUT_SHIFT = {p.out_shift - 1};")
    try:
        csim.build(folder, info)
        r = csim.run(folder, info)
        assert not r.passed and r.mismatches > 0
    finally:
        header.write_bytes(old)
    csim.build(folder, info)
    assert csim.run(folder, info).passed


@needs_gxx
@pytest.mark.csim
def test_one_lut_entry_plus_one_in_the_kernel_fails_csim(kernel):
    """A LUT offset +1 LSB in the generated C++ (seeded choice among the entries the vectors read): the
    recompiled kernel fails csim with exactly the mismatches the golden model predicts."""
    p, folder, info = kernel
    x = np.fromfile(folder / "tb_data" / "input.bin", np.int8).reshape(-1, p.channels)
    readable = [m for m in table_mutations(p, (1,)) if m.kind == "lut_a" and caught(p, x, m)]
    assert len(readable) >= p.lut.size // 2
    m = readable[np.random.default_rng(11).integers(len(readable))]
    want = int((gdn_fixed(x, m.apply(p)) != gdn_fixed(x, p)).sum())
    cpp = folder / "src" / f"{info.top}.cpp"
    text = cpp.read_text()
    body = re.search(r"LUT_A\[\d+\] = \{(.*?)\};", text, re.DOTALL)
    values = [int(v) for v in re.findall(r"-?\d+", body.group(1))]
    values[m.index[0]] += 1
    new = text[:body.start(1)] + "\n    " + ", ".join(map(str, values)) + "\n" + text[body.end(1):]
    try:
        cpp.write_text(new)
        csim.build(folder, info)
        r = csim.run(folder, info)
        assert not r.passed and r.mismatches == want
    finally:
        cpp.write_text(text)
    csim.build(folder, info)
    assert csim.run(folder, info).passed
