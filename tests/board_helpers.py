"""Shared pieces of the board-runtime tests: a valid kernel interface document."""

from __future__ import annotations

import copy


def gdn_entry(top: str = "gdn_g_a_1", op: str = "g_a.1", role: str = "gdn") -> dict:
    return {"top": top, "vlnv": f"xilinx.com:hls:{top}:1.0", "role": role, "op": op, "instances": [f"{top}_1"],
            "control": {"ap_ctrl": 0, "gie": 4, "ier": 8, "isr": 12},
            "args": {"src": {"offset": 0x10, "bits": 64, "kind": "pointer"},
                     "dst": {"offset": 0x1C, "bits": 64, "kind": "pointer"},
                     "n_pixels": {"offset": 0x28, "bits": 32, "kind": "scalar"}}}


def interface_doc(*entries: dict) -> dict:
    return {"schema": "pylic-kernel-interface/1", "kernels": [copy.deepcopy(e) for e in entries or (gdn_entry(),)]}
