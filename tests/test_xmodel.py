"""xmodel export: protobuf round trips, structural agreement with a real vai_q_pytorch xmodel, and the float64
reference interpreter of every written segment equal to the integer emulator bit for bit on photo patches."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from pylic.eval.images import load_skimage
from pylic.runtime import EmulatorBackend
from pylic.xmodel import golden, interpret
from pylic.xmodel.graph import Typed, XGraph, XSubgraph
from pylic.xmodel.proto import XmodelError, from_proto, parse_xmodel, read_xmodel, to_proto, write_xmodel
from pylic.xmodel.segments import check_dpu_limits, deconv_pad, plan_segments, segment_graph
from pylic.zoo.packages import resolve_package

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT.parent / "shared/data/xmodel/VoxelNet_int.xmodel"
needs_fixture = pytest.mark.skipif(not FIXTURE.is_file(), reason=f"real xmodel fixture not found at {FIXTURE}")
PACKAGE = "pylic-student-q2-int8"
pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def emu():
    return EmulatorBackend(resolve_package(PACKAGE), threads=1)


@pytest.fixture(scope="module")
def graphs(emu) -> dict[str, XGraph]:
    return {s.name: segment_graph(s, emu.package.arrays) for s in plan_segments(emu.package.manifest)}


@pytest.fixture(scope="module")
def patches() -> np.ndarray:
    """Two 256x256 patches of real photographs, uint8 NCHW."""
    photos = load_skimage(("astronaut", "coffee"))
    return np.stack([photos["astronaut"][:256, 100:356], photos["coffee"][100:356, 200:456]]).transpose(0, 3, 1, 2)


def _signature(graph: XGraph, kinds: bool = True) -> dict[str, tuple]:
    """op type -> (sorted attr (name, AttrValue field)), argument names, tensor data type and bit width)."""
    msg = to_proto(graph)
    out: dict[str, tuple] = {}
    for n in msg.op_node:
        attrs = tuple(sorted((k, v.WhichOneof("value")) for k, v in n.op_attr.items()))
        out.setdefault(n.op_type, (attrs, tuple(a.arg_name for a in n.args),
                                   n.output_tensor.data_type, n.output_tensor.tensor_bit_width))
    return out


def test_segments_cover_the_package(emu) -> None:
    segs = plan_segments(emu.package.manifest)
    assert [s.name for s in segs][:2] == ["g_a.dpu0", "g_a.dpu1"] and len(segs) == 10
    assert segs[0].in_shape == (256, 256, 3) and segs[3].out_shape == (16, 16, 128)
    assert segs[-1].out_shape == (256, 256, 3)
    dpu_ops = [op.name for ops in emu.package.manifest.transforms.values() for op in ops
               if op.op in ("conv", "deconv", "relu")]
    assert sorted(n for s in segs for n in s.stage.ops) == sorted(dpu_ops)


def test_deconv_output_padding_becomes_floor_pad(emu, graphs) -> None:
    op = emu.package.manifest.transforms["g_s"][0]
    assert (op.kernel, op.stride, op.padding, op.output_padding) == (5, 2, 2, 1)
    assert deconv_pad(op) == (2, 1, 2, 1)
    deconv = graphs["h_s.dpu0"].op("h_s_dpu0__h_s_0")
    assert deconv.type == "transposed-conv2d" and deconv.attrs["pad"] == (2, 1, 2, 1)
    assert deconv.shape == (1, 8, 8, 64)  # 4x4 z -> (4-1)*2 + 5 - 3


def test_layers_beyond_the_dpu_are_refused(emu) -> None:
    op = emu.package.manifest.transforms["g_a"][0]
    check_dpu_limits(op)
    for bad, match in (({"kernel": 17}, "kernel 17"), ({"stride": 9}, "stride 9"),
                       ({"kernel": 15, "in_channels": 16 * 10}, "2250 weight words")):
        with pytest.raises(XmodelError, match=match):
            check_dpu_limits(dataclasses.replace(op, **bad))


def test_weights_are_exact_ohwi_values(emu, graphs) -> None:
    g = graphs["g_s.dpu3"]
    w = g.op("g_s_dpu3__g_s_6_weight")
    vals = np.frombuffer(w.attrs["data"], "<f4").reshape(w.attrs["shape"])
    fp = g.op("g_s_dpu3__g_s_6_weight_fix").attrs["fix_point"]
    w_q = np.asarray(emu.package.arrays["g_s.6.weight"])  # torch IOHW [22, 3, 5, 5]
    np.testing.assert_array_equal(np.ldexp(vals.astype(np.float64), fp), w_q.transpose(1, 2, 3, 0))


def test_written_graphs_round_trip(graphs, tmp_path) -> None:
    for name, g in graphs.items():
        path = write_xmodel(g, tmp_path / f"{name}.xmodel")
        back = read_xmodel(path)
        assert back == g
        assert to_proto(back).SerializeToString(deterministic=True) == path.read_bytes()


def test_typed_values_round_trip() -> None:
    """Fields other than the defaults (a compiled xmodel's int64 workloads, maps) keep their type."""
    attrs = {"return_ops": ("a",), "w": Typed("uint64_value", 2**40), "f": Typed("float_vec_value", (0.5,)),
             "m": Typed("map_string_2_int32_vec_value", {"k": (1, 2)})}
    g = XGraph("t", (), attrs, XSubgraph("root", (), {"device": "DPU"}, (XSubgraph("c", ()),)))
    assert from_proto(to_proto(g)) == g
    with pytest.raises(XmodelError, match="no xmodel attribute type"):
        to_proto(dataclasses.replace(g, attrs={"x": 1.5}))


def test_unreadable_file_is_a_typed_error(tmp_path) -> None:
    bad = tmp_path / "bad.xmodel"
    bad.write_bytes(b"\xff\xff\xff not protobuf")
    with pytest.raises(XmodelError):
        read_xmodel(bad)


@needs_fixture
def test_fixture_reads_and_rewrites_identically() -> None:
    """Reading the real xmodel and writing it again gives the same message (op_defs aside, which we omit)."""
    raw = parse_xmodel(FIXTURE)
    del raw.op_defs[:]
    assert to_proto(read_xmodel(FIXTURE)) == raw


@needs_fixture
def test_ops_agree_with_the_real_quantized_xmodel(graphs) -> None:
    """Every op type we write exists in vai_q_pytorch's output with the same attribute names, AttrValue fields,
    argument names and tensor types; the string values match too."""
    ref = read_xmodel(FIXTURE)
    ref_sig, ours = _signature(ref), {}
    for g in graphs.values():
        ours.update(_signature(g))
    assert set(ours) == {"data", "fix", "const", "conv2d", "transposed-conv2d", "relu"}
    for op_type, sig in ours.items():
        assert sig == ref_sig[op_type], op_type
    ref_ops, our_ops = ref.by_name(), graphs["g_s.dpu0"].by_name()
    for field in ("data_type",):
        for t in ("data", "const"):
            assert ({o.attrs[field] for o in ref_ops.values() if o.type == t}
                    == {o.attrs[field] for o in our_ops.values() if o.type == t}), t
    ref_fix = {(o.attrs["round_mode"], o.attrs["bit_width"], o.attrs["if_signed"]) for o in ref.ops if o.type == "fix"}
    assert {(o.attrs["round_mode"], o.attrs["bit_width"], o.attrs["if_signed"])
            for o in our_ops.values() if o.type == "fix"} == ref_fix
    for g in (ref, graphs["g_a.dpu0"]):
        assert to_proto(g).graph_attr["return_ops"].WhichOneof("value") == "string_vec_value"
        assert g.root.name == "root" and not g.root.children and len(g.root.ops) == len(g.ops)


def _interpret(graph: XGraph, x_q: np.ndarray, in_fix: int) -> dict:
    return interpret.run(graph, {graph.ops[0].name: np.ldexp(x_q.astype(np.float64), -in_fix)})


def test_interpreter_equals_emulator_on_photo_patches(emu, graphs, patches) -> None:
    """Every segment of the shipped package, fed the emulator's int8 input, gives the emulator's int8 output
    exactly (GDN/iGDN/abs between segments come from the emulator)."""
    segs = plan_segments(emu.package.manifest)
    io = golden.segment_io(emu, segs, patches)
    for seg in segs:
        x_q, y_q = io[seg.name]
        assert x_q.shape == (2, *seg.in_shape) and y_q.shape == (2, *seg.out_shape)
        (y,) = _interpret(graphs[seg.name], x_q, seg.in_fix).values()
        got = np.ldexp(y, seg.out_fix)
        assert np.array_equal(got, y_q.astype(np.float64)), (seg.name, np.abs(got - y_q).max())
        assert len(np.unique(y_q)) > 10, seg.name  # a real signal, not a saturated or constant map


def test_interpreter_equals_emulator_on_extreme_int8_inputs(emu, graphs) -> None:
    """Random inputs drawn from {-128, -127, -1, 0, 1, 126, 127} drive accumulators to their extremes and
    outputs into saturation; still bit for bit."""
    rng = np.random.default_rng(0)
    saturated = []
    for seg in plan_segments(emu.package.manifest):
        x_q = rng.choice(np.array([-128, -127, -1, 0, 1, 126, 127], np.int8), size=(1, *seg.in_shape))
        y_q = golden.emulate_segment(emu, seg, x_q)
        (y,) = _interpret(graphs[seg.name], x_q, seg.in_fix).values()
        assert np.array_equal(np.ldexp(y, seg.out_fix), y_q.astype(np.float64)), seg.name
        if {-128, 127} & set(np.unique(y_q).tolist()):
            saturated.append(seg.name)
    assert len(saturated) >= 8, saturated  # all but g_a.dpu3 and h_a.dpu0 (seed 0)


def test_interpreter_catches_layout_and_position_errors(emu, graphs, patches) -> None:
    """A spatially flipped deconv kernel or a fix position off by one no longer matches the emulator."""
    seg = next(s for s in plan_segments(emu.package.manifest) if s.name == "g_s.dpu3")
    x_q, y_q = golden.segment_io(emu, (seg,), patches[:1])[seg.name]
    g = graphs[seg.name]
    w = g.op("g_s_dpu3__g_s_6_weight")
    flipped = np.frombuffer(w.attrs["data"], "<f4").reshape(w.attrs["shape"])[:, ::-1, ::-1, :]
    bad_w = dataclasses.replace(w, attrs={**w.attrs, "data": np.ascontiguousarray(flipped).tobytes()})
    out_fix = g.ops[-1]
    bad_fix = dataclasses.replace(out_fix, attrs={**out_fix.attrs, "fix_point": seg.out_fix + 1})
    for old, new in ((w, bad_w), (out_fix, bad_fix)):
        bad = dataclasses.replace(g, ops=tuple(new if o is old else o for o in g.ops))
        (y,) = _interpret(bad, x_q, seg.in_fix).values()
        assert not np.array_equal(np.ldexp(y, seg.out_fix), y_q.astype(np.float64))
    deconv = g.op("g_s_dpu3__g_s_6")
    sym = dataclasses.replace(deconv, attrs={**deconv.attrs, "pad": (2, 2, 2, 2)})
    with pytest.raises(XmodelError, match="shape"):
        _interpret(dataclasses.replace(g, ops=tuple(sym if o is deconv else o for o in g.ops)), x_q, seg.in_fix)


def test_dpu_round_is_round_half_up() -> None:
    x = np.array([2.3, 2.5, -2.5, -2.6, 200.0, -300.0]) / 4
    np.testing.assert_array_equal(np.ldexp(interpret.dpu_round_fix(x, 2), 2), [2, 3, -2, -3, 127, -128])


@pytest.mark.slow
def test_interpreter_equals_emulator_on_kodak(emu, graphs) -> None:
    from pylic.eval.images import kodak_available, load_kodak

    if not kodak_available():
        pytest.skip("Kodak images not found")
    segs = plan_segments(emu.package.manifest)
    for img in load_kodak().values():
        p = np.stack([img[y:y + 256, x:x + 256] for y in (0, 256) for x in (0, 256)]).transpose(0, 3, 1, 2)
        io = golden.segment_io(emu, segs, np.ascontiguousarray(p))
        for seg in segs:
            x_q, y_q = io[seg.name]
            (y,) = _interpret(graphs[seg.name], x_q, seg.in_fix).values()
            assert np.array_equal(np.ldexp(y, seg.out_fix), y_q.astype(np.float64)), seg.name


def test_generated_module_matches_the_schema(tmp_path) -> None:
    """The committed `_pb2.py` describes exactly the committed schema (and that schema is Vitis AI's)."""
    protoc = pytest.importorskip("grpc_tools.protoc", reason="grpcio-tools (dev extra) regenerates the module")
    from google.protobuf import descriptor_pb2

    from pylic.xmodel import graph_proto_v2_pb2

    here = ROOT / "pylic/xmodel"
    assert protoc.main(["protoc", f"-I{here}", f"--descriptor_set_out={tmp_path / 'd.pb'}",
                        str(here / "graph_proto_v2.proto")]) == 0
    fresh = descriptor_pb2.FileDescriptorSet.FromString((tmp_path / "d.pb").read_bytes()).file[0]
    messages = list(fresh.message_type)
    while messages:  # protoc adds json_name to a descriptor set, not to generated code
        m = messages.pop()
        messages += m.nested_type
        for f in m.field:
            f.ClearField("json_name")
    assert fresh == descriptor_pb2.FileDescriptorProto.FromString(graph_proto_v2_pb2.DESCRIPTOR.serialized_pb)
    shared = FIXTURE.parent / "graph_proto_v2.proto"
    if shared.is_file():
        assert shared.read_text() == (here / "graph_proto_v2.proto").read_text()
