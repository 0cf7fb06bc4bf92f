"""Resource and throughput estimate per kernel, from its parameters alone (no synthesis).

A model for the performance model and for choosing PAR, not a synthesis result; `invoke synth` replaces it
with csynth.xml numbers where Vitis HLS exists. Rules:

- DSPs: a DSP48E2 multiplies 27 x 18 signed bits; an unsigned operand needs one more bit; a multiply wider
  than that takes ceil(a/27) * ceil(b/18) DSPs (better orientation); both operands <= 10 bits -> LUT fabric.
  GDN per lane (PAR lanes): C gamma*x^2 MACs (gamma_bits unsigned x 15-bit unsigned), one slope multiply
  (lut_bits x interp_bits+1) and one output multiply (8 x lut_bits+1). Squares (8 x 8) go to fabric.
- BRAM: gamma is partitioned into C x PAR banks of depth C/PAR; a bank of < 1024 bits is assumed to land in
  LUTRAM, otherwise it takes ceil(width/36) * ceil(depth/512) BRAM18. LUTs for the PWL table are LUTRAM.
- Cycles: the DATAFLOW processes run concurrently; per pixel the compute loop needs C/PAR cycles and each
  AXI side C/BUS_BYTES; the slowest sets the rate, plus a fixed fill/drain overhead.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from pylic.hls.kernel_info import CLOCK_MHZ

PIPELINE_OVERHEAD = 200  # cycles: AXI latency, pipeline fill and drain of one kernel call (rough)


def dsp_per_mult(a_bits: int, b_bits: int, a_signed: bool = True, b_signed: bool = True) -> int:
    """DSP48E2 slices for one a x b multiply at the given widths."""
    wa, wb = a_bits + (0 if a_signed else 1), b_bits + (0 if b_signed else 1)
    if wa <= 10 and wb <= 10:
        return 0
    return min(math.ceil(wa / 27) * math.ceil(wb / 18), math.ceil(wb / 27) * math.ceil(wa / 18))


def bram18_for(depth: int, width: int) -> int:
    if depth * width < 1024:
        return 0
    return math.ceil(width / 36) * math.ceil(depth / 512)


@dataclass(frozen=True)
class KernelEstimate:
    """Estimated cost of one kernel call on one 256x256 patch."""

    kernel: str
    dsp: int
    bram18: int
    param_bits: int  # bits of baked-in constants (gamma, beta, LUT)
    cycles_per_pixel: float
    pixels_per_patch: int
    cycles_per_patch: int
    ms_per_patch: float

    def to_dict(self) -> dict:
        return asdict(self)


def gdn_estimate(kernel: str, channels: int, par: int, bus_bytes: int, gamma_bits: int, beta_bits: int,
                 lut_bits: int, lut_size: int, interp_bits: int, pixels_per_patch: int) -> KernelEstimate:
    lane = (channels * dsp_per_mult(gamma_bits, 15, False, False)
            + dsp_per_mult(lut_bits, interp_bits, True, False)
            + dsp_per_mult(8, lut_bits + 1))
    banks, depth = channels * par, channels // par
    bram = banks * bram18_for(depth, gamma_bits) + par * bram18_for(depth, beta_bits)
    per_px = max(channels / par, channels / bus_bytes)
    cycles = math.ceil(pixels_per_patch * per_px) + PIPELINE_OVERHEAD
    bits = channels * channels * gamma_bits + channels * beta_bits + 2 * lut_size * lut_bits
    return KernelEstimate(kernel, par * lane, bram, bits, per_px, pixels_per_patch, cycles,
                          cycles / (CLOCK_MHZ * 1e3))


def patch_estimate(kernel: str, patch: int, channels: int, overlap: int = 0) -> KernelEstimate:
    """One byte per cycle (II=1 over P x P x CH), either direction; no local buffers. Merging multiplies the
    two (B+1)-bit ramp weights, then the pixel by their product (docs/tiling.md); constants: input LUT, ramp."""
    px = patch * patch
    cycles = px * channels + PIPELINE_OVERHEAD
    b = overlap.bit_length() + 1  # weight width (B+1)
    dsp = dsp_per_mult(b, b, False, False) + dsp_per_mult(8, 2 * b - 1, False, False) if overlap else 0
    return KernelEstimate(kernel, dsp, 0, 256 * 8 + overlap * b, float(channels), px, cycles,
                          cycles / (CLOCK_MHZ * 1e3))


def register_map(args: list[tuple[str, str]]) -> dict[str, int]:
    """Predicted s_axilite offsets (HW_FLOW.md §2): arguments from 0x10, a 64-bit pointer takes 12 bytes
    (low, high, reserved), a 32-bit scalar 8. The synthesized x<top>_hw.h is authoritative."""
    offsets, at = {"CTRL": 0x00, "GIE": 0x04, "IER": 0x08, "ISR": 0x0C}, 0x10
    for name, kind in args:
        offsets[name] = at
        at += 12 if kind == "pointer" else 8
    return offsets
