"""Discrete-event simulation of patches flowing through a stage graph: pipelined lanes vs sequential execution.

Pipelined (paper Fig. 7): patch i runs its DPU stages on core `i % lanes` (each core serves its own patch lane);
every GDN/iGDN op is one fabric kernel shared by all lanes; PS stages take any free A53 core. Every resource
serves its queue first come first served, so DPU, fabric and PS work of different patches overlap.

Sequential (the paper's baseline): one stage at a time over all patches, each stage spread over every unit of
its kind (all DPU cores, all PS cores), intermediate results in memory; the frame time is the sum.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Mapping, Sequence


@dataclass(frozen=True)
class Timed:
    """One stage of one patch: which unit runs it (`dpu`, `gdn`, `ps`), its name and its time."""

    name: str
    unit: str
    seconds: float


@dataclass(frozen=True)
class SimResult:
    makespan_s: float
    busy_s: dict[str, float]  # total service time per resource
    servers: dict[str, int]
    order: str = "wave"

    @property
    def bottleneck(self) -> str:
        """The resource with the most work per server: no schedule can finish before it does."""
        return max(self.busy_s, key=lambda r: self.busy_s[r] / self.servers[r])

    @property
    def bound_s(self) -> float:
        return max(b / self.servers[r] for r, b in self.busy_s.items())


def _resource(stage: Timed, patch: int, lanes: int) -> str:
    if stage.unit == "dpu":
        return "dpu"
    if stage.unit == "gdn":
        return f"gdn:{stage.name}"
    return "ps"


def _servers(resource: str, lanes: int, ps_cores: int) -> int:
    return {"ps": ps_cores, "dpu": lanes}.get(resource, 1)


ORDERS = ("wave", "patch", "stage")


def _issue_order(order: str, patches: int, n_stages: int) -> list[tuple[int, int]]:
    """(patch, stage) pairs in issue order; each patch's stages in sequence in every order."""
    if order == "wave":  # software pipelining: wave k = stage s of patch p for p + s = k, older patch first
        return [(p, k - p) for k in range(patches + n_stages - 1)
                for p in range(max(0, k - n_stages + 1), min(patches, k + 1))]
    if order == "patch":  # one patch through every stage, then the next
        return [(p, s) for p in range(patches) for s in range(n_stages)]
    if order == "stage":  # one stage over every patch, then the next (no barrier between stages)
        return [(p, s) for s in range(n_stages) for p in range(patches)]
    raise ValueError(f"unknown issue order {order!r}")


def _list_schedule(stages: Sequence[Timed], patches: int, lanes: int, ps_cores: int, order: str) -> SimResult:
    units: dict[str, list[float]] = {}  # resource -> heap of the times its servers become free
    busy: dict[str, float] = {}
    ready = [0.0] * patches  # when each patch's previous stage finished (the frame is in memory at t = 0)
    for p, s in _issue_order(order, patches, len(stages)):
        stage = stages[s]
        r = _resource(stage, p, lanes)
        free = units.setdefault(r, [0.0] * _servers(r, lanes, ps_cores))
        start = max(ready[p], heapq.heappop(free))
        ready[p] = start + stage.seconds
        heapq.heappush(free, ready[p])
        busy[r] = busy.get(r, 0.0) + stage.seconds
    return SimResult(max(ready), busy, {r: len(v) for r, v in units.items()}, order)


def simulate(stages: Sequence[Timed], patches: int, lanes: int, ps_cores: int = 4) -> SimResult:
    """Pipelined execution of `patches` patches through `stages` (in order): the shortest of three issue orders.

    Each order is a fixed list of (patch, stage) work items; an item starts on the earliest-free unit of its kind
    once its patch's previous stage is done (a list schedule). A fixed issue order, independent of the unit
    counts, makes each schedule monotone: more lanes or PS cores, or shorter stages, can only make every item
    start earlier (a greedy event-driven dispatcher can do worse with more units: Graham's anomalies), and the
    shortest of monotone schedules is monotone too. Orders: `wave` (software pipelining), `patch`, `stage`.
    """
    if patches < 1 or lanes < 1 or ps_cores < 1:
        raise ValueError("patches, lanes and ps_cores must be >= 1")
    return min((_list_schedule(stages, patches, lanes, ps_cores, o) for o in ORDERS), key=lambda r: r.makespan_s)


def sequential(stages: Sequence[Timed], patches: int, lanes: int, ps_cores: int = 4) -> float:
    """Stage after stage: each over all patches, spread over every unit of its kind."""
    per_unit = {"dpu": lanes, "ps": ps_cores, "gdn": 1}
    return sum(math.ceil(patches / per_unit[s.unit]) * s.seconds for s in stages)


def stage_totals(stages: Sequence[Timed]) -> Mapping[str, float]:
    """Per-patch time on each unit kind (dpu/gdn/ps)."""
    out: dict[str, float] = {}
    for s in stages:
        out[s.unit] = out.get(s.unit, 0.0) + s.seconds
    return out
