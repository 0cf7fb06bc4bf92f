"""GDN/iGDN parameters: float export from CompressAI, and the per-layer fixed-point parameter set.

`GdnFormat` is the internal number format of the kernel (the knobs of the error table); `GdnLayerParams`
is everything one hardware layer bakes in: integer beta/gamma, the LUT, positions and shifts. Both are plain
data (ints and numpy arrays) so the deploy package, code generator and emulator can share them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from pylic.errors import ModelError, PylicError
from pylic.fixed.formats import FixedFormat, Rounding, int8, max_frac_for
from pylic.fixed.pwl import PwlTable, build_table

SQ_MAX = 128 * 128  # largest x_q**2 of an int8 input (x_q = -128)


def worst_accumulator(beta_acc: np.ndarray, gamma_q: np.ndarray) -> np.ndarray:
    """Per channel, the accumulator when every input is -128: beta (already at the accumulator's position)
    plus sum(gamma) * 128**2. Formats are chosen, and packages checked, so that this fits `acc_bits`."""
    return np.asarray(beta_acc, dtype=np.int64) + np.asarray(gamma_q, dtype=np.int64).sum(axis=1) * SQ_MAX
FRAC_CAP = 48  # gamma position used when every gamma is zero (any position is exact then)


@dataclass(frozen=True)
class GdnFormat:
    """Internal precision of a GDN kernel.

    - `gamma_bits`/`beta_bits`: unsigned magnitude bits of the stored gamma/beta (<= 31, so int32 holds them);
    - `acc_bits`: unsigned accumulator width for beta + sum_j gamma x_j**2; the per-layer position is chosen
      so that the worst case (every input at -128) fits, so the sum is exact and can never wrap;
    - `lut_size`: PWL segments over [1, 4); `lut_bits`: signed width of each LUT offset/slope;
    - `interp_bits`: bits of the in-segment offset d that multiplies the slope.
    """

    lut_size: int = 32
    lut_bits: int = 18
    interp_bits: int = 12
    gamma_bits: int = 24
    beta_bits: int = 24
    acc_bits: int = 40

    def __post_init__(self) -> None:
        if not (1 <= self.gamma_bits <= 31 and 1 <= self.beta_bits <= 31):
            raise PylicError(f"gamma/beta need 1..31 bits: {self}")
        if not 16 <= self.acc_bits <= 52:  # <= 52: the numpy golden sums exactly in float64 BLAS
            raise PylicError(f"accumulator width must be 16..52 bits, not {self.acc_bits}")

    @classmethod
    def all_8bit(cls) -> GdnFormat:
        """The paper's single-precision ablation: gamma, beta and LUT entries in 8 bits; int32 accumulator
        (an int8 MAC array accumulates in 32 bits too); 8-bit interpolation offset; 16 LUT segments."""
        return cls(lut_size=16, lut_bits=8, interp_bits=8, gamma_bits=8, beta_bits=8, acc_bits=32)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> GdnFormat:
        unknown = set(d) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise PylicError(f"unknown GDN format keys: {sorted(unknown)}")
        return cls(**d)

    def label(self) -> str:
        return (f"acc{self.acc_bits}/g{self.gamma_bits}/b{self.beta_bits}/lut{self.lut_size}x{self.lut_bits}"
                f"/d{self.interp_bits}")


@dataclass(frozen=True)
class GdnLayerParams:
    """One GDN (inverse=False) or iGDN (inverse=True) layer as the hardware holds it.

    Integer meaning: gamma_q[i, j] * x_q[j]**2 and beta_q[i] << beta_shift both have `acc_frac` fraction
    bits (acc_frac = gamma_frac + 2 * in_frac), so acc_i = (beta_q[i] << beta_shift) + sum_j gamma_q x_q**2.
    """

    name: str
    inverse: bool
    channels: int
    in_frac: int  # int8 input position (q = x * 2**in_frac)
    out_frac: int  # int8 output position
    gamma_q: np.ndarray  # int32 [C, C], i = output channel
    gamma_frac: int
    beta_q: np.ndarray  # int32 [C]
    beta_frac: int
    acc_frac: int
    lut: PwlTable
    fmt: GdnFormat

    @property
    def beta_shift(self) -> int:
        return self.acc_frac - self.beta_frac

    @property
    def beta_acc(self) -> np.ndarray:
        """beta aligned to the accumulator LSB (what the kernel adds first), int64."""
        return self.beta_q.astype(np.int64) << self.beta_shift

    @property
    def out_shift(self) -> int:
        """Right shift of x_q * r before the exponent term: r's frac + in_frac - out_frac."""
        return self.lut.frac + self.in_frac - self.out_frac

    @property
    def in_format(self) -> FixedFormat:
        return int8(self.in_frac)

    @property
    def out_format(self) -> FixedFormat:
        return int8(self.out_frac)

    def replace(self, **changes) -> GdnLayerParams:
        return dataclasses.replace(self, **changes)

    def to_parts(self) -> tuple[dict, dict[str, np.ndarray]]:
        """(JSON-able metadata, named integer arrays): the form a deploy package stores."""
        lut = self.lut
        meta = {
            "name": self.name, "inverse": self.inverse, "channels": self.channels, "in_frac": self.in_frac,
            "out_frac": self.out_frac, "gamma_frac": self.gamma_frac, "beta_frac": self.beta_frac,
            "acc_frac": self.acc_frac, "format": self.fmt.to_dict(),
            "lut": {"exponent": lut.exponent, "index_bits": lut.index_bits, "interp_bits": lut.interp_bits,
                    "a_frac": lut.a_format.frac, "b_frac": lut.b_format.frac},
        }
        arrays = {"gamma_q": self.gamma_q, "beta_q": self.beta_q, "lut_a": lut.a.astype(np.int32),
                  "lut_b": lut.b.astype(np.int32)}
        return meta, arrays

    @classmethod
    def from_parts(cls, meta: dict, arrays: dict[str, np.ndarray]) -> GdnLayerParams:
        """Inverse of `to_parts`; rejects arrays whose shapes or ranges do not fit the metadata."""
        try:
            fmt = GdnFormat.from_dict(meta["format"])
            lm = meta["lut"]
            a_fmt = FixedFormat(True, fmt.lut_bits, int(lm["a_frac"]))
            b_fmt = FixedFormat(True, fmt.lut_bits, int(lm["b_frac"]))
            lut = PwlTable(float(lm["exponent"]), int(lm["index_bits"]), int(lm["interp_bits"]),
                           a_fmt.check(np.asarray(arrays["lut_a"], np.int64)),
                           b_fmt.check(np.asarray(arrays["lut_b"], np.int64)), a_fmt, b_fmt)
            c = int(meta["channels"])
            gamma = FixedFormat(False, fmt.gamma_bits, 0).check(np.asarray(arrays["gamma_q"], np.int64))
            beta = FixedFormat(False, fmt.beta_bits, 0).check(np.asarray(arrays["beta_q"], np.int64))
            if gamma.shape != (c, c) or beta.shape != (c,) or lut.a.shape != (2 << lut.index_bits,):
                raise PylicError(f"GDN arrays do not match {c} channels / LUT size")
            return cls(name=str(meta["name"]), inverse=bool(meta["inverse"]), channels=c,
                       in_frac=int(meta["in_frac"]), out_frac=int(meta["out_frac"]),
                       gamma_q=gamma.astype(np.int32), gamma_frac=int(meta["gamma_frac"]),
                       beta_q=beta.astype(np.int32), beta_frac=int(meta["beta_frac"]),
                       acc_frac=int(meta["acc_frac"]), lut=lut, fmt=fmt)
        except (KeyError, TypeError, ValueError) as exc:
            raise PylicError(f"malformed GDN parameters: {exc!r}") from None


def quantize_gdn(
    name: str,
    beta: np.ndarray,
    gamma: np.ndarray,
    inverse: bool,
    in_frac: int,
    out_frac: int,
    fmt: GdnFormat = GdnFormat(),
) -> GdnLayerParams:
    """Fixed-point parameters for one layer.

    Rounding: beta and gamma are rounded half up (they are >= 0) at per-layer power-of-two positions;
    gamma's position is the largest that fits `gamma_bits` *and* keeps the worst-case accumulator
    (all inputs -128) below 2**acc_bits; beta's is the largest that fits `beta_bits`, at most acc_frac.
    beta_q is clamped to >= 1 so the accumulator is never 0 (1/sqrt(0) has no value).
    """
    beta = np.asarray(beta, dtype=np.float64)
    gamma = np.asarray(gamma, dtype=np.float64)
    c = beta.size
    if gamma.shape != (c, c) or (beta <= 0).any() or (gamma < 0).any() or not np.isfinite(gamma).all():
        raise ModelError(f"{name}: GDN needs beta > 0 and gamma >= 0 of shapes [C], [C, C]")
    gmax = float(gamma.max())
    gamma_frac = max_frac_for(gmax, fmt.gamma_bits, signed=False) if gmax > 0 else FRAC_CAP
    beta_frac_max = max_frac_for(float(beta.max()), fmt.beta_bits, signed=False)
    for _ in range(256):
        acc_frac = gamma_frac + 2 * in_frac
        beta_frac = min(beta_frac_max, acc_frac)
        g_fmt = FixedFormat(False, fmt.gamma_bits, gamma_frac, Rounding.HALF_UP)
        b_fmt = FixedFormat(False, fmt.beta_bits, beta_frac, Rounding.HALF_UP)
        gamma_q = g_fmt.quantize(gamma)
        beta_q = np.maximum(b_fmt.quantize(beta), 1)
        worst = worst_accumulator(beta_q << (acc_frac - beta_frac), gamma_q)
        if int(worst.max()) < (1 << fmt.acc_bits):
            break
        gamma_frac -= 1
    else:
        raise PylicError(f"{name}: no gamma position fits a {fmt.acc_bits}-bit accumulator")
    lut = build_table(0.5 if inverse else -0.5, fmt.lut_size, fmt.lut_bits, fmt.interp_bits)
    return GdnLayerParams(
        name=name, inverse=inverse, channels=c, in_frac=int(in_frac), out_frac=int(out_frac),
        gamma_q=gamma_q.astype(np.int32), gamma_frac=int(gamma_frac), beta_q=beta_q.astype(np.int32),
        beta_frac=int(beta_frac), acc_frac=int(acc_frac), lut=lut, fmt=fmt,
    )
