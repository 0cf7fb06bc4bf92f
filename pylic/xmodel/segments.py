"""Deploy package -> one quantized XIR graph per DPU segment (`pylic.ps.stages.dpu_segments`), the graph
`vai_c_xir` compiles, carrying pylic's own int8 weights and fix positions (XMODEL_DPU.md §1, route (c)).

Per segment: `data` -> `fix(fp_in)`; per conv/deconv `const` weights -> `fix(fp_w)`, `const` bias ->
`fix(fp_b)`, `conv2d`/`transposed-conv2d` -> `relu`? -> `fix(fp_out)`. Constants are the exact float32 values
w_int * 2**-fp (int8 times a power of two), so every `fix` on a constant is the identity and the compiler
recovers pylic's integers. Weights are OHWI; a deconv's torch IOHW weights are swapped to OHWI without a spatial
flip (as vai_q_pytorch exports them). CompressAI's deconv (k5 s2 p2, output_padding 1) has FLOOR output
(in-1)*s + k - pad_l - pad_r, so output_padding becomes a smaller right/bottom pad: {2, 1, 2, 1}.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from pylic.deploy.manifest import Manifest, OpSpec
from pylic.ps.stages import Stage, dpu_segments
from pylic.xmodel.graph import XGraph, XOp, flat_graph
from pylic.xmodel.proto import XmodelError

PATCH = 256  # the fixed patch the DPU graphs are compiled for (the pipeline tiles images into it)
FIX_BITS = 8
TRANSFORM_INPUT = {"g_a": None, "h_a": "g_a", "h_s": "h_a", "g_s": "g_a"}  # whose output feeds each transform


@dataclass(frozen=True)
class Segment:
    """One DPU segment: its package ops, input/output sizes (H, W, C) and int8 fix positions."""

    stage: Stage
    ops: tuple[OpSpec, ...]
    in_shape: tuple[int, int, int]
    out_shape: tuple[int, int, int]
    in_fix: int
    out_fix: int

    @property
    def name(self) -> str:
        return self.stage.name

    @property
    def graph_name(self) -> str:
        return _ident(self.stage.name)


def _ident(name: str) -> str:
    return name.replace(".", "_")


def out_size(op: OpSpec, size: int) -> int:
    """Spatial size after `op` (torch's formulas; GDN/ReLU/abs keep it)."""
    if op.op == "conv":
        return (size + 2 * op.padding - op.kernel) // op.stride + 1
    if op.op == "deconv":
        return (size - 1) * op.stride - 2 * op.padding + op.kernel + op.output_padding
    return size


def plan_segments(manifest: Manifest, patch: int = PATCH) -> tuple[Segment, ...]:
    """Every DPU segment with its geometry for a `patch` x `patch` input image."""
    sizes: dict[str, tuple[int, int, int]] = {}  # transform -> output (H, W, C)
    starts: dict[str, dict[str, tuple[int, int, int]]] = {}  # transform -> op name -> input (H, W, C)
    for t in ("g_a", "h_a", "h_s", "g_s"):
        ops = manifest.transforms[t]
        src = TRANSFORM_INPUT[t]
        h, w = (patch, patch) if src is None else sizes[src][:2]
        starts[t] = {}
        for op in ops:
            starts[t][op.name] = (h, w, op.in_channels)
            h, w = out_size(op, h), out_size(op, w)
        sizes[t] = (h, w, ops[-1].out_channels)
    segs = []
    for stage in dpu_segments(manifest.transforms):
        by_name = {op.name: op for op in manifest.transforms[stage.transform]}
        ops = tuple(by_name[n] for n in stage.ops)
        h, w, _ = starts[stage.transform][ops[-1].name]
        h, w = out_size(ops[-1], h), out_size(ops[-1], w)
        segs.append(Segment(stage, ops, starts[stage.transform][ops[0].name], (h, w, ops[-1].out_channels),
                            ops[0].input, ops[-1].output))
    return tuple(segs)


def fix_op(name: str, src: XOp, position: int) -> XOp:
    attrs = {"bit_width": FIX_BITS, "fix_point": position, "round_mode": "DPU_ROUND", "if_signed": True}
    return XOp(name, "fix", attrs, {"input": (src.name,)}, src.shape)


def const_op(name: str, values: np.ndarray) -> XOp:
    data = np.ascontiguousarray(values, dtype="<f4")
    return XOp(name, "const", {"shape": tuple(int(d) for d in data.shape), "data_type": "float32",
                               "data": data.tobytes()}, {}, tuple(data.shape))


def deconv_pad(op: OpSpec) -> tuple[int, int, int, int]:
    """{left, right, top, bottom} of a torch ConvTranspose2d under XIR's FLOOR rule."""
    right = op.padding - op.output_padding
    if right < 0:
        raise XmodelError(f"{op.name}: output_padding {op.output_padding} > padding {op.padding} has no FLOOR pad")
    return (op.padding, right, op.padding, right)


# DPUCZDX8G_ISA1_B4096.prototxt: conv_limit kernel_size 1-16, stride 1-8; CONVW banks 2048 deep, 16 input
# channels wide (one bank per output channel of a 16-channel group)
KERNEL_MAX, STRIDE_MAX, WEIGHT_DEPTH, ICP = 16, 8, 2048, 16


def check_dpu_limits(op: OpSpec) -> None:
    """Refuse a layer the B4096 conv engine cannot hold, before any compiler runs."""
    if not 1 <= op.kernel <= KERNEL_MAX:
        raise XmodelError(f"{op.name}: kernel {op.kernel} outside the DPU's 1-{KERNEL_MAX}")
    if op.op == "conv" and not 1 <= op.stride <= STRIDE_MAX:
        raise XmodelError(f"{op.name}: stride {op.stride} outside the DPU's 1-{STRIDE_MAX}")
    depth = op.kernel * op.kernel * -(-op.in_channels // ICP)
    if depth > WEIGHT_DEPTH:
        raise XmodelError(f"{op.name}: k*k*ceil(Cin/{ICP}) = {depth} weight words per output channel exceed the "
                          f"DPU weight bank depth {WEIGHT_DEPTH}")


def _conv_ops(prefix: str, op: OpSpec, x: XOp, arrays: Mapping[str, np.ndarray], out_hw: tuple[int, int]
              ) -> list[XOp]:
    check_dpu_limits(op)
    w_q = np.asarray(arrays[f"{op.name}.weight"])
    b_q = np.asarray(arrays[f"{op.name}.bias"])
    ohwi = w_q.transpose(1, 2, 3, 0) if op.op == "deconv" else w_q.transpose(0, 2, 3, 1)
    base = f"{prefix}__{_ident(op.name)}"
    w = const_op(f"{base}_weight", np.ldexp(ohwi.astype(np.float64), -op.weight))
    b = const_op(f"{base}_bias", np.ldexp(b_q.astype(np.float64), -op.bias))
    wf, bf = fix_op(f"{w.name}_fix", w, op.weight), fix_op(f"{b.name}_fix", b, op.bias)
    pad = deconv_pad(op) if op.op == "deconv" else (op.padding,) * 4
    attrs = {"kernel": (op.kernel, op.kernel), "stride": (op.stride, op.stride), "dilation": (1, 1),
             "pad": pad, "pad_mode": "FLOOR", "group": 1, "bias_term": True, "in_dim": op.in_channels,
             "out_dim": op.out_channels}
    conv = XOp(base, "transposed-conv2d" if op.op == "deconv" else "conv2d", attrs,
               {"input": (x.name,), "weights": (wf.name,), "bias": (bf.name,)}, (1, *out_hw, op.out_channels))
    return [w, wf, b, bf, conv]


def segment_graph(seg: Segment, arrays: Mapping[str, np.ndarray]) -> XGraph:
    """The quantized float graph of one segment, ops in topological order."""
    prefix = seg.graph_name
    h, w, c = seg.in_shape
    data = XOp(f"{prefix}__input", "data", {"shape": (1, h, w, c), "data_type": "FLOAT32"}, {}, (1, h, w, c))
    x = fix_op(f"{data.name}_fix", data, seg.in_fix)
    ops = [data, x]
    i = 0
    while i < len(seg.ops):
        op = seg.ops[i]
        if op.op not in ("conv", "deconv") or op.input != int(x.attrs["fix_point"]):
            raise XmodelError(f"{seg.name}: {op.name} ({op.op}) does not follow a conv at fix position "
                              f"{x.attrs['fix_point']}")
        h, w = out_size(op, h), out_size(op, w)
        ops += _conv_ops(prefix, op, x, arrays, (h, w))
        y, out_fix = ops[-1], op.output
        if i + 1 < len(seg.ops) and seg.ops[i + 1].op == "relu":
            relu = seg.ops[i + 1]
            if relu.input != op.output:
                raise XmodelError(f"{relu.name}: input position {relu.input} != {op.name} output {op.output}")
            y = XOp(f"{prefix}__{_ident(relu.name)}", "relu", {}, {"input": (y.name,)}, y.shape)
            ops.append(y)
            out_fix, i = relu.output, i + 1
        x = fix_op(f"{y.name}_fix", y, out_fix)
        ops.append(x)
        i += 1
    if (h, w, seg.ops[-1].out_channels) != seg.out_shape:
        raise XmodelError(f"{seg.name}: graph output {(h, w)} differs from the plan {seg.out_shape}")
    return flat_graph(prefix, tuple(ops), (x.name,))
