"""Each DPU segment's int8 input and output as pylic's integer emulator computes them, for photo patches:
the golden values the reference interpreter (and, on a board, the compiled xmodel) must reproduce.

The emulator runs each transform op by op (conv + following ReLU is one step, as it compiles them); tensors
between segments (GDN/iGDN, abs outputs) are the emulator's own, so every segment is checked in isolation.
"""

from __future__ import annotations

import numpy as np
import torch

from pylic.ps import pixels
from pylic.runtime.emulator import EmulatorBackend
from pylic.runtime.intconv import exact_kernels
from pylic.xmodel.segments import TRANSFORM_INPUT, Segment

OUT = "__out__"


def _trace(emu: EmulatorBackend, t: str, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """The tensor entering every op of transform `t`, and its output under OUT."""
    ops = emu.package.manifest.transforms[t]
    seen: dict[str, torch.Tensor] = {}
    i = 0
    for step in emu.programs[t]:
        seen[ops[i].name] = x
        x = step(x)
        fused = ops[i].op in ("conv", "deconv") and i + 1 < len(ops) and ops[i + 1].op == "relu"
        i += 2 if fused else 1
    if i != len(ops):
        raise AssertionError(f"{t}: emulator steps cover {i} of {len(ops)} ops")
    seen[OUT] = x
    return seen


def emulate_segment(emu: EmulatorBackend, seg: Segment, x_q: np.ndarray) -> np.ndarray:
    """The emulator's own steps for one segment on any int8 NHWC input (e.g. random or extreme values)."""
    ops = emu.package.manifest.transforms[seg.stage.transform]
    starts, i = {}, 0
    for step in emu.programs[seg.stage.transform]:
        starts[ops[i].name] = step
        i += 2 if ops[i].op in ("conv", "deconv") and i + 1 < len(ops) and ops[i + 1].op == "relu" else 1
    x = torch.from_numpy(np.ascontiguousarray(np.asarray(x_q).transpose(0, 3, 1, 2), dtype=np.float32))
    with exact_kernels(), torch.no_grad():
        for op in seg.ops:
            if op.name in starts:
                x = starts[op.name](x)
    return np.ascontiguousarray(x.numpy().transpose(0, 2, 3, 1)).astype(np.int8)


def pixels_to_int8(emu: EmulatorBackend, patches: np.ndarray) -> torch.Tensor:
    """uint8 NCHW pixels -> the int8 values (as float32) the first DPU segment reads (the package's PixelSpec)."""
    q = pixels.pixels_in(patches, emu.tables.input_lut)  # the PS's own LUT, whatever the pixel convention
    return torch.from_numpy(np.asarray(q, dtype=np.float32))


def segment_io(emu: EmulatorBackend, segments: tuple[Segment, ...], patches: np.ndarray
               ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Segment name -> (input, output) int8 arrays in NHWC, for uint8 NCHW `patches` of the segments' size."""
    traces: dict[str, dict[str, torch.Tensor]] = {}
    with exact_kernels(), torch.no_grad():
        for t in ("g_a", "h_a", "h_s", "g_s"):
            src = TRANSFORM_INPUT[t]
            x = pixels_to_int8(emu, patches) if src is None else traces[src][OUT]
            traces[t] = _trace(emu, t, x)
    out = {}
    for seg in segments:
        names = [op.name for op in emu.package.manifest.transforms[seg.stage.transform]]
        after = names.index(seg.ops[-1].name) + 1
        trace = traces[seg.stage.transform]
        x, y = trace[seg.ops[0].name], trace[names[after]] if after < len(names) else trace[OUT]
        out[seg.name] = tuple(np.ascontiguousarray(a.numpy().transpose(0, 2, 3, 1)).astype(np.int8) for a in (x, y))
    return out
