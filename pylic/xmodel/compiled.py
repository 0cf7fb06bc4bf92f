"""Checks of a `vai_c_xir` output and the per-layer DPU workloads it reports.

A compiled xmodel keeps the subgraph tree: children of the root carry `device` = "DPU" / "CPU" / "USER". A
segment must compile to exactly one DPU subgraph whose input and output tensors carry the package's fix
positions (tensor attribute `fix_point`). Its `*conv2d-fix` ops carry `workload` and `workload_on_arch`
(XMODEL_DPU.md §4), which `predicted_workload_on_arch` reproduces from the geometry alone (B4096: pixel
parallelism 8 along H, 16 input and 16 output channels per cycle).
"""

from __future__ import annotations

from typing import Any

from pylic.deploy.manifest import OpSpec
from pylic.xmodel.graph import Typed, XGraph, XOp
from pylic.xmodel.proto import XmodelError
from pylic.xmodel.segments import Segment, out_size

WEIGHT_TYPES = frozenset({"const", "const-fix"})


def _ceil(x: int, m: int) -> int:
    return -(-x // m) * m


def predicted_workload_on_arch(op: OpSpec, h_in: int, w_in: int) -> int:
    """B4096 ops of one conv/deconv (XMODEL_DPU.md §4; equal to the compiler's figure on a ZCU102 xmodel)."""
    k, cin, cout = op.kernel, op.in_channels, op.out_channels
    if op.op == "deconv":  # runs on the input grid: no cost for the inserted zeros
        return _ceil(h_in, 8) * w_in * k * k * _ceil(cout, 16) * (2 * _ceil(cin, 16) + 1)
    h, w = out_size(op, h_in), out_size(op, w_in)
    return _ceil(h, 8) * w * _ceil(cout, 16) * (2 * k * k * _ceil(cin, 16) + 1)


def predicted_workload(op: OpSpec, h_in: int, w_in: int) -> int | None:
    """Useful ops of a conv: out_elems * (2 * k * k * Cin + 1); None for a deconv (no formula checked)."""
    if op.op == "deconv":
        return None
    h, w = out_size(op, h_in), out_size(op, w_in)
    return h * w * op.out_channels * (2 * op.kernel * op.kernel * op.in_channels + 1)


def layer_inputs(seg: Segment) -> list[tuple[OpSpec, int, int]]:
    """(conv/deconv op, input H, input W) in segment order."""
    h, w, _ = seg.in_shape
    out = []
    for op in seg.ops:
        if op.op in ("conv", "deconv"):
            out.append((op, h, w))
        h, w = out_size(op, h), out_size(op, w)
    return out


def _int(value: Any, what: str) -> int:
    v = value.value if isinstance(value, Typed) else value
    if isinstance(v, bool) or not isinstance(v, int):
        raise XmodelError(f"{what}: expected an integer, got {value!r}")
    return v


def _fix(op: XOp) -> int:
    if "fix_point" not in op.tensor_attrs:
        raise XmodelError(f"tensor {op.name} carries no fix_point")
    return _int(op.tensor_attrs["fix_point"], f"{op.name} fix_point")


def check_compiled(graph: XGraph, seg: Segment) -> dict:
    """Raise XmodelError unless `graph` is `seg` compiled into one DPU subgraph with the package's I/O fix
    positions and one conv layer per package conv; return the segment's workload record."""
    dpu = [sg for sg in graph.root.walk() if sg.attrs.get("device") == "DPU"]
    if len(dpu) != 1:
        raise XmodelError(f"{seg.name}: {len(dpu)} DPU subgraphs in the compiled xmodel (expected 1: a layer fell "
                          f"to the CPU or the segment was split)")
    members, ops, consumers = set(dpu[0].ops), graph.by_name(), graph.consumers()
    inputs = sorted({p for n in dpu[0].ops for ps in ops[n].inputs.values() for p in ps
                     if p not in members and ops[p].type not in WEIGHT_TYPES})
    returned = set(graph.attrs.get("return_ops", ()))
    outputs = [n for n in dpu[0].ops if n in returned or not consumers.get(n)
               or any(c not in members for c in consumers[n])]
    outputs = [n for n in outputs if ops[n].type not in WEIGHT_TYPES]
    if len(inputs) != 1 or len(outputs) != 1:
        raise XmodelError(f"{seg.name}: DPU subgraph has inputs {inputs} and outputs {outputs} (expected one each)")
    got = (_fix(ops[inputs[0]]), _fix(ops[outputs[0]]))
    if got != (seg.in_fix, seg.out_fix):
        raise XmodelError(f"{seg.name}: compiled input/output fix positions {got} differ from the package's "
                          f"{(seg.in_fix, seg.out_fix)}")
    convs = [ops[n] for n in dpu[0].ops if ops[n].type.endswith("conv2d-fix")]
    layers = layer_inputs(seg)
    if len(convs) != len(layers):
        raise XmodelError(f"{seg.name}: {len(convs)} conv layers compiled for {len(layers)} in the package")
    records = []
    for xop, (op, h, w) in zip(convs, layers):
        if "workload" not in xop.attrs or "workload_on_arch" not in xop.attrs:
            raise XmodelError(f"{seg.name}: compiled op {xop.name} carries no workload/workload_on_arch")
        records.append({"layer": op.name, "xmodel_op": xop.name, "type": xop.type,
                        "workload": _int(xop.attrs["workload"], f"{xop.name} workload"),
                        "workload_on_arch": _int(xop.attrs["workload_on_arch"], f"{xop.name} workload_on_arch"),
                        "predicted_workload": predicted_workload(op, h, w),
                        "predicted_workload_on_arch": predicted_workload_on_arch(op, h, w)})
    return {"segment": seg.name, "dpu_subgraph": dpu[0].name, "input_fix": got[0], "output_fix": got[1],
            "workload_on_arch": sum(r["workload_on_arch"] for r in records), "layers": records}
