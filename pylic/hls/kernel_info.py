"""What a generated kernel folder holds, as plain data written to its `kernel.json`."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pylic.errors import PylicError
from pylic.imageio import write_file

PART = "xczu9eg-ffvb1156-2-e"  # ZCU102
CLOCK_MHZ = 300  # the kernels' target clock (estimate.py uses it too)
CFLAGS = "-std=c++14 -Isrc"


@dataclass(frozen=True)
class KernelInfo:
    """One kernel folder: its top function, sources, testbench and the files a csim/synth step needs."""

    top: str
    kind: str  # "gdn", "igdn" or "patch_buffer"
    layer: str
    sources: list[str]
    testbench: str
    headers: list[str]
    n_vectors: int
    registers: dict[str, int]
    estimate: dict
    details: dict = field(default_factory=dict)

    def save(self, folder: Path) -> Path:
        return write_file(folder / "kernel.json", json.dumps(asdict(self), indent=1, sort_keys=True) + "\n",
                          skip_identical=True)

    @classmethod
    def load(cls, folder: str | Path) -> KernelInfo:
        path = Path(folder) / "kernel.json"
        if not path.is_file():
            raise PylicError(f"{folder} is not a generated kernel folder (no kernel.json); run `invoke gen-hls`")
        return cls(**json.loads(path.read_text()))


def tcl_context(info: KernelInfo) -> dict:
    from pylic.hls.tools import XILINX_VERSION

    return {"top": info.top, "sources": info.sources, "testbench": info.testbench, "cflags": CFLAGS,
            "part": PART, "clock_mhz": CLOCK_MHZ, "xilinx_version": XILINX_VERSION}
