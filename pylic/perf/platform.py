"""Board facts the performance model needs, in one place, each with its source.

Sources: `../shared/notes/XMODEL_DPU.md` §3 (resources) and §4 (peak, clocks, memory) — "V" verified there in
vendor documents, "I" inferred there. Numbers for the smaller board (KV260) are not in the notes: they come from
the K26 SOM data sheet (DS987) and DPU-PYNQ's KV260 build (one B4096 at 300 MHz) and are marked as such.
The lead may later point `platform_for` at the shared board configs (`pylic/flow/boards/`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from pylic.errors import PylicError


@dataclass(frozen=True)
class Platform:
    """One board with its DPU configuration, fabric budget and processing system."""

    name: str
    dpu_cores: int
    dpu_clock_hz: float  # m_axi_dpu_aclk; DSPs run at 2x (XMODEL_DPU §4, V)
    pp: int = 8  # pixel parallelism (along H; XMODEL_DPU §4, V)
    icp: int = 16  # input-channel parallelism
    ocp: int = 16  # output-channel parallelism
    ddr_bytes_per_s: float = 17.0e9  # PS DDR usable by the PL (XMODEL_DPU §4, I)
    port_bytes: int = 16  # one DPU data port is 128 bits (XMODEL_DPU §4, V)
    ports_per_core: int = 2  # two data ports per core (V)
    dsp_total: int = 2520
    bram36_total: int = 912
    lut_total: int = 274_080
    dsp_per_core: int = 642  # B4096, DSP usage high (PG338 v1.2 Table 9, V)
    bram36_per_core: float = 255  # RAM usage low (PG338 3.4, V)
    lut_per_core: int = 40_865  # (V)
    fabric_clock_hz: float = 300e6  # GDN kernels' target clock (pylic.hls.kernel_info.CLOCK_MHZ)
    ps_cores: int = 4  # Cortex-A53 cores
    ps_clock_hz: float = 1.2e9
    layer_overhead_cycles: int = 0  # fixed cost per conv layer; no measured value, so 0 by default
    source: str = ""

    @property
    def ops_per_cycle(self) -> int:
        """Peak ops (2 per MAC) per cycle per core: PP x ICP x OCP x 2 = 4,096 for B4096."""
        return 2 * self.pp * self.icp * self.ocp

    @property
    def peak_ops_per_s(self) -> float:
        return self.dpu_cores * self.ops_per_cycle * self.dpu_clock_hz

    @property
    def core_bytes_per_s(self) -> float:
        """Bandwidth one core gets when all cores stream at once: its ports, or its share of the DDR."""
        return min(self.ports_per_core * self.port_bytes * self.dpu_clock_hz, self.ddr_bytes_per_s / self.dpu_cores)

    @property
    def dsp_left(self) -> int:
        return self.dsp_total - self.dpu_cores * self.dsp_per_core

    @property
    def bram36_left(self) -> float:
        return self.bram36_total - self.dpu_cores * self.bram36_per_core

    def with_(self, **changes) -> "Platform":
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return {**asdict(self), "ops_per_cycle": self.ops_per_cycle, "peak_tops": self.peak_ops_per_s / 1e12,
                "core_gb_per_s": self.core_bytes_per_s / 1e9, "dsp_left": self.dsp_left,
                "bram36_left": self.bram36_left}


BOARDS: dict[str, Platform] = {
    "zcu102": Platform(
        name="zcu102", dpu_cores=3, dpu_clock_hz=300e6,
        source="XMODEL_DPU.md: xczu9eg 2,520 DSP / 912 BRAM36 / 274k LUT (§3, I); 3x B4096 at 300 MHz as in the "
               "paper (§4; Xilinx's own image runs 281 MHz); DDR4-2133 64-bit ~17 GB/s as DPU-PYNQ configures it "
               "(§4, I; the paper assumes 19.2)"),
    "kv260": Platform(
        name="kv260", dpu_cores=1, dpu_clock_hz=300e6, ddr_bytes_per_s=19.2e9, dsp_total=1248, bram36_total=144,
        lut_total=117_120,
        source="not in the notes: K26 SOM data sheet DS987 (xck26: 1,248 DSP, 144 BRAM36 + 64 URAM, 117k LUT, "
               "64-bit DDR4-2400); DPU-PYNQ's KV260 build has one B4096 at 300 MHz; URAM not modelled"),
}


def platform_for(board: str) -> Platform:
    try:
        return BOARDS[board.lower()]
    except KeyError:
        raise PylicError(f"unknown board {board!r}; known: {', '.join(sorted(BOARDS))}") from None
