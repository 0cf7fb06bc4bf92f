"""DPU runners per (segment, core), with their shapes and fix positions checked against the deploy package.

VART pins each runner to a DPU core when it is created, round-robin from a process-wide counter
(`XMODEL_DPU.md` §5). Creating the runners from one thread in the order segment x core therefore gives runner
`[segment][k]` core k for every segment, so lane k always runs on core k. Tensors are int8 NHWC in and out:
a float32 array would be truncated by VART's conversion, an int8 one is passed through untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from pylic.errors import BoardError
from pylic.ps.stages import Stage, dpu_segments

START = {"g_a": 1, "h_a": 16, "h_s": 64, "g_s": 16}  # divisor of the patch side at each transform's input


@dataclass(frozen=True)
class SegmentIO:
    """NHWC dims (batch 1) and fix positions of one DPU segment's input and output."""

    in_dims: tuple[int, int, int, int]
    out_dims: tuple[int, int, int, int]
    in_fix: int
    out_fix: int


def segment_io(transforms: Mapping[str, Sequence[Any]], patch: int) -> dict[str, SegmentIO]:
    """Every DPU segment's tensor contract, walking each transform's ops from its input size."""
    out: dict[str, SegmentIO] = {}
    segments = {s.ops[0]: s for s in dpu_segments(transforms)}
    for t, ops in transforms.items():
        side = patch // START[t]
        current: Stage | None = None
        for op in ops:
            if op.name in segments:
                current = segments[op.name]
                in_dims = (1, side, side, op.in_channels)
                first = op
            if op.op == "conv":
                side //= op.stride
            elif op.op == "deconv":
                side *= op.stride
            if current is not None and op.name == current.ops[-1]:
                out[current.name] = SegmentIO(in_dims, (1, side, side, op.out_channels), first.input, op.output)
                current = None
    return out


def _tensor(t: Any) -> tuple[tuple[int, ...], int]:
    return tuple(int(d) for d in t.dims), int(t.get_attr("fix_point"))


class DpuRunners:
    """`runners[segment][core]`; `run(segment, lane, x)` executes one int8 NHWC patch on core `lane`."""

    def __init__(self, subgraphs: Mapping[str, Any], io: Mapping[str, SegmentIO], cores: int,
                 create: Callable[[Any], Any]):
        missing = sorted(set(io) - set(subgraphs))
        if missing:
            raise BoardError(f"no xmodel subgraph for DPU segments {missing}")
        self.io, self.cores = dict(io), cores
        self.runners: dict[str, list[Any]] = {}
        for seg in io:  # one thread, segment x core: runner n lands on core n % cores
            self.runners[seg] = [create(subgraphs[seg]) for _ in range(cores)]
            self._check(seg, self.runners[seg][0])

    def _check(self, seg: str, runner: Any) -> None:
        ins, outs = runner.get_input_tensors(), runner.get_output_tensors()
        if len(ins) != 1 or len(outs) != 1:
            raise BoardError(f"{seg}: xmodel has {len(ins)} inputs and {len(outs)} outputs, expected 1 and 1")
        want = self.io[seg]
        for side, t, dims, fix in (("input", ins[0], want.in_dims, want.in_fix),
                                   ("output", outs[0], want.out_dims, want.out_fix)):
            got_dims, got_fix = _tensor(t)
            if got_dims != dims or got_fix != fix:
                raise BoardError(f"{seg}: xmodel {side} is {got_dims} fix {got_fix}, the deploy package says "
                                 f"{dims} fix {fix} (xmodel compiled from another package?)")

    def run(self, segment: str, lane: int, x: np.ndarray) -> np.ndarray:
        io = self.io[segment]
        if x.dtype != np.int8 or x.shape != io.in_dims:
            raise BoardError(f"{segment}: expected int8 {io.in_dims}, got {x.dtype} {x.shape}")
        runner = self.runners[segment][lane]
        out = np.empty(io.out_dims, dtype=np.int8)
        job = runner.execute_async([np.ascontiguousarray(x)], [out])
        runner.wait(job)
        return out
