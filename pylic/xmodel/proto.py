"""Serialize `XGraph` to the xmodel format (protobuf `serial_v2.Graph`, schema `graph_proto_v2.proto` from
Vitis AI's XIR, identical in v2.5 and v3.5) and read any xmodel back.

`graph_proto_v2_pb2.py` is generated from the schema and committed (regenerate with
`python -m grpc_tools.protoc -I pylic/xmodel --python_out=pylic/xmodel pylic/xmodel/graph_proto_v2.proto`).
`op_defs` stay empty: every op written here is an XIR built-in, whose definition the library already has.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from google.protobuf.message import DecodeError

from pylic.errors import PylicError
from pylic.imageio import write_file
from pylic.xmodel import graph_proto_v2_pb2 as pb
from pylic.xmodel.graph import Typed, XGraph, XOp, XSubgraph

MAX_XMODEL_BYTES = 1 << 31


class XmodelError(PylicError):
    """An xmodel cannot be read, or holds a value pylic cannot represent."""


_VEC = {"bool_vec_value", "int32_vec_value", "uint32_vec_value", "int64_vec_value", "uint64_vec_value",
        "float_vec_value", "double_vec_value", "string_vec_value"}
_SCALAR = {"bool_value", "int32_value", "uint32_value", "int64_value", "uint64_value", "float_value",
           "double_value", "string_value"}


def _default_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool_value"
    if isinstance(value, int):
        return "int32_value"
    if isinstance(value, str):
        return "string_value"
    if isinstance(value, bytes):
        return "bytes_value"
    if isinstance(value, tuple) and value and all(isinstance(v, str) for v in value):
        return "string_vec_value"
    if isinstance(value, tuple) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return "int32_vec_value"
    raise XmodelError(f"no xmodel attribute type for {value!r} (wrap it in Typed(kind, value))")


def _set_attr(msg: pb.AttrValue, value: Any) -> None:
    kind, value = (value.kind, value.value) if isinstance(value, Typed) else (_default_kind(value), value)
    if kind in _SCALAR:
        setattr(msg, kind, value)
    elif kind in _VEC:
        getattr(msg, kind).value.extend(value)
    elif kind == "bytes_value":
        msg.bytes_value.value = value
    elif kind == "bytes_vec_value":
        for b in value:
            msg.bytes_vec_value.value.add(value=b)
    elif kind.startswith("map_string_2_") and kind.endswith("_vec_value"):
        for k, vec in value.items():
            getattr(msg, kind).value[k].value.extend(vec)
    elif kind == "map_string_2_bytes_value":
        for k, b in value.items():
            msg.map_string_2_bytes_value.value[k].value = b
    elif kind.startswith("map_string_2_"):
        getattr(msg, kind).value.update(value)
    else:
        raise XmodelError(f"unknown AttrValue field {kind!r}")


def _get_attr(msg: pb.AttrValue) -> Any:
    kind = msg.WhichOneof("value")
    if kind is None:
        raise XmodelError("empty AttrValue")
    field = getattr(msg, kind)
    if kind in _SCALAR:
        value: Any = field
    elif kind in _VEC:
        value = tuple(field.value)
    elif kind == "bytes_value":
        value = bytes(field.value)
    elif kind == "bytes_vec_value":
        value = tuple(bytes(b.value) for b in field.value)
    elif kind.endswith("_vec_value"):  # map of vectors
        value = {k: tuple(v.value) for k, v in field.value.items()}
    elif kind == "map_string_2_bytes_value":
        value = {k: bytes(v.value) for k, v in field.value.items()}
    else:
        value = dict(field.value)
    try:
        plain = _default_kind(value) == kind
    except XmodelError:
        plain = False
    return value if plain else Typed(kind, value)


def _fill(target, attrs: Mapping[str, Any]) -> None:
    for key, value in attrs.items():
        _set_attr(target[key], value)


def _subgraph_to_proto(sg: XSubgraph, msg: pb.SubGraph) -> None:
    msg.subgraph_name = sg.name
    msg.op_name.extend(sg.ops)
    _fill(msg.subg_attr, sg.attrs)
    for child in sg.children:
        _subgraph_to_proto(child, msg.subg_child.add())


def to_proto(graph: XGraph) -> pb.Graph:
    msg = pb.Graph(graph_name=graph.name)
    for op in graph.ops:
        node = msg.op_node.add(op_name=op.name, op_type=op.type)
        _fill(node.op_attr, op.attrs)
        for arg, producers in op.inputs.items():
            node.args.add(arg_name=arg, arg_ops=list(producers))
        t = node.output_tensor
        t.tensor_name, t.data_type, t.tensor_bit_width = op.name, op.data_type, op.bit_width
        t.tensor_dim.extend(op.shape)
        _fill(t.tensor_attr, op.tensor_attrs)
    _subgraph_to_proto(graph.root, msg.subg_root)
    _fill(msg.graph_attr, graph.attrs)
    return msg


def _subgraph_from_proto(msg: pb.SubGraph) -> XSubgraph:
    return XSubgraph(msg.subgraph_name, tuple(msg.op_name), {k: _get_attr(v) for k, v in msg.subg_attr.items()},
                     tuple(_subgraph_from_proto(c) for c in msg.subg_child))


def from_proto(msg: pb.Graph) -> XGraph:
    ops = []
    for n in msg.op_node:
        t = n.output_tensor
        ops.append(XOp(n.op_name, n.op_type, {k: _get_attr(v) for k, v in n.op_attr.items()},
                       {a.arg_name: tuple(a.arg_ops) for a in n.args}, tuple(t.tensor_dim), t.data_type,
                       t.tensor_bit_width, {k: _get_attr(v) for k, v in t.tensor_attr.items()}))
    return XGraph(msg.graph_name, tuple(ops), {k: _get_attr(v) for k, v in msg.graph_attr.items()},
                  _subgraph_from_proto(msg.subg_root))


def write_xmodel(graph: XGraph, path: str | Path) -> Path:
    """Serialize atomically; returns the path. An identical file is left untouched (its mtime is what
    `check_compiled_dir` compares against the compiled result)."""
    write_file(path, to_proto(graph).SerializeToString(deterministic=True), skip_identical=True)
    return Path(path)


def parse_xmodel(path: str | Path) -> pb.Graph:
    """The raw protobuf message of an xmodel file (XmodelError if unreadable or not a graph)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_XMODEL_BYTES:
            raise XmodelError(f"{path}: implausibly large for an xmodel")
        msg = pb.Graph()
        msg.ParseFromString(path.read_bytes())
    except (OSError, DecodeError) as exc:
        raise XmodelError(f"{path}: not a readable xmodel ({exc})") from None
    if not msg.graph_name or not msg.op_node:
        raise XmodelError(f"{path}: no graph name or no ops: not an xmodel")
    return msg


def read_xmodel(path: str | Path) -> XGraph:
    return from_proto(parse_xmodel(path))
