"""The GDN/iGDN golden model: numpy integer arithmetic, exactly what the HLS kernel computes.

Per pixel and output channel i (x_q: int8 inputs at position in_frac, channels last):

1. sq_j  = x_q[j]**2                                  exact, u15
2. acc_i = (beta_q[i] << beta_shift) + sum_j gamma_q[i, j] * sq_j
                                                      exact, unsigned acc_bits wide, acc_frac fraction bits;
                                                      cannot overflow (positions chosen for the worst case)
3. k = index of acc's leading one; t = k - acc_frac (norm in [2**t, 2**(t+1))); p = t & 1; h = (t - p) / 2
4. u = acc's top 1 + index_bits + interp_bits bits   truncated (low bits dropped), u in [1, 2)
5. r = a[p, seg(u)] + round_half_up(b[p, seg(u)] * d(u) >> slope_shift)
                                                      r ~ (u 2**p)**-1/2 (GDN) or **+1/2 (iGDN), frac bits F
6. y_q = sat8(round_half_up(x_q[i] * r >> (out_shift + h)))   GDN:  x / sqrt(norm)
   y_q = sat8(round_half_up(x_q[i] * r >> (out_shift - h)))   iGDN: x * sqrt(norm)
   with out_shift = F + in_frac - out_frac; a negative shift is an exact left shift (then saturation).

Every rounding is half up (floor(v + 1/2)) except step 4, which truncates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pylic.errors import PylicError
from pylic.fixed.formats import round_shift, saturate
from pylic.fixed.gdn_params import GdnLayerParams
from pylic.fixed.pwl import evaluate


@dataclass(frozen=True)
class GdnTrace:
    """Intermediate integers of one golden run (for analysis and debugging), all [P, C] int64."""

    acc: np.ndarray
    exponent: np.ndarray  # h
    r: np.ndarray
    y: np.ndarray


def _accumulate(sq: np.ndarray, params: GdnLayerParams) -> np.ndarray:
    """beta + gamma @ x**2, exact. float64 BLAS is exact here: every term and partial sum is a
    non-negative integer below 2**acc_bits <= 2**52."""
    acc = sq.astype(np.float64) @ params.gamma_q.astype(np.float64).T
    acc = acc.astype(np.int64) + params.beta_acc[None, :]
    if acc.size and (acc.min() < 1 or acc.max() >= (1 << params.fmt.acc_bits)):
        raise PylicError(f"{params.name}: accumulator outside its {params.fmt.acc_bits}-bit range")
    return acc


def _leading_one(acc: np.ndarray) -> np.ndarray:
    """0-based index of the most significant set bit (acc >= 1), exact for < 2**52 via frexp."""
    return np.frexp(acc.astype(np.float64))[1].astype(np.int64) - 1


def gdn_trace(x_q: np.ndarray, params: GdnLayerParams) -> GdnTrace:
    """Run the golden layer on int8 pixels [P, C] (channels last) and keep the intermediates."""
    x = np.asarray(x_q)
    if x.ndim != 2 or x.shape[1] != params.channels:
        raise PylicError(f"{params.name}: expected [pixels, {params.channels}] input, got {x.shape}")
    if x.dtype != np.int8:
        raise PylicError(f"{params.name}: golden GDN takes int8 input, got {x.dtype}")
    x = x.astype(np.int64)
    acc = _accumulate(x * x, params)
    k = _leading_one(acc)
    t = k - params.acc_frac
    parity = t & 1
    h = (t - parity) // 2
    mbits = params.lut.index_bits + params.lut.interp_bits
    mantissa = round_shift_trunc(acc, k - mbits)
    r = evaluate(params.lut, parity, mantissa)
    shift = params.out_shift - h if params.inverse else params.out_shift + h
    p_bits = 8 + params.fmt.lut_bits + 1  # |x_q * r| < 2**(p_bits - 1)
    y = saturate(round_shift(x * r, shift, max_right=p_bits + 1, max_left=8))
    return GdnTrace(acc=acc, exponent=h, r=r, y=y)


def round_shift_trunc(v: np.ndarray, s: np.ndarray) -> np.ndarray:
    """v >> s for s >= 0 (truncate), v << -s for s < 0; the mantissa extraction of step 4."""
    s = np.asarray(s, dtype=np.int64)
    return np.where(s >= 0, v >> np.clip(s, 0, 62), v << np.clip(-s, 0, 62))


def gdn_fixed(x_q: np.ndarray, params: GdnLayerParams) -> np.ndarray:
    """int8 [..., C] -> int8 [..., C]: the bit-exact hardware GDN/iGDN (channels last)."""
    x = np.asarray(x_q)
    flat = x.reshape(-1, params.channels) if x.size else x.reshape(0, params.channels)
    return gdn_trace(flat, params).y.astype(np.int8).reshape(x.shape)


def gdn_float(x: np.ndarray, beta: np.ndarray, gamma: np.ndarray, inverse: bool) -> np.ndarray:
    """Float64 reference on [..., C] (channels last): x * (beta + gamma x**2)**(+-1/2)."""
    x = np.asarray(x, dtype=np.float64)
    norm = beta + (x * x) @ np.asarray(gamma, dtype=np.float64).T
    return x * np.sqrt(norm) if inverse else x / np.sqrt(norm)
