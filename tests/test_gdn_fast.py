"""GdnKernel (the emulator's fast GDN/iGDN) against the golden definition `gdn_trace`: equal bit for bit on
random, extreme and hypothesis-generated inputs, across formats, positions and LUT sizes, and the same errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pylic.errors import PylicError
from pylic.fixed import GdnFormat, GdnLayerParams, gdn_trace, quantize_gdn
from pylic.fixed.gdn_golden import GdnKernel

FORMATS = [
    GdnFormat(),
    GdnFormat.all_8bit(),
    GdnFormat(acc_bits=24, lut_size=4),
    GdnFormat(lut_size=64, lut_bits=24, interp_bits=14, gamma_bits=31, beta_bits=31, acc_bits=52),
    GdnFormat(lut_size=2, lut_bits=32, interp_bits=1, acc_bits=16),
]
POSITIONS = [(4, 5), (0, 7), (7, 0), (-8, 9), (-4, 12), (-8, -10), (9, -6)]  # the last four reach s <= 0 / clamps


def make_params(c: int, inverse: bool, fmt: GdnFormat, in_frac: int, out_frac: int, seed: int) -> GdnLayerParams:
    """Realistic beta/gamma (as `pylic.models.synthetic`): per-channel beta, dense gamma, dominant diagonal."""
    rng = np.random.default_rng(seed)
    beta = 0.05 + 1.5 * rng.random(c)
    gamma = 0.02 * rng.random((c, c)) ** 3 + np.diag(0.05 + 0.5 * rng.random(c))
    return quantize_gdn("t", beta, gamma, inverse, in_frac=in_frac, out_frac=out_frac, fmt=fmt)


def inputs(c: int, seed: int) -> np.ndarray:
    """Uniform int8 plus the extremes, zeros (acc = beta), small values and one-hot rows (every exponent)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, size=(4000, c)).astype(np.int8)
    x[0], x[1], x[2], x[3] = -128, 127, 0, 1
    x[4:1000] >>= rng.integers(0, 8, size=(996, 1)).astype(np.int8)  # small magnitudes, left-shifted mantissas
    x[1000:1000 + 256 * 2:2] = np.arange(-128, 128, dtype=np.int8)[:, None]  # every value on every channel
    x[1001:1001 + 256 * 2:2] = 0
    x[1001:1001 + 256 * 2:2, 0] = np.arange(-128, 128, dtype=np.int8)  # one channel alone
    return x


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.label())
@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("in_frac,out_frac", POSITIONS)
def test_fast_equals_golden(fmt, inverse, in_frac, out_frac):
    p = make_params(24, inverse, fmt, in_frac, out_frac, seed=(in_frac + 16) * 32 + out_frac + 16)
    kernel = GdnKernel(p)
    assert kernel.fast  # these formats must take the fast path, not the fallback
    x = inputs(24, seed=out_frac + 16)
    expected = gdn_trace(x, p).y
    y = kernel(x)
    assert y.dtype == np.int8 and y.shape == x.shape
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize("inverse", [False, True])
def test_cases_reach_every_branch(inverse):
    """The parametrised cases above cover left shifts (s <= 0), the max_right clamp and saturation."""
    shifts, saturated = set(), False
    for in_frac, out_frac in POSITIONS:
        p = make_params(24, inverse, GdnFormat(), in_frac, out_frac, seed=(in_frac + 16) * 32 + out_frac + 16)
        tr = gdn_trace(inputs(24, seed=out_frac + 16), p)
        shifts |= set((p.out_shift - tr.exponent if inverse else p.out_shift + tr.exponent).ravel().tolist())
        saturated |= bool((np.abs(tr.y) >= 127).any())
    assert min(shifts) <= 0 and max(shifts) > 8 + p.fmt.lut_bits + 2 and saturated


def test_fast_equals_golden_64_channels():
    p = make_params(64, False, GdnFormat(), 4, 5, seed=1)
    x = inputs(64, seed=2)
    np.testing.assert_array_equal(GdnKernel(p)(x), gdn_trace(x, p).y)
    np.testing.assert_array_equal(GdnKernel(p)(x[:0]), gdn_trace(x[:0], p).y.astype(np.int8))


def test_wide_tables_fall_back_to_the_definition():
    fmt = GdnFormat(lut_size=64, lut_bits=24, interp_bits=24)  # 2**30-entry table: not tabulated
    p = make_params(8, True, fmt, 4, 5, seed=0)
    kernel = GdnKernel(p)
    assert not kernel.fast
    x = inputs(8, seed=0)
    np.testing.assert_array_equal(kernel(x), gdn_trace(x, p).y)


def test_errors_are_the_definitions():
    p = make_params(4, False, GdnFormat(), 4, 5, seed=0)
    kernel = GdnKernel(p)
    with pytest.raises(PylicError):
        kernel(np.zeros((3, 4), dtype=np.int16))
    with pytest.raises(PylicError):
        kernel(np.zeros((3, 5), dtype=np.int8))
    zero_beta = p.replace(beta_q=np.zeros(4, np.int32))  # acc = 0 at x = 0: outside the range, raises
    assert not GdnKernel(zero_beta).fast
    with pytest.raises(PylicError, match="accumulator"):
        GdnKernel(zero_beta)(np.zeros((2, 4), dtype=np.int8))


@settings(max_examples=40, deadline=None)
@given(
    fmt=st.sampled_from(FORMATS),
    inverse=st.booleans(),
    in_frac=st.integers(-8, 10),
    out_frac=st.integers(-10, 12),
    seed=st.integers(0, 2**16),
    x=arrays(np.int8, st.tuples(st.integers(0, 40), st.just(6))),
)
def test_fast_equals_golden_hypothesis(fmt, inverse, in_frac, out_frac, seed, x):
    p = make_params(6, inverse, fmt, in_frac, out_frac, seed)
    kernel = GdnKernel(p)
    assert kernel.fast
    np.testing.assert_array_equal(kernel(x), gdn_trace(x, p).y)


def test_emulator_layers_take_the_fast_path(tiny_quant):
    """A package's GDN layers run the tables, not the fallback (the emulator's speed depends on it)."""
    from pylic.runtime.emulator import EmulatorBackend, GdnStep

    emu = EmulatorBackend(tiny_quant[2], threads=1)
    steps = [s for prog in emu.programs.values() for s in prog if isinstance(s, GdnStep)]
    assert steps and all(s.kernel.fast for s in steps)
