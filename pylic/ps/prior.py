"""The integer prior path the PS runs between the DPU segments and the entropy coder (DESIGN §5).

All of it is integer comparison, addition and saturation on int8/int32 arrays, so host and board compute the
same Gaussian scale indexes, hence the same bitstream:
- `abs_sat`: |y| before h_a, saturated to 127 (|-128| does not fit the int8 the DPU reads);
- `z_symbols` / `z_values`: z is coded as z - median with integer medians (the package stores them rounded);
- `scale_thresholds` / `index_lut` / `scale_index`: h_s's int8 output q -> index #{k : q > thr_k}, which equals
  CompressAI's `build_indexes` on the dequantized scale q * 2**-position (proof in `pylic.deploy.entropy`);
- `saturate_latent`: decoded latents (a crafted stream may hold any integer) -> the int8 the DPU reads.
"""

from __future__ import annotations

import numpy as np

INT8_MIN, INT8_MAX = -128, 127
ALWAYS = np.iinfo(np.int32).min  # threshold of a table entry below the scale bound: always counted


def abs_sat(q: np.ndarray) -> np.ndarray:
    """|q| of int8 values, saturated to 127, as int8."""
    a = np.abs(np.asarray(q, dtype=np.int16))
    return np.minimum(a, INT8_MAX).astype(np.int8)


def saturate_latent(v: np.ndarray) -> np.ndarray:
    """Integer latents -> int8 by saturation (what the PS writes into the DPU's input buffer)."""
    return np.clip(np.asarray(v, dtype=np.int64), INT8_MIN, INT8_MAX).astype(np.int8)


def z_symbols(z: np.ndarray, medians: np.ndarray) -> np.ndarray:
    """Coder symbols of z [N, C, h, w] (integers) around the per-channel integer medians [C], as int32."""
    return (np.asarray(z, dtype=np.int32) - np.asarray(medians, dtype=np.int32).reshape(1, -1, 1, 1))


def z_values(symbols: np.ndarray, medians: np.ndarray) -> np.ndarray:
    """Inverse of `z_symbols` (int32)."""
    return np.asarray(symbols, dtype=np.int32) + np.asarray(medians, dtype=np.int32).reshape(1, -1, 1, 1)


def scale_thresholds(table: np.ndarray, bound: float, position: int) -> np.ndarray:
    """Integer thresholds of the scale-index rule, int32 [L-1]: floor(t_k * 2**position), or ALWAYS where the
    table entry t_k lies below the scale bound (computed once at export; the board reads them from the package)."""
    t = np.asarray(table, dtype=np.float32).astype(np.float64)[:-1]
    b = float(np.float32(bound))
    thr = np.floor(np.ldexp(t, position))
    thr = np.clip(thr, ALWAYS + 1, np.iinfo(np.int32).max)
    return np.where(t < b, ALWAYS, thr).astype(np.int32)


def index_lut(thresholds: np.ndarray) -> np.ndarray:
    """Scale index of every int8 h_s output q = -128..127 (int32 [256]); index = #{k : q > thr_k}."""
    q = np.arange(INT8_MIN, INT8_MAX + 1, dtype=np.int64)
    return (q[:, None] > np.asarray(thresholds, dtype=np.int64)[None, :]).sum(axis=1).astype(np.int32)


def scale_index(q: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Scale indexes (int32) of h_s outputs q (integer-valued, int8 range) through `index_lut`'s table."""
    return lut[np.asarray(q, dtype=np.int64) - INT8_MIN]
