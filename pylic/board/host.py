"""Host mode: the board runtime with the bit-exact emulator standing in for the DPU cores and the HLS kernels,
behind the very interfaces the board uses.

- DPU: `EmulatedVart.create` plays `vart.Runner.create_runner`: a runner per call, assigned core n % cores in
  creation order as VART does, exposing `get_input_tensors()`/`get_output_tensors()` (dims, `fix_point`) and
  `execute_async`/`wait` on int8 NHWC arrays; it runs the emulator's compiled ops of its segment. The same
  `DpuRunners` then checks dims and fix positions against the package exactly as on the board.
- GDN/iGDN: a `SimKernel` register file per op (offsets from a kernel interface generated here in the flow's
  layout, see `interface_doc`) over `SimMemory` buffers, computing with the golden `GdnKernel`; the same
  `GdnDriver`/`HlsKernel` write its registers, flush and invalidate.
Threads are the lanes. Needs torch (the emulator); the board never imports this module.
"""

from __future__ import annotations

import collections
import itertools
from typing import Any

import numpy as np

from pylic.board.dpu import DpuRunners, SegmentIO, segment_io
from pylic.board.interface import KernelSpec, parse
from pylic.board.kernel import GdnDriver, HlsKernel
from pylic.board.lanes import Hardware
from pylic.board.ps_path import nchw, nhwc
from pylic.board.sim import SimKernel, SimMemory, gdn_compute
from pylic.ps.stages import dpu_segments


class SimTensor:
    def __init__(self, name: str, dims: tuple[int, ...], fix: int):
        self.name, self.dims, self._fix = name, list(dims), fix

    def get_attr(self, key: str) -> int:
        if key != "fix_point":
            raise KeyError(key)
        return self._fix


class EmulatedRunner:
    """A VART-shaped runner over one DPU segment of the emulator."""

    def __init__(self, segment: str, steps: list, io: SegmentIO, core: int):
        self.segment, self.steps, self.io, self.core = segment, steps, io, core
        self._jobs = itertools.count()

    def get_input_tensors(self) -> list[SimTensor]:
        return [SimTensor(f"{self.segment}.in", self.io.in_dims, self.io.in_fix)]

    def get_output_tensors(self) -> list[SimTensor]:
        return [SimTensor(f"{self.segment}.out", self.io.out_dims, self.io.out_fix)]

    def execute_async(self, inputs: list[np.ndarray], outputs: list[np.ndarray]) -> tuple[int, int]:
        import torch  # noqa: PLC0415

        x = torch.from_numpy(nchw(inputs[0]).astype(np.float32))
        with torch.no_grad():
            for step in self.steps:
                x = step(x)
        outputs[0][...] = nhwc(x.numpy()).astype(np.int8)
        return next(self._jobs), 0

    def wait(self, job: tuple[int, int] | int) -> int:
        return 0


class EmulatedVart:
    """`create(subgraph)` hands out runners on cores round-robin by creation order, like VART."""

    def __init__(self, emulator: Any, io: dict[str, SegmentIO], cores: int):
        self.emulator, self.io, self.cores = emulator, io, cores
        self.created: list[tuple[str, int]] = []
        self.segments = {s.name: s for s in dpu_segments(emulator.package.manifest.transforms)}

    def create(self, subgraph: str) -> EmulatedRunner:
        core = len(self.created) % self.cores
        self.created.append((subgraph, core))
        seg = self.segments[subgraph]
        return EmulatedRunner(subgraph, self.emulator.op_steps(seg.transform, seg.ops), self.io[subgraph], core)


def interface_doc(transforms: Any) -> dict:
    """A kernel interface document in the flow's schema for the package's GDN/iGDN ops, with the register layout
    Vitis HLS gives the `src, dst, n_pixels` top (pointers at 0x10/0x1c, the scalar at 0x28; HW_FLOW.md §2)."""
    kernels = []
    for ops in transforms.values():
        for op in ops:
            if op.op in ("gdn", "igdn"):
                top = op.name.replace(".", "_") + "_k"
                kernels.append({"top": top, "vlnv": f"pylic:hls:{top}:1.0", "role": op.op, "op": op.name,
                                "instances": [f"{top}_1"], "control": {"ap_ctrl": 0, "gie": 4, "ier": 8, "isr": 12},
                                "args": {"src": {"offset": 0x10, "bits": 64, "kind": "pointer"},
                                         "dst": {"offset": 0x1C, "bits": 64, "kind": "pointer"},
                                         "n_pixels": {"offset": 0x28, "bits": 32, "kind": "scalar"}}})
    return {"schema": "pylic-kernel-interface/1", "kernels": kernels}


def sim_gdn_device(emulator: Any, spec: KernelSpec, memory: SimMemory) -> SimKernel:
    """A simulated register file for `spec.op` computing with the emulator's golden GDN/iGDN kernel."""
    m = emulator.package.manifest
    t = spec.op.split(".")[0]  # type: ignore[union-attr]
    step = emulator.op_steps(t, (spec.op,))[0]
    channels = next(o.in_channels for o in m.transforms[t] if o.name == spec.op)
    return SimKernel(spec, memory, gdn_compute(step.kernel, channels))


def host_hardware(emulator: Any, cores: int = 3, log_depth: int = 4096) -> tuple[Hardware, EmulatedVart]:
    """The board's `Hardware` with emulated runners and simulated GDN kernels (see module doc)."""
    import torch  # noqa: PLC0415

    torch.backends.nnpack.set_flags(False)  # exact integer convs (intconv); set once, not per thread
    m = emulator.package.manifest
    io = segment_io(m.transforms, m.patch)
    vart = EmulatedVart(emulator, io, cores)
    runners = DpuRunners({s: s for s in io}, io, cores, vart.create)
    memory = SimMemory(collections.deque(maxlen=log_depth))  # type: ignore[arg-type]
    gdn = {}
    for spec in parse(interface_doc(m.transforms)):
        device = sim_gdn_device(emulator, spec, memory)
        channels = next(o.in_channels for ops in m.transforms.values() for o in ops if o.name == spec.op)
        gdn[spec.op] = GdnDriver(HlsKernel(spec, device), memory.allocate, channels, (m.patch // 2) ** 2)
    return Hardware(runners, gdn), vart
