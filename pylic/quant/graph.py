"""The op graph of a ScaleHyperprior as the hardware sees it: per transform, ordered conv / deconv / gdn / igdn /
relu / abs ops. Calibration, fake-quant simulation and export all walk this one description.

Tensors are named by the op that produces them (`g_a.0` is the output of g_a's first conv); `<t>.in` is the
input of transform t. h_a starts with `abs` (on the PS) because the model feeds it |y|.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch.nn as nn
from compressai.layers import GDN

from pylic.errors import ModelError

TRANSFORMS = ("g_a", "h_a", "h_s", "g_s")
OP_KINDS = ("conv", "deconv", "gdn", "igdn", "relu", "abs")


@dataclass(frozen=True)
class GraphOp:
    name: str  # "g_a.0"; tensor produced by this op
    kind: str  # one of OP_KINDS
    module: nn.Module | None  # the float module (None for abs)

    @property
    def transform(self) -> str:
        return self.name.split(".")[0]


def _kind(m: nn.Module, name: str) -> str:
    if isinstance(m, nn.ConvTranspose2d):
        return "deconv"
    if isinstance(m, nn.Conv2d):
        return "conv"
    if isinstance(m, GDN):
        return "igdn" if m.inverse else "gdn"
    if isinstance(m, nn.ReLU):
        return "relu"
    inner = getattr(m, "inner", None)  # fake-quant wrappers keep the float module as `inner`
    if inner is not None:
        return _kind(inner, name)
    raise ModelError(f"{name}: layer type {type(m).__name__} has no hardware mapping")


def model_ops(model: nn.Module) -> dict[str, list[GraphOp]]:
    """Ordered ops of g_a, h_a, h_s, g_s."""
    graph: dict[str, list[GraphOp]] = {}
    for t in TRANSFORMS:
        seq = getattr(model, t, None)
        if not isinstance(seq, nn.Sequential):
            raise ModelError(f"model has no sequential transform {t!r}")
        ops = [GraphOp(f"{t}.abs", "abs", None)] if t == "h_a" else []
        ops += [GraphOp(f"{t}.{i}", _kind(m, f"{t}.{i}"), m) for i, m in enumerate(seq)]
        for prev, op in zip(ops, ops[1:]):
            if op.kind == "relu" and prev.kind not in ("conv", "deconv"):
                raise ModelError(f"{op.name}: ReLU must follow a conv/deconv to be fused on the DPU")
        graph[t] = ops
    return graph


def input_tensor(ops: list[GraphOp], i: int) -> str:
    """Name of the tensor op i reads."""
    return ops[i - 1].name if i else f"{ops[0].transform}.in"


def conv_ops(graph: dict[str, list[GraphOp]]) -> list[tuple[GraphOp, str, bool]]:
    """(conv op, its input tensor, whether a ReLU follows it) for every conv/deconv."""
    out = []
    for ops in graph.values():
        for i, op in enumerate(ops):
            if op.kind in ("conv", "deconv"):
                relu = i + 1 < len(ops) and ops[i + 1].kind == "relu"
                out.append((op, input_tensor(ops, i), relu))
    return out
