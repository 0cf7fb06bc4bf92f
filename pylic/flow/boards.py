"""Board configurations as data: `pylic/flow/boards/<name>.json` loaded into frozen dataclasses that refuse
unknown or missing keys, so a typo in a board file is an error, not a silently ignored setting."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pylic.errors import PylicError

BOARDS_DIR = Path(__file__).resolve().parent / "boards"
DPU_KERNEL = "DPUCZDX8G"
DPU_DATA_PORTS = ("M_AXI_HP0", "M_AXI_HP2")  # 128-bit feature/weight ports; M_AXI_GP0 fetches instructions
DPU_INSTR_PORT = "M_AXI_GP0"
DATA_WIDTH = 128  # bits: what a DPU or pylic kernel data port needs


class BoardError(PylicError):
    """A board name is unknown or a board file is malformed or inconsistent."""


def _strict(cls, d: Any, where: str):
    if not isinstance(d, dict):
        raise BoardError(f"{where}: expected an object, got {type(d).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if set(d) - set(fields):
        raise BoardError(f"{where}: unknown keys {sorted(set(d) - set(fields))}")
    if set(fields) - set(d):
        raise BoardError(f"{where}: missing keys {sorted(set(fields) - set(d))}")
    return cls(**d)


@dataclass(frozen=True)
class Resources:
    dsp: int
    bram36: float
    lut: int


@dataclass(frozen=True)
class Budget:
    dsp: int
    bram36: int
    lut: int
    uram: int


@dataclass(frozen=True)
class MemoryPort:
    """One PS slave port of the platform: data width, how many masters it takes (1 = direct, more = through
    an interconnect the platform Tcl builds), and the Zynq PS interface it ends at."""

    width: int
    slots: int
    ps_port: str


@dataclass(frozen=True)
class DpuConfig:
    arch: str
    cores: int
    clock_mhz: int
    dsp_clock_mhz: int
    dsp_usage: str
    ram_usage: str
    uram: bool
    channel_augmentation: bool
    relu_type: str
    per_core: Resources
    ports: tuple[dict[str, str], ...]  # per core: DPU port -> memory port name


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    part: str
    board_part: str
    tools: dict[str, str]
    clocks_mhz: tuple[int, ...]  # platform clock ids 0.. in order
    dpu: DpuConfig
    memory_ports: dict[str, MemoryPort]
    kernel_ports: tuple[str, ...]  # where pylic's HLS kernels' data ports go (round robin)
    kernel_clock_mhz: int
    interrupts: int
    cma_mb: int
    budget: Budget
    platform_overhead: Resources
    ddr_gb_s: float
    sources: str

    def clock_id(self, mhz: int) -> int:
        if mhz not in self.clocks_mhz:
            raise BoardError(f"{self.name}: no {mhz} MHz platform clock (has {list(self.clocks_mhz)})")
        return self.clocks_mhz.index(mhz)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _check(b: Board) -> Board:
    """Invariants the link and the runtime rely on (HW_FLOW.md §1, §5)."""
    d = b.dpu
    if d.dsp_clock_mhz != 2 * d.clock_mhz:
        raise BoardError(f"{b.name}: the DPU's DSP clock must be exactly 2x its clock ({d.clock_mhz} MHz)")
    for mhz in (d.clock_mhz, d.dsp_clock_mhz, b.kernel_clock_mhz):
        b.clock_id(mhz)
    if len(d.ports) != d.cores:
        raise BoardError(f"{b.name}: {d.cores} DPU cores but {len(d.ports)} port maps")
    for i, pm in enumerate(d.ports):
        if set(pm) != {DPU_INSTR_PORT, *DPU_DATA_PORTS}:
            raise BoardError(f"{b.name}: DPU core {i + 1} maps {sorted(pm)}, needs {[DPU_INSTR_PORT, *DPU_DATA_PORTS]}")
        for port, mem in pm.items():
            if mem not in b.memory_ports:
                raise BoardError(f"{b.name}: DPU core {i + 1} {port} -> unknown memory port {mem}")
            if port in DPU_DATA_PORTS and b.memory_ports[mem].width < DATA_WIDTH:
                raise BoardError(f"{b.name}: DPU core {i + 1} {port} on {mem}, a "
                                 f"{b.memory_ports[mem].width}-bit port (data ports need {DATA_WIDTH})")
    for mem in b.kernel_ports:
        if mem not in b.memory_ports or b.memory_ports[mem].width < DATA_WIDTH:
            raise BoardError(f"{b.name}: kernel port {mem} is not a {DATA_WIDTH}-bit memory port of the board")
    return b


def board_from_dict(d: Any, where: str = "board") -> Board:
    if not isinstance(d, dict):
        raise BoardError(f"{where}: expected an object")
    d = dict(d)
    try:
        dpu = dict(d.get("dpu") or {})
        if "per_core" in dpu:
            dpu["per_core"] = _strict(Resources, dpu["per_core"], f"{where}.dpu.per_core")
        if "ports" in dpu:
            dpu["ports"] = tuple(dict(p) for p in dpu["ports"])
        if "dpu" in d:
            d["dpu"] = _strict(DpuConfig, dpu, f"{where}.dpu")
        if "memory_ports" in d:
            d["memory_ports"] = {k: _strict(MemoryPort, v, f"{where}.memory_ports.{k}")
                                 for k, v in d["memory_ports"].items()}
        for key, cls in (("budget", Budget), ("platform_overhead", Resources)):
            if key in d:
                d[key] = _strict(cls, d[key], f"{where}.{key}")
        for key in ("clocks_mhz", "kernel_ports"):
            if key in d:
                d[key] = tuple(d[key])
        return _check(_strict(Board, d, where))
    except (TypeError, AttributeError, ValueError) as exc:
        raise BoardError(f"{where}: {exc}") from None


def board_names() -> list[str]:
    return sorted(p.stem for p in BOARDS_DIR.glob("*.json"))


def load_board(ref: str | Path) -> Board:
    """A shipped board by name (`zcu102`, `zcu104`) or a board JSON file."""
    path = Path(ref)
    if not path.suffix == ".json":
        path = BOARDS_DIR / f"{ref}.json"
        if not path.is_file():
            raise BoardError(f"unknown board {ref!r}; shipped boards: {', '.join(board_names())} (or a .json path)")
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BoardError(f"{path}: {exc}") from None
    return board_from_dict(raw, str(path))
