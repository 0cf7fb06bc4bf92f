"""Exact int8 conv/deconv for the emulator: torch's float kernels on integer-valued tensors, used only where
the result is provably exact, then the DPU requantization in integer arithmetic.

Exactness argument. Every product w_q * x_q is an integer with |w_q * x_q| <= 128 * 128 = 2**14. Any partial
sum a kernel forms (in whatever order, with or without FMA) is a sum of a subset of the terms of one output,
so its magnitude is at most B = max_o sum_{i,kh,kw} |w_q[o, i, kh, kw]| * 128. If B < 2**24, every partial sum
is an integer exactly representable in float32, so each addition is exact and float32 gives the exact integer
sum. Per layer, B is computed from the actual weights:
- B < 2**24: one float32 conv ("f32");
- else, with the input split x = 16 * x_hi + x_lo (x_lo in [0, 15], x_hi in [-8, 7]) if both halves' bounds are
  < 2**24: two float32 convs ("split");
- else float64 (bound 2**53, i.e. up to 2**39 worst-case terms; "f64").
This holds for kernels that only multiply and add the given values (direct convolution, im2col + GEMM); it does
not hold for Winograd/FFT algorithms, so NNPACK is disabled while the emulator runs and `self_test` compares
each mode with the int64 reference (it would catch a bf16/TF32 "fast fp32" mode too).

The kernel torch picks depends on the input shape (and the thread count and the CPU: aarch64 differs), so the
emulator checks every layer at every input shape it actually runs (`verify`: the production batch of 8 x C x
256² included), once per process: the fast convolution on extreme int8 values at that full shape, compared
exactly with the int64 reference at sampled output positions (every border row and column band plus random
interior ones, every batch item and channel).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from pylic.errors import PylicError
from pylic.quant.requant import conv_acc, conv_acc_at, deconv_acc, deconv_as_conv, requantize

F32_EXACT = 1 << 24
F64_EXACT = 1 << 53
IN_MAX = 128  # largest |x_q| of an int8 input


@contextlib.contextmanager
def exact_kernels():
    """No Winograd/FFT (NNPACK) while integer-valued convolutions run."""
    with torch.backends.nnpack.flags(enabled=False):
        yield


@dataclass(frozen=True, eq=False)
class IntConv:
    name: str
    transposed: bool
    stride: int
    padding: int
    output_padding: int
    weight: torch.Tensor  # float32 or float64, integer-valued
    bias_q: np.ndarray  # int8 [C]
    shift_cut: int
    shift_bias: int
    relu: bool
    mode: str  # f32 | split | f64
    acc_dtype: torch.dtype  # int32 when every intermediate provably fits, else int64

    def __post_init__(self) -> None:  # the bias as the accumulator type, once (not per call)
        bias = torch.from_numpy(self.bias_q.astype(np.int64)).to(self.acc_dtype).view(1, -1, 1, 1)
        object.__setattr__(self, "_bias", bias)

    def _conv(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        if self.transposed:
            return F.conv_transpose2d(x, w, None, self.stride, self.padding, self.output_padding)
        return F.conv2d(x, w, None, self.stride, self.padding)

    def accumulate(self, x: torch.Tensor) -> torch.Tensor:
        """Exact integer accumulators (as `acc_dtype`) of float32 input holding int8 values."""
        if self.mode == "f32":
            return self._conv(x, self.weight).to(self.acc_dtype)
        if self.mode == "split":
            hi = torch.floor(x * (1.0 / 16.0))
            lo = x - 16.0 * hi
            return self._conv(hi, self.weight).to(self.acc_dtype) * 16 + self._conv(lo, self.weight).to(self.acc_dtype)
        return self._conv(x.double(), self.weight).to(self.acc_dtype)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """float32 int8-valued NCHW -> float32 int8-valued NCHW (requantized, ReLU fused, saturated)."""
        v = self.accumulate(x)
        b = self._bias
        if self.shift_bias >= 0:
            v += b << self.shift_bias
            s = self.shift_cut
        else:  # bias finer than the accumulator: scale the accumulator up, round the exact sum once
            v = (v << -self.shift_bias) + b
            s = self.shift_cut - self.shift_bias
        if self.relu:
            v.clamp_(min=0)
        if s > 0:
            v += 1 << (s - 1)
            v >>= s  # arithmetic shift: floor division by 2**s
        return v.clamp_(-128, 127).to(torch.float32)


def weight_bound(w_q: np.ndarray, transposed: bool) -> int:
    """max over output channels of sum |w_q| (weights [O, I, k, k] or, transposed, [I, O, k, k])."""
    a = np.abs(w_q.astype(np.int64))
    per_out = a.sum(axis=(0, 2, 3)) if transposed else a.sum(axis=(1, 2, 3))
    return int(per_out.max(initial=0))


def compile_conv(name: str, kind: str, w_q: np.ndarray, b_q: np.ndarray, stride: int, padding: int,
                 output_padding: int, shift_cut: int, shift_bias: int, relu: bool) -> IntConv:
    transposed = kind == "deconv"
    s = weight_bound(w_q, transposed)
    if s * IN_MAX < F32_EXACT:
        mode, acc_max = "f32", s * IN_MAX
    elif s * 15 < F32_EXACT and s * 8 < F32_EXACT:
        mode, acc_max = "split", s * IN_MAX
    elif s * IN_MAX < F64_EXACT:
        mode, acc_max = "f64", s * IN_MAX
    else:
        raise PylicError(f"{name}: accumulator bound {s * IN_MAX} exceeds exact float64 range")
    b_max = int(np.abs(b_q.astype(np.int64)).max(initial=0))
    total = acc_max + (b_max << max(shift_bias, 0)) + (1 << 16)
    if shift_bias < 0:
        total = (acc_max << -shift_bias) + b_max + (1 << 32)
    acc_dtype = torch.int32 if total < (1 << 31) else torch.int64
    dtype = torch.float64 if mode == "f64" else torch.float32
    return IntConv(name, transposed, stride, padding, output_padding,
                   torch.from_numpy(w_q.astype(np.float64)).to(dtype).contiguous(), np.asarray(b_q, np.int8),
                   shift_cut, shift_bias, relu, mode, acc_dtype)


def _acc_reference(conv: IntConv, x_q: np.ndarray) -> np.ndarray:
    w = conv.weight.double().numpy().astype(np.int64)
    if conv.transposed:
        return deconv_acc(x_q, w, conv.stride, conv.padding, conv.output_padding)
    return conv_acc(x_q, w, conv.stride, conv.padding)


def reference(conv: IntConv, x_q: np.ndarray) -> np.ndarray:
    """The same layer in plain int64 numpy (slow; the definition the fast path is tested against)."""
    return requantize(_acc_reference(conv, x_q), conv.bias_q, conv.shift_cut, conv.shift_bias, conv.relu)


EXTREMES = np.array([-128, 127, -127, 1, 0], dtype=np.int8)
BORDER = 2  # output rows/columns checked at each edge, where padding and kernel tails meet
INTERIOR = 4  # random interior rows/columns checked per test
_verified: set[tuple] = set()
_verified_lock = threading.Lock()


def _sample(n: int, rng: np.random.Generator) -> np.ndarray:
    edges = set(range(min(BORDER, n))) | set(range(max(n - BORDER, 0), n))
    inner = np.arange(BORDER, max(n - BORDER, BORDER))
    picks = rng.choice(inner, size=min(INTERIOR, inner.size), replace=False) if inner.size else []
    return np.array(sorted(edges | {int(v) for v in picks}), dtype=np.int64)


def _acc_sampled(conv: IntConv, x_q: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    w = conv.weight.double().numpy().astype(np.int64)
    if conv.transposed:
        up, flipped = deconv_as_conv(x_q, w, conv.stride, conv.padding, conv.output_padding)
        return conv_acc_at(up, flipped, 1, 0, rows, cols)
    return conv_acc_at(x_q, w, conv.stride, conv.padding, rows, cols)


def self_test(conv: IntConv, shape: tuple[int, ...] | None = None, seed: int = 0) -> None:
    """Compare the fast accumulators with the int64 reference on extreme int8 inputs (before requantization,
    which could hide an error behind saturation); raise if they differ. `shape` is the NCHW input shape (default
    a 1 x C x 6 x 6 smoke test); at a full shape the reference is taken at sampled positions (module doc)."""
    rng = np.random.default_rng(seed)
    cin = conv.weight.shape[0] if conv.transposed else conv.weight.shape[1]
    shape = (1, cin, 6, 6) if shape is None else tuple(shape)
    if len(shape) != 4 or shape[1] != cin:
        raise PylicError(f"{conv.name}: cannot self-test on input shape {shape} ({cin} input channels)")
    x = rng.choice(EXTREMES, size=shape)
    with exact_kernels():
        fast = conv.accumulate(torch.from_numpy(x.astype(np.float32))).numpy()
    rows, cols = _sample(fast.shape[2], rng), _sample(fast.shape[3], rng)
    fast = fast[:, :, rows][:, :, :, cols].astype(np.int64)
    if not np.array_equal(fast, _acc_sampled(conv, x, rows, cols)):
        raise PylicError(f"{conv.name}: torch's {conv.mode} convolution is not exact on this machine at input "
                         f"shape {shape} (reduced-precision fp32 mode? a Winograd kernel?); the emulator cannot "
                         "run bit-exactly")


def digest(conv: IntConv) -> str:
    """What makes two IntConvs the same computation (weights, geometry, mode): the cache key of `verify`."""
    cached = conv.__dict__.get("_digest")
    if cached is None:
        h = hashlib.sha256(conv.weight.numpy().tobytes())
        h.update(repr((conv.transposed, conv.stride, conv.padding, conv.output_padding, conv.mode,
                       tuple(conv.weight.shape), str(conv.weight.dtype))).encode())
        cached = h.hexdigest()
        object.__setattr__(conv, "_digest", cached)
    return cached


def verified() -> frozenset[tuple]:
    """The (layer digest, input shape, threads) triples this process has proven exact."""
    with _verified_lock:
        return frozenset(_verified)


def verify(conv: IntConv, shape: tuple[int, ...]) -> bool:
    """`self_test` at `shape` unless this process already passed it with the same layer, shape and torch thread
    count; returns True when a test ran. Thread-safe."""
    key = (digest(conv), tuple(shape), torch.get_num_threads())
    with _verified_lock:
        if key in _verified:
            return False
    self_test(conv, shape)
    with _verified_lock:
        _verified.add(key)
    return True
