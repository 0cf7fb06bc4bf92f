"""The xmodel graph as plain, frozen Python data: what the writer serializes and the reader returns.

Attribute values are Python values whose type picks the protobuf field (`proto.py`): bool, int (int32), str,
bytes, tuple of ints (int32 vector), tuple of str (string vector). Any other field (a compiled xmodel's int64
workloads, floats, maps, ...) is a `Typed(kind, value)` naming its `AttrValue` field, so that reading and
writing any xmodel keeps every value's type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, NamedTuple

FLOAT_TYPE = 4  # xir::DataType::Type::FLOAT in Tensor.data_type (data_type.hpp)


class Typed(NamedTuple):
    """An attribute value stored in the `AttrValue` field `kind` (e.g. "uint64_value", "float_vec_value")."""

    kind: str
    value: Any


@dataclass(frozen=True)
class XOp:
    """One op: `inputs` maps argument names (input/weights/bias) to producer op names, in order."""

    name: str
    type: str
    attrs: Mapping[str, Any]
    inputs: Mapping[str, tuple[str, ...]]
    shape: tuple[int, ...]  # of the output tensor (NHWC for feature maps)
    data_type: int = FLOAT_TYPE
    bit_width: int = 32
    tensor_attrs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class XSubgraph:
    """A node of the subgraph tree; the root lists every op (as xir writes it), children partition them."""

    name: str
    ops: tuple[str, ...]
    attrs: Mapping[str, Any] = field(default_factory=dict)
    children: tuple["XSubgraph", ...] = ()

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class XGraph:
    """Ops in topological order, graph attributes (`return_ops`) and the subgraph tree."""

    name: str
    ops: tuple[XOp, ...]
    attrs: Mapping[str, Any]
    root: XSubgraph

    def op(self, name: str) -> XOp:
        for op in self.ops:
            if op.name == name:
                return op
        raise KeyError(name)

    def by_name(self) -> dict[str, XOp]:
        return {op.name: op for op in self.ops}

    def consumers(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {op.name: [] for op in self.ops}
        for op in self.ops:
            for names in op.inputs.values():
                for n in names:
                    out.setdefault(n, []).append(op.name)
        return out


def flat_graph(name: str, ops: tuple[XOp, ...], return_ops: tuple[str, ...]) -> XGraph:
    """A quantizer-style graph: one root subgraph named "root" holding every op, no children."""
    return XGraph(name, ops, {"return_ops": tuple(return_ops)}, XSubgraph("root", tuple(op.name for op in ops)))
