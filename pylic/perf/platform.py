"""Board facts the performance model needs. The board itself (DPU cores and clock, the device budget, the
configured DPU's per-core resources, DDR bandwidth) is read from the same board files the overlay build uses
(`pylic/flow/boards/<name>.json`, each with its sources), so the model and the build cannot disagree; what is
left here is the DPU's compute geometry and the PS, from `../shared/notes/XMODEL_DPU.md` §4 ("V" verified there in
vendor documents, "I" inferred there).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from pylic.errors import PylicError


@dataclass(frozen=True)
class Platform:
    """One board with its DPU configuration, fabric budget and processing system."""

    # the board: from its board file (`platform_from_board`), never typed here a second time
    name: str
    dpu_cores: int
    dpu_clock_hz: float  # m_axi_dpu_aclk; DSPs run at 2x (XMODEL_DPU §4, V)
    ddr_bytes_per_s: float  # PS DDR usable by the PL
    dsp_total: int
    bram36_total: int
    lut_total: int
    dsp_per_core: int
    bram36_per_core: float
    lut_per_core: int
    fabric_clock_hz: float  # the HLS kernels' clock
    # the DPU's compute geometry and the PS
    pp: int = 8  # pixel parallelism (along H; XMODEL_DPU §4, V)
    icp: int = 16  # input-channel parallelism
    ocp: int = 16  # output-channel parallelism
    port_bytes: int = 16  # one DPU data port is 128 bits (XMODEL_DPU §4, V)
    ports_per_core: int = 2  # two data ports per core (V)
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


def platform_from_board(board) -> Platform:
    """A `pylic.flow.boards.Board` as the performance model sees it."""
    d, budget = board.dpu, board.budget
    return Platform(
        name=board.name, dpu_cores=d.cores, dpu_clock_hz=d.clock_mhz * 1e6, ddr_bytes_per_s=board.ddr_gb_s * 1e9,
        dsp_total=budget.dsp, bram36_total=budget.bram36, lut_total=budget.lut, dsp_per_core=d.per_core.dsp,
        bram36_per_core=d.per_core.bram36, lut_per_core=d.per_core.lut, fabric_clock_hz=board.kernel_clock_mhz * 1e6,
        source=f"pylic/flow/boards/{board.name}.json: {board.sources}")


def platform_for(board: str) -> Platform:
    """A shipped board by name (`pylic.flow.boards.board_names()`) or a board JSON file."""
    from pylic.flow.boards import BoardError, load_board

    try:
        return platform_from_board(load_board(board))
    except BoardError as exc:
        raise PylicError(str(exc)) from None
