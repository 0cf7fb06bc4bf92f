"""Rounding primitives and fixed-point formats: the integer rules every golden op is made of."""

from __future__ import annotations

import numpy as np
import pytest

from pylic.errors import PylicError
from pylic.fixed.formats import (
    FixedFormat,
    Rounding,
    int8,
    max_frac_for,
    round_shift,
    saturate,
)


def test_round_shift_is_floor_half_up_including_negative_halves():
    v = np.array([5, 6, 7, -5, -6, -7, -8, 0, 1, -1])
    # v / 4 = 1.25 1.5 1.75 -1.25 -1.5 -1.75 -2 0 0.25 -0.25 -> floor(x + 0.5)
    assert round_shift(v, 2).tolist() == [1, 2, 2, -1, -1, -2, -2, 0, 0, 0]


def test_round_shift_matches_exact_rational_rounding():
    rng = np.random.default_rng(0)
    v = rng.integers(-(1 << 40), 1 << 40, size=2000)
    s = rng.integers(-6, 45, size=2000)
    got = round_shift(v, s)
    want = [int(np.floor(x / 2.0**k + 0.5)) if k > 0 else x << -k for x, k in zip(v.tolist(), s.tolist())]
    assert got.tolist() == want


def test_round_shift_clamps_do_not_change_values():
    v = np.array([3, -3, 1 << 20, -(1 << 20)])
    assert round_shift(v, 100, max_right=22).tolist() == [0, 0, 0, 0]
    # left clamp at 8 followed by int8 saturation equals the unclamped result
    assert saturate(round_shift(v, -30, max_left=8)).tolist() == [127, -128, 127, -128]


def test_int8_quantize_half_up_and_saturates():
    f = int8(2)
    assert f.quantize([0.125, -0.125, 0.375, 40.0, -40.0]).tolist() == [1, 0, 2, 127, -128]
    assert f.describe() == "s8.2"


def test_unsaturated_format_refuses_to_wrap():
    f = FixedFormat(False, 4, 0, Rounding.HALF_UP, saturate=False)
    assert f.quantize([15.4]).tolist() == [15]
    with pytest.raises(PylicError):
        f.quantize([15.6])


def test_truncate_rounding():
    f = FixedFormat(True, 8, 1, Rounding.TRUNCATE, saturate=True)
    assert f.quantize([0.74, -0.26]).tolist() == [1, -1]


@pytest.mark.parametrize("m", [0.3, 1.0, 1.0039, 126.9, 127.0, 127.6, 3000.0])
def test_max_frac_for_is_the_largest_fitting_position(m):
    f = max_frac_for(m, 8, signed=True)
    assert np.floor(m * 2.0**f + 0.5) <= 127 < np.floor(m * 2.0 ** (f + 1) + 0.5)
