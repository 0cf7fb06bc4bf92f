"""GDN/iGDN golden parameters (`pylic.fixed.GdnLayerParams`) to and from the deploy package: scalars in the
manifest op's `gdn` object, integer tables in weights.npz. Loading checks every invariant the golden kernel
relies on (exact accumulator, table sizes and widths), so a tampered package cannot make it wrap."""

from __future__ import annotations

import numpy as np

from pylic.deploy.manifest import DeployError
from pylic.errors import PylicError
from pylic.fixed.formats import FixedFormat, Rounding
from pylic.fixed.gdn_params import GdnFormat, GdnLayerParams, worst_accumulator
from pylic.fixed.pwl import PwlTable

ARRAYS = ("gamma", "beta", "lut_a", "lut_b")


def _fmt_dict(f: FixedFormat) -> dict:
    return {"signed": f.signed, "width": f.width, "frac": f.frac, "rounding": f.rounding.value,
            "saturate": f.saturate}


def _int(v: object) -> int:
    """A JSON integer field: bools, floats and strings are refused (int(True) == 1, int(1e300) is huge)."""
    if not isinstance(v, int) or isinstance(v, bool) or abs(v) > 1 << 31:
        raise ValueError(f"{v!r} is not an integer in int32 range")
    return v


def _bool(v: object) -> bool:
    if not isinstance(v, bool):
        raise ValueError(f"{v!r} is not true/false")
    return v


def _num(v: object) -> float:
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not np.isfinite(v):
        raise ValueError(f"{v!r} is not a finite number")
    return float(v)


def _fmt(d: dict, where: str) -> FixedFormat:
    try:
        if set(d) != {"signed", "width", "frac", "rounding", "saturate"}:
            raise ValueError(f"keys {sorted(d)}")
        return FixedFormat(_bool(d["signed"]), _int(d["width"]), _int(d["frac"]), Rounding(d["rounding"]),
                           _bool(d["saturate"]))
    except (KeyError, TypeError, ValueError, PylicError) as exc:
        raise DeployError(f"{where}: bad fixed-point format {d!r}: {exc}") from None


def to_package(p: GdnLayerParams) -> tuple[dict, dict[str, np.ndarray]]:
    """(scalars for the manifest, arrays for weights.npz without the op-name prefix)."""
    scalars = {
        "gamma_frac": p.gamma_frac, "beta_frac": p.beta_frac, "acc_frac": p.acc_frac, "format": p.fmt.to_dict(),
        "lut": {"exponent": p.lut.exponent, "index_bits": p.lut.index_bits, "interp_bits": p.lut.interp_bits,
                "a_format": _fmt_dict(p.lut.a_format), "b_format": _fmt_dict(p.lut.b_format)},
    }
    arrays = {"gamma": p.gamma_q.astype(np.int32), "beta": p.beta_q.astype(np.int32),
              "lut_a": p.lut.a.astype(np.int32), "lut_b": p.lut.b.astype(np.int32)}
    return scalars, arrays


def _check(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise DeployError(f"{where}: {what}")


def from_package(name: str, inverse: bool, channels: int, in_frac: int, out_frac: int, g: dict,
                 arrays: dict[str, np.ndarray]) -> GdnLayerParams:
    """Rebuild and validate one layer's golden parameters."""
    where = f"{name} (gdn)"
    try:
        fmt_d = dict(g["format"])
        fmt = GdnFormat.from_dict({k: _int(v) for k, v in fmt_d.items()})
        lut = g["lut"]
        gamma_frac, beta_frac, acc_frac = _int(g["gamma_frac"]), _int(g["beta_frac"]), _int(g["acc_frac"])
        exponent, index_bits, interp_bits = _num(lut["exponent"]), _int(lut["index_bits"]), _int(lut["interp_bits"])
        a_fmt, b_fmt = _fmt(lut["a_format"], where), _fmt(lut["b_format"], where)
        if set(g) != {"gamma_frac", "beta_frac", "acc_frac", "format", "lut"} or set(lut) != {
                "exponent", "index_bits", "interp_bits", "a_format", "b_format"}:
            raise DeployError(f"{where}: unexpected keys in the gdn parameters")
    except (KeyError, TypeError, ValueError, PylicError) as exc:
        if isinstance(exc, DeployError):
            raise
        raise DeployError(f"{where}: malformed gdn parameters: {exc}") from None
    gamma, beta, a, b = (arrays[k] for k in ARRAYS)
    _check(exponent == (0.5 if inverse else -0.5), where, f"LUT exponent {exponent} does not match inverse={inverse}")
    _check(gamma.shape == (channels, channels) and beta.shape == (channels,), where, "beta/gamma shapes")
    _check(1 <= index_bits <= 12 and 1 <= interp_bits <= 24, where, "LUT index/interp bits out of range")
    _check(a.shape == b.shape == (2 << index_bits,), where, f"LUT size {a.shape} != 2 * 2**{index_bits}")
    _check(acc_frac == gamma_frac + 2 * in_frac and acc_frac >= beta_frac, where, "accumulator position")
    _check(int(gamma.min(initial=0)) >= 0 and int(gamma.max(initial=0)) < (1 << fmt.gamma_bits), where,
           f"gamma outside {fmt.gamma_bits} unsigned bits")
    _check(int(beta.min()) >= 1 and int(beta.max()) < (1 << fmt.beta_bits), where,
           f"beta outside 1..2**{fmt.beta_bits}-1")
    for t, f in ((a, a_fmt), (b, b_fmt)):
        _check(f.signed and f.width == fmt.lut_bits, where, "LUT entry format differs from the GDN format")
        _check(int(t.min()) >= f.min_int and int(t.max()) <= f.max_int, where, "LUT entries outside their width")
    beta_shift = acc_frac - beta_frac
    _check(beta_shift <= 62, where, "beta shift too large")
    worst = worst_accumulator(beta.astype(np.int64) << beta_shift, gamma)
    _check(int(worst.max()) < (1 << fmt.acc_bits), where, f"worst-case accumulator exceeds {fmt.acc_bits} bits")
    table = PwlTable(exponent, index_bits, interp_bits, a.astype(np.int64), b.astype(np.int64), a_fmt, b_fmt)
    _check(0 <= table.slope_shift <= 62, where, "LUT slope shift out of range")
    return GdnLayerParams(name=name, inverse=inverse, channels=channels, in_frac=in_frac, out_frac=out_frac,
                          gamma_q=gamma.astype(np.int32), gamma_frac=gamma_frac, beta_q=beta.astype(np.int32),
                          beta_frac=beta_frac, acc_frac=acc_frac, lut=table, fmt=fmt)
