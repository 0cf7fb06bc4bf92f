"""Parse Vitis HLS's generated register-map header `x<top>_hw.h` into the kernel interface JSON
(`kernels.json`, schema in the shared contract `pylic-kernel-interface/1`), so the board driver reads the
offsets the tool actually chose, never literals typed twice.

The header names each argument twice: in the comment block (`// 0x10 : Data signal of src`, original case)
and in `#define X<TOP>_<BUS>_ADDR_<ARG>_DATA 0x10` / `..._BITS_<ARG>_DATA 64` (upper case). 64-bit arguments
are m_axi pointers (two 32-bit words, low word at the offset): pylic's kernels have no 64-bit scalars.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pylic.errors import ToolError
from pylic.imageio import write_file

SCHEMA = "pylic-kernel-interface/1"
CONTROL = {"AP_CTRL": "ap_ctrl", "GIE": "gie", "IER": "ier", "ISR": "isr"}
ROLES = {"gdn": "gdn", "igdn": "igdn", "patch_buffer": "patch"}

_COMMENT = re.compile(r"^//\s*0x([0-9a-fA-F]+)\s*:\s*Data signal of (\w+)\s*$")


def parse_hw_header(text: str, top: str) -> dict:
    """{"control": {...}, "args": {name: {"offset", "bits", "kind"}}} for kernel `top` from its header text."""
    define = re.compile(rf"^#define\s+X{re.escape(top.upper())}_([A-Z0-9]+)_(ADDR|BITS)_(\w+)"
                        r"\s+(0x[0-9a-fA-F]+|\d+)\s*$")
    names: dict[str, str] = {}
    for line in text.splitlines():
        m = _COMMENT.match(line.strip())
        if m:
            names.setdefault(m.group(2).upper(), m.group(2))
    control: dict[str, int] = {}
    addr: dict[str, int] = {}
    bits: dict[str, int] = {}
    for line in text.splitlines():
        m = define.match(line.strip())
        if not m:
            continue
        kind, field, value = m.group(2), m.group(3), int(m.group(4), 0)
        if kind == "ADDR" and field in CONTROL:
            control[CONTROL[field]] = value
        elif field.endswith("_DATA"):
            arg = field[: -len("_DATA")]
            (addr if kind == "ADDR" else bits)[arg] = value
    if set(control) != set(CONTROL.values()):
        raise ToolError(f"x{top}_hw.h: control registers {sorted(control)} incomplete "
                        f"(want {sorted(CONTROL.values())})")
    if not addr or set(addr) != set(bits):
        raise ToolError(f"x{top}_hw.h: argument offsets {sorted(addr)} and widths {sorted(bits)} do not pair up")
    missing = sorted(set(addr) - set(names))
    if missing:
        raise ToolError(f"x{top}_hw.h: no 'Data signal of' comment names {missing}")
    args = {names[a]: {"offset": addr[a], "bits": bits[a], "kind": "pointer" if bits[a] == 64 else "scalar"}
            for a in sorted(addr, key=addr.get)}
    return {"control": control, "args": args}


def find_hw_header(prj: Path, top: str) -> Path:
    """The header Vitis HLS wrote under `<top>_prj/` (…/impl/misc/drivers/<top>_v1_0/src/x<top>_hw.h)."""
    hits = sorted(prj.rglob(f"x{top}_hw.h"))
    if not hits:
        raise ToolError(f"vitis_hls left no x{top}_hw.h under {prj}; cannot read the kernel's register map")
    return hits[0]


def kernel_entry(info, interface: dict) -> dict:
    """One `kernels[]` entry of the contract from a kernel's KernelInfo and its parsed header."""
    expected = set(info.registers) - {"CTRL", "GIE", "IER", "ISR"}
    if set(interface["args"]) != expected:
        raise ToolError(f"{info.top}: the synthesized arguments {sorted(interface['args'])} differ from the "
                        f"generated kernel's {sorted(expected)}")
    return {"top": info.top, "vlnv": f"xilinx.com:hls:{info.top}:1.0", "role": ROLES[info.kind],
            "op": info.layer if info.kind in ("gdn", "igdn") else None, "instances": [f"{info.top}_1"],
            "control": interface["control"], "args": interface["args"]}


def write_kernels_json(entries: list[dict], path: Path) -> Path:
    write_file(path, json.dumps({"schema": SCHEMA, "kernels": entries}, indent=1, sort_keys=True) + "\n")
    return path
