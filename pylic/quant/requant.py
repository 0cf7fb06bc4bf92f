"""DPU conv/deconv arithmetic: int32 accumulation, bias alignment, shift requantization, shift limits.

Per Xilinx's CPU reference of `conv2d-fix` (HW_FLOW.md §4):

    acc = sum w_q * x_q                        exact integer sum (int8 x int8 products)
    v   = acc + b_q * 2**shift_bias            shift_bias = fp_w + fp_i - fp_b
    y_q = sat8(floor(relu(v) * 2**-shift_cut + 1/2))   shift_cut = fp_w + fp_i - fp_o

ReLU is applied before the rounding (it commutes with floor(x + 1/2), so a separate int8 ReLU gives the same
result; LeakyReLU would not). The shift limits are those vai_q enforces before compilation
(`fix_pos_adjust`): 0 <= shift_cut <= 16 and min(0, -(24 - (8 + shift_cut))) <= shift_bias <= 16.

Unconfirmed (PG338 does not document the arithmetic): the accumulator width, whether the hardware adds the
bias before one single rounding shift (assumed here, as in the CPU reference), how a negative shift_bias is
realised (here: exactly, by scaling the accumulator up instead: one rounding of the exact sum), and rounding
inside transposed convolutions (assumed identical to convolution: exact sums, one final rounding).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from pylic.fixed.formats import round_shift
from pylic.quant.rounding import INT8_MAX, INT8_MIN, QuantError

SHIFT_CUT_MIN, SHIFT_CUT_MAX = 0, 16
SHIFT_BIAS_MAX = 16


def shift_bias_min(shift_cut: int) -> int:
    return min(0, -(24 - (8 + shift_cut)))


def shifts(fp_w: int, fp_b: int, fp_in: int, fp_out: int) -> tuple[int, int]:
    """(shift_cut, shift_bias) of a layer from its four fix positions."""
    return fp_w + fp_in - fp_out, fp_w + fp_in - fp_b


def check_shifts(shift_cut: int, shift_bias: int, name: str = "layer") -> None:
    if not SHIFT_CUT_MIN <= shift_cut <= SHIFT_CUT_MAX:
        raise QuantError(f"{name}: shift_cut {shift_cut} outside [{SHIFT_CUT_MIN}, {SHIFT_CUT_MAX}]")
    lo = shift_bias_min(shift_cut)
    if not lo <= shift_bias <= SHIFT_BIAS_MAX:
        raise QuantError(f"{name}: shift_bias {shift_bias} outside [{lo}, {SHIFT_BIAS_MAX}]")


def adjust_positions(fp_w: int, fp_b: int, fp_in: int, fp_out: int, name: str = "layer"
                     ) -> tuple[int, int, list[str]]:
    """Move the weight, then the bias position into the DPU's shift limits, in vai_q's order and manner:
    a shift_cut outside [0, 16] is clamped by moving fp_w; then a shift_bias outside its range is clamped by
    moving fp_b. Activation positions never move. Returns (fp_w, fp_b, log lines)."""
    log = []
    sc, _ = shifts(fp_w, fp_b, fp_in, fp_out)
    new_sc = min(max(sc, SHIFT_CUT_MIN), SHIFT_CUT_MAX)
    if new_sc != sc:
        new_w = new_sc + fp_out - fp_in
        log.append(f"{name}: shift_cut {sc} outside [0, 16]: weight position {fp_w} -> {new_w}")
        fp_w = new_w
    sc, sb = shifts(fp_w, fp_b, fp_in, fp_out)
    new_sb = min(max(sb, shift_bias_min(sc)), SHIFT_BIAS_MAX)
    if new_sb != sb:
        new_b = fp_w + fp_in - new_sb
        log.append(f"{name}: shift_bias {sb} outside [{shift_bias_min(sc)}, 16]: bias position {fp_b} -> {new_b}")
        fp_b = new_b
    check_shifts(*shifts(fp_w, fp_b, fp_in, fp_out), name=name)
    return fp_w, fp_b, log


def requantize(acc: np.ndarray, bias_q: np.ndarray, shift_cut: int, shift_bias: int, relu: bool) -> np.ndarray:
    """int64 accumulators [N, C, ...] + int8 bias [C] -> int8 outputs (the golden rule, see module doc)."""
    acc = np.asarray(acc, dtype=np.int64)
    b = np.asarray(bias_q, dtype=np.int64).reshape((1, -1) + (1,) * (acc.ndim - 2))
    if shift_bias >= 0:
        v, s = acc + (b << shift_bias), shift_cut
    else:  # bias finer than the accumulator: scale the accumulator up, round the exact sum once
        v, s = (acc << -shift_bias) + b, shift_cut - shift_bias
    if relu:
        v = np.maximum(v, 0)
    return np.clip(round_shift(v, s), INT8_MIN, INT8_MAX).astype(np.int8)


def conv_acc(x_q: np.ndarray, w_q: np.ndarray, stride: int, padding: int) -> np.ndarray:
    """Exact int64 accumulators of a 2-D convolution (zero padding), NCHW x OIHW -> NCHW. Slow reference."""
    return conv_acc_at(x_q, w_q, stride, padding)


def conv_acc_at(x_q: np.ndarray, w_q: np.ndarray, stride: int, padding: int, rows: np.ndarray | None = None,
                cols: np.ndarray | None = None) -> np.ndarray:
    """`conv_acc` at output rows x cols only (all by default): [N, O, len(rows), len(cols)], so a production-size
    layer can be checked at sampled positions in exact integers without paying for the whole reference."""
    x = np.pad(np.asarray(x_q), ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    sampled = rows is not None or cols is not None
    if not sampled:
        x = x.astype(np.int64)  # the windows below stay views of it
    w = np.asarray(w_q, dtype=np.int64)
    k = w.shape[-1]
    win = sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]  # N C Ho Wo k k
    if rows is not None:
        win = win[:, :, rows]
    if cols is not None:
        win = win[:, :, :, cols]
    if sampled:
        win = win.astype(np.int64)  # a small copy: only the sampled windows
    return np.einsum("nchwij,ocij->nohw", win, w, optimize=False)


def deconv_as_conv(x_q: np.ndarray, w_q: np.ndarray, stride: int, padding: int, output_padding: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """ConvTranspose2d (weight [in, out, k, k]) as (input, weight) of a stride-1, unpadded convolution:
    zero-insertion upsampling, padding k-1-p (+ output_padding at the bottom/right), flipped kernel."""
    x = np.asarray(x_q)
    n, c, h, w_ = x.shape
    k = w_q.shape[-1]
    up = np.zeros((n, c, (h - 1) * stride + 1, (w_ - 1) * stride + 1), dtype=x.dtype)
    up[:, :, ::stride, ::stride] = x
    e = k - 1 - padding
    if e < 0:
        raise QuantError(f"deconv padding {padding} larger than kernel-1 ({k - 1}) is not supported")
    up = np.pad(up, ((0, 0), (0, 0), (e, e + output_padding), (e, e + output_padding)))
    flipped = np.asarray(w_q, dtype=np.int64)[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    return up, flipped


def deconv_acc(x_q: np.ndarray, w_q: np.ndarray, stride: int, padding: int, output_padding: int) -> np.ndarray:
    """Exact int64 accumulators of ConvTranspose2d (see `deconv_as_conv`)."""
    up, flipped = deconv_as_conv(np.asarray(x_q, dtype=np.int64), w_q, stride, padding, output_padding)
    return conv_acc(up, flipped, 1, 0)
