"""A recording stand-in for `vai_c_xir` (tests only; never a real compile): it logs its arguments, then writes
a plausible compiled xmodel with pylic's own writer: `*-fix` ops, a USER input subgraph and one DPU subgraph,
tensor `fix_point`s taken from the quantized graph, and workloads from XMODEL_DPU.md §4's formulas.
`STANDIN_MODE` = "split" (two DPU subgraphs), "badfix" (output fix position + 1), "fail" (exit code 3) or
"noop" (exit 0, writes nothing)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from pylic.xmodel.graph import Typed, XGraph, XOp, XSubgraph
from pylic.xmodel.proto import read_xmodel, write_xmodel


def _ceil(x: int, m: int) -> int:
    return -(-x // m) * m


def _workloads(op: XOp, x: XOp) -> tuple[int, int]:
    (_, h, w, ci), (_, ho, wo, co) = x.shape, op.shape
    k = op.attrs["kernel"][0]
    if op.type == "transposed-conv2d":
        return h * w * k * k * co * (2 * ci + 1), _ceil(h, 8) * w * k * k * _ceil(co, 16) * (2 * _ceil(ci, 16) + 1)
    return ho * wo * co * (2 * k * k * ci + 1), _ceil(ho, 8) * wo * _ceil(co, 16) * (2 * k * k * _ceil(ci, 16) + 1)


def compiled_graph(q: XGraph, mode: str) -> XGraph:
    ops = q.by_name()
    consumers = q.consumers()
    fixed = {o.name: o for o in q.ops if o.type == "fix"}
    out: list[XOp] = []
    rename: dict[str, str] = {}  # quantized fix op -> compiled op producing that tensor
    for op in q.ops:
        if op.type in ("data", "const"):
            (fix,) = consumers[op.name]
            kind = f"{op.type}-fix"
            out.append(XOp(op.name, kind, dict(op.attrs), {}, op.shape, 3, 8,
                           {"fix_point": fixed[fix].attrs["fix_point"]}))
            rename[fix] = op.name
        elif op.type in ("conv2d", "transposed-conv2d"):
            nxt = ops[consumers[op.name][0]]
            fix = ops[consumers[nxt.name][0]] if nxt.type == "relu" else nxt
            pos = fix.attrs["fix_point"] + (1 if mode == "badfix" and fix.name in q.attrs["return_ops"] else 0)
            x = ops[ops[op.inputs["input"][0]].inputs["input"][0]]
            work, on_arch = _workloads(op, x)
            attrs = {**op.attrs, "nonlinear": "RELU" if nxt.type == "relu" else "NONE",
                     "workload": Typed("uint64_value", work), "workload_on_arch": Typed("uint64_value", on_arch)}
            inputs = {a: tuple(rename[n] for n in ns) for a, ns in op.inputs.items()}
            out.append(XOp(op.name, f"{op.type}-fix", attrs, inputs, op.shape, 3, 8, {"fix_point": pos}))
            rename[fix.name] = op.name
    data = [o.name for o in out if o.type == "data-fix"]
    rest = [o.name for o in out if o.type != "data-fix"]
    if mode == "split":
        half = len(rest) // 2
        dpu = (XSubgraph("subgraph_a", tuple(rest[:half]), {"device": "DPU"}),
               XSubgraph("subgraph_b", tuple(rest[half:]), {"device": "DPU"}))
    else:
        dpu = (XSubgraph(f"subgraph_{rest[-1]}", tuple(rest), {"device": "DPU"}),)
    root = XSubgraph("root", tuple(o.name for o in out), {},
                     (XSubgraph("subgraph_input", tuple(data), {"device": "USER"}), *dpu))
    return XGraph(q.name, tuple(out), {"return_ops": tuple(rename[n] for n in q.attrs["return_ops"])}, root)


def main(log: str) -> None:
    with open(log, "a") as fh:
        fh.write(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd()}) + "\n")
    run(sys.argv[1:])


def run(argv: list[str]) -> None:
    """What the stand-in does with vai_c_xir's arguments (also called by tests/flow_standins.py)."""
    mode = os.environ.get("STANDIN_MODE", "")
    if mode == "fail":
        print("stand-in vai_c_xir: failing as asked", file=sys.stderr)
        sys.exit(3)
    if mode == "noop":
        return
    p = argparse.ArgumentParser()
    for flag in ("-x", "-a", "-o", "-n"):
        p.add_argument(flag, required=True)
    args = p.parse_args(argv)
    json.loads(Path(args.a).read_text())
    out = Path(args.o)
    write_xmodel(compiled_graph(read_xmodel(args.x), mode), out / f"{args.n}.xmodel")
    (out / "meta.json").write_text(json.dumps({"target": "stand-in"}))


if __name__ == "__main__":
    main(sys.argv.pop(1))
