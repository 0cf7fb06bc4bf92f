"""Loader and validator of the kernel interface JSON (`kernels.json`, schema `pylic-kernel-interface/1`).

The overlay build flow writes it by parsing Vitis HLS's generated `x<top>_hw.h`; the board driver reads every
register offset from it, so no offset is ever typed twice. Everything a driver relies on is checked here, once,
with a `BoardError` naming the kernel and field: word-aligned offsets inside the s_axilite window, no two
arguments overlapping, pointers 64 bits wide (two 32-bit words, low word at the offset), and the arguments each
role's driver writes (`ROLE_ARGS`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from pylic.errors import BoardError

SCHEMA = "pylic-kernel-interface/1"
CONTROL = ("ap_ctrl", "gie", "ier", "isr")
KINDS = ("pointer", "scalar")
ROLES = ("gdn", "igdn", "patch")
ROLE_ARGS = {  # what each driver writes (the HLS tops in hls/templates/*_top.cpp.j2)
    "gdn": {"src": "pointer", "dst": "pointer", "n_pixels": "scalar"},
    "igdn": {"src": "pointer", "dst": "pointer", "n_pixels": "scalar"},
    "patch": {"frame": "pointer", "patch": "pointer"},
}
WINDOW = 1 << 16  # s_axilite address space the flow can produce (generous; HLS maps use < 0x1000)
MAX_FILE = 1 << 20


@dataclass(frozen=True)
class Arg:
    offset: int
    bits: int
    kind: str

    @property
    def words(self) -> int:
        return self.bits // 32


@dataclass(frozen=True)
class KernelSpec:
    top: str
    vlnv: str
    role: str
    op: str | None
    instances: tuple[str, ...]
    control: Mapping[str, int]
    args: Mapping[str, Arg]


def _int(v: Any, where: str) -> int:
    if not isinstance(v, int) or isinstance(v, bool):
        raise BoardError(f"{where}: expected an integer, got {v!r}")
    return v


def _str(v: Any, where: str) -> str:
    if not isinstance(v, str) or not v:
        raise BoardError(f"{where}: expected a non-empty string, got {v!r}")
    return v


def _keys(d: Any, need: set[str], where: str, optional: set[str] = frozenset()) -> dict:  # type: ignore[assignment]
    if not isinstance(d, dict):
        raise BoardError(f"{where}: expected an object, got {type(d).__name__}")
    if need - set(d) or set(d) - need - optional:
        raise BoardError(f"{where}: keys {sorted(d)}; need {sorted(need)}")
    return d


def _arg(name: str, d: Any, where: str) -> Arg:
    d = _keys(d, {"offset", "bits", "kind"}, f"{where}.args.{name}")
    a = Arg(_int(d["offset"], f"{where}.args.{name}.offset"), _int(d["bits"], f"{where}.args.{name}.bits"),
            _str(d["kind"], f"{where}.args.{name}.kind"))
    if a.kind not in KINDS:
        raise BoardError(f"{where}.args.{name}: kind {a.kind!r} not in {KINDS}")
    if a.bits not in (32, 64) or (a.kind == "pointer" and a.bits != 64):
        raise BoardError(f"{where}.args.{name}: {a.bits}-bit {a.kind} (pointers are 64-bit, scalars 32 or 64)")
    if a.offset % 4 or not 0x10 <= a.offset <= WINDOW - 4 * a.words:
        raise BoardError(f"{where}.args.{name}: offset {a.offset:#x} not a word inside 0x10..{WINDOW:#x}")
    return a


def _kernel(d: Any, i: int) -> KernelSpec:
    where = f"kernels[{i}]"
    d = _keys(d, {"top", "vlnv", "role", "op", "instances", "control", "args"}, where)
    top = _str(d["top"], f"{where}.top")
    where = f"kernel {top}"
    if any(bad in top.lower() for bad in ("dpu", "sfm")):
        raise BoardError(f"{where}: a name containing 'dpu'/'sfm' is taken by VART for a DPU core")
    vlnv = _str(d["vlnv"], f"{where}.vlnv")
    if len(vlnv.split(":")) != 4:
        raise BoardError(f"{where}: vlnv {vlnv!r} is not vendor:library:name:version")
    role = _str(d["role"], f"{where}.role")
    if role not in ROLES:
        raise BoardError(f"{where}: role {role!r} not in {ROLES}")
    op = None if d["op"] is None else _str(d["op"], f"{where}.op")
    if (op is None) != (role == "patch"):
        raise BoardError(f"{where}: role {role} {'needs' if op is None else 'takes no'} op")
    inst = d["instances"]
    if not isinstance(inst, list) or not inst:
        raise BoardError(f"{where}.instances: expected a non-empty list")
    instances = tuple(_str(x, f"{where}.instances") for x in inst)
    ctl = _keys(d["control"], set(CONTROL), f"{where}.control")
    control = {k: _int(ctl[k], f"{where}.control.{k}") for k in CONTROL}
    if len(set(control.values())) != 4 or any(v % 4 or not 0 <= v < 0x10 for v in control.values()):
        raise BoardError(f"{where}.control: {control} is not four distinct words below 0x10")
    raw = d["args"]
    if not isinstance(raw, dict) or len(raw) > 64:
        raise BoardError(f"{where}.args: expected an object of at most 64 arguments")
    args = {_str(k, f"{where}.args"): _arg(k, v, where) for k, v in raw.items()}
    spans = sorted((a.offset, a.offset + 4 * a.words, n) for n, a in args.items())
    for (_, end, n0), (start, _, n1) in zip(spans, spans[1:]):
        if start < end:
            raise BoardError(f"{where}: arguments {n0} and {n1} overlap")
    for name, kind in ROLE_ARGS[role].items():
        if name not in args or args[name].kind != kind:
            raise BoardError(f"{where}: role {role} needs {kind} argument {name!r}; has {sorted(args)}")
    return KernelSpec(top, vlnv, role, op, instances, MappingProxyType(control), MappingProxyType(args))


def parse(doc: Any) -> tuple[KernelSpec, ...]:
    doc = _keys(doc, {"schema", "kernels"}, "kernel interface")
    if doc["schema"] != SCHEMA:
        raise BoardError(f"kernel interface schema {doc['schema']!r}, expected {SCHEMA!r}")
    if not isinstance(doc["kernels"], list):
        raise BoardError("kernel interface: 'kernels' must be a list")
    kernels = tuple(_kernel(k, i) for i, k in enumerate(doc["kernels"]))
    for field_ in ("top", "vlnv"):
        seen = [getattr(k, field_) for k in kernels]
        if len(set(seen)) != len(seen):
            raise BoardError(f"kernel interface: duplicate {field_} in {seen}")
    ops = [k.op for k in kernels if k.op is not None]
    if len(set(ops)) != len(ops):
        raise BoardError(f"kernel interface: two kernels implement one op ({ops})")
    return kernels


def load(path: str | Path) -> tuple[KernelSpec, ...]:
    """Read and validate `kernels.json`; any malformed content is a `BoardError`."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_FILE:
            raise BoardError(f"{p}: {p.stat().st_size} bytes is not a kernel interface file")
        doc = json.loads(p.read_text())
    except OSError as exc:
        raise BoardError(f"{p}: cannot read ({exc.strerror})") from None
    except (ValueError, RecursionError) as exc:
        raise BoardError(f"{p}: not valid JSON ({exc.__class__.__name__})") from None
    return parse(doc)


def check_ops(kernels: tuple[KernelSpec, ...], gdn_ops: Mapping[str, str]) -> None:
    """Every GDN/iGDN op of the package (name -> 'gdn'|'igdn') has exactly one kernel of that role."""
    have = {k.op: k.role for k in kernels if k.op is not None}
    missing = sorted(set(gdn_ops) - set(have))
    wrong = sorted(o for o in gdn_ops if o in have and have[o] != gdn_ops[o])
    if missing or wrong:
        raise BoardError(f"kernel interface lacks kernels for ops {missing}; wrong role for {wrong}")
