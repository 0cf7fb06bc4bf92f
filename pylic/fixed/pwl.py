"""Piecewise-linear LUTs for the GDN normaliser: v**-1/2 (GDN) and v**+1/2 (iGDN) on v in [1, 4).

The normaliser input is split as norm = u * 2**t with u in [1, 2); the parity p = t & 1 folds one octave
into the mantissa, v = u * 2**p in [1, 4), so that the remaining factor 2**(t - p) has an exact square root
(a shift). The table therefore has two halves (p = 0, 1), each with `2**index_bits` equal segments of u.

Each segment stores an offset `a` (value at the segment start) and a slope `b` (per unit of u). They are
the minimax line of the segment (the chord moved by half its largest deviation), which halves the error
of plain chord interpolation at the same cost. Both are signed integers of `lut_bits` bits; the value has
`frac_a` fraction bits, the slope `frac_b` (each the largest that fits).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pylic.errors import PylicError
from pylic.fixed.formats import FixedFormat, Rounding, max_frac_for, round_shift


@dataclass(frozen=True)
class PwlTable:
    """Quantized LUT: `a[k]`, `b[k]` for k = p * 2**index_bits + segment (plain data, no torch)."""

    exponent: float  # -0.5 (GDN, 1/sqrt) or +0.5 (iGDN, sqrt)
    index_bits: int  # log2(segments per octave)
    interp_bits: int  # bits of the in-segment offset d
    a: np.ndarray  # int64 [2 * 2**index_bits]
    b: np.ndarray  # int64 [2 * 2**index_bits]
    a_format: FixedFormat
    b_format: FixedFormat

    @property
    def size(self) -> int:
        return int(self.a.size)

    @property
    def frac(self) -> int:
        """Fraction bits of the normaliser output r (those of `a`)."""
        return self.a_format.frac

    @property
    def slope_shift(self) -> int:
        """Right shift taking b * d (frac_b + index_bits + interp_bits fraction bits) to r's fraction bits."""
        return self.b_format.frac + self.index_bits + self.interp_bits - self.a_format.frac

    def with_entry(self, k: int, delta_a: int = 0, delta_b: int = 0) -> PwlTable:
        """A copy with one entry changed (tests use it to prove csim notices)."""
        a, b = self.a.copy(), self.b.copy()
        a[k] += delta_a
        b[k] += delta_b
        return PwlTable(self.exponent, self.index_bits, self.interp_bits, a, b, self.a_format, self.b_format)


def _minimax_lines(exponent: float, index_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Float offsets/slopes of g(u) = (2**p u)**exponent on each u-segment, as the minimax line."""
    n = 1 << index_bits
    a_list, b_list = [], []
    for p in (0, 1):
        k = 2.0 ** (p * exponent)  # g(u) = k * u**e
        for i in range(n):
            u0, u1 = 1.0 + i / n, 1.0 + (i + 1) / n
            g0, g1 = k * u0**exponent, k * u1**exponent
            s = (g1 - g0) / (u1 - u0)
            c = (s / (k * exponent)) ** (1.0 / (exponent - 1.0))  # g'(c) = s: point of largest deviation
            dev = k * c**exponent - (g0 + s * (c - u0))
            a_list.append(g0 + dev / 2.0)
            b_list.append(s)
    return np.array(a_list), np.array(b_list)


def build_table(exponent: float, size: int, lut_bits: int, interp_bits: int) -> PwlTable:
    """Quantized minimax PWL table with `size` segments over [1, 4) (size/2 per octave)."""
    if exponent not in (-0.5, 0.5):
        raise PylicError(f"only the exponents -1/2 (GDN) and +1/2 (iGDN) are supported, not {exponent}")
    if size < 2 or size & (size - 1):
        raise PylicError(f"LUT size must be a power of two >= 2, not {size}")
    if not 4 <= lut_bits <= 32 or not 1 <= interp_bits <= 24:
        raise PylicError(f"LUT entries need 4..32 bits and interpolation 1..24 bits ({lut_bits}, {interp_bits})")
    index_bits = size.bit_length() - 2
    a, b = _minimax_lines(exponent, index_bits)
    fa = max_frac_for(float(np.abs(a).max()), lut_bits, signed=True)
    fb = max_frac_for(float(np.abs(b).max()), lut_bits, signed=True)
    a_fmt = FixedFormat(True, lut_bits, fa, Rounding.HALF_UP)
    b_fmt = FixedFormat(True, lut_bits, fb, Rounding.HALF_UP)
    table = PwlTable(exponent, index_bits, interp_bits, a_fmt.quantize(a), b_fmt.quantize(b), a_fmt, b_fmt)
    _check_output_range(table)
    return table


def _check_output_range(table: PwlTable) -> None:
    """r is linear in d, so its extremes are at d = 0 and d = 2**interp_bits - 1; the kernel holds r in
    lut_bits + 1 signed bits, and a negative r would flip signs: both are rejected here."""
    bits = table.a_format.width
    idx = np.arange(table.size)
    for d in (0, (1 << table.interp_bits) - 1):
        mant = ((idx & ((1 << table.index_bits) - 1)) << table.interp_bits) | d
        r = evaluate(table, idx >> table.index_bits, mant)
        if r.min() <= 0 or r.max() >= (1 << bits):
            raise PylicError(f"PWL table with {bits}-bit entries leaves the normaliser range: [{r.min()}, {r.max()}]")


def evaluate(table: PwlTable, parity: np.ndarray, mantissa: np.ndarray) -> np.ndarray:
    """r = a[k] + round_half_up(b[k] * d >> slope_shift), the normaliser at `frac` fraction bits.

    `mantissa` is u with index_bits + interp_bits fraction bits (u in [1, 2)), `parity` is p (0 or 1).
    """
    db = table.interp_bits
    seg = (mantissa >> db) & ((1 << table.index_bits) - 1)
    d = mantissa & ((1 << db) - 1)
    k = (parity << table.index_bits) | seg
    return table.a[k] + round_shift(table.b[k] * d, table.slope_shift)
