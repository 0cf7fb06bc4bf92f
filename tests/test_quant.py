"""Rounding rules, DPU requantization and shift limits, exact integer conv, calibration and the plan."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch

from pylic.quant.requant import (
    SHIFT_BIAS_MAX,
    adjust_positions,
    check_shifts,
    conv_acc,
    deconv_acc,
    requantize,
    shift_bias_min,
    shifts,
)
from pylic.quant.rounding import (
    QuantError,
    fix_position,
    quantize_activation,
    quantize_param,
    round_half_away,
    round_half_up,
)
from pylic.runtime.intconv import compile_conv, exact_kernels, reference, self_test

HALVES = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.4999999, -0.5000001])


def test_round_half_away_from_zero():
    np.testing.assert_array_equal(round_half_away(HALVES), [1, 2, 3, -1, -2, -3, 0, -1])


def test_round_half_up_is_floor_x_plus_half():
    np.testing.assert_array_equal(round_half_up(HALVES), [1, 2, 3, 0, -1, -2, 0, -1])


def test_params_and_activations_differ_only_on_negative_halves():
    x = np.array([-2.5, -0.5, 2.5, 0.5, -1.25]) / 8  # exact halves at position 3 (and a non-half)
    np.testing.assert_array_equal(quantize_param(x, 3), [-3, -1, 3, 1, -1])
    np.testing.assert_array_equal(quantize_activation(x, 3), [-2, 0, 3, 1, -1])


def test_saturation_to_int8():
    big = np.array([1e9, -1e9, 127.5, -128.5, -128.4])
    np.testing.assert_array_equal(quantize_param(big, 0), [127, -128, 127, -128, -128])
    np.testing.assert_array_equal(quantize_activation(big, 0), [127, -128, 127, -128, -128])
    assert quantize_param(big, 0).dtype == np.int8


@pytest.mark.parametrize("m, p", [(1.0, 6), (0.99, 7), (127.0, 0), (127.49, 0), (127.5, -1), (128.0, -1),
                                  (0.0, 7), (1e-3, 16)])
def test_fix_position_from_max_abs(m, p):
    assert fix_position(m) == p
    if m:
        assert np.floor(m * 2.0**p + 0.5) <= 127 < np.floor(m * 2.0 ** (p + 1) + 0.5)


def test_fix_position_rejects_nan():
    with pytest.raises(QuantError):
        fix_position(float("nan"))


def _requant_exact(acc: int, b: int, sc: int, sb: int, relu: bool) -> int:
    """The CPU reference in exact rational arithmetic: sat(floor((acc + b 2**sb) 2**-sc + 1/2))."""
    v = Fraction(acc) + Fraction(b) * Fraction(2) ** sb
    if relu:
        v = max(v, Fraction(0))
    r = v * Fraction(2) ** -sc + Fraction(1, 2)
    return min(127, max(-128, r.numerator // r.denominator))


@pytest.mark.parametrize("sc", [0, 1, 5, 12, 16])
@pytest.mark.parametrize("relu", [False, True])
def test_requantize_equals_exact_reference(sc, relu):
    rng = np.random.default_rng(sc)
    acc = rng.integers(-(1 << 22), 1 << 22, size=(2, 4, 5, 5))
    acc.flat[:6] = np.array([1, -1, 3, -3, 5, -5]) << max(sc - 1, 0)  # exact halves after the shift
    b = rng.integers(-128, 128, size=4)
    for sb in sorted({shift_bias_min(sc), -1 if shift_bias_min(sc) <= -1 else 0, 0, 3, SHIFT_BIAS_MAX}):
        out = requantize(acc, b, sc, sb, relu)
        ref = np.vectorize(lambda a, c: _requant_exact(int(a), int(b[c]), sc, sb, relu))(
            acc, np.arange(4).reshape(1, 4, 1, 1))
        np.testing.assert_array_equal(out, ref)


def test_requantize_rounds_negative_halves_up():
    acc = np.array([-3, -1, 1, 3, -5]).reshape(1, 5, 1, 1)  # /2: -1.5 -0.5 0.5 1.5 -2.5
    np.testing.assert_array_equal(requantize(acc, np.zeros(5), 1, 0, False).ravel(), [-1, 0, 1, 2, -2])


def test_shift_limits():
    check_shifts(0, 0)
    check_shifts(16, 16)
    check_shifts(4, -12)  # min(0, -(24 - (8 + 4))) = -12
    for sc, sb in [(-1, 0), (17, 0), (4, -13), (0, 17), (16, -1)]:
        with pytest.raises(QuantError):
            check_shifts(sc, sb)


@pytest.mark.parametrize("w, b, i, o, expect_w, expect_b", [
    (10, 8, 6, 2, 10, 8),  # within limits: untouched
    (12, 8, 10, 2, 8, 8),  # shift_cut 20 > 16: weight position lowered to 8
    (2, 3, 1, 5, 4, 3),  # shift_cut -2 < 0: weight position raised to 4
    (10, -4, 8, 4, 10, 2),  # shift_bias 22 > 16: bias position raised to 2
    (6, 20, 2, 0, 6, 16),  # shift_cut 8: shift_bias -12 < min(0, -(24 - 16)) = -8: bias position lowered to 16
])
def test_adjust_positions_like_vai_q(w, b, i, o, expect_w, expect_b):
    fp_w, fp_b, log = adjust_positions(w, b, i, o)
    assert (fp_w, fp_b) == (expect_w, expect_b)
    assert bool(log) == ((w, b) != (expect_w, expect_b))
    check_shifts(*shifts(fp_w, fp_b, i, o))


def test_golden_conv_geometry_matches_torch():
    rng = np.random.default_rng(1)
    x = rng.integers(-128, 128, size=(2, 3, 9, 7))
    w = rng.integers(-128, 128, size=(4, 3, 5, 5))
    ref = torch.nn.functional.conv2d(torch.from_numpy(x).double(), torch.from_numpy(w).double(), stride=2, padding=2)
    np.testing.assert_array_equal(conv_acc(x, w, 2, 2), ref.numpy())
    wt = rng.integers(-128, 128, size=(3, 4, 5, 5))
    ref = torch.nn.functional.conv_transpose2d(torch.from_numpy(x).double(), torch.from_numpy(wt).double(),
                                               stride=2, padding=2, output_padding=1)
    np.testing.assert_array_equal(deconv_acc(x, wt, 2, 2, 1), ref.numpy())


@pytest.mark.parametrize("kind", ["conv", "deconv"])
@pytest.mark.parametrize("scale, mode", [(3, "f32"), (127, "split"), (None, "f64")])
def test_fast_integer_conv_is_exact(kind, scale, mode):
    """Each accumulation mode equals the int64 reference on worst-case inputs (weights chosen to force it)."""
    rng = np.random.default_rng(2)
    cin, cout = (48, 6) if mode != "f64" else (8, 4)
    shape = (cout, cin, 5, 5) if kind == "conv" else (cin, cout, 5, 5)
    w = rng.integers(-(scale or 127), (scale or 127) + 1, size=shape).astype(np.int8)
    if mode == "split":
        w = (np.sign(w) | 1).astype(np.int8) * 127
    if mode == "f64":  # sum |w| * 15 >= 2**24 needs more taps than a test wants: use many input channels
        cin = 1100
        shape = (cout, cin, 5, 5) if kind == "conv" else (cin, cout, 5, 5)
        w = np.full(shape, -127, dtype=np.int8)
    b = rng.integers(-128, 128, size=cout).astype(np.int8)
    conv = compile_conv("t", kind, w, b, 2, 2, 1 if kind == "deconv" else 0, 12, 5, relu=True)
    assert conv.mode == mode
    x = rng.choice(np.array([-128, 127, -127, 3, 0], dtype=np.int8), size=(1, cin, 6, 6))
    with exact_kernels():
        fast = conv(torch.from_numpy(x.astype(np.float32))).numpy()
    np.testing.assert_array_equal(fast, reference(conv, x))


def test_negative_shift_bias_fast_path():
    rng = np.random.default_rng(3)
    w = rng.integers(-20, 21, size=(4, 3, 3, 3)).astype(np.int8)
    b = rng.integers(-128, 128, size=4).astype(np.int8)
    conv = compile_conv("t", "conv", w, b, 1, 1, 0, 6, -2, relu=False)
    x = rng.integers(-128, 128, size=(1, 3, 5, 5)).astype(np.int8)
    with exact_kernels():
        np.testing.assert_array_equal(conv(torch.from_numpy(x.astype(np.float32))).numpy(), reference(conv, x))


def test_self_test_catches_an_inexact_kernel(monkeypatch):
    w = np.random.default_rng(4).integers(-127, 128, size=(2, 2, 3, 3)).astype(np.int8)
    conv = compile_conv("t", "conv", w, np.zeros(2, np.int8), 1, 1, 0, 0, 0, relu=False)
    self_test(conv)
    monkeypatch.setattr(type(conv), "_conv", lambda self, x, w_: torch.nn.functional.conv2d(  # bf16 accumulation
        x, w_, None, self.stride, self.padding).bfloat16().float())
    with pytest.raises(Exception, match="not exact"):
        self_test(conv)
