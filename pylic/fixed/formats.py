"""Fixed-point formats and the integer rounding primitives every golden op is built from.

One rule everywhere: a right shift by s >= 1 rounds half up, floor(v / 2**s + 1/2), the DPU's `DPU_ROUND`
(HW_FLOW.md §4); C++ writes it `(v + (1 << (s-1))) >> s` with an arithmetic shift. Float values become
integers by the same rule (`quantize`), then saturate when the format says so.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from pylic.errors import PylicError


class Rounding(str, enum.Enum):
    """How a value loses fraction bits. HALF_UP is floor(x + 0.5); TRUNCATE is floor(x) (drop bits)."""

    HALF_UP = "half_up"
    TRUNCATE = "truncate"


@dataclass(frozen=True)
class FixedFormat:
    """A two's-complement (or unsigned) number: `width` bits, `frac` of them after the binary point.

    The real value of integer q is q * 2**-frac. `frac` may be negative (LSB > 1) or exceed `width`.
    `saturate` says whether out-of-range results clamp (True) or are impossible by construction (False:
    `check` raises instead, so a silent wrap can never hide in the golden model).
    """

    signed: bool
    width: int
    frac: int
    rounding: Rounding = Rounding.HALF_UP
    saturate: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.width <= 63:
            raise PylicError(f"fixed-point width must be 1..63 bits, not {self.width}")

    @property
    def min_int(self) -> int:
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def max_int(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    def quantize(self, x: np.ndarray | float) -> np.ndarray:
        """Float -> integer code: scale by 2**frac, round by `rounding`, then saturate or check."""
        scaled = np.asarray(x, dtype=np.float64) * np.ldexp(1.0, self.frac)
        q = np.floor(scaled + 0.5) if self.rounding is Rounding.HALF_UP else np.floor(scaled)
        return self.fit(q.astype(np.int64))

    def fit(self, q: np.ndarray) -> np.ndarray:
        """Saturate (if allowed) or verify that integer codes lie in range."""
        q = np.asarray(q, dtype=np.int64)
        if self.saturate:
            return np.clip(q, self.min_int, self.max_int)
        return self.check(q)

    def check(self, q: np.ndarray) -> np.ndarray:
        if q.size and (q.min() < self.min_int or q.max() > self.max_int):
            raise PylicError(f"value out of range for {self}: [{q.min()}, {q.max()}]")
        return q

    def dequantize(self, q: np.ndarray) -> np.ndarray:
        return np.asarray(q, dtype=np.float64) * np.ldexp(1.0, -self.frac)

    def describe(self) -> str:
        """Short human form, e.g. `s8.3` (signed, 8 bits, 3 fraction bits)."""
        return f"{'s' if self.signed else 'u'}{self.width}.{self.frac}"


def int8(frac: int) -> FixedFormat:
    """The DPU activation format: signed 8-bit at power-of-two position `frac`, half-up, saturating."""
    return FixedFormat(signed=True, width=8, frac=frac, rounding=Rounding.HALF_UP, saturate=True)


def round_shift(v: np.ndarray, s: np.ndarray | int, max_right: int = 62, max_left: int = 62) -> np.ndarray:
    """v * 2**-s on int64, rounding half up for s >= 1 and exact left shift for s <= 0.

    Clamps keep int64 from wrapping without changing any value that matters: a right shift past the width
    of v (+1) already gives exactly 0, and a caller that saturates to 8 bits next passes max_left=8, since
    any non-zero v shifted left by 8 already saturates. The C++ applies the same clamps.
    """
    v = np.asarray(v, dtype=np.int64)
    s = np.asarray(s, dtype=np.int64)
    sr = np.clip(s, 1, max_right)
    right = (v + (np.int64(1) << (sr - 1))) >> sr
    left = v << np.clip(-s, 0, max_left)
    return np.where(s > 0, right, left)


def saturate(v: np.ndarray, width: int = 8) -> np.ndarray:
    """Clamp to the signed range of `width` bits ([-128, 127] for int8)."""
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    return np.clip(np.asarray(v, dtype=np.int64), lo, hi)


def max_frac_for(max_abs: float, width: int, signed: bool) -> int:
    """Largest fraction-bit count at which `max_abs` still fits `width` bits after half-up rounding."""
    limit = (1 << (width - 1)) - 1 if signed else (1 << width) - 1
    if max_abs <= 0:
        raise PylicError("cannot place a format for an all-zero tensor")
    frac = int(np.floor(np.log2(limit / max_abs)))
    while np.floor(max_abs * np.ldexp(1.0, frac) + 0.5) > limit:  # log2 rounding at the boundary
        frac -= 1
    while np.floor(max_abs * np.ldexp(1.0, frac + 1) + 0.5) <= limit:
        frac += 1
    return frac
