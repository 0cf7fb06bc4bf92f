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
from pylic.fixed.gdn_params import GdnLayerParams, worst_accumulator
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
    h, r, y = normalise(acc, x, params)
    return GdnTrace(acc=acc, exponent=h, r=r, y=y)


def normalise(acc: np.ndarray, x: np.ndarray, params: GdnLayerParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps 3-6 element by element: (h, r, y) of accumulators `acc` and the inputs `x` (= x_q[i]) they
    normalise, any equal shapes. Separate from the sum so that directed vectors can probe one output."""
    acc = np.asarray(acc, dtype=np.int64)
    x = np.asarray(x, dtype=np.int64)
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
    return h, r, y


def lut_entry(acc: np.ndarray, params: GdnLayerParams) -> np.ndarray:
    """Index p * 2**index_bits + segment of the LUT entry that step 5 reads for each accumulator."""
    acc = np.asarray(acc, dtype=np.int64)
    k = _leading_one(acc)
    lut = params.lut
    mantissa = round_shift_trunc(acc, k - lut.index_bits - lut.interp_bits)
    seg = (mantissa >> lut.interp_bits) & ((1 << lut.index_bits) - 1)
    return (((k - params.acc_frac) & 1) << lut.index_bits) | seg


def round_shift_trunc(v: np.ndarray, s: np.ndarray) -> np.ndarray:
    """v >> s for s >= 0 (truncate), v << -s for s < 0; the mantissa extraction of step 4."""
    s = np.asarray(s, dtype=np.int64)
    return np.where(s >= 0, v >> np.clip(s, 0, 62), v << np.clip(-s, 0, 62))


def gdn_fixed(x_q: np.ndarray, params: GdnLayerParams) -> np.ndarray:
    """int8 [..., C] -> int8 [..., C]: the bit-exact hardware GDN/iGDN (channels last)."""
    x = np.asarray(x_q)
    flat = x.reshape(-1, params.channels) if x.size else x.reshape(0, params.channels)
    return gdn_trace(flat, params).y.astype(np.int8).reshape(x.shape)


class GdnKernel:
    """The golden layer, fast: `GdnKernel(p)(x)` equals `gdn_trace(x, p).y` bit for bit (int8 [P, C] -> int8).

    The emulator's hot spot; `gdn_trace` stays the readable definition. Steps 3-6 become two table look-ups and
    a handful of float64 passes, each exact:

    - step 2: acc = [x**2, 1] @ [gamma^T; beta_acc] in float64 BLAS, exact as in `_accumulate` (non-negative
      integer terms, every partial sum < 2**acc_bits <= 2**52). The range check is static: gamma >= 0, so acc
      is smallest at x = 0 (beta_acc) and largest at x = -128; if both ends fit, no input leaves the range;
    - steps 3-5: acc is an integer in [1, 2**52), so its IEEE bits are E << 52 | F with k = E - 1023 and
      F = (acc / 2**k - 1) * 2**52; F's top mbits = index_bits + interp_bits bits are exactly step 4's truncated
      mantissa less its leading one. q = bits >> (52 - mbits) = E << mbits | those bits, and r depends only on
      q's low mbits + 1 bits (E's parity fixes p), so `_r[q & mask]` is `evaluate` tabulated once per layer;
    - step 6: s depends only on E (via h), and `round_shift` clamps it to s' = clip(s, -8, max_right), which
      turns both of its branches into floor(v * 2**-s' + 1/2) (for s' <= 0 v * 2**-s' is an integer). So
      g = _r[.] * _scale[E] with _scale = 2**-s', and w = x * g + 128.5 = v * 2**-s' + 128.5 with v = x * r.
      Each is exact: g and x * g are power-of-two scalings of the integers r and v, and w is a multiple of
      2**-max(s', 1) that `__init__` checks is below 2**53 of those units for every reachable E (so it also bounds
      |v| < 2**53). Then floor(clip(w, 0, 255)) = sat8(y) + 128 (the bounds are integers), the uint8 cast
      truncates, i.e. floors, it, and ^ 0x80 recentres it as int8.

    Layers outside those bounds (a possible overflow, over-wide LUT or slope) run `gdn_trace` unchanged.
    """

    TABLE_BITS = 20  # largest index_bits + interp_bits tabulated (2**21 float64 entries, 16 MiB)

    def __init__(self, params: GdnLayerParams):
        self.params = p = params
        self._mbits = mbits = p.lut.index_bits + p.lut.interp_bits
        gamma = p.gamma_q.astype(np.int64)
        beta = p.beta_acc
        worst = worst_accumulator(beta, gamma)
        self.fast: bool = bool(p.fmt.acc_bits <= 52 and gamma.min(initial=0) >= 0 and beta.min() >= 1
                               and worst.max() < (1 << p.fmt.acc_bits) and mbits <= self.TABLE_BITS)
        if not self.fast:
            return
        self._g = np.concatenate([gamma.T, beta[None, :]]).astype(np.float64)  # [C + 1, C], exact (< 2**52)
        q = np.arange(2 << mbits, dtype=np.int64)
        parity = ((q >> mbits) - 1023 - p.acc_frac) & 1  # p = t & 1, t = E - 1023 - acc_frac
        r = evaluate(p.lut, parity, (1 << mbits) | (q & ((1 << mbits) - 1)))
        e = np.arange(2048, dtype=np.int64)
        h = (e - 1023 - p.acc_frac) >> 1  # floor(t / 2) = (t - p) / 2
        max_right = 8 + p.fmt.lut_bits + 2  # gdn_trace's p_bits + 1; max_left is 8
        s = np.clip(p.out_shift - h if p.inverse else p.out_shift + h, -8, max_right)
        reach = slice(1023, 1023 + p.fmt.acc_bits)  # E of acc in [1, 2**acc_bits)
        vmax = 128 * int(np.abs(r).max())  # |v| = |x * r| <= vmax
        self.fast = all(vmax * 2 ** (max(si, 1) - si) + 129 * 2 ** max(si, 1) < 2**53 for si in s[reach].tolist())
        self._r = r.astype(np.float64)
        self._scale = np.ldexp(1.0, -s)

    def __call__(self, x_q: np.ndarray) -> np.ndarray:
        p = self.params
        x = np.asarray(x_q)
        if not self.fast or x.ndim != 2 or x.dtype != np.int8 or x.shape[1] != p.channels:
            return gdn_trace(x, p).y.astype(np.int8)  # same checks and errors as the definition
        n, c = x.shape
        xf = x.astype(np.float64)
        sq = np.empty((n, c + 1))
        np.multiply(xf, xf, out=sq[:, :c])
        sq[:, c] = 1.0
        acc = np.matmul(sq, self._g)
        bits = acc.view(np.int64)  # acc > 0: the sign bit is clear
        np.right_shift(bits, 52 - self._mbits, out=bits)
        idx = np.bitwise_and(bits, (2 << self._mbits) - 1)
        g = np.take(self._r, idx, mode="wrap")  # indices are in range: "wrap" only skips the (slower) check
        np.right_shift(bits, self._mbits, out=bits)  # E
        scale = idx.view(np.float64)
        np.take(self._scale, bits, out=scale, mode="wrap")
        np.multiply(g, scale, out=g)
        np.multiply(g, xf, out=g)
        np.add(g, 128.5, out=g)
        np.maximum(g, 0.0, out=g)  # np.clip is several times slower on numpy 1.x
        np.minimum(g, 255.0, out=g)
        y = g.astype(np.uint8)
        np.bitwise_xor(y, 0x80, out=y)
        return y.view(np.int8)


def gdn_float(x: np.ndarray, beta: np.ndarray, gamma: np.ndarray, inverse: bool) -> np.ndarray:
    """Float64 reference on [..., C] (channels last): x * (beta + gamma x**2)**(+-1/2)."""
    x = np.asarray(x, dtype=np.float64)
    norm = beta + (x * x) @ np.asarray(gamma, dtype=np.float64).T
    return x * np.sqrt(norm) if inverse else x / np.sqrt(norm)
