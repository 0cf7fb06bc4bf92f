"""The rounding rules of the Vitis AI int8 flow, as numpy functions (the definition every other path is tested
against).

Sources (see docs/quantization.md and ../shared/notes/HW_FLOW.md §4):
- float -> int8 for weights, biases and the network input: `std_round`, half away from zero (vai_q_pytorch
  `quant_config.py`, method for parameters);
- float -> int8 for activations: `half_up`, floor(x + 1/2) (vai_q method 2, the TF2 quantizer's `HALF_UP`,
  "used in dpu round");
- integer requantization on the DPU: XIR `fix` with `DPU_ROUND`, i.e. std::round except that negative exact
  halves round up: floor(x + 1/2) again, then saturation to [-128, 127].
A value q at fix position p means the real number q * 2**-p (p may be negative).
"""

from __future__ import annotations

import numpy as np

from pylic.errors import PylicError
from pylic.fixed.formats import max_frac_for

INT8_MIN, INT8_MAX = -128, 127
POSITION_RANGE = (-32, 32)  # sanity bound on fix positions; real layers sit well inside it


class QuantError(PylicError):
    """A quantization plan, position or shift is invalid (out of the DPU's limits, inconsistent, ...)."""


def round_half_away(x: np.ndarray | float) -> np.ndarray:
    """std::round: halves go away from zero (2.5 -> 3, -2.5 -> -3). For weights, biases and the input."""
    x = np.asarray(x, dtype=np.float64)
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def round_half_up(x: np.ndarray | float) -> np.ndarray:
    """DPU_ROUND: floor(x + 1/2) (2.5 -> 3, -2.5 -> -2). For activations and every requantization."""
    return np.floor(np.asarray(x, dtype=np.float64) + 0.5)


def saturate8(q: np.ndarray) -> np.ndarray:
    return np.clip(q, INT8_MIN, INT8_MAX)


def quantize_param(w: np.ndarray, position: int) -> np.ndarray:
    """Weights and biases: int8 = sat(round_half_away(w * 2**p))."""
    check_position(position)
    return saturate8(round_half_away(np.asarray(w, dtype=np.float64) * np.ldexp(1.0, position))).astype(np.int8)


def quantize_activation(x: np.ndarray, position: int) -> np.ndarray:
    """Activations: int8 = sat(floor(x * 2**p + 1/2))."""
    check_position(position)
    return saturate8(round_half_up(np.asarray(x, dtype=np.float64) * np.ldexp(1.0, position))).astype(np.int8)


def fix_position(max_abs: float, default: int = 7, bits: int = 8) -> int:
    """Min/max calibration: the largest position p at which max|x| * 2**p still rounds into [-127, 127]
    (symmetric, so -max fits too). An all-zero tensor gets `default` (any position represents it)."""
    m = float(max_abs)
    if not np.isfinite(m) or m < 0:
        raise QuantError(f"cannot place a fix position for max |x| = {max_abs}")
    if m == 0.0:
        return default
    return int(np.clip(max_frac_for(m, bits, signed=True), *POSITION_RANGE))


def check_position(p: int) -> int:
    if int(p) != p or not POSITION_RANGE[0] <= p <= POSITION_RANGE[1]:
        raise QuantError(f"fix position {p!r} outside {POSITION_RANGE}")
    return int(p)
